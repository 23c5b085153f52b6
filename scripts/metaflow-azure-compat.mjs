#!/usr/bin/env node
// By-hand proof that real Metaflow and this runtime read each other's runs on the Azure datastore.
// Usage: node scripts/metaflow-azure-compat.mjs /path/to/metaflow-checkout
// Needs: a Metaflow checkout (not installed, only put on PYTHONPATH), Debian's /usr/bin/python3 with
// python3-azure and python3-requests, `npm run build` done. Not part of `npm test` (CI has no checkout).
//
// Azurite serves Blob over https with its basic OAuth mode. Both Metaflow and our command line sign in
// through DefaultAzureCredential unchanged: a tiny local server speaks the App Service managed-identity
// protocol (IDENTITY_ENDPOINT / IDENTITY_HEADER) and hands out tokens Azurite accepts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The project's TypeScript (CommonJS) loaded as the tests load it.
register();
const requireTs = createRequire(import.meta.url);
const PYTHON = process.env.METAFLOW_STUDIO_PYTHON || '/usr/bin/python3';
const CONTAINER = 'mfcompat';
const SYSROOT = `${CONTAINER}/shared`;

const checkout = process.argv[2] ? resolve(process.argv[2]) : '';
if (!checkout || !existsSync(join(checkout, 'metaflow', '__init__.py'))) {
  console.error(`usage: node scripts/metaflow-azure-compat.mjs METAFLOW_CHECKOUT\n  '${process.argv[2] ?? ''}' has no metaflow/__init__.py`);
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  console.error('dist/cli.js is missing: run `npm run build` first');
  process.exit(2);
}

const FLOW = `from metaflow import FlowSpec, Parameter, step


class CompatFlow(FlowSpec):
    alpha = Parameter("alpha", type=int, default=1)

    @step
    def start(self):
        self.items = [1, 2, 3]
        self.meta = {"name": "compat", "values": list(range(5))}
        self.big = "b" * 300000
        print("start says hello")
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.sq = self.input * self.input
        print("square of %d is %d" % (self.input, self.sq))
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.sq for i in inputs) * self.alpha
        self.next(self.end)

    @step
    def end(self):
        print("total is %d" % self.total)


if __name__ == "__main__":
    CompatFlow()
`;

// One Client reader for both packages: the Client API is the same, only PYTHONPATH differs.
const READER = `import json, sys
from metaflow import Flow, Run, namespace

namespace(None)
run = Run(sys.argv[1])
out = {
    "successful": run.successful,
    "finished": run.finished,
    "alpha": run.data.alpha,
    "end_total": run.end_task.data.total,
    "tags": sorted(run.user_tags),
    "flow_runs": sorted(r.id for r in Flow(run.parent.id)),
    "steps": {},
}
for step in run:
    tasks = []
    for task in step:
        names = sorted(a.id for a in task)
        values = {}
        for name in ("items", "meta", "sq", "total"):
            if name in names:
                values[name] = task[name].data
        if "big" in names:
            values["big_len"] = len(task["big"].data)
        md = task.metadata_dict
        tasks.append({"id": task.id, "successful": task.successful, "artifacts": names, "values": values, "stdout": task.stdout, "ds": [md.get("ds-type"), md.get("ds-root")]})
    out["steps"][step.id] = tasks
print("RESULT " + json.dumps(out, sort_keys=True))
`;

let passed = 0;
let failed = 0;
function check(label, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${label}${detail ? `: ${detail}` : ''}`);
}

/** Checks what a reader saw of a CompatFlow run, whichever side wrote it. */
function checkPythonRead(side, read, expectedRuns) {
  check(`${side}: run successful and finished`, read.successful === true && read.finished === true, `successful=${read.successful} finished=${read.finished}`);
  check(`${side}: parameter and end task (run.data, run.end_task)`, read.alpha === 2 && read.end_total === 28, `alpha=${read.alpha} end_task.total=${read.end_total}`);
  check(`${side}: user tag`, JSON.stringify(read.tags) === '["compat"]', JSON.stringify(read.tags));
  check(`${side}: Flow lists the runs of both writers`, expectedRuns.every((id) => read.flow_runs.includes(id)), `${read.flow_runs.join(',')} should hold ${expectedRuns.join(',')}`);
  const steps = read.steps ?? {};
  check(`${side}: steps`, JSON.stringify(Object.keys(steps).sort()) === '["end","join","square","start"]', Object.keys(steps).join(','));
  const start = steps.start?.[0];
  check(`${side}: start artifacts`, JSON.stringify(start?.values?.items) === '[1,2,3]' && start?.values?.meta?.name === 'compat' && start?.values?.big_len === 300000, JSON.stringify(start?.values));
  check(`${side}: start stdout`, /start says hello/.test(start?.stdout ?? ''), JSON.stringify(start?.stdout));
  const squares = (steps.square ?? []).map((t) => t.values.sq).sort((a, b) => a - b);
  check(`${side}: three foreach tasks with their squares`, JSON.stringify(squares) === '[1,4,9]', JSON.stringify(squares));
  check(`${side}: foreach task stdout`, (steps.square ?? []).every((t) => /square of \d is \d/.test(t.stdout ?? '')) && (steps.square ?? []).length === 3);
  check(`${side}: join total`, steps.join?.[0]?.values?.total === 28, JSON.stringify(steps.join?.[0]?.values));
  check(`${side}: end stdout`, /total is 28/.test(steps.end?.[0]?.stdout ?? ''), JSON.stringify(steps.end?.[0]?.stdout));
  check(`${side}: every task successful`, Object.values(steps).flat().every((t) => t.successful === true));
  const ds = [...new Set(Object.values(steps).flat().map((t) => JSON.stringify(t.ds)))];
  check(`${side}: every task's metadata names the Azure datastore`, ds.length === 1 && JSON.parse(ds[0])[0] === 'azure', ds.join(' '));
}

