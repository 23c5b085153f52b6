// Runs on the Azure datastore against Azurite over https with its OAuth mode: the scheduler (TypeScript,
// @azure/storage-blob) and the tasks (Debian's python3 with azure-storage-blob/azure-identity) both sign
// in with bearer tokens, the tasks through the editor's token endpoint, exactly as in the product. Task
// data and logs land in Blob in Metaflow's Azure layout; metadata stays in the local `.metaflow`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TaskTokenEndpoint, type TokenGrant } from '../../../src/azure/tokenEndpoint';
import { AzureBlobStorage } from '../../../src/datastore/azure/azureBlobStorage';
import type { AzureDatastoreConfig } from '../../../src/datastore/azure/azureConfig';
import { LocalRunner } from '../../../src/runtime/localRunner';
import { type Azurite, azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite } from '../../support/azurite';
import { analyzer, finish, PYTHON_DIR, REPO_ROOT, testEnv, type Workspace, workspace, writeFlow } from '../runtime/harness';
import { AZURE_PYTHON, execAzurePython } from './azureRunHarness';

const CONTAINER = 'mf-runs';

const FLOW = `from metaflow import FlowSpec, step


class AzureRunFlow(FlowSpec):
    @step
    def start(self):
        self.items = ["a", "b", "c"]
        self.blob = bytes(range(256)) * 8192
        print("start says hello")
        self.next(self.process, foreach="items")

    @step
    def process(self):
        self.result = self.input.upper()
        self.next(self.join)

    @step
    def join(self, inputs):
        self.results = [i.result for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        from metaflow.plugins.azure import create_azure_credential

        self.credential_type = type(create_azure_credential()).__name__
        print("results", self.results)


if __name__ == "__main__":
    AzureRunFlow()
`;

const READ_BACK = String.raw`
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(sys.argv[1])
end = run["end"].task
start = run["start"].task
print(json.dumps({"successful": bool(run.successful), "results": end.data.results, "credential": end.data.credential_type,
                  "blob_len": len(start.data.blob), "start_stdout": start.stdout, "ds_type": start.metadata_dict.get("ds-type"),
                  "ds_root": start.metadata_dict.get("ds-root"), "processes": sorted(t.data.result for t in run["process"])}))
`;

