// The client reads runs in Azure Blob (Azurite over https with OAuth bearer tokens) as it reads local
// ones: real runs of the embedded runtime are copied into the container in Metaflow's Azure layout
// (CAS meta dicts as blob metadata, no `_meta` sidecar blobs) and read back through the storage.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatastoreClient } from '../../../src/client/datastoreClient';
import { StorageDatastoreClient } from '../../../src/client/storageClient';
import { AzureBlobStorage, META_KEY } from '../../../src/datastore/azure/azureBlobStorage';
import { LocalStorage } from '../../../src/datastore/storage/localStorage';
import { azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite, type Azurite } from '../../support/azurite';
import { lettersFlow, runOkAndFailed } from '../client/lettersFlow';
import { workspace, type Workspace } from '../runtime/harness';

const FLOW = lettersFlow('AzureReadFlow', ['self.big = "m" * 200000']);

/** Copies a local datastore into the container as Metaflow lays it out on Azure; `_meta` stays local. */
async function copyToAzure(localRoot: string, azure: AzureBlobStorage): Promise<number> {
  const local = new LocalStorage(localRoot);
  const objects = (await local.listRecursive('')).filter((o) => !o.key.split('/').includes('_meta') && !o.key.endsWith('_meta'));
  await Promise.all(
    objects.map(async (o) => {
      const meta = await local.readMeta(o.key);
      await azure.write(o.key, await local.read(o.key), { meta });
    }),
  );
  return objects.length;
}

