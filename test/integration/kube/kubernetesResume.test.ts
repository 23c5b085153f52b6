// Resume of a run whose @kubernetes step failed: once the cause is gone (a flag file beside the flow, so the
// next code package no longer has it), the successful tasks are cloned from the origin without a Job, the
// failed step runs again as a Job, and the origin run is left as it was, in Blob and in the local metadata.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StorageDatastoreClient } from '../../../src/client/storageClient';
import type { LogEvent, RunEvent, TaskFinishedEvent, TaskStartedEvent } from '../../../src/runtime/events';
import { federatedToken } from '../../support/fakeEntra';
import { cli } from '../deploy/cliProcess';
import { type Finished, finish } from '../runtime/harness';
import { execAzurePython } from '../azure/azureRunHarness';
import { kubeRunSetup, type KubeRunSetup, NAMESPACE, SERVICE_ACCOUNT } from './kubernetesRunHarness';

const FLOW = 'KubeResumeFlow';

const READ_BACK = String.raw`
import json, sys
from metaflow import Run, namespace
namespace(None)
def describe(pathspec):
    run = Run(pathspec)
    train = run["train"].task
    return {"successful": bool(run.successful), "finished": bool(run.finished),
            "prepared": sorted(t.data.prepared for t in run["prepare"]),
            "prepared_all": run["gather"].task.data.prepared_all,
            "train_ok": bool(train.successful), "model": train.data.model if "model" in train else None,
            "train_stdout": train.stdout, "train_stderr": train.stderr,
            "prepare_origin": sorted(t.metadata_dict.get("origin-run-id", "") for t in run["prepare"])}
print(json.dumps({p: describe(p) for p in sys.argv[1:]}))
`;

function outcomes(events: RunEvent[]): Record<string, string[]> {
  const byStep: Record<string, string[]> = {};
  for (const e of events) if (e.event === 'task_finished') (byStep[e.step] ??= []).push(e.status);
  return byStep;
}

function linesOf(events: RunEvent[]): string {
  return events
    .filter((e): e is LogEvent => e.event === 'log')
    .map((e) => e.line)
    .join('\n');
}

describe('resume of a run with a failed @kubernetes step (simulator, Azurite, workload identity)', { timeout: 600_000 }, () => {
  let setup: KubeRunSetup;
  let flowFile: string;
  let flag: string;
  let origin: Finished;
  let resumed: Finished;
  let originBlobs: Map<string, number>;
  let originJobs: string[];

  const jobsOf = (runId: string) => setup.sim.list('Job', NAMESPACE).filter((j) => j.metadata.annotations?.['metaflow/run_id'] === runId);
  const blobsOf = async (runId: string) => new Map((await setup.storage().listRecursive(`${FLOW}/${runId}`)).map((o) => [o.key, o.size] as [string, number]));
  const localFiles = (runId: string) => fs.readdirSync(path.join(setup.ws.root, FLOW, runId), { recursive: true, encoding: 'utf8' }).sort();

  before(async () => {
    setup = await kubeRunSetup('kube-resume');
    flowFile = setup.flow('kube_resume_flow.py');
    flag = path.join(path.dirname(flowFile), 'broken.flag');
    fs.writeFileSync(flag, 'the training data is not ready\n');
    origin = await finish((await setup.runner()).run({ flowFile, parameterArgs: ['--base', '7'] }));
    assert.equal(origin.result.status, 'failed', linesOf(origin.events));
    originBlobs = await blobsOf(origin.result.runId);
    originJobs = jobsOf(origin.result.runId).map((j) => j.metadata.name!);
    const originLocal = localFiles(origin.result.runId);
    // The cause is fixed; the origin run is resumed from the step that failed.
    fs.rmSync(flag);
    resumed = await finish((await setup.runner()).resume({ flowFile, step: 'train', originRunId: origin.result.runId }));
    assert.equal(resumed.result.status, 'succeeded', `${resumed.result.error}\n${linesOf(resumed.events)}`);
    assert.deepEqual(localFiles(origin.result.runId), originLocal, "the origin run's local metadata is unchanged");
  });
  after(async () => {
    await setup?.dispose();
  });

  it('the origin run failed in the Kubernetes step, which ran as a Job', () => {
    assert.deepEqual(outcomes(origin.events), { _parameters: ['succeeded'], start: ['succeeded'], prepare: ['succeeded', 'succeeded'], gather: ['succeeded'], train: ['failed'] });
    const failed = origin.events.find((e): e is TaskFinishedEvent => e.event === 'task_finished' && e.step === 'train')!;
    assert.match(failed.error ?? '', /train is broken: broken\.flag is present/);
    assert.equal(originJobs.length, 3, `two prepare Jobs and one train Job: ${originJobs.join(', ')}`);
  });

  it('clones the successful tasks without a Job and runs the failed step again as a Job', () => {
    assert.deepEqual(outcomes(resumed.events), { _parameters: ['cloned'], start: ['cloned'], prepare: ['cloned', 'cloned'], gather: ['cloned'], train: ['succeeded'], end: ['succeeded'] });
    const jobs = jobsOf(resumed.result.runId);
    assert.deepEqual(
      jobs.map((j) => j.metadata.annotations?.['metaflow/step_name']),
      ['train'],
      'one Job, for train',
    );
    const train = resumed.events.find((e): e is TaskStartedEvent => e.event === 'task_started' && e.step === 'train');
    assert.equal(train?.executor?.kind, 'kubernetes');
    assert.equal(train?.executor?.job, jobs[0]!.metadata.name);
    assert.deepEqual(
      resumed.events.filter((e): e is TaskStartedEvent => e.event === 'task_started' && e.step === 'prepare').map((e) => e.executor),
      [undefined, undefined],
      'a cloned task names no pod',
    );
    assert.ok(linesOf(resumed.events).includes('trained 22'), linesOf(resumed.events));
  });

  it("artifacts of the cloned and re-run steps are right through the embedded Client, and the origin's are as they were", async () => {
    const o = origin.result.runId;
    const r = resumed.result.runId;
    const out = JSON.parse(await execAzurePython(['-c', READ_BACK, `${FLOW}/${o}`, `${FLOW}/${r}`], setup.env(), setup.ws.dir)) as Record<string, Record<string, unknown>>;
    const { train_stdout: trainStdout, ...after } = out[`${FLOW}/${r}`]!;
    assert.deepEqual(after, {
      successful: true,
      finished: true,
      prepared: [7, 14],
      prepared_all: [7, 14],
      train_ok: true,
      model: 22,
      train_stderr: '',
      prepare_origin: [o, o],
    });
    // Stored once: the pod saved its own log, and the launcher kept only its own lines.
    assert.equal(String(trainStdout), 'trained 22\n');
    const before = out[`${FLOW}/${o}`]!;
    assert.equal(before.successful, false);
    assert.equal(before.train_ok, false);
    assert.equal(before.model, null);
    assert.deepEqual(before.prepared, [7, 14]);
    assert.match(String(before.train_stderr), /train is broken: broken\.flag is present/);
  });

  it('the TypeScript client reads the resumed run as succeeded with every task, and the cloned artifacts equal the origin ones', async () => {
    const storage = setup.storage();
    const client = new StorageDatastoreClient(storage, { metadataRoot: setup.ws.root, now: () => Date.now() + 3_600_000 });
    assert.equal((await client.run(FLOW, resumed.result.runId)).status, 'succeeded');
    assert.deepEqual((await client.listTasks(FLOW, resumed.result.runId, 'prepare')).items.map((t) => t.status), ['succeeded', 'succeeded']);
    const gather = (r: string) => storage.read(`${FLOW}/${r}/gather/${(outcomesTask(r === origin.result.runId ? origin : resumed, 'gather'))}/0.data.json`);
    const cloned = JSON.parse((await gather(resumed.result.runId)).toString('utf8')) as { objects: Record<string, string> };
    const first = JSON.parse((await gather(origin.result.runId)).toString('utf8')) as { objects: Record<string, string> };
    assert.deepEqual(cloned.objects, first.objects);
    assert.notEqual((await client.run(FLOW, origin.result.runId)).status, 'succeeded');
  });

  it('leaves the origin run untouched: the same objects in Blob, no new Job', async () => {
    assert.deepEqual(await blobsOf(origin.result.runId), originBlobs);
    assert.deepEqual(
      jobsOf(origin.result.runId).map((j) => j.metadata.name!),
      originJobs,
    );
  });
});