function cli(ws: Workspace, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', tsx, path.join(REPO_ROOT, 'src', 'cli.ts'), ...args], { cwd: ws.dir, env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('runs on the Azure datastore (Azurite, https, OAuth)', () => {
  let azurite: Azurite;
  let ws: Workspace;
  let endpoint: TaskTokenEndpoint;
  let grant: TokenGrant;

  before(async () => {
    azurite = await startAzurite({ https: true, oauth: true });
    ws = workspace();
    writeFlow(ws, 'azure_run_flow.py', FLOW);
    // Test setup only: the container is made with the emulator's shared key; product code uses tokens.
    await createAzuriteContainer(azurite, CONTAINER);
    endpoint = new TaskTokenEndpoint({ credential: () => azuriteTokenCredential() });
    grant = await endpoint.grant();
  });
  after(async () => {
    await endpoint?.dispose();
    await azurite?.stop();
    ws?.cleanup();
  });

  function azureEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return testEnv(ws, {
      METAFLOW_DEFAULT_DATASTORE: 'azure',
      METAFLOW_DATASTORE_SYSROOT_AZURE: `${CONTAINER}/studio`,
      METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
      METAFLOW_STUDIO_PYTHON: AZURE_PYTHON,
      // The tasks' Python trusts the emulator's self-signed certificate.
      REQUESTS_CA_BUNDLE: azurite.caCertPath,
      ...grant.env,
      ...extra,
    });
  }

  async function azureRunner(env: NodeJS.ProcessEnv): Promise<{ runner: LocalRunner; opened: AzureBlobStorage[] }> {
    const opened: AzureBlobStorage[] = [];
    const runner = new LocalRunner({
      analyzer: await analyzer(),
      env,
      homeDir: ws.dir,
      embeddedPythonDir: PYTHON_DIR,
      azureStorage: (config: AzureDatastoreConfig) => {
        const storage = AzureBlobStorage.fromConfig(config, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) });
        opened.push(storage);
        return storage;
      },
    });
    return { runner, opened };
  }

  it('runs a foreach flow with task data and logs in Blob, metadata local, and reads it back through the Client', async () => {
    const env = azureEnv();
    const { runner, opened } = await azureRunner(env);
    const { result } = await finish(runner.run({ flowFile: ws.flow('azure_run_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    const storage = opened[0];
    const runKey = `AzureRunFlow/${result.runId}`;

    // Attempt files and runtime logs are blobs under <container>/<prefix>; nothing of the task data is local.
    const startTask = (await storage.listChildren(`${runKey}/start/1`)).map((e) => e.name).sort();
    for (const name of ['0.attempt.json', '0.data.json', '0.DONE.lock', '0.runtime', '0.runtime_stdout.log', '0.task_begin', '0.task_end']) {
      assert.ok(startTask.includes(name), `${name} in ${startTask.join(', ')}`);
    }
    assert.ok(!startTask.includes('_meta'), 'metadata is not written to Blob');
    const runtime = JSON.parse((await storage.read(`${runKey}/start/1/0.runtime`)).toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(runtime, { return_code: 0, killed: false, success: true });
    assert.match((await storage.read(`${runKey}/start/1/0.runtime_stdout.log`)).toString('utf8'), /^\[MFLOG\|0\|[^\]]+\]start says hello$/m);
    const localTask = path.join(ws.root, 'AzureRunFlow', result.runId, 'start', '1');
    assert.deepEqual(fs.readdirSync(localTask), ['_meta']);
    assert.ok(fs.readFileSync(path.join(ws.root, 'AzureRunFlow', 'latest_run'), 'utf8').includes(result.runId), 'latest_run stays local');

    // Content-addressed blobs carry the meta dict as blob metadata; there are no _meta sidecar blobs.
    const data = JSON.parse((await storage.read(`${runKey}/start/1/0.data.json`)).toString('utf8')) as { datastore: string; objects: Record<string, string> };
    assert.equal(data.datastore, 'azure');
    const sha = data.objects.blob;
    assert.deepEqual(await storage.readMeta(`AzureRunFlow/data/${sha.slice(0, 2)}/${sha}`), { cas_raw: false, cas_version: 1 });
    assert.equal(await storage.exists(`AzureRunFlow/data/${sha.slice(0, 2)}/${sha}_meta`), false);

    // The artifact metadata points at the Azure root, as Metaflow's local provider records it for Azure runs.
    const artifactMeta = JSON.parse(fs.readFileSync(path.join(localTask, '_meta', '0_artifact_blob.json'), 'utf8')) as Record<string, string>;
    assert.equal(artifactMeta.ds_type, 'azure');
    assert.equal(artifactMeta.location, `:root:${CONTAINER}/studio`);

    const read = JSON.parse(await execAzurePython(['-c', READ_BACK, `AzureRunFlow/${result.runId}`], { ...env, METAFLOW_DATASTORE_SYSROOT_LOCAL: ws.dir }, ws.dir)) as Record<string, unknown>;
    assert.deepEqual(read, {
      successful: true,
      results: ['A', 'B', 'C'],
      credential: 'ChainedTokenCredential',
      blob_len: 256 * 8192,
      start_stdout: 'start says hello\n',
      ds_type: 'azure',
      ds_root: `${CONTAINER}/studio`,
      processes: ['A', 'B', 'C'],
    });
  });

  it('resumes a run whose origin is in Blob: successful tasks are cloned from it, the rest run again', async () => {
    const env = azureEnv();
    const { runner, opened } = await azureRunner(env);
    const first = await finish(runner.run({ flowFile: ws.flow('azure_run_flow.py'), parameterArgs: [] }));
    assert.equal(first.result.status, 'succeeded', first.result.error);
    const { result, events } = await finish(runner.resume({ flowFile: ws.flow('azure_run_flow.py'), step: 'join' }));
    assert.equal(result.status, 'succeeded', result.error);
    const outcome = (want: string) => [...new Set(events.flatMap((e) => (e.event === 'task_finished' && e.status === want ? [e.step] : [])))].sort();
    assert.deepEqual(outcome('cloned'), ['_parameters', 'process', 'start']);
    assert.deepEqual(outcome('succeeded'), ['end', 'join']);
    const storage = opened.at(-1)!;
    const cloned = JSON.parse((await storage.read(`AzureRunFlow/${result.runId}/start/1/0.data.json`)).toString('utf8')) as { objects: Record<string, string> };
    const origin = JSON.parse((await storage.read(`AzureRunFlow/${first.result.runId}/start/1/0.data.json`)).toString('utf8')) as { objects: Record<string, string> };
    assert.deepEqual(cloned.objects, origin.objects);
    const read = JSON.parse(await execAzurePython(['-c', READ_BACK, `AzureRunFlow/${result.runId}`], { ...env, METAFLOW_DATASTORE_SYSROOT_LOCAL: ws.dir }, ws.dir)) as Record<string, unknown>;
    assert.deepEqual(read.results, ['A', 'B', 'C']);
    assert.equal(read.start_stdout, '', 'a clone has no runtime log of its own');
  });

  it('names the missing container and how to fix it', async () => {
    const env = azureEnv({ METAFLOW_DATASTORE_SYSROOT_AZURE: 'no-such-container/x' });
    const { runner } = await azureRunner(env);
    const { result } = await finish(runner.run({ flowFile: ws.flow('azure_run_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /Container 'no-such-container' does not exist in devstoreaccount1.*METAFLOW_DATASTORE_SYSROOT_AZURE/s);
  });

  it('reports a missing Azure SDK with the install command, not an ImportError trace', async () => {
    // The pyenv python3 on PATH has no Azure packages.
    const env = azureEnv({ METAFLOW_STUDIO_PYTHON: 'python3' });
    const { runner } = await azureRunner(env);
    const events: string[] = [];
    const prepared = runner.run({ flowFile: ws.flow('azure_run_flow.py'), parameterArgs: [] });
    const { result } = await finish(prepared, (e) => {
      if (e.event === 'log') events.push(e.line);
    });
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /pip install azure-identity azure-storage-blob/);
    assert.ok(!events.some((l) => /Traceback|ImportError|ModuleNotFoundError/.test(l)), events.join('\n'));
  });

  it('run --datastore azure on the command line needs the Azure settings and names what is missing', async () => {
    const env = testEnv(ws, { NODE_OPTIONS: '' });
    const missing = await cli(ws, ['run', 'azure_run_flow.py', '--datastore', 'azure'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /METAFLOW_DATASTORE_SYSROOT_AZURE is not set/);
    const other = await cli(ws, ['run', 'azure_run_flow.py', '--datastore', 's3'], env);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /--datastore s3 is not available here: use --datastore local or --datastore azure/);
  });

  it('refuses an invalid Azure root before anything runs, showing the value and the rule', async () => {
    const { runner } = await azureRunner(azureEnv({ METAFLOW_DATASTORE_SYSROOT_AZURE: `${CONTAINER}//studio` }));
    assert.throws(() => runner.run({ flowFile: ws.flow('azure_run_flow.py'), parameterArgs: [] }), /METAFLOW_DATASTORE_SYSROOT_AZURE.*"mf-runs\/\/studio".*contains "\/\/"/);
  });
});