describe('client on runs in Azure Blob', () => {
  let azurite: Azurite;
  let ws: Workspace;
  let azure: AzureBlobStorage;
  let ok: string;
  let bad: string;
  let copied = 0;

  before(async () => {
    ws = workspace();
    ({ ok, bad } = await runOkAndFailed(ws, 'azure_read_flow.py', FLOW));
    azurite = await startAzurite({ https: true, oauth: true });
    await createAzuriteContainer(azurite, 'mf-runs');
    azure = new AzureBlobStorage({
      endpoint: azurite.endpoint,
      account: azurite.accountName,
      root: { container: 'mf-runs', prefix: 'studio/tests' },
      credential: azuriteTokenCredential(),
      requestPolicies: azuriteRequestPolicies(azurite),
    });
    copied = await copyToAzure(ws.root, azure);
  });
  after(async () => {
    await azurite?.stop();
    ws?.cleanup();
  });

  it('stores CAS meta dicts as blob metadata, not as _meta sidecar blobs', async () => {
    assert.ok(copied > 20, `copied ${copied} objects`);
    const all = await azure.listRecursive('AzureReadFlow');
    assert.equal(all.filter((o) => o.key.endsWith('_meta')).length, 0);
    const cas = all.filter((o) => /^AzureReadFlow\/data\/[0-9a-f]{2}\/[0-9a-f]{40}$/.test(o.key));
    assert.ok(cas.length > 5);
    const meta = await azure.readMeta(cas[0].key);
    assert.equal(typeof meta?.cas_version, 'number', `blob metadata ${META_KEY} of ${cas[0].key}: ${JSON.stringify(meta)}`);
  });

  it('with the local metadata, reads flows, runs, steps, tasks and artifacts exactly as the local client does', async () => {
    const local = new DatastoreClient(ws.root, { now: () => Date.now() + 3_600_000 });
    const remote = new StorageDatastoreClient(azure, { metadataRoot: ws.root, now: () => Date.now() + 3_600_000 });
    assert.deepEqual(await remote.listFlows(), local.listFlows());
    const strip = (r: { startedAt: number }) => ({ ...r, startedAt: 0 });
    const runs = await remote.listRuns('AzureReadFlow');
    assert.deepEqual(runs.items.map((r) => [r.runId, r.status]), [
      [bad, 'failed'],
      [ok, 'succeeded'],
    ]);
    assert.deepEqual(runs.items.map(strip), local.listRuns('AzureReadFlow').items.map(strip));
    assert.deepEqual((await remote.listSteps('AzureReadFlow', ok)).map((s) => [s.name, s.taskCount]), local.listSteps('AzureReadFlow', ok).map((s) => [s.name, s.taskCount]));
    const tasks = await remote.listTasks('AzureReadFlow', bad, 'body');
    const localTasks = local.listTasks('AzureReadFlow', bad, 'body');
    assert.deepEqual(tasks.items.map((t) => [t.taskId, t.status, t.foreachIndex, t.foreachValue]), localTasks.items.map((t) => [t.taskId, t.status, t.foreachIndex, t.foreachValue]));
    assert.ok(tasks.items.some((t) => t.status === 'failed'));
    const startTask = (await remote.listTasks('AzureReadFlow', ok, 'start')).items[0];
    const artifacts = await remote.artifacts('AzureReadFlow', ok, 'start', startTask.taskId);
    assert.deepEqual(artifacts, local.artifacts('AzureReadFlow', ok, 'start', startTask.taskId));
    assert.deepEqual(artifacts.artifacts.map((a) => a.name), ['alpha', 'big', 'letters', 'name']);
  });

  it('without local metadata (a run launched elsewhere), still reads runs, statuses and artifacts from the blobs', async () => {
    const remote = new StorageDatastoreClient(azure, { now: () => Date.now() + 3_600_000 });
    const runs = await remote.listRuns('AzureReadFlow');
    assert.deepEqual(new Set(runs.items.map((r) => `${r.runId}:${r.status}`)), new Set([`${ok}:succeeded`, `${bad}:failed`]));
    const joinTasks = await remote.listTasks('AzureReadFlow', ok, 'join');
    assert.equal(joinTasks.items[0].status, 'succeeded');
    const artifacts = await remote.artifacts('AzureReadFlow', ok, 'join', joinTasks.items[0].taskId);
    assert.deepEqual(artifacts.artifacts.map((a) => a.name), ['alpha', 'name', 'uppers']);
  });

  it('a container that does not exist is an error naming the account, the container and how to create it', async () => {
    const missing = new AzureBlobStorage({ endpoint: azurite.endpoint, account: azurite.accountName, root: { container: 'no-such-container' }, credential: azuriteTokenCredential(), requestPolicies: azuriteRequestPolicies(azurite) });
    await assert.rejects(new StorageDatastoreClient(missing).listFlows(), (err: Error) => {
      assert.match(err.message, /container "no-such-container" does not exist in storage account "devstoreaccount1"/);
      assert.match(err.message, /az storage container create/);
      return true;
    });
  });

  it('a wrong endpoint is an error naming the endpoint and the setting to fix', async () => {
    const wrong = new AzureBlobStorage({ endpoint: 'https://127.0.0.1:9/devstoreaccount1', account: 'devstoreaccount1', root: { container: 'mf-runs' }, credential: azuriteTokenCredential(), requestPolicies: azuriteRequestPolicies(azurite), pipeline: { retryOptions: { maxTries: 1 } } });
    await assert.rejects(new StorageDatastoreClient(wrong).listFlows(), /Cannot reach the blob endpoint https:\/\/127\.0\.0\.1:9\/devstoreaccount1 .*METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT/);
  });

  it('an expired token is an error that says to sign in again', async () => {
    const expired = new AzureBlobStorage({ endpoint: azurite.endpoint, account: azurite.accountName, root: { container: 'mf-runs' }, credential: azuriteTokenCredential({ expiresInSeconds: -600 }), requestPolicies: azuriteRequestPolicies(azurite) });
    await assert.rejects(expired.read('AzureReadFlow/latest_run'), /rejected the token .*expired.*Sign in again/);
  });

  it('keeps the files of a datastore key inside the root', () => {
    assert.throws(() => azure.blobName('AzureReadFlow/../../escape'), /never \. or \.\./);
    assert.equal(azure.blobName('AzureReadFlow/latest_run'), 'studio/tests/AzureReadFlow/latest_run');
    assert.ok(fs.existsSync(path.join(ws.root, 'AzureReadFlow', 'latest_run')));
  });
});
