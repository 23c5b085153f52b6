// KubeClient when the API server misbehaves (faults injected in the simulator): 429 with Retry-After and 5xx
// retried, 401/403/409 explained, dropped watches resumed and expired ones relisted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeClient, KubeError } from '../../../src/kube/kubeClient';
import { runLabelSelector } from '../../../src/kube/podSpec';
import { type KubeSimulator, startKubeSimulator } from '../../support/kubeSim';
import { finished, pythonTaskJob } from './clientSupport';

const JOBS = '/apis/batch/v1/namespaces/default/jobs';
const FAST = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 2_000 };

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('KubeClient when the API server fails', () => {
  let sim: KubeSimulator;
  let client: KubeClient;
  let token: string;
  const requests: Array<{ method: string; path: string; status: number }> = [];

  before(async () => {
    sim = await startKubeSimulator({ namespaces: ['default'], onRequest: (r) => requests.push(r) });
    client = KubeClient.load({ kubeconfigPath: sim.kubeconfigPath, namespace: 'default' }, { retry: FAST });
    token = /token:\s*"?([^"\s]+)/.exec(readFileSync(sim.kubeconfigPath, 'utf8'))?.[1] ?? '';
  });
  after(async () => sim?.stop());

  it('retries 429 after the Retry-After the server asked for, and creates exactly one Job', async () => {
    sim.faults.apiError({ method: 'POST', path: JOBS, status: 429, count: 2, retryAfterSeconds: 1 });
    const { job } = pythonTaskJob("print('ok')", { runId: 'r-429' });
    const start = Date.now();
    requests.length = 0;
    await client.createJob('default', job);
    assert.ok(Date.now() - start >= 1900, 'two Retry-After waits of one second each');
    assert.deepEqual(requests.filter((r) => r.method === 'POST').map((r) => r.status), [429, 429, 201]);
    assert.equal((await client.listJobs('default', runLabelSelector('ClientFlow', 'r-429'))).length, 1);
  });

  it('retries a 5xx and gives up with an explained error after the bounded attempts', async () => {
    sim.faults.apiError({ method: 'POST', path: JOBS, status: 503, count: 1 });
    await client.createJob('default', pythonTaskJob("print('ok')", { runId: 'r-503' }).job);
    assert.equal((await client.listJobs('default', runLabelSelector('ClientFlow', 'r-503'))).length, 1, 'one Job after a retried 503');
    const fault = sim.faults.apiError({ method: 'POST', path: JOBS, status: 500, count: 100, message: 'etcdserver: request timed out' });
    try {
      requests.length = 0;
      await assert.rejects(client.createJob('default', pythonTaskJob("print('x')").job), (e: unknown) => e instanceof KubeError && e.status === 500 && /answered 500 \(etcdserver: request timed out\)/.test(e.message));
      assert.equal(requests.filter((r) => r.method === 'POST').length, FAST.maxAttempts);
    } finally {
      fault.remove();
    }
  });

  it('explains 401, an RBAC 403, a quota 403 and a 409 without retrying them or showing the token', async () => {
    sim.faults.apiError({ method: 'POST', path: JOBS, status: 401 });
    await assert.rejects(client.createJob('default', pythonTaskJob('pass').job), (e: unknown) => {
      assert.ok(e instanceof KubeError && e.status === 401);
      assert.match(e.message, new RegExp(`rejected the credentials of context "${sim.contextName}"`));
      assert.match(e.hint, /az aks get-credentials --resource-group <group> --name <cluster>/);
      assert.ok(!e.message.includes(token));
      return true;
    });
    sim.faults.apiError({ method: 'POST', path: JOBS, status: 403, message: 'jobs.batch is forbidden: User "ana@example.com" cannot create resource "jobs" in API group "batch" in the namespace "default"' });
    await assert.rejects(client.createJob('default', pythonTaskJob('pass').job), (e: unknown) => e instanceof KubeError && e.reason === 'Forbidden' && /not allowed to create jobs\.batch in namespace default/.test(e.message) && /kubectl auth can-i create jobs\.batch -n default/.test(e.hint));
    sim.faults.apiError({ method: 'POST', path: JOBS, status: 403, message: 'jobs.batch "t-1" is forbidden: exceeded quota: compute, requested: count/jobs.batch=1, used: count/jobs.batch=10, limited: count/jobs.batch=10' });
    await assert.rejects(client.createJob('default', pythonTaskJob('pass').job), (e: unknown) => e instanceof KubeError && e.reason === 'ExceededQuota' && /ResourceQuota "compute"/.test(e.message));
    const named = pythonTaskJob('pass').job;
    named.metadata = { ...named.metadata, name: 'fixed-name', generateName: undefined };
    await client.createJob('default', named);
    await assert.rejects(client.createJob('default', named), (e: unknown) => e instanceof KubeError && e.status === 409 && e.reason === 'AlreadyExists');
  });

  it('resumes a dropped watch from its resourceVersion and relists after 410 Gone, missing no pod', async () => {
    const runId = 'r-watch';
    const selector = runLabelSelector('ClientFlow', runId);
    const seen = new Map<string, V1Pod>();
    const types: string[] = [];
    requests.length = 0;
    const watch = client.watchPods('default', selector, (type, pod) => {
      types.push(type);
      seen.set(pod.metadata!.name!, pod);
    });
    try {
      await until(() => sim.openWatches() > 0, 'the watch to open');
      await client.createJob('default', pythonTaskJob("print('one')", { runId }).job);
      await until(() => [...seen.values()].some(finished), 'the first pod to finish');

      assert.ok(sim.faults.dropWatches() > 0);
      await client.createJob('default', pythonTaskJob("print('two')", { runId }).job);
      await until(() => [...seen.values()].filter(finished).length === 2, 'the second pod, seen through the resumed watch');
      assert.ok(watch.reconnects >= 1);

      const podLists = (): number => requests.filter((r) => r.method === 'GET' && /\/namespaces\/default\/pods\?/.test(r.path) && !/watch=true/.test(r.path)).length;
      const resumedWithoutList = podLists();
      assert.equal(resumedWithoutList, 1, 'a dropped watch resumes from its resourceVersion without listing again');
      const before = watch.reconnects;
      sim.faults.dropWatches({ expireHistory: true });
      await client.createJob('default', pythonTaskJob("print('three')", { runId }).job);
      await until(() => [...seen.values()].filter(finished).length === 3, 'the third pod, seen after a relist');
      assert.ok(watch.reconnects > before);
      assert.equal(podLists(), 2, 'an expired resourceVersion (410 Gone) is answered by a fresh list');
      assert.equal(seen.size, 3);
      assert.ok(types.includes('ADDED') && types.includes('MODIFIED'));
    } finally {
      watch.stop();
    }
    await until(() => sim.openWatches() === 0, 'the stopped watch to close');
  });
});
