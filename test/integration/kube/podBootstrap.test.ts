// The pod's side of the Kubernetes executor, run for real as a pod runs it: `/usr/bin/python3 -c <pod_loader.py>
// task` in an empty folder, with no PYTHONPATH, signing in with workload identity (a federated service account
// token file exchanged at a stand-in Entra endpoint) to Azurite over https with OAuth, downloading a code
// package from the datastore, running the TaskSpec, and leaving its logs, its metadata tarball and its
// termination message. The three tasks of a small flow run in three "pods", each reading its parent's
// artifacts from Blob.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar';
import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential, newPipeline } from '@azure/storage-blob';
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, type Azurite, azuriteRequestPolicies, createAzuriteContainer, startAzurite } from '../../support/azurite';
import { type FakeEntra, federatedToken, startFakeEntra } from '../../support/fakeEntra';

const PYTHON = '/usr/bin/python3';
const REPO = path.resolve(__dirname, '../../..');
const PYTHON_DIR = path.join(REPO, 'src', 'runtime', 'python');
const LOADER = fs.readFileSync(path.join(PYTHON_DIR, 'metaflow_studio', 'pod_loader.py'), 'utf8');
const CONTAINER = 'pods';
const SYSROOT = `${CONTAINER}/studio`;
const RUN_ID = '1790000000000001';
const SUBJECT = 'system:serviceaccount:ml:metaflow-runner';

const FLOW = `import sys
from metaflow import FlowSpec, Parameter, step


class PodFlow(FlowSpec):
    n = Parameter("n", default=2)

    @step
    def start(self):
        print("hello from the pod", self.n)
        print("a warning line", file=sys.stderr)
        self.x = self.n * 2
        self.next(self.end)

    @step
    def end(self):
        print("x is", self.x)


if __name__ == "__main__":
    PodFlow()
`;

interface PodOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  message: Record<string, unknown> | undefined;
  dir: string;
}

/** The code package as the executor lays it out: the flow's folder at the root, the embedded package under `.mf_code/`. */
async function codePackage(work: string): Promise<Buffer> {
  const root = path.join(work, 'pkg');
  fs.mkdirSync(path.join(root, '.mf_code'), { recursive: true });
  fs.writeFileSync(path.join(root, 'podflow.py'), FLOW);
  for (const top of ['metaflow', 'metaflow_studio']) {
    fs.cpSync(path.join(PYTHON_DIR, top), path.join(root, '.mf_code', top), { recursive: true, filter: (src) => !src.includes('__pycache__') });
  }
  const file = path.join(work, 'pkg.tgz');
  await tar.c({ gzip: true, cwd: root, file, portable: true }, ['podflow.py', '.mf_code']);
  return fs.readFileSync(file);
}

