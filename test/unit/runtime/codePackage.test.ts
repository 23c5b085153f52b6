import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as tar from 'tar';
import { buildCodePackage, CODE_PACKAGE_MAX_MB_SETTING, CodePackageTooLargeError, uploadCodePackage } from '../../../src/runtime/codePackage';
import { LocalStorage } from '../../../src/datastore/storage/localStorage';

const PYTHON_DIR = path.resolve(__dirname, '../../../src/runtime/python');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codepkg-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function project(name: string, files: Record<string, string | Buffer>): string {
  const dir = path.join(tmp, name);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

async function entries(bytes: Buffer): Promise<Array<{ path: string; mode?: number; mtime?: Date; uid?: number; gid?: number; type: string }>> {
  const out: Array<{ path: string; mode?: number; mtime?: Date; uid?: number; gid?: number; type: string }> = [];
  const parser = new tar.Parser({ onReadEntry: (e) => { out.push({ path: e.path, mode: e.mode, mtime: e.mtime, uid: e.uid, gid: e.gid, type: e.type }); e.resume(); } });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.end(bytes);
  });
  return out;
}

const FLOW = 'from metaflow import FlowSpec, step\nclass F(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.end)\n    @step\n    def end(self):\n        pass\n';

describe('code package', () => {
  it('holds the flow directory filtered by nested .gitignore files and the default excludes, plus the embedded package under .mf_code/', async () => {
    const dir = project('filtered', {
      'flow.py': FLOW,
      'helpers/util.py': 'X = 1\n',
      'helpers/.gitignore': 'scratch.txt\n',
      'helpers/scratch.txt': 'ignored by the nested .gitignore',
      '.gitignore': 'data/\n*.csv\n!keep.csv\n',
      'data/big.bin': 'ignored directory',
      'table.csv': 'ignored',
      'keep.csv': 'kept by negation',
      '.metaflow/F/1/_meta/_self.json': '{}',
      '.git/HEAD': 'ref',
      '__pycache__/flow.cpython-311.pyc': 'x',
      'node_modules/a/index.js': 'x',
      '.venv/bin/python': 'x',
    });
    const pkg = await buildCodePackage({ flowDir: dir, embeddedPythonDir: PYTHON_DIR, maxBytes: 10 * 1048576 });
    const user = pkg.files.filter((f) => !f.startsWith('.mf_code/'));
    assert.deepEqual(user, ['.gitignore', 'flow.py', 'helpers/.gitignore', 'helpers/util.py', 'keep.csv']);
    assert.ok(pkg.files.includes('.mf_code/metaflow/__init__.py'));
    assert.ok(pkg.files.includes('.mf_code/metaflow_studio/worker.py'));
    assert.ok(!pkg.files.some((f) => f.endsWith('.pyc') || f.includes('__pycache__')));
    assert.equal(pkg.sha, createHash('sha1').update(pkg.bytes).digest('hex'));
    // Python's tarfile (what the pod loader uses) reads it: same names, same content.
    const out = path.join(tmp, 'extracted');
    const tgz = path.join(tmp, 'p.tgz');
    fs.writeFileSync(tgz, pkg.bytes);
    execFileSync('python3', ['-c', 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])', tgz, out], { stdio: 'pipe' });
    assert.equal(fs.readFileSync(path.join(out, 'flow.py'), 'utf8'), FLOW);
    assert.equal(fs.readFileSync(path.join(out, 'keep.csv'), 'utf8'), 'kept by negation');
    assert.ok(fs.existsSync(path.join(out, '.mf_code', 'metaflow_studio', 'worker.py')));
  });

  it('is byte-for-byte the same for the same content whatever the files\' times, owners and modes', async () => {
    const dir = project('stable', { 'flow.py': FLOW, 'lib/a.py': 'A = 1\n', 'run.sh': '#!/bin/sh\n' });
    fs.chmodSync(path.join(dir, 'run.sh'), 0o700);
    const first = await buildCodePackage({ flowDir: dir, embeddedPythonDir: PYTHON_DIR, maxBytes: 10 * 1048576 });
    fs.utimesSync(path.join(dir, 'flow.py'), new Date(), new Date(Date.now() + 5000));
    fs.chmodSync(path.join(dir, 'lib/a.py'), 0o600);
    const second = await buildCodePackage({ flowDir: dir, embeddedPythonDir: PYTHON_DIR, maxBytes: 10 * 1048576 });
    assert.equal(second.sha, first.sha);
    assert.deepEqual(second.bytes, first.bytes);
    // gzip header: no time, OS "unknown".
    assert.equal(first.bytes.readUInt32LE(4), 0);
    assert.equal(first.bytes[9], 255);
    const list = await entries(first.bytes);
    const names = list.map((e) => e.path);
    assert.deepEqual(names, [...names].sort());
    for (const e of list) {
      assert.equal(e.type, 'File');
      assert.equal(e.mtime?.getTime(), 315532800000);
      assert.equal(e.uid, 0);
      assert.equal(e.gid, 0);
    }
    assert.equal(list.find((e) => e.path === 'run.sh')?.mode, 0o755);
    assert.equal(list.find((e) => e.path === 'lib/a.py')?.mode, 0o644);
    fs.writeFileSync(path.join(dir, 'lib/a.py'), 'A = 2\n');
    const changed = await buildCodePackage({ flowDir: dir, embeddedPythonDir: PYTHON_DIR, maxBytes: 10 * 1048576 });
    assert.notEqual(changed.sha, first.sha);
  });

  it('keeps paths longer than a tar header holds', async () => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/module_with_a_long_name.py`;
    const dir = project('long', { 'flow.py': FLOW, [long]: 'L = 1\n' });
    const pkg = await buildCodePackage({ flowDir: dir, embeddedPythonDir: PYTHON_DIR, maxBytes: 10 * 1048576 });
    const list = await entries(pkg.bytes);
    assert.ok(list.some((e) => e.path === long), 'the long path survives');
  });

  it('refuses a directory over the size guard, naming the largest files and the setting that raises it', async () => {
    const dir = project('large', { 'flow.py': FLOW, 'weights.bin': Buffer.alloc(300_000), 'small.txt': 'x' });
    await assert.rejects(
      () => buildCodePackage({ flowDir: dir, embeddedPythonDir: PYTHON_DIR, maxBytes: 200_000 }),
      (err: Error) => {
        assert.ok(err instanceof CodePackageTooLargeError);
        assert.match(err.message, /weights\.bin \(0\.3 MB\)/);
        assert.ok(err.message.indexOf('weights.bin') < err.message.indexOf('flow.py'), 'largest first');
        assert.ok(err.message.includes(CODE_PACKAGE_MAX_MB_SETTING));
        assert.match(err.message, /\.gitignore/);
        return true;
      },
    );
  });

  it('is uploaded once per content to the flow\'s content-addressed store', async () => {
    const dir = project('upload', { 'flow.py': FLOW });
    const pkg = await buildCodePackage({ flowDir: dir, embeddedPythonDir: PYTHON_DIR, maxBytes: 10 * 1048576 });
    const storage = new LocalStorage(path.join(tmp, 'ds'));
    const first = await uploadCodePackage(storage, 'F', pkg);
    assert.equal(first.key, `F/data/${pkg.sha.slice(0, 2)}/${pkg.sha}`);
    assert.equal(first.uploaded, true);
    assert.deepEqual(await storage.read(first.key), pkg.bytes);
    const again = await uploadCodePackage(storage, 'F', pkg);
    assert.deepEqual(again, { key: first.key, uploaded: false });
  });
});
