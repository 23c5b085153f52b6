// A mixed run end to end: local start, a linear step and a foreach body as Jobs on the Kubernetes simulator
// (pods running the real loader and task runner with the Python Azure SDK, signed in with workload
// identity), a local join and end; one run id, one Azure datastore (Azurite, https, OAuth).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StorageDatastoreClient } from '../../../src/client/storageClient';
import type { LogEvent, RunEvent, TaskStartedEvent } from '../../../src/runtime/events';
import { RunRefused } from '../../../src/runtime/localRunner';
import { SchemaValidator } from '../../support/kubeSim/schemaValidator';
import { finish } from '../runtime/harness';
import { execAzurePython } from '../azure/azureRunHarness';
import { kubeRunSetup, type KubeRunSetup, NAMESPACE, SERVICE_ACCOUNT } from './kubernetesRunHarness';

const READ_BACK = String.raw`
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(sys.argv[1])
print(json.dumps({"successful": bool(run.successful), "total": run["join"].task.data.total,
                  "values": sorted(t.data.value for t in run["body"]), "factor": run["prepare"].task.data.factor,
                  "prepare_stdout": run["prepare"].task.stdout, "prepare_stderr": run["prepare"].task.stderr}))
`;

describe('runs with @kubernetes steps (simulator, Azurite, workload identity)', { timeout: 600_000 }, () => {
  let setup: KubeRunSetup;
  let flowFile: string;
  let runId: string;
  let events: RunEvent[];

  before(async () => {
    setup = await kubeRunSetup('kube-runs');
    flowFile = setup.flow('kube_mixed_flow.py');
    const r = await setup.runner();
    const done = await finish(r.run({ flowFile, parameterArgs: ['--scale', '10'] }));
    events = done.events;
    assert.equal(done.result.status, 'succeeded', `${done.result.error}\n${events.filter((e) => e.event === 'log').map((e) => (e as LogEvent).line).join('\n')}`);
    runId = done.result.runId;
  });
  after(async () => {
    await setup?.dispose();
  });

  it('runs the @kubernetes steps as pods and the others locally, and says where each ran', () => {
    const started = events.filter((e): e is TaskStartedEvent => e.event === 'task_started');
    const byStep = (s: string) => started.filter((e) => e.step === s);
    assert.deepEqual(['start', 'prepare', 'body', 'join', 'end'].map((s) => byStep(s).length), [1, 1, 3, 1, 1]);
    for (const e of [...byStep('prepare'), ...byStep('body')]) {
      assert.equal(e.executor?.kind, 'kubernetes');
      assert.equal(e.executor?.context, setup.sim.contextName);
      assert.equal(e.executor?.namespace, NAMESPACE);
      assert.match(e.executor?.job ?? '', /^t-[0-9a-f]{8}-/);
      assert.ok(e.executor?.pod?.startsWith(e.executor.job), `pod ${e.executor?.pod} of job ${e.executor?.job}`);
      assert.equal(e.pid, undefined);
    }
    for (const e of [...byStep('start'), ...byStep('join'), ...byStep('end')]) {
      assert.equal(e.executor, undefined);
      assert.equal(typeof e.pid, 'number');
    }
    const pods = setup.sim.list('Pod', NAMESPACE).map((p) => p.metadata.name);
    for (const e of [...byStep('prepare'), ...byStep('body')]) assert.ok(pods.includes(e.executor!.pod!), `${e.executor!.pod} is a pod of the cluster`);
  });

  it("streams the pods' output into the run's event stream, one task at a time", () => {
    const logs = events.filter((e): e is LogEvent => e.event === 'log' && e.source === 'task');
    const prepare = logs.filter((e) => e.step === 'prepare').map((e) => e.line);
    assert.ok(prepare.some((l) => l.includes('prepare on kubernetes, scale 10')), prepare.join('\n'));
    assert.ok(prepare.some((l) => l.includes('a line on stderr')), prepare.join('\n'));
    const body = logs.filter((e) => e.step === 'body').map((e) => e.line);
    for (const expected of ['body 1 -> 20', 'body 2 -> 40', 'body 3 -> 60']) assert.ok(body.some((l) => l.includes(expected)), `${expected} in\n${body.join('\n')}`);
    // Each line belongs to the task that printed it.
    for (const e of logs.filter((l) => l.step === 'body')) {
      const m = /body (\d) ->/.exec(e.line);
      if (!m) continue;
      const started = events.find((s): s is TaskStartedEvent => s.event === 'task_started' && s.pathspec === e.pathspec)!;
      assert.deepEqual(started.foreach_indices, [Number(m[1]) - 1]);
    }
  });

  it('created one schema-valid Job per Kubernetes task, with the resources, labels and annotations asked for', () => {
    const jobs = setup.sim.list('Job', NAMESPACE).filter((j) => j.metadata.annotations?.['metaflow/run_id'] === runId);
    assert.equal(jobs.length, 4);
    const validator = new SchemaValidator();
    for (const job of jobs) {
      const { status: _status, ...spec } = job as unknown as Record<string, unknown>;
      validator.check('kubernetes', 'io.k8s.api.batch.v1.Job', JSON.parse(JSON.stringify(spec)), 'Job', 'batch');
    }
    type JobShape = { spec: { backoffLimit: number; template: { metadata: { labels: Record<string, string> }; spec: { serviceAccountName: string; restartPolicy: string; containers: Array<{ command: string[]; resources: { requests: Record<string, string> }; env: Array<{ name: string; value?: string }> }> } } } };
    const prepare = jobs.find((j) => j.metadata.annotations?.['metaflow/step_name'] === 'prepare') as unknown as JobShape & { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    assert.ok(prepare, 'the prepare Job');
    assert.equal(prepare.metadata.labels.team, 'ml');
    assert.equal(prepare.metadata.labels['app.kubernetes.io/name'], 'metaflow-task');
    assert.equal(prepare.metadata.annotations.purpose, 'e2e');
    assert.equal(prepare.metadata.annotations['metaflow/flow_name'], 'KubeMixedFlow');
    assert.equal(prepare.metadata.annotations['metaflow/attempt'], '0');
    assert.equal(prepare.metadata.annotations['metaflow/user'], 'tester');
    assert.equal(prepare.spec.backoffLimit, 0);
    const pod = prepare.spec.template;
    assert.equal(pod.metadata.labels['azure.workload.identity/use'], 'true');
    assert.equal(pod.spec.serviceAccountName, SERVICE_ACCOUNT);
    assert.equal(pod.spec.restartPolicy, 'Never');
    const container = pod.spec.containers[0];
    assert.deepEqual(container.command.slice(0, 2), ['python3', '-c']);
    assert.equal(container.command.at(-1), 'task');
    assert.deepEqual(container.resources.requests, { cpu: '0.5', memory: '512M', 'ephemeral-storage': '2048M' });
    const env = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    assert.equal(env.METAFLOW_CODE_DS, 'azure');
    assert.match(env.METAFLOW_CODE_URL ?? '', new RegExp(`^kube-runs/studio/KubeMixedFlow/data/[0-9a-f]{2}/${env.METAFLOW_CODE_SHA}$`));
    const spec = JSON.parse(env.METAFLOW_STUDIO_TASK_SPEC ?? '{}') as { flow_file: string; step: string };
    assert.equal(spec.flow_file, 'kube_mixed_flow.py');
    assert.equal(spec.step, 'prepare');
    const body = jobs.filter((j) => j.metadata.annotations?.['metaflow/step_name'] === 'body') as unknown as JobShape[];
    assert.equal(body[0].spec.template.spec.containers[0].resources.requests.memory, '256M');
    // One code package for the whole run.
    const shas = new Set(jobs.map((j) => (j as unknown as JobShape).spec.template.spec.containers[0].env.find((e) => e.name === 'METAFLOW_CODE_SHA')?.value));
    assert.equal(shas.size, 1);
  });

  it("keeps the run's metadata whole locally: the pods' task metadata was copied into .metaflow", () => {
    const prepareDir = path.join(setup.ws.root, 'KubeMixedFlow', runId, 'prepare');
    const tasks = fs.readdirSync(prepareDir).filter((n) => n !== '_meta');
    assert.equal(tasks.length, 1);
    assert.ok(fs.existsSync(path.join(prepareDir, tasks[0], '_meta', '_self.json')));
    assert.ok(fs.readdirSync(path.join(prepareDir, tasks[0], '_meta')).some((n) => n.startsWith('sysmeta_')));
    assert.equal(fs.readdirSync(path.join(setup.ws.root, 'KubeMixedFlow', runId, 'body')).filter((n) => n !== '_meta').length, 3);
  });

  it('artifacts and logs are readable by the TypeScript client', async () => {
    const client = new StorageDatastoreClient(setup.storage(), { metadataRoot: setup.ws.root, now: () => Date.now() + 3_600_000 });
    const run = await client.run('KubeMixedFlow', runId);
    assert.equal(run.status, 'succeeded');
    const join = (await client.listTasks('KubeMixedFlow', runId, 'join')).items[0];
    const artifacts = await client.artifacts('KubeMixedFlow', runId, 'join', join.taskId);
    assert.ok(artifacts.artifacts.some((a) => a.name === 'total'));
    const body = await client.listTasks('KubeMixedFlow', runId, 'body');
    assert.deepEqual(body.items.map((t) => t.status), ['succeeded', 'succeeded', 'succeeded']);
  });

  it("artifacts and the pods' persisted logs are readable by the embedded Client API", async () => {
    const out = JSON.parse(await execAzurePython(['-c', READ_BACK, `KubeMixedFlow/${runId}`], setup.env(), setup.ws.dir)) as Record<string, unknown>;
    assert.equal(out.successful, true);
    assert.equal(out.total, 120);
    assert.deepEqual(out.values, [20, 40, 60]);
    assert.equal(out.factor, 20);
    assert.match(String(out.prepare_stdout), /prepare on kubernetes, scale 10/);
    assert.match(String(out.prepare_stderr), /a line on stderr/);
  });

  it('refuses a run whose datastore is local, naming the settings to change', async () => {
    const r = await setup.runner(setup.env({ METAFLOW_DEFAULT_DATASTORE: 'local' }));
    assert.throws(
      () => r.run({ flowFile, parameterArgs: [] }),
      (err: Error) => {
        assert.ok(err instanceof RunRefused);
        assert.match(err.message, /METAFLOW_DEFAULT_DATASTORE=azure/);
        assert.match(err.message, /metaflow\.datastore/);
        assert.match(err.message, /METAFLOW_DATASTORE_SYSROOT_AZURE/);
        assert.match(err.message, /prepare, body/);
        return true;
      },
    );
  });

  it('refuses the run before any task when the pre-flight fails (a namespace that does not exist)', async () => {
    const before = setup.sim.list('Job').length;
    const r = await setup.runner();
    const done = await finish(r.run({ flowFile, parameterArgs: [], kubernetes: { withAll: false, namespace: 'no-such-ns' } }));
    assert.equal(done.result.status, 'failed');
    assert.match(done.result.error ?? '', /no-such-ns/);
    assert.equal(done.events.filter((e) => e.event === 'task_started').length, 0);
    assert.equal(setup.sim.list('Job').length, before);
  });
});