describe('pod bootstrap against Azurite with workload identity', { timeout: 300_000 }, () => {
  let azurite: Azurite;
  let entra: FakeEntra;
  let container: ContainerClient;
  let work: string;
  let bundle: string;
  let tokenFile: string;
  let sha: string;
  let codeUrl: string;

  before(async () => {
    azurite = await startAzurite({ https: true, oauth: true });
    entra = await startFakeEntra();
    await createAzuriteContainer(azurite, CONTAINER);
    // Test setup only: the package is uploaded with the emulator's key, as the launcher would with its own sign-in.
    const pipeline = newPipeline(new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY));
    pipeline.factories.unshift(...azuriteRequestPolicies(azurite));
    container = new BlobServiceClient(azurite.endpoint, pipeline).getContainerClient(CONTAINER);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-pod-'));
    bundle = path.join(work, 'ca.pem');
    fs.writeFileSync(bundle, `${azurite.caCert ?? ''}\n${entra.caCert}`);
    tokenFile = path.join(work, 'azure-identity-token');
    fs.writeFileSync(tokenFile, federatedToken({ subject: SUBJECT }));
    const pkg = await codePackage(work);
    sha = createHash('sha1').update(pkg).digest('hex');
    const blobName = `studio/PodFlow/data/${sha.slice(0, 2)}/${sha}`;
    await container.getBlockBlobClient(blobName).uploadData(pkg, { metadata: { metaflow_user_attributes: JSON.stringify({ cas_raw: true, cas_version: 1 }) } });
    codeUrl = `${CONTAINER}/${blobName}`;
  });

  after(async () => {
    await entra?.stop();
    await azurite?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function podEnv(spec: object, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: work,
      METAFLOW_CODE_DS: 'azure',
      METAFLOW_CODE_SHA: sha,
      METAFLOW_CODE_URL: codeUrl,
      METAFLOW_DEFAULT_DATASTORE: 'azure',
      METAFLOW_DATASTORE_SYSROOT_AZURE: SYSROOT,
      METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
      METAFLOW_KUBERNETES_WORKLOAD: '1',
      METAFLOW_KUBERNETES_POD_NAME: 'pod-under-test',
      METAFLOW_STUDIO_TASK_SPEC: JSON.stringify(spec),
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_AUTHORITY_HOST: entra.authorityHost,
      REQUESTS_CA_BUNDLE: bundle,
      ...extra,
    };
  }

  async function runPod(name: string, spec: object, extra: Record<string, string> = {}): Promise<PodOutcome> {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    const messagePath = path.join(dir, 'termination-log');
    const child = spawn(PYTHON, ['-c', LOADER, 'task'], { cwd: dir, env: podEnv(spec, { METAFLOW_STUDIO_TERMINATION_MESSAGE_PATH: messagePath, ...extra }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const message = fs.existsSync(messagePath) ? (JSON.parse(fs.readFileSync(messagePath, 'utf8')) as Record<string, unknown>) : undefined;
    return { code, stdout, stderr, message, dir };
  }

  const spec = (step: string, taskId: string, extra: object = {}) => ({
    kind: 'step',
    flow_file: 'podflow.py',
    flow_name: 'PodFlow',
    datastore_root: '/ignored',
    run_id: RUN_ID,
    step,
    task_id: taskId,
    attempt: 0,
    max_user_code_retries: 0,
    input_paths: [],
    user_name: 'dev',
    tags: [],
    datastore: { type: 'azure', sysroot: SYSROOT, endpoint: azurite.endpoint },
    ...extra,
  });

  async function blobText(name: string): Promise<string> {
    return (await container.getBlobClient(`studio/${name}`).downloadToBuffer()).toString('utf8');
  }

  it('runs the parameters task and two steps, each in its own pod, leaving logs, metadata and the result', async () => {
    const params = await runPod('params', spec('_parameters', '0', { kind: 'params', parameters: { n: '5' } }));
    assert.equal(params.code, 0, params.stderr);
    assert.deepEqual(params.message, { v: 1, result: { ok: true, next: ['start'], retry_allowed: true } });

    const start = await runPod('start', spec('start', '1', { input_paths: [`${RUN_ID}/_parameters/0`] }));
    assert.equal(start.code, 0, start.stderr);
    assert.deepEqual(start.message, { v: 1, result: { ok: true, next: ['end'], retry_allowed: true } });
    // The task's lines reach the container's own streams (the executor follows them) ...
    assert.match(start.stdout, /^hello from the pod 5$/m);
    assert.match(start.stderr, /^a warning line$/m);
    // ... and the datastore, as Metaflow's remote tasks write them.
    const out = await blobText(`PodFlow/${RUN_ID}/start/1/0.task_stdout.log`);
    assert.match(out, /^\[MFLOG\|0\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\|task\|[^\]]+\]hello from the pod 5$/m);
    assert.match(await blobText(`PodFlow/${RUN_ID}/start/1/0.task_stderr.log`), /\|task\|[^\]]+\]a warning line$/m);
    assert.match(await blobText(`PodFlow/${RUN_ID}/start/1/0.data.json`), /"x"/);

    // The pod's local metadata, as a raw CAS tarball named by the attempt's local_metadata file.
    const key = JSON.parse(await blobText(`PodFlow/${RUN_ID}/start/1/0.local_metadata`)) as string;
    assert.match(key, /^[0-9a-f]{40}$/);
    const tarball = container.getBlobClient(`studio/PodFlow/data/${key.slice(0, 2)}/${key}`);
    assert.deepEqual(JSON.parse((await tarball.getProperties()).metadata?.metaflow_user_attributes ?? '{}'), { cas_raw: true, cas_version: 1 });
    const bytes = await tarball.downloadToBuffer();
    assert.equal(createHash('sha1').update(bytes).digest('hex'), key);
    const entries: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const parser = new tar.Parser({ onReadEntry: (e) => { entries.push(e.path); e.resume(); } });
      parser.on('end', resolve).on('error', reject);
      parser.end(gunzipSync(bytes));
    });
    const taskMeta = `.metaflow/PodFlow/${RUN_ID}/start/1/_meta/`;
    assert.ok(entries.includes(`${taskMeta}_self.json`), entries.join('\n'));
    assert.ok(entries.some((e) => e.startsWith(`${taskMeta}0_artifact_x.json`)), entries.join('\n'));
    assert.ok(entries.some((e) => e.startsWith(`${taskMeta}sysmeta_kubernetes-pod-name_`)), entries.join('\n'));
    assert.ok(entries.every((e) => e === '.metaflow' || e === '.metaflow/' || e.startsWith('.metaflow/')));

    const end = await runPod('end', spec('end', '2', { input_paths: [`${RUN_ID}/start/1`] }));
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stdout, /^x is 10$/m);

    // Every token came from the federated credential exchange, for the pod's service account.
    const tokenRequests = entra.requests.filter((r) => r.method === 'POST');
    assert.ok(tokenRequests.length >= 3);
    for (const r of tokenRequests) {
      assert.equal(r.status, 200);
      assert.equal(r.subject, SUBJECT);
      assert.equal(r.clientId, entra.clientId);
      assert.equal(r.scope, 'https://storage.azure.com/.default');
    }
    // Nothing secret in what the pod printed.
    assert.ok(!`${start.stdout}${start.stderr}`.includes(fs.readFileSync(tokenFile, 'utf8')));

    // The reverse direction (what the launcher does) puts the task's metadata into a local .metaflow.
    const local = path.join(work, 'launcher', '.metaflow');
    fs.mkdirSync(local, { recursive: true });
    const sync = await runPython(
      [
        'import json, sys',
        'from metaflow_studio.azure_datastore import AzureBackend',
        'from metaflow_studio.pod_metadata_sync import RawContentStore, sync_from_datastore',
        `backend = AzureBackend.open(${JSON.stringify(SYSROOT)}, ${JSON.stringify(azurite.endpoint)})`,
        `files = backend.task_files("PodFlow", ${JSON.stringify(RUN_ID)}, "start", "1")`,
        `print(json.dumps(sync_from_datastore(${JSON.stringify(local)}, RawContentStore("PodFlow", backend=backend), files, 0)))`,
      ].join('\n'),
      podEnv({}),
    );
    const written = JSON.parse(sync.trim().split('\n').pop() ?? '[]') as string[];
    assert.ok(written.includes(`PodFlow/${RUN_ID}/start/1/_meta/_self.json`), written.join('\n'));
    const self = JSON.parse(fs.readFileSync(path.join(local, 'PodFlow', RUN_ID, 'start', '1', '_meta', '_self.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(self.task_id, '1');
  });

  it('names the refusal when the service account is not the one federated with the identity', async () => {
    const wrong = path.join(work, 'wrong-token');
    fs.writeFileSync(wrong, federatedToken({ subject: 'system:serviceaccount:other:intruder' }));
    const strict = await startFakeEntra({ subject: SUBJECT, tenantId: entra.tenantId, clientId: entra.clientId });
    try {
      const pod = await runPod('refused', spec('start', '7', { input_paths: [`${RUN_ID}/_parameters/0`] }), {
        AZURE_FEDERATED_TOKEN_FILE: wrong,
        AZURE_AUTHORITY_HOST: strict.authorityHost,
        REQUESTS_CA_BUNDLE: writeBundle('strict', strict.caCert),
      });
      assert.equal(pod.code, 1);
      const result = (pod.message as { result: { ok: boolean; exception: { message: string } } }).result;
      assert.equal(result.ok, false);
      assert.match(result.exception.message, /refused the pod.s workload identity/);
      assert.match(result.exception.message, /AADSTS700213/);
      assert.ok(strict.requests.some((r) => r.status === 401 && r.error === 'AADSTS700213'));
    } finally {
      await strict.stop();
    }
  });

  it('refuses a package whose sha1 is not the one the pod was given', async () => {
    const pod = await runPod('bad-sha', spec('start', '8'), { METAFLOW_CODE_SHA: '0'.repeat(40) });
    assert.equal(pod.code, 1);
    const result = (pod.message as { result: { ok: boolean; retry_allowed: boolean; exception: { message: string } } }).result;
    assert.equal(result.retry_allowed, false);
    assert.match(result.exception.message, new RegExp(`has sha1 ${sha} but METAFLOW_CODE_SHA names 0{40}`));
    assert.ok(!fs.existsSync(path.join(pod.dir, 'metaflow_code')));
  });

  function writeBundle(name: string, extraCa: string): string {
    const file = path.join(work, `${name}-ca.pem`);
    fs.writeFileSync(file, `${azurite.caCert ?? ''}\n${extraCa}`);
    return file;
  }

  async function runPython(code: string, env: NodeJS.ProcessEnv): Promise<string> {
    const child = spawn(PYTHON, ['-c', code], { env: { ...env, PYTHONPATH: PYTHON_DIR } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code_ = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code_, 0, stderr);
    return stdout;
  }
});
