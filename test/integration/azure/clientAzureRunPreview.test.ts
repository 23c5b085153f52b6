// A run the runtime writes to the Azure datastore (Azurite over https with OAuth, tasks on Debian's
// python3 with the Azure SDK) is read back by the storage client as the explorer reads it, and an
// artifact is previewed from a size-capped temporary copy of its blob.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { previewArtifact } from '../../../src/client/artifactPreview';
import { stageArtifacts } from '../../../src/client/artifactStaging';
import { StorageDatastoreClient } from '../../../src/client/storageClient';
import { workerEnv } from '../../../src/runtime/workers/workerPool';
import { finish, PYTHON_DIR, testEnv, writeFlow } from '../runtime/harness';
import { type AzureRunSetup, azureRunSetup } from './azureRunHarness';

const FLOW = `
from metaflow import FlowSpec, step


class AzurePreviewFlow(FlowSpec):
    @step
    def start(self):
        self.table = {"rows": [1, 2, 3], "ok": True}
        self.blob = b"z" * 300000
        self.next(self.end)

    @step
    def end(self):
        self.done = "yes"


if __name__ == "__main__":
    AzurePreviewFlow()
`;

describe('explorer reads of a run on the Azure datastore', () => {
  let az: AzureRunSetup;
  let runId: string;

  before(async () => {
    az = await azureRunSetup('previewruns');
    const file = writeFlow(az.ws, 'azure_preview_flow.py', FLOW);
    const r = await az.runner();
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    runId = result.runId!;
  });
  after(async () => az?.dispose());

  it('lists the run, its steps, tasks and artifacts from the container with the local metadata', async () => {
    const client = new StorageDatastoreClient(az.storage(), { metadataRoot: az.ws.root });
    assert.deepEqual((await client.listFlows()).map((f) => f.name), ['AzurePreviewFlow']);
    const run = await client.run('AzurePreviewFlow', runId);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual((await client.listSteps('AzurePreviewFlow', runId)).map((s) => s.name), ['start', 'end']);
    const [task] = (await client.listTasks('AzurePreviewFlow', runId, 'start')).items;
    assert.equal(task.status, 'succeeded');
    const arts = await client.artifacts('AzurePreviewFlow', runId, 'start', task.taskId);
    assert.deepEqual(arts.artifacts.map((a) => a.name), ['blob', 'name', 'table']);
  });

  it('previews an artifact from a temporary copy of its blob, and refuses one over the size cap', async () => {
    const client = new StorageDatastoreClient(az.storage(), { metadataRoot: az.ws.root });
    const [task] = (await client.listTasks('AzurePreviewFlow', runId, 'start')).items;
    const arts = Object.fromEntries((await client.artifacts('AzurePreviewFlow', runId, 'start', task.taskId)).artifacts.map((a) => [a.name, a]));
    const staged = await stageArtifacts(az.storage(), 'AzurePreviewFlow', [arts.table.sha], 64 << 20);
    try {
      const proc = { python: 'python3', env: workerEnv({ pythonPath: PYTHON_DIR, env: testEnv(az.ws) }) };
      const preview = await previewArtifact(proc, { root: staged.root, flow: 'AzurePreviewFlow', sha: arts.table.sha, type: arts.table.type, size: arts.table.size });
      assert.equal(preview.kind, 'json');
      assert.deepEqual(JSON.parse((preview as { text: string }).text), { rows: [1, 2, 3], ok: true });
    } finally {
      staged.dispose();
    }
    assert.equal(fs.existsSync(staged.root), false);
    await assert.rejects(stageArtifacts(az.storage(), 'AzurePreviewFlow', [arts.blob.sha], 1000), /bytes, more than the 1000 bytes allowed/);
  });
});
