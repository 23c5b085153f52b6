// Each injected fault shows what a real cluster shows: the pod's status, its Events and their messages,
// the API's answers (5xx, 429 with Retry-After) and watches cut mid-stream.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { DEFAULT_UNSCHEDULABLE_MESSAGE, type KubeSimulator, startKubeSimulator } from '../../support/kubeSim';
import { type Clients, clients, finishedJob, finishedPod, podsOf, pythonJob, statusOf, waitFor } from './simClient';

async function eventsOf(c: Clients, pod: string): Promise<{ type?: string; reason?: string; message?: string; count?: number }[]> {
  return (await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${pod}` })).items;
}

describe('Kubernetes simulator: faults', () => {
  let sim: KubeSimulator;
  let c: Clients;

  before(async () => {
    sim = await startKubeSimulator({ backOffMs: 150 });
    c = clients(sim);
  });
  afterEach(() => sim.faults.clear());
  after(async () => sim?.stop());

  it('image pull failure: ErrImagePull then ImagePullBackOff, with Failed and BackOff Events', async () => {
    const image = 'myregistry.azurecr.io/private/trainer:1.0';
    sim.faults.imagePullFailure(image);
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('pull', 'print(1)', { container: { image } }) });
    const pod = await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=pull' }, (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.waiting?.message, `Back-off pulling image "${image}"`);
    const events = await eventsOf(c, pod.metadata!.name!);
    const failed = events.filter((e) => e.reason === 'Failed').map((e) => e.message ?? '');
    assert.ok(failed.some((m) => m.startsWith(`Failed to pull image "${image}": rpc error:`) && m.includes('401 Unauthorized')), failed.join('\n'));
    assert.ok(failed.includes('Error: ErrImagePull'));
    assert.ok(failed.includes('Error: ImagePullBackOff'));
    assert.ok(events.some((e) => e.reason === 'BackOff' && e.type === 'Normal' && e.message === `Back-off pulling image "${image}"`));
    assert.ok(events.every((e) => e.reason !== 'Started'));
    await assert.rejects(c.core.readNamespacedPodLog({ namespace: 'default', name: pod.metadata!.name! }), (e) => {
      assert.equal(statusOf(e).code, 400);
      assert.match(statusOf(e).message, /is waiting to start: trying and failing to pull image/);
      return true;
    });
  });

  it('unschedulable: FailedScheduling Event, PodScheduled=False reason Unschedulable, stays Pending', async () => {
    sim.faults.unschedulable({ jobName: 'big' });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('big', 'print(1)') });
    const pod = await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=big' }, (p) => !!p.status?.conditions?.some((x) => x.type === 'PodScheduled'));
    const scheduled = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
    assert.equal(scheduled?.status, 'False');
    assert.equal(scheduled?.reason, 'Unschedulable');
    assert.equal(scheduled?.message, DEFAULT_UNSCHEDULABLE_MESSAGE);
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.spec?.nodeName, undefined);
    const events = await eventsOf(c, pod.metadata!.name!);
    assert.deepEqual(events.map((e) => [e.type, e.reason, e.message]), [['Warning', 'FailedScheduling', '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.']]);
    // Once the fault goes (the autoscaler added a node), the pod is scheduled and runs.
    sim.faults.clear();
    const done = await finishedPod(c.kc, 'big');
    assert.equal(done.status?.phase, 'Succeeded');
  });

  it('eviction: the running pod is killed and Failed with reason Evicted', async () => {
    sim.faults.evict({ jobName: 'evicted' }, { afterMs: 300 });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('evicted', 'import time; time.sleep(30)') });
    const pod = await finishedPod(c.kc, 'evicted');
    assert.equal(pod.status?.phase, 'Failed');
    assert.equal(pod.status?.reason, 'Evicted');
    assert.match(pod.status?.message ?? '', /^The node was low on resource: memory\./);
    assert.ok(pod.status?.conditions?.some((x) => x.type === 'DisruptionTarget' && x.status === 'True'));
    const events = await eventsOf(c, pod.metadata!.name!);
    assert.ok(events.some((e) => e.type === 'Warning' && e.reason === 'Evicted'));
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container main'));
    const job = await finishedJob(c.kc, 'evicted');
    assert.equal(job.status?.conditions?.find((x) => x.type === 'Failed')?.reason, 'BackoffLimitExceeded');
  });

  it('OOM: the process is killed, exit 137, reason OOMKilled', async () => {
    sim.faults.oomKill({ jobName: 'oom' }, { afterMs: 200 });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('oom', "import time\nprint('allocating', flush=True)\ntime.sleep(30)") });
    const pod = await finishedPod(c.kc, 'oom');
    const t = pod.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(pod.status?.phase, 'Failed');
    assert.equal(t?.exitCode, 137);
    assert.equal(t?.reason, 'OOMKilled');
  });

  it('a restarted container: restartCount 1, lastState terminated, previous=true serves the first log', async () => {
    sim.faults.restartContainer({ jobName: 'restart' }, { afterMs: 400 });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('restart', "import os,time\nprint('instance', os.path.exists('/tmp/x'), flush=True)\ntime.sleep(1)\nprint('done', flush=True)") });
    const pod = await finishedPod(c.kc, 'restart');
    const cs = pod.status?.containerStatuses?.[0];
    assert.equal(cs?.restartCount, 1);
    assert.equal(cs?.lastState?.terminated?.exitCode, 137);
    assert.equal(cs?.state?.terminated?.exitCode, 0);
    const name = pod.metadata!.name!;
    assert.equal(await c.core.readNamespacedPodLog({ namespace: 'default', name, previous: true }), 'instance False\n');
    assert.equal(await c.core.readNamespacedPodLog({ namespace: 'default', name }), 'instance False\ndone\n');
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('no-previous', 'print(1)') });
    const plain = await finishedPod(c.kc, 'no-previous');
    await assert.rejects(c.core.readNamespacedPodLog({ namespace: 'default', name: plain.metadata!.name!, previous: true }), (e) => {
      assert.equal(statusOf(e).code, 400);
      assert.match(statusOf(e).message, /previous terminated container "main" in pod "no-previous-\w+" not found/);
      return true;
    });
  });

  it("a ResourceQuota refuses a Job's pod: 403 on a direct create, FailedCreate Events on the Job, no pod, and the pod once the quota allows it", async () => {
    const quota = sim.faults.exceededQuota('team-memory', { resource: 'requests.memory', used: '1536Mi', limited: '2Gi', match: { namespace: 'default' } });
    await assert.rejects(c.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'direct' }, spec: { containers: [{ name: 'main', image: 'python:3.12', resources: { requests: { memory: '1Gi' } } }] } } }), (e) => {
      assert.equal(statusOf(e).code, 403);
      assert.equal(statusOf(e).reason, 'Forbidden');
      assert.equal(statusOf(e).message, 'pods "direct" is forbidden: exceeded quota: team-memory, requested: requests.memory=1Gi, used: requests.memory=1536Mi, limited: requests.memory=2Gi');
      return true;
    });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('quota', 'print(1)', { container: { resources: { requests: { memory: '600M' } } } }) });
    const jobEvents = async () => (await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=quota' })).items.filter((e) => e.reason === 'FailedCreate');
    const deadline = Date.now() + 10_000;
    while ((await jobEvents()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [failed] = await jobEvents();
    assert.equal(failed?.type, 'Warning');
    assert.equal(failed?.involvedObject.kind, 'Job');
    assert.equal(failed?.source?.component, 'job-controller');
    assert.match(failed?.message ?? '', /^Error creating: pods "quota-\w{5}" is forbidden: exceeded quota: team-memory, requested: requests\.memory=600M, used: requests\.memory=1536Mi, limited: requests\.memory=2Gi$/);
    assert.deepEqual(await podsOf(c.core, 'quota'), []);
    // The administrator raised the quota: the controller's next try creates the pod and the Job completes.
    quota.remove();
    const job = await finishedJob(c.kc, 'quota');
    assert.ok(job.status?.conditions?.some((x) => x.type === 'Complete' && x.status === 'True'));
  });

  it('a ResourceQuota counting Jobs refuses the Job itself with 403 Forbidden', async () => {
    sim.faults.exceededQuota('job-count', { resource: 'count/jobs.batch', used: '5', limited: '5', match: { namespace: 'default' } });
    await assert.rejects(c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('counted', 'print(1)') }), (e) => {
      assert.equal(statusOf(e).code, 403);
      assert.equal(statusOf(e).message, 'jobs.batch "counted" is forbidden: exceeded quota: job-count, requested: count/jobs.batch=1, used: count/jobs.batch=5, limited: count/jobs.batch=5');
      return true;
    });
    assert.equal(sim.get('Job', 'default', 'counted'), undefined);
  });

  it('API 5xx and 429: the next N matching requests fail with a Status, 429 with Retry-After', async () => {
    sim.faults.apiError({ method: 'GET', path: /\/api\/v1\/namespaces\/default\/pods$/, status: 503, count: 2 });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(c.core.listNamespacedPod({ namespace: 'default' }), (e) => {
        assert.equal(statusOf(e).code, 503);
        assert.equal(statusOf(e).reason, 'ServiceUnavailable');
        return true;
      });
    }
    await c.core.listNamespacedPod({ namespace: 'default' });
    sim.faults.apiError({ method: 'POST', path: '/apis/batch/v1/namespaces/default/jobs', status: 429, retryAfterSeconds: 2 });
    await assert.rejects(c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('throttled', 'print(1)') }), (e) => {
      const err = e as { code: number; headers: Record<string, string> };
      assert.equal(err.code, 429);
      assert.equal(err.headers['retry-after'], '2');
      assert.equal(statusOf(e).reason, 'TooManyRequests');
      return true;
    });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('throttled', 'print(1)') });
  });
});
