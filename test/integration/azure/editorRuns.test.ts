// Runs started from the editor on the Azure datastore: the runner factory the extension uses, given only
// the editor's `metaflow.*` settings (nothing in the environment) and the Azure storage composition the
// CLI uses, writes the run to Blob (Azurite, https, OAuth); a bad setting refuses the run naming it.
// The explorer's paths for such runs: task logs read through the storage client and the run's state for
// the DAG panel loaded over it, with nothing of the task data in the local folder.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadStoredRunState } from '../../../src/client/runStateLoader';
import { StorageDatastoreClient } from '../../../src/client/storageClient';
import { storageTaskLogText } from '../../../src/client/storageTaskLogs';
import { AZURE_EDITOR_SETTINGS } from '../../../src/datastore/azure/azureConfig';
import { azureStorageFactory } from '../../../src/datastore/azure/runnerAzureStorage';
import { RunRefused } from '../../../src/runtime/localRunner';
import { createRunnerFactory } from '../../../src/vscode/runnerFactory';
import { azuriteRequestPolicies, azuriteTokenCredential } from '../../support/azurite';
import { analyzer, finish, PYTHON_DIR, writeFlow } from '../runtime/harness';
import { AZURE_PYTHON, type AzureRunSetup, azureRunSetup } from './azureRunHarness';

const FLOW = `import sys
from metaflow import FlowSpec, step


class EditorAzureFlow(FlowSpec):
    @step
    def start(self):
        self.greeting = "hello"
        print("start from the editor")
        print("start complains", file=sys.stderr)
        self.next(self.end)

    @step
    def end(self):
        print("end sees", self.greeting)


if __name__ == "__main__":
    EditorAzureFlow()
`;

const CONTAINER = 'mf-editor';
const SYSROOT = `${CONTAINER}/from-editor`;

/** What the editor's settings give the runner: `metaflow.*` values under the Metaflow names they stand for. */
function editorSettings(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [setting, value] of Object.entries(values)) {
    const name = AZURE_EDITOR_SETTINGS[setting];
    assert.ok(name, `${setting} is an editor datastore setting`);
    out[name] = value;
  }
  return out;
}

describe('runs started from the editor on the Azure datastore (Azurite, https, OAuth)', () => {
  let az: AzureRunSetup;
  let flowFile: string;
  let runId: string;
  let settings: Record<string, string>;

  /** The runner factory as extension.ts composes it; the environment names no datastore. */
  function factory() {
    const env = az.env();
    for (const name of Object.values(AZURE_EDITOR_SETTINGS)) delete env[name];
    delete env.METAFLOW_STUDIO_PYTHON;
    return createRunnerFactory({
      analyzer,
      embeddedPythonDir: PYTHON_DIR,
      env,
      homeDir: az.ws.dir,
      settings: () => settings,
      azureStorage: azureStorageFactory(() => azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(az.azurite) }),
    });
  }

  before(async () => {
    az = await azureRunSetup(CONTAINER);
    flowFile = writeFlow(az.ws, 'editor_azure_flow.py', FLOW);
    settings = editorSettings({ 'metaflow.datastore': 'azure', 'metaflow.azure.datastoreSysroot': SYSROOT, 'metaflow.azure.blobServiceEndpoint': az.azurite.endpoint });
    const made = await factory()(AZURE_PYTHON, { flowFile, flowName: 'EditorAzureFlow' });
    try {
      const { result } = await finish(made.runner.run({ flowFile, flowName: 'EditorAzureFlow', parameterArgs: [] }));
      assert.equal(result.status, 'succeeded', result.error);
      runId = result.runId!;
    } finally {
      await made.release();
      made.ended();
    }
  });
  after(async () => {
    await az?.dispose();
  });

  it('writes the task data to Blob under the sysroot of the settings, keeping only metadata locally', async () => {
    const blobs = (await az.storage(SYSROOT).listRecursive(`EditorAzureFlow/${runId}`)).map((o) => o.key);
    assert.ok(blobs.some((k) => /^EditorAzureFlow\/.+\/start\/1\/0\.data\.json$/.test(k)), `start's data.json in Blob: ${blobs.join(', ')}`);
    assert.ok(blobs.some((k) => /\/end\/\d+\/0\.runtime_stdout\.log$/.test(k)), `end's stdout log in Blob: ${blobs.join(', ')}`);
    assert.deepEqual(fs.readdirSync(path.join(az.ws.root, 'EditorAzureFlow', runId, 'start', '1')), ['_meta']);
  });

  it('refuses a run whose sysroot setting breaks the rules, naming the setting, the value and the rule', async () => {
    const good = settings;
    settings = { ...good, [AZURE_EDITOR_SETTINGS['metaflow.azure.datastoreSysroot']]: `${CONTAINER}/bad/` };
    try {
      const made = await factory()(AZURE_PYTHON);
      try {
        assert.throws(
          () => made.runner.run({ flowFile, flowName: 'EditorAzureFlow', parameterArgs: [] }),
          (err: unknown) =>
            err instanceof RunRefused &&
            err.message.includes('METAFLOW_DATASTORE_SYSROOT_AZURE (editor setting metaflow.azure.datastoreSysroot)="mf-editor/bad/"') &&
            err.message.includes('ends with "/"'),
        );
      } finally {
        await made.release();
        made.ended();
      }
    } finally {
      settings = good;
    }
  });

  it("shows a task's logs read through the storage client, both streams marked", async () => {
    const text = await storageTaskLogText(az.storage(SYSROOT), `EditorAzureFlow/${runId}/start/1`);
    assert.match(text, new RegExp(`^# Logs of EditorAzureFlow/${runId}/start/1\\n# ${SYSROOT}/EditorAzureFlow/${runId}/start/1\\n`));
    assert.match(text, /--- attempt 0 ---/);
    assert.match(text, / out \| start from the editor$/m);
    assert.match(text, / ERR \| start complains$/m);
    await assert.rejects(storageTaskLogText(az.storage(SYSROOT), `EditorAzureFlow/${runId}/start/999`), /no task EditorAzureFlow\/.+\/start\/999 in mf-editor\/from-editor\//);
    await assert.rejects(storageTaskLogText(az.storage(SYSROOT), `EditorAzureFlow/${runId}/../start`), /is not a task pathspec/);
  });

  it('loads the run state for the DAG panel over the storage client, under the remote root id', async () => {
    const rootId = `azure://${az.azurite.accountName}/${SYSROOT}`;
    const client = new StorageDatastoreClient(az.storage(SYSROOT), { metadataRoot: az.ws.root });
    const state = await loadStoredRunState(client, rootId, 'EditorAzureFlow', runId);
    assert.equal(state.status, 'succeeded', state.error);
    assert.equal(state.datastoreRoot, rootId);
    assert.deepEqual([...state.steps.keys()], ['start', 'end']);
    for (const step of state.steps.values()) assert.equal(step.succeeded, 1, step.name);
    assert.equal(state.tasksTotal, 2);
    assert.equal(state.tasksFinished, 2);
  });
});