describe('metaflow-studio resume of a Kubernetes run from a terminal', { timeout: 600_000 }, () => {
  let setup: KubeRunSetup;

  before(async () => {
    setup = await kubeRunSetup('kube-resume-cli');
  });
  after(async () => {
    await setup?.dispose();
  });

  it('resume FLOW.py STEP --datastore azure clones, re-runs the step as a Job and prints the new run', async () => {
    const flowFile = setup.flow('kube_resume_flow.py');
    const flag = path.join(path.dirname(flowFile), 'broken.flag');
    fs.writeFileSync(flag, 'broken\n');
    const origin = await finish((await setup.runner()).run({ flowFile, parameterArgs: [] }));
    assert.equal(origin.result.status, 'failed');
    fs.rmSync(flag);
    // A terminal has no editor account: the command line signs in to Blob with DefaultAzureCredential,
    // here workload identity against the stand-in Entra, as on a cluster node or in CI.
    const tokenFile = path.join(setup.ws.dir, '..', `${path.basename(setup.ws.dir)}-sa-token`);
    fs.writeFileSync(tokenFile, federatedToken({ subject: `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}` }));
    const env = setup.env({
      METAFLOW_DEFAULT_DATASTORE: '',
      METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT: '',
      METAFLOW_STUDIO_AZURE_TOKEN_SECRET: '',
      KUBECONFIG: setup.sim.kubeconfigPath,
      AZURE_TENANT_ID: setup.entra.tenantId,
      AZURE_CLIENT_ID: setup.entra.clientId,
      AZURE_AUTHORITY_HOST: setup.entra.authorityHost,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      NODE_EXTRA_CA_CERTS: setup.env().REQUESTS_CA_BUNDLE,
    });
    try {
      const r = await cli(setup.ws, ['resume', 'kube_resume_flow.py', 'train', '--origin-run-id', origin.result.runId, '--datastore', 'azure', '--run-id-file', 'resumed.txt'], env);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const runId = fs.readFileSync(path.join(setup.ws.dir, 'resumed.txt'), 'utf8').trim();
      assert.notEqual(runId, origin.result.runId);
      const jobs = setup.sim.list('Job', NAMESPACE).filter((j) => j.metadata.annotations?.['metaflow/run_id'] === runId);
      assert.deepEqual(
        jobs.map((j) => j.metadata.annotations?.['metaflow/step_name']),
        ['train'],
      );
      const client = new StorageDatastoreClient(setup.storage(), { metadataRoot: setup.ws.root, now: () => Date.now() + 3_600_000 });
      assert.equal((await client.run(FLOW, runId)).status, 'succeeded');
      assert.match(r.stdout + r.stderr, /trained 16/);
    } finally {
      fs.rmSync(tokenFile, { force: true });
    }
  });
});

function outcomesTask(run: Finished, step: string): string {
  const e = run.events.find((x): x is TaskFinishedEvent => x.event === 'task_finished' && x.step === step);
  assert.ok(e, `a task of ${step}`);
  return e.pathspec.split('/').at(-1)!;
}
