// `graph`, `check` and `show` through the bundled CLI, run as a subprocess the way users run it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as esbuild from 'esbuild';
import { nodeBundleOptions } from '../../../scripts/node-bundle.mjs';
import { FLOW_FIXTURES } from './fixturePaths';

const ROOT = resolve(__dirname, '../../..');

describe('metaflow-studio graph/check/show (bundled CLI)', () => {
  let dir: string;
  let cli: string;
  before(async () => {
    // Bundled the way esbuild.mjs bundles dist/cli.js, into a private directory so that parallel test runs never share dist/.
    dir = mkdtempSync(join(tmpdir(), 'flow-cli-'));
    cli = join(dir, 'cli.js');
    await esbuild.build(nodeBundleOptions({ entryPoints: [join(ROOT, 'src/cli.ts')], outfile: cli, logLevel: 'silent' }));
    const req = createRequire(join(ROOT, 'package.json'));
    copyFileSync(req.resolve('web-tree-sitter/tree-sitter.wasm'), join(dir, 'tree-sitter.wasm'));
    copyFileSync(join(dirname(req.resolve('tree-sitter-python/package.json')), 'tree-sitter-python.wasm'), join(dir, 'tree-sitter-python.wasm'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Run from an empty directory so the bundle cannot find node_modules: the wasm files beside it must be used.
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  const fixture = (name: string) => join(FLOW_FIXTURES, name);

  test('graph --json prints the GraphJson', () => {
    const r = run('graph', fixture('static_split.py'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.flows[0].graph_structure, ['start', [['train_a'], ['train_b']], 'choose', 'end']);
    assert.equal(json.flows[0].steps[0].type, 'split-static');
  });

  test('graph prints a tree with types and transitions', () => {
    const r = run('graph', fixture('switch.py'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^SwitchFlow \(.*switch\.py:4\)/);
    assert.match(r.stdout, /start \(split-switch, condition mode\) -> fast: quick, slow: thorough/);
    assert.match(r.stdout, /end \(end\)/);
  });

  test('graph --flow picks one of several flows', () => {
    const r = run('graph', fixture('two_flows.py'), '--json', '--flow', 'SecondFlow');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).flows.map((f: { name: string }) => f.name), ['SecondFlow']);
  });

  test('check exits 0 with OK on a good flow', () => {
    const r = run('check', fixture('foreach.py'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^OK: ForeachFlow \(4 steps\)/);
  });

  test('check exits 1 and prints file:line: check: message for every error', () => {
    const r = run('check', fixture('lint_many_errors.py'));
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 5);
    for (const line of lines) assert.match(line, /lint_many_errors\.py:\d+: check_[a-z_]+: .+/);
    assert.ok(lines.some((l) => /:13: check_unknown_transitions: Step 'Load' goes to an unknown step 'missing_step'/.test(l)));
  });

  test('check reports syntax errors', () => {
    const r = run('check', fixture('broken_syntax_error.py'));
    assert.equal(r.status, 1);
    assert.match(r.stdout, /broken_syntax_error\.py:\d+: syntax-error: /);
  });

  test("show prints Metaflow's layout", () => {
    const r = run('show', fixture('linear.py'));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      '',
      'Loads data, trains, and reports.',
      '',
      'The simplest shape: one step after another.',
      '',
      'Step start',
      '    Load the data.',
      '    => train',
      '',
      'Step train',
      '    Fit the model.',
      '    => end',
      '',
      'Step end',
      '    Report.',
      '',
      '',
    ].join('\n'));
  });

  test('show picks the flow the file runs under __main__ when it defines several', () => {
    const r = run('show', fixture('inheritance.py'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\nOverrides training with a split\.\n/);
    assert.match(r.stdout, /Step train\n {4}\?\n {4}=> train_a, train_b\n/);
  });

  test('show lists decorators innermost first and ? for missing docs', () => {
    const r = run('show', fixture('decorators.py'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\n@retry\n@card\nStep start\n {4}\?\n {4}=> train\n/);
  });

  test('a missing file, a file without flows, and an unknown --flow give clear messages', () => {
    const missing = run('check', join(dir, 'nope.py'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.py: no such file/);
    const plain = join(dir, 'plain.py');
    writeFileSync(plain, 'print("hello")\n');
    const none = run('graph', plain);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /plain\.py defines no flow/);
    const unknown = run('show', fixture('two_flows.py'), '--flow', 'ThirdFlow');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no flow named 'ThirdFlow'; it defines FirstFlow, SecondFlow/);
    const ambiguous = run('show', fixture('two_flows.py'));
    assert.equal(ambiguous.status, 2);
    assert.match(ambiguous.stderr, /choose one with --flow NAME/);
    const usage = run('graph');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /missing FLOW\.py/);
  });
});