/** The run's data is in the container, not in the local folder (which holds only its `_meta` metadata). */
async function checkWhereDataLives(side, storage, ws, runId) {
  const blobs = (await storage.listRecursive(`CompatFlow/${runId}`)).map((o) => o.key);
  check(`${side}: task data in Blob`, ['start/1', 'square/2', 'join/5', 'end/6'].every((t) => blobs.includes(`CompatFlow/${runId}/${t}/0.data.json`)), `${blobs.length} blobs under ${SYSROOT}/CompatFlow/${runId}`);
  const local = join(ws, '.metaflow', 'CompatFlow', runId, 'start', '1');
  check(`${side}: no task data in the local metadata folder`, existsSync(local) && !existsSync(join(local, '0.data.json')), local);
}

// Asynchronous on purpose: the identity endpoint lives in this process and must answer while children run.
async function run(label, cmd, args, env, cwd) {
  const started = Date.now();
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const status = await new Promise((ok) => {
    child.once('error', (err) => {
      stderr += err.message;
      ok(-1);
    });
    child.once('close', (code) => ok(code));
  });
  const ok = status === 0;
  if (!ok) console.log(`--- ${label} failed (exit ${status})\n${stdout}\n${stderr}`);
  console.log(`${label}: exit ${status} in ${Date.now() - started} ms`);
  return { ok, stdout, stderr };
}

function parseResult(side, out) {
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) {
    check(`${side}: reader printed a result`, false, out.stderr.trim().split('\n').slice(-5).join(' | '));
    return undefined;
  }
  const read = JSON.parse(line.slice('RESULT '.length));
  console.log(`${side} read: ${JSON.stringify({ successful: read.successful, steps: Object.fromEntries(Object.entries(read.steps).map(([s, ts]) => [s, ts.map((t) => ({ id: t.id, ...t.values, stdout: t.stdout.trim() }))])) })}`);
  return read;
}

/** The managed-identity endpoint (App Service protocol, api-version 2019-08-01) both SDKs find through env. */
async function startIdentityEndpoint(tokenSource) {
  const secret = randomBytes(24).toString('hex');
  const seen = { granted: 0, refused: 0, resources: new Set() };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resource = url.searchParams.get('resource') ?? '';
    if (url.pathname !== '/msi/token' || req.headers['x-identity-header'] !== secret || url.searchParams.get('api-version') !== '2019-08-01' || !resource.startsWith('https://storage.azure.com')) {
      seen.refused++;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request' }));
      return;
    }
    seen.granted++;
    seen.resources.add(resource);
    const token = await tokenSource.getToken(`${resource.replace(/\/\.default$/, '')}/.default`);
    const expiresOn = Math.floor(token.expiresOnTimestamp / 1000);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token.token, expires_on: String(expiresOn), resource, token_type: 'Bearer' }));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret }, seen, close: () => new Promise((ok) => server.close(ok)) };
}

