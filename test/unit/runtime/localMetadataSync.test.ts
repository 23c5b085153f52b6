import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalStorage } from '../../../src/datastore/storage/localStorage';
import { syncPodMetadata } from '../../../src/runtime/localMetadataSync';

const PYTHON_DIR = path.resolve(__dirname, '../../../src/runtime/python');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdsync-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The pod's side, for real: pack a `.metaflow` with the embedded package's packer and save it raw in the CAS. */
function podSaves(podRoot: string, datastore: string, flow: string): string {
  const script = [
    'import sys',
    'from metaflow_studio.pod_metadata_sync import pack_metadata, RawContentStore',
    'print(RawContentStore(sys.argv[3], local_root=sys.argv[2]).save(pack_metadata(sys.argv[1])))',
  ].join('\n');
  return execFileSync('python3', ['-c', script, podRoot, datastore, flow], { env: { ...process.env, PYTHONPATH: PYTHON_DIR }, encoding: 'utf8' }).trim();
}

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

describe('local metadata sync (launcher side)', () => {
  it("copies the pod's metadata files into the run's .metaflow, keeping the launcher's own files", async () => {
    const pod = path.join(tmp, 'pod', '.metaflow');
    write(pod, 'F/7/train/3/_meta/_self.json', '{"task":"3"}');
    write(pod, 'F/7/train/3/_meta/sysmeta_attempt_1.json', '{"field":"attempt"}');
    write(pod, 'F/7/_meta/_self.json', '{"pod":"run object"}');
    const ds = path.join(tmp, 'ds');
    const key = podSaves(pod, ds, 'F');
    const storage = new LocalStorage(ds);
    await storage.write('F/7/train/3/0.local_metadata', JSON.stringify(key));
    const local = path.join(tmp, 'local', '.metaflow');
    write(local, 'F/7/_meta/_self.json', '{"launcher":"run object"}');
    const result = await syncPodMetadata(storage, { flow: 'F', runId: '7', step: 'train', taskId: '3', attempt: 0 }, local);
    assert.equal(result.found, true);
    assert.deepEqual(result.copied, ['F/7/train/3/_meta/_self.json', 'F/7/train/3/_meta/sysmeta_attempt_1.json']);
    assert.equal(fs.readFileSync(path.join(local, 'F/7/train/3/_meta/_self.json'), 'utf8'), '{"task":"3"}');
    assert.equal(fs.readFileSync(path.join(local, 'F/7/_meta/_self.json'), 'utf8'), '{"launcher":"run object"}');
  });

  it('reports a pod that left no tarball, and refuses a pointer that names none', async () => {
    const storage = new LocalStorage(path.join(tmp, 'ds2'));
    const ref = { flow: 'F', runId: '7', step: 'train', taskId: '4', attempt: 1 };
    assert.deepEqual(await syncPodMetadata(storage, ref, path.join(tmp, 'l2')), { found: false, copied: [] });
    await storage.write('F/7/train/4/1.local_metadata', '"not-a-sha"');
    await assert.rejects(() => syncPodMetadata(storage, ref, path.join(tmp, 'l2')), /1\.local_metadata does not name a metadata tarball/);
  });

  it('refuses a tarball with an entry outside .metaflow/ and writes nothing from it', async () => {
    const ds = path.join(tmp, 'ds3');
    const evil = path.join(tmp, 'evil.tgz');
    execFileSync('python3', ['-c', [
      'import io, sys, tarfile',
      'with tarfile.open(sys.argv[1], "w:gz") as t:',
      '    for name in [".metaflow/F/7/s/1/_meta/_self.json", "../outside.txt"]:',
      '        data = b"{}"; info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))',
    ].join('\n'), evil]);
    const bytes = fs.readFileSync(evil);
    const sha = (await import('node:crypto')).createHash('sha1').update(bytes).digest('hex');
    const storage = new LocalStorage(ds);
    await storage.write(`F/data/${sha.slice(0, 2)}/${sha}`, bytes, { meta: { cas_raw: true, cas_version: 1 } });
    await storage.write('F/7/s/1/0.local_metadata', JSON.stringify(sha));
    const local = path.join(tmp, 'l3');
    await assert.rejects(() => syncPodMetadata(storage, { flow: 'F', runId: '7', step: 's', taskId: '1', attempt: 0 }, local), /refused: its entry '\.\.\/outside\.txt' is outside \.metaflow\//);
    assert.equal(fs.existsSync(path.join(local, 'F')), false);
    assert.equal(fs.existsSync(path.join(tmp, 'outside.txt')), false);
  });
});
