// The integrated terminal: new terminals get the embedded package on PYTHONPATH (the fixture's python3
// has no Metaflow of its own), and `python3 flow.py run` typed there runs the flow on the embedded runtime.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, EXTENSION_ID, fixture, waitFor } from './helpers';

const ENV_NAMES = ['PYTHONPATH', 'METAFLOW_STUDIO_NODE', 'METAFLOW_STUDIO_CLI'] as const;
type TerminalEnv = Record<(typeof ENV_NAMES)[number], string | null>;

let probes = 0;

function extensionDir(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return extension.extensionPath;
}

/** A bash terminal whose rc files cannot change the environment under test. */
function bash(name: string, cwd: string): vscode.Terminal {
  return vscode.window.createTerminal({ name, cwd, shellPath: '/bin/bash', shellArgs: ['--norc', '--noprofile'] });
}

async function waitForFile(file: string, timeoutMs: number): Promise<string> {
  return waitFor(`${path.basename(file)} to be written by the terminal`, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    return text.endsWith('\n') ? text : undefined;
  }, timeoutMs);
}

/** What a newly opened terminal's processes see. */
async function newTerminalEnv(dir: string): Promise<TerminalEnv> {
  const out = path.join(dir, `env-${++probes}.json`);
  const terminal = bash(`env probe ${probes}`, dir);
  try {
    const script = `import json, os; print(json.dumps({k: os.environ.get(k) for k in ${JSON.stringify(ENV_NAMES)}}))`;
    terminal.sendText(`python3 -c '${script}' > ${out}.tmp && mv ${out}.tmp ${out}`);
    return JSON.parse(await waitForFile(out, 20_000)) as TerminalEnv;
  } finally {
    terminal.dispose();
    fs.rmSync(out, { force: true });
  }
}

function embeddedFirst(env: TerminalEnv): boolean {
  return (env.PYTHONPATH ?? '').split(path.delimiter)[0] === path.join(extensionDir(), 'dist', 'python');
}

suite('Integrated terminal', () => {
  let dir: string;

  suiteSetup(async () => {
    await api();
    dir = fixture('terminal').fsPath;
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('metaflow').update('terminal.embeddedRuntime', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('new terminals get the embedded package first on PYTHONPATH, and node and the CLI', async () => {
    // The extension checks the interpreter after activation; terminals opened before that lack the entry.
    const env = await waitFor('a terminal with the embedded package on PYTHONPATH', async () => {
      const seen = await newTerminalEnv(dir);
      return embeddedFirst(seen) ? seen : false;
    }, 60_000);
    assert.equal(env.METAFLOW_STUDIO_CLI, path.join(extensionDir(), 'dist', 'cli.js'));
    assert.ok(env.METAFLOW_STUDIO_NODE && fs.existsSync(env.METAFLOW_STUDIO_NODE), `METAFLOW_STUDIO_NODE=${env.METAFLOW_STUDIO_NODE}`);
  });

  test('python3 flow.py run typed in a terminal runs the flow to completion', async () => {
    await waitFor('the terminal environment', async () => embeddedFirst(await newTerminalEnv(dir)), 60_000);
    const status = path.join(dir, 'run.status');
    const log = path.join(dir, 'run.log');
    fs.rmSync(status, { force: true });
    const terminal = bash('flow run', dir);
    try {
      // Its own .metaflow, so the run stays out of the datastore other suites read.
      terminal.sendText(`mkdir -p .metaflow && python3 terminal_flow.py run --greeting hi > run.log 2>&1; echo $? > run.status`);
      const code = (await waitForFile(status, 120_000)).trim();
      const output = fs.readFileSync(log, 'utf8');
      assert.equal(code, '0', output);
      assert.match(output, /hi from the terminal/);
      const runId = fs.readFileSync(path.join(dir, '.metaflow', 'TerminalFlow', 'latest_run'), 'utf8').trim();
      assert.match(output, new RegExp(`TerminalFlow/${runId} succeeded`));
      for (const step of ['start', 'end']) assert.ok(fs.existsSync(path.join(dir, '.metaflow', 'TerminalFlow', runId, step)), `no ${step} in the datastore`);
    } finally {
      terminal.dispose();
    }
  });

  test('turning metaflow.terminal.embeddedRuntime off leaves new terminals alone, and on again restores it', async () => {
    const config = vscode.workspace.getConfiguration('metaflow');
    await config.update('terminal.embeddedRuntime', false, vscode.ConfigurationTarget.Workspace);
    const off = await waitFor('a terminal without the embedded package', async () => {
      const seen = await newTerminalEnv(dir);
      return embeddedFirst(seen) ? false : seen;
    }, 60_000);
    assert.equal(off.METAFLOW_STUDIO_CLI, null);
    await config.update('terminal.embeddedRuntime', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('the embedded package back on PYTHONPATH', async () => embeddedFirst(await newTerminalEnv(dir)), 60_000);
  });
});
