// Lifecycle edges: a pod created directly and deleted while running (its process group killed), a Job
// removed after ttlSecondsAfterFinished, a container whose command cannot start, and stop() ending
// every pod process.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { startKubeSimulator } from '../../support/kubeSim';
import { clients, finishedPod, pythonJob, waitFor } from './simClient';

async function pidFrom(read: () => string | undefined): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const pid = Number((read() ?? '').trim().split(/\s+/)[0]);
    if (pid > 0) return pid;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the pod never printed its pid');
}

/** Running and not a zombie (an orphan killed with its group waits for the machine's init to reap it). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('Kubernetes simulator: lifecycle', () => {
  it('deletes a running pod: its process group is killed, then the pod is gone', async () => {
    const sim = await startKubeSimulator();
    try {
      const c = clients(sim);
      // The child shares the pod's process group: both must die.
      const code = "import os,subprocess,time\nchild=subprocess.Popen(['sleep','60'])\nprint(os.getpid(), child.pid, flush=True)\ntime.sleep(60)";
      await c.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'direct' }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'python:3.11', command: ['python3', '-u', '-c', code] }] } } });
      await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { fieldSelector: 'metadata.name=direct' }, (p) => p.status?.phase === 'Running');
      await pidFrom(() => sim.podLog('default', 'direct'));
      const [pid, childPid] = (sim.podLog('default', 'direct') ?? '').trim().split(' ').map(Number);
      assert.ok(alive(pid) && alive(childPid));
      const answer = await c.core.deleteNamespacedPod({ namespace: 'default', name: 'direct' });
      assert.ok(answer.metadata?.deletionTimestamp, 'a running pod is first marked for graceful deletion');
      await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', {}, (p, type) => type === 'DELETED' && p.metadata?.name === 'direct', 10000).catch(() => undefined);
      for (let i = 0; i < 100 && sim.get('Pod', 'default', 'direct'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(sim.get('Pod', 'default', 'direct'), undefined);
      assert.equal(alive(pid), false);
      assert.equal(alive(childPid), false);
    } finally {
      await sim.stop();
    }
  });

  it('removes a finished Job after ttlSecondsAfterFinished, with its pod', async () => {
    const sim = await startKubeSimulator();
    try {
      const c = clients(sim);
      await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('short-lived', 'print(1)', { job: { ttlSecondsAfterFinished: 1 } }) });
      await finishedPod(c.kc, 'short-lived');
      assert.ok(sim.get('Job', 'default', 'short-lived'));
      for (let i = 0; i < 100 && (sim.get('Job', 'default', 'short-lived') || sim.list('Pod', 'default').length); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(sim.get('Job', 'default', 'short-lived'), undefined);
      assert.deepEqual(sim.list('Pod', 'default'), []);
    } finally {
      await sim.stop();
    }
  });

  it('a command that is not on the image PATH ends as StartError, exit 128, with a Failed Event', async () => {
    const sim = await startKubeSimulator();
    try {
      const c = clients(sim);
      await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('no-such', '', { container: { command: ['no-such-binary-here', '--flag'] } }) });
      const pod = await finishedPod(c.kc, 'no-such');
      const t = pod.status?.containerStatuses?.[0]?.state?.terminated;
      assert.equal(t?.exitCode, 128);
      assert.equal(t?.reason, 'StartError');
      assert.match(t?.message ?? '', /exec: "no-such-binary-here": executable file not found in \$PATH/);
      const events = await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${pod.metadata!.name},reason=Failed` });
      assert.equal(events.items.length, 1);
      assert.match(events.items[0].message ?? '', /executable file not found in \$PATH/);
    } finally {
      await sim.stop();
    }
  });

  it('stop() kills every pod process', async () => {
    const sim = await startKubeSimulator();
    const c = clients(sim);
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('forever', "import os,time\nprint(os.getpid(), flush=True)\ntime.sleep(600)") });
    const pod = await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=forever' }, (p) => p.status?.phase === 'Running');
    const pid = await pidFrom(() => sim.podLog('default', pod.metadata!.name!));
    assert.ok(alive(pid));
    await sim.stop();
    assert.equal(alive(pid), false);
  });
});

describe('Kubernetes simulator: restartPolicy OnFailure', () => {
  it('restarts a failing container in place with CrashLoopBackOff until the Job backoffLimit is exceeded', async () => {
    const sim = await startKubeSimulator({ backOffMs: 50 });
    try {
      const c = clients(sim);
      await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('crashy', "print('try'); raise SystemExit(2)", { job: { backoffLimit: 2 }, pod: { restartPolicy: 'OnFailure' } }) });
      const job = await waitFor<k8s.V1Job>(c.kc, '/apis/batch/v1/namespaces/default/jobs', { fieldSelector: 'metadata.name=crashy' }, (j) => !!j.status?.conditions?.some((x) => x.type === 'Failed'));
      assert.equal(job.status?.conditions?.find((x) => x.type === 'Failed')?.reason, 'BackoffLimitExceeded');
      const jobEvents = await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.kind=Job,involvedObject.name=crashy' });
      assert.deepEqual(jobEvents.items.map((e) => e.reason).filter((r) => r !== 'SuccessfulDelete'), ['SuccessfulCreate', 'BackoffLimitExceeded']);
      const backOffs = (await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'reason=BackOff' })).items;
      assert.equal(backOffs.length, 1, 'repeats of the same BackOff are one Event with a count');
      assert.ok((backOffs[0].count ?? 0) >= 2);
      assert.match(backOffs[0].message ?? '', /^Back-off restarting failed container main in pod crashy-\w{5}_default\(/);
    } finally {
      await sim.stop();
    }
  });
});
