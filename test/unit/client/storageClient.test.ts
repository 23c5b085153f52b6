// The client over a storage backend gives the same answers as the local client on the same Metaflow
// layout (here the storage is the local implementation, counted), and fetches only what a read needs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { DatastoreClient } from '../../../src/client/datastoreClient';
import { StorageDatastoreClient } from '../../../src/client/storageClient';
import { LocalStorage } from '../../../src/datastore/storage/localStorage';
import { art, MetaflowLayoutWriter } from './metaflowLayoutFixture';

const T0 = 1_790_000_000;
const NOW = () => (T0 + 3600) * 1000;
const RUN = '1790000000000001';
const FAILED = '1790000000000002';

class CountingStorage extends LocalStorage {
  reads: string[] = [];
  lists: string[] = [];
  override readIfExists(key: string): Promise<Buffer | undefined> {
    this.reads.push(key);
    return super.readIfExists(key);
  }
  override listChildren(dirKey: string) {
    this.lists.push(dirKey);
    return super.listChildren(dirKey);
  }
  reset(): void {
    this.reads = [];
    this.lists = [];
  }
}

describe('client over a storage backend', () => {
  let root: string;
  before(() => {
    root = path.join(fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-storage-client-'))), '.metaflow');
    const w = new MetaflowLayoutWriter(root, 'WideFlow');
    w.run(RUN, T0 * 1000, ['nightly']);
    w.parameters(RUN, T0 * 1000, { alpha: art.int(1) });
    w.task(RUN, 'start', '1', { attempts: [{ ok: true, start: T0 + 1, end: T0 + 2 }], artifacts: { items: art.str('abc') } });
    for (let i = 0; i < 40; i++) {
      w.task(RUN, 'body', String(i + 2), { attempts: [{ ok: true, start: T0 + 3, end: T0 + 4 }], artifacts: { square: art.int(i * i) }, foreach: { step: 'body', var: 'items', index: i, value: String(i) } });
    }
    w.task(RUN, 'join', '50', { attempts: [{ ok: true, start: T0 + 7, end: T0 + 8 }], artifacts: { total: art.int(5) } });
    w.task(RUN, 'end', '51', { attempts: [{ ok: true, start: T0 + 9, end: T0 + 10 }] });
    // Written elsewhere: no .runtime files, no attempt_ok; the status comes from `_task_ok` in the CAS.
    w.run(FAILED, (T0 + 100) * 1000);
    w.parameters(FAILED, (T0 + 100) * 1000, { alpha: art.int(2) });
    w.task(FAILED, 'start', '1', { attempts: [{ ok: false, start: T0 + 101, end: T0 + 102 }], runtimeFile: false, noAttemptOk: true });
  });

  it('answers as the local client does, with and without the local metadata', async () => {
    const local = new DatastoreClient(root, { now: NOW });
    const storage = new CountingStorage(root);
    const remote = new StorageDatastoreClient(storage, { metadataRoot: root, now: NOW });
    const strip = <T extends { startedAt?: number }>(x: T) => ({ ...x, startedAt: undefined });
    assert.deepEqual(await remote.listFlows(), local.listFlows());
    assert.deepEqual((await remote.listRuns('WideFlow')).items.map(strip), local.listRuns('WideFlow').items.map(strip));
    assert.deepEqual(await remote.listSteps('WideFlow', RUN), local.listSteps('WideFlow', RUN));
    assert.deepEqual(await remote.listTasks('WideFlow', RUN, 'body', undefined, 10), local.listTasks('WideFlow', RUN, 'body', undefined, 10));
    assert.deepEqual(await remote.artifacts('WideFlow', RUN, 'body', '7'), local.artifacts('WideFlow', RUN, 'body', '7'));
    assert.deepEqual(await remote.task('WideFlow', FAILED, 'start', '1'), local.task('WideFlow', FAILED, 'start', '1'));

    const bare = new StorageDatastoreClient(new LocalStorage(root), { now: NOW });
    const runs = (await bare.listRuns('WideFlow')).items;
    assert.deepEqual(new Set(runs.map((r) => `${r.runId}:${r.status}`)), new Set([`${RUN}:succeeded`, `${FAILED}:failed`]));
  });

  it('reads one task without fetching the rest of its step', async () => {
    const storage = new CountingStorage(root);
    const remote = new StorageDatastoreClient(storage, { metadataRoot: root, now: NOW });
    const arts = await remote.artifacts('WideFlow', RUN, 'body', '7');
    assert.deepEqual(arts.artifacts.map((a) => a.name), ['name', 'square']);
    assert.ok(storage.reads.every((k) => k.startsWith(`WideFlow/${RUN}/body/7/`)), storage.reads.join(', '));
    assert.ok(storage.reads.length <= 3, storage.reads.join(', '));
    assert.ok(!storage.lists.includes(`WideFlow/${RUN}/body/8`), storage.lists.join(', '));
  });

  it('a finished run is read once; invalidate reads it again', async () => {
    const storage = new CountingStorage(root);
    const remote = new StorageDatastoreClient(storage, { metadataRoot: root, now: NOW });
    assert.equal((await remote.run('WideFlow', RUN)).status, 'succeeded');
    storage.reset();
    await remote.run('WideFlow', RUN);
    assert.equal(storage.lists.length + storage.reads.length, 0);
    remote.invalidate('WideFlow', RUN);
    await remote.run('WideFlow', RUN);
    assert.ok(storage.lists.length > 0);
  });

  it('a missing run or step is an error naming the path, as locally', async () => {
    const remote = new StorageDatastoreClient(new LocalStorage(root), { now: NOW });
    await assert.rejects(remote.listSteps('WideFlow', '999'), /ENOENT.*WideFlow\/999/);
    assert.deepEqual(await new StorageDatastoreClient(new LocalStorage(path.join(root, 'nothing-here'))).listFlows(), []);
  });
});