async function main() {
  const { startAzurite, createAzuriteContainer, azuriteTokenCredential, azuriteRequestPolicies } = requireTs(join(ROOT, 'test/support/azurite.ts'));
  const azurite = await startAzurite({ https: true, oauth: true });
  const identity = await startIdentityEndpoint(azuriteTokenCredential());
  const ws = mkdtempSync(join(tmpdir(), 'mfs-azcompat-'));
  try {
    await createAzuriteContainer(azurite, CONTAINER);
    const storage = openStorage(azurite, azuriteRequestPolicies, identity);
    writeFileSync(join(ws, 'compat_flow.py'), FLOW);
    writeFileSync(join(ws, 'read_run.py'), READER);
    const scrubbed = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AZURE_|METAFLOW_|PYTHONPATH$|MSI_|IDENTITY_)/.test(k)));
    const base = {
      ...scrubbed,
      ...identity.env,
      USER: 'compat',
      USERNAME: 'compat',
      METAFLOW_DEFAULT_METADATA: 'local',
      METAFLOW_DATASTORE_SYSROOT_LOCAL: ws,
      METAFLOW_DATASTORE_SYSROOT_AZURE: SYSROOT,
      METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
      // Both Pythons (requests/azure-core) and node trust Azurite's self-signed certificate.
      REQUESTS_CA_BUNDLE: azurite.caCertPath,
      SSL_CERT_FILE: azurite.caCertPath,
      NODE_EXTRA_CA_CERTS: azurite.caCertPath,
    };
    const metaflowEnv = { ...base, PYTHONPATH: checkout, METAFLOW_DEFAULT_DATASTORE: 'azure' };
    const oursPyEnv = { ...base, PYTHONPATH: join(ROOT, 'src/runtime/python'), METAFLOW_DEFAULT_DATASTORE: 'azure' };

    const version = await run('Metaflow version', PYTHON, ['-c', 'import metaflow.metaflow_version as v; print(v.get_version())'], metaflowEnv, ws);
    console.log(`Metaflow checkout ${checkout}: ${version.stdout.trim()}`);
    // 1. Our runtime writes, real Metaflow reads.
    console.log('== 1. our runtime runs CompatFlow on Azure; real Metaflow reads it');
    const runIdFile = join(ws, 'our-run-id');
    const ours = await run('our run', process.execPath, [join(ROOT, 'dist/cli.js'), 'run', 'compat_flow.py', '--datastore', 'azure', '--run-id-file', runIdFile, '--alpha', '2', '--tag', 'compat'], { ...base, METAFLOW_STUDIO_PYTHON: PYTHON }, ws);
    check('our runtime: run exits 0', ours.ok);
    const ourRunId = existsSync(runIdFile) ? readFileSync(runIdFile, 'utf8').trim() : '';
    check('our runtime: run id written', ourRunId !== '', ourRunId);
    if (ourRunId) {
      const read = parseResult('real Metaflow reading ours', await run('real Metaflow Client', PYTHON, ['read_run.py', `CompatFlow/${ourRunId}`], metaflowEnv, ws));
      if (read) checkPythonRead('real Metaflow reading ours', read, [ourRunId]);
      await checkWhereDataLives('our runtime', storage, ws, ourRunId);
    }

    // 2. Real Metaflow writes, our Python client and our TypeScript client read.
    console.log('== 2. real Metaflow runs CompatFlow on Azure; our Python and TypeScript clients read it');
    const theirs = await run('real Metaflow run', PYTHON, ['compat_flow.py', '--no-pylint', '--datastore', 'azure', 'run', '--run-id-file', join(ws, 'their-run-id'), '--alpha', '2', '--tag', 'compat'], metaflowEnv, ws);
    check('real Metaflow: run exits 0', theirs.ok);
    const theirRunId = existsSync(join(ws, 'their-run-id')) ? readFileSync(join(ws, 'their-run-id'), 'utf8').trim() : '';
    check('real Metaflow: run id written', theirRunId !== '', theirRunId);
    if (theirRunId) {
      const read = parseResult('our Python client reading real', await run('our Python Client', PYTHON, ['read_run.py', `CompatFlow/${theirRunId}`], oursPyEnv, ws));
      if (read) checkPythonRead('our Python client reading real', read, [ourRunId, theirRunId]);
      await checkTypeScriptRead(storage, ws, theirRunId);
      await checkWhereDataLives('real Metaflow', storage, ws, theirRunId);
      if (ourRunId) {
        // With both writers' runs in one datastore, real Metaflow lists them side by side too.
        const again = parseResult('real Metaflow listing both', await run('real Metaflow Client', PYTHON, ['read_run.py', `CompatFlow/${ourRunId}`], metaflowEnv, ws));
        if (again) check('real Metaflow listing both: Flow lists the runs of both writers', [ourRunId, theirRunId].every((id) => again.flow_runs.includes(id)), again.flow_runs.join(','));
        const ids = await new (requireTs(join(ROOT, 'src/client/storageClient.ts')).StorageDatastoreClient)(storage, { metadataRoot: join(ws, '.metaflow') }).runIds('CompatFlow');
        check('our TS client listing both: runIds holds the runs of both writers', [ourRunId, theirRunId].every((id) => ids.includes(id)), ids.join(','));
      }
    }
    check('identity endpoint: tokens granted, none refused', identity.seen.granted > 0 && identity.seen.refused === 0, `granted ${identity.seen.granted}, refused ${identity.seen.refused}, resources ${[...identity.seen.resources].join(' ')}`);
  } finally {
    await identity.close();
    await azurite.stop();
    rmSync(ws, { recursive: true, force: true });
  }
}

/** The blob storage our command line and explorer open, signed in by DefaultAzureCredential (managed identity here). */
function openStorage(azurite, azuriteRequestPolicies, identity) {
  const { AzureBlobStorage } = requireTs(join(ROOT, 'src/datastore/azure/azureBlobStorage.ts'));
  const { AzureCredentials } = requireTs(join(ROOT, 'src/azure/azureCredentials.ts'));
  const { azureCloudConfig } = requireTs(join(ROOT, 'src/azure/azureCloud.ts'));
  // This process finds the managed-identity endpoint the way the command line does: through its environment.
  Object.assign(process.env, identity.env);
  return AzureBlobStorage.fromConfig(
    { endpoint: azurite.endpoint, account: azurite.accountName, sysroot: SYSROOT, root: { container: CONTAINER, prefix: 'shared' }, cardRoot: `${SYSROOT}/mf.cards`, datatoolsRoot: `${SYSROOT}/data` },
    new AzureCredentials({ cloud: azureCloudConfig() }),
    { requestPolicies: azuriteRequestPolicies(azurite) },
  );
}

/** Our explorer's reading path: StorageDatastoreClient over the Azure blob storage. */
async function checkTypeScriptRead(storage, ws, runId) {
  const side = 'our TS client reading real';
  const { StorageDatastoreClient } = requireTs(join(ROOT, 'src/client/storageClient.ts'));
  const { storageTaskLogText } = requireTs(join(ROOT, 'src/client/storageTaskLogs.ts'));
  const client = new StorageDatastoreClient(storage, { metadataRoot: join(ws, '.metaflow') });
  const summary = await client.run('CompatFlow', runId);
  const steps = await client.listSteps('CompatFlow', runId);
  const tasks = {};
  for (const s of steps) tasks[s.name] = (await client.listTasks('CompatFlow', runId, s.name)).items;
  const artifacts = {};
  for (const [s, ts] of Object.entries(tasks)) artifacts[s] = await Promise.all(ts.map((t) => client.artifacts('CompatFlow', runId, s, t.taskId)));
  const logs = {};
  for (const [s, ts] of Object.entries(tasks)) logs[s] = await Promise.all(ts.map((t) => storageTaskLogText(storage, t.pathspec)));
  console.log(
    `${side}: ${JSON.stringify({
      status: summary.status,
      error: summary.error,
      steps: Object.fromEntries(Object.entries(tasks).map(([s, ts]) => [s, ts.map((t, i) => ({ id: t.taskId, status: t.status, foreach: t.foreachValue, artifacts: artifacts[s][i].artifacts.map((a) => a.name), error: t.error ?? artifacts[s][i].error }))])),
    })}`,
  );
  check(`${side}: run succeeded`, summary.status === 'succeeded', `${summary.status}${summary.error ? ` (${summary.error})` : ''}`);
  check(`${side}: steps`, JSON.stringify(steps.map((s) => s.name).sort()) === '["end","join","square","start"]', steps.map((s) => s.name).join(','));
  check(`${side}: three foreach tasks, all succeeded`, tasks.square?.length === 3 && Object.values(tasks).flat().every((t) => t.status === 'succeeded'), JSON.stringify(Object.values(tasks).flat().map((t) => `${t.pathspec}:${t.status}`)));
  const names = (s) => (artifacts[s] ?? []).flatMap((a) => a.artifacts.map((x) => x.name));
  check(`${side}: artifacts listed with types`, names('start').includes('items') && names('start').includes('big') && names('square').filter((n) => n === 'sq').length === 3 && names('join').includes('total') && (artifacts.join?.[0]?.artifacts.find((a) => a.name === 'total')?.type ?? '').includes('int'));
  check(`${side}: logs`, logs.start?.[0]?.includes('start says hello') && logs.square?.every((l) => /square of \d is \d/.test(l)) && logs.end?.[0]?.includes('total is 28'), JSON.stringify(logs.end?.[0]?.slice(0, 300)));
}

main()
  .catch((err) => {
    failed++;
    console.log(`FAIL setup: ${err?.stack ?? err}`);
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  });
