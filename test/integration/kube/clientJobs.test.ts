// KubeClient against the Kubernetes simulator, through its generated kubeconfig only: loading, preflight,
// task Jobs running python3, the pod watch, logs, Events, failure classification and cancel.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeClient, KubeError } from '../../../src/kube/kubeClient';
import { classifyPod } from '../../../src/kube/podFailure';
import { runLabelSelector } from '../../../src/kube/podSpec';
import { type KubeSimulator, startKubeSimulator } from '../../support/kubeSim';
import { finished, pythonTaskJob, waitForPod } from './clientSupport';

const POLICY = { pendingDeadlineMs: 60_000, autoscalerGraceMs: 300_000 };

describe('KubeClient against the simulator', () => {
  let sim: KubeSimulator;
  let client: KubeClient;
  let token: string;

  before(async () => {
    sim = await startKubeSimulator({ namespaces: ['default', 'ml'], serviceAccounts: [{ namespace: 'ml', name: 'runner' }] });
    client = KubeClient.load({ kubeconfigPath: sim.kubeconfigPath, namespace: 'default' });
    token = /token:\s*"?([^"\s]+)/.exec(readFileSync(sim.kubeconfigPath, 'utf8'))?.[1] ?? '';
    assert.ok(token.length > 8, 'the simulator kubeconfig carries a bearer token');
  });
  after(async () => sim?.stop());

  it('loads the kubeconfig context, and names the file and context when they are wrong', () => {
    assert.equal(client.contextName, sim.contextName);
    assert.equal(client.server, sim.server);
    assert.throws(() => KubeClient.load({ kubeconfigPath: '/nonexistent/kubeconfig', namespace: 'default' }), (e: unknown) => e instanceof KubeError && /kubeconfig \/nonexistent\/kubeconfig does not exist/.test(e.message) && /az aks get-credentials/.test(e.message));
    assert.throws(
      () => KubeClient.load({ kubeconfigPath: sim.kubeconfigPath, context: 'prod-aks', namespace: 'default' }),
      (e: unknown) => e instanceof KubeError && e.message.includes('has no context "prod-aks"') && e.message.includes(`(it has ${sim.contextName})`),
    );
  });

  it('passes preflight for an existing namespace and service account, and explains what is missing', async () => {
    await client.preflight({ namespace: 'ml', serviceAccount: 'runner', image: 'myacr.azurecr.io/team/train:1.0' });
    await assert.rejects(client.preflight({ namespace: 'nope' }), (e: unknown) => e instanceof KubeError && e.status === 404 && /namespace "nope" does not exist/.test(e.message) && /kubectl create namespace nope/.test(e.hint));
    await assert.rejects(client.preflight({ namespace: 'ml', serviceAccount: 'ghost' }), (e: unknown) => e instanceof KubeError && /kubectl create serviceaccount ghost -n ml/.test(e.hint));
    await assert.rejects(client.preflight({ namespace: 'ml', image: 'Team/Train:1' }), (e: unknown) => e instanceof KubeError && e.reason === 'InvalidImageName');
  });

  it('reports an unreachable cluster with its server URL and the cause, never the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeclient-'));
    const path = join(dir, 'config');
    const closedPort = 'https://127.0.0.1:9';
    writeFileSync(path, readFileSync(sim.kubeconfigPath, 'utf8').replace(sim.server, closedPort));
    const away = KubeClient.load({ kubeconfigPath: path, namespace: 'default' }, { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    await assert.rejects(away.preflight({ namespace: 'default' }), (e: unknown) => {
      assert.ok(e instanceof KubeError);
      assert.equal(e.reason, 'Unreachable');
      assert.match(e.message, /cannot reach the cluster of context ".*" at https:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/);
      assert.ok(!e.message.includes(token) && !e.hint.includes(token));
      return true;
    });
  });

  it('runs a task Job: watch to Succeeded, logs followed with timestamps and read back, Events listed', async () => {
    const { job, selector } = pythonTaskJob("import os, time\nprint(os.environ['GREETING'])\ntime.sleep(0.3)\nprint('second line')");
    const created = await client.createJob('default', job);
    assert.match(created.metadata?.name ?? '', /^t-[0-9a-f]{8}-[a-z0-9]+$/);
    const running = await waitForPod(client, 'default', selector, (p) => p.status?.phase === 'Running' || finished(p));
    const lines: Array<{ line: string; ts?: number }> = [];
    const follow = client.followLogs('default', running.metadata!.name!, 'train-model', (line, ts) => lines.push({ line, ts }), { timestamps: true });
    await follow.done;
    assert.deepEqual(lines.map((l) => l.line), ['hello', 'second line']);
    assert.ok(lines.every((l) => typeof l.ts === 'number' && l.ts > Date.parse('2020-01-01')), JSON.stringify(lines));
    const done = await waitForPod(client, 'default', selector, finished);
    assert.deepEqual(classifyPod(done, [], Date.now(), POLICY), { state: 'succeeded', terminal: true, retryable: false });
    assert.equal(await client.readLogs('default', done.metadata!.name!, 'train-model'), 'hello\nsecond line\n');
    const reasons = (await client.listEvents('default', done.metadata!.name!)).map((e) => e.reason);
    assert.ok(reasons.includes('Scheduled') && reasons.includes('Started'), reasons.join(','));
    const pod = await client.getPod('default', done.metadata!.name!);
    assert.equal(pod.status?.phase, 'Succeeded');
  });

  it('turns an injected image pull failure into an ACR hint, from the pod and its Events', async () => {
    const image = 'myacr.azurecr.io/team/missing:1.0';
    const fault = sim.faults.imagePullFailure(image);
    try {
      const { job, selector } = pythonTaskJob("print('never')", { attributes: { image } });
      await client.createJob('default', job);
      const pod = await waitForPod(client, 'default', selector, (p) => !!p.status?.containerStatuses?.some((s) => /ErrImagePull|ImagePullBackOff/.test(s.state?.waiting?.reason ?? '')));
      const verdict = classifyPod(pod, await client.listEvents('default', pod.metadata!.name!), Date.now(), POLICY);
      assert.equal(verdict.terminal, true, JSON.stringify({ verdict, status: pod.status }));
      assert.equal(verdict.retryable, false);
      assert.match(verdict.message!, /could not pull image "myacr\.azurecr\.io\/team\/missing:1\.0".*401 Unauthorized/s);
      assert.match(verdict.message!, /--attach-acr myacr/);
    } finally {
      fault.remove();
    }
  });

  it('names the resource an unschedulable pod lacks, and the memory limit of an OOM-killed one', async () => {
    const unschedulable = sim.faults.unschedulable({ labels: { 'metaflow-studio/run-id': 'r-unsched' } });
    const oom = sim.faults.oomKill({ labels: { 'metaflow-studio/run-id': 'r-oom' } }, { afterMs: 100 });
    try {
      const pending = pythonTaskJob("print('x')", { runId: 'r-unsched', attributes: { memory: '65536' } });
      await client.createJob('default', pending.job);
      const stuck = await waitForPod(client, 'default', pending.selector, (p) => !!p.status?.conditions?.some((c) => c.reason === 'Unschedulable'));
      const events = await client.listEvents('default', stuck.metadata!.name!);
      const early = classifyPod(stuck, events, Date.now(), POLICY);
      assert.deepEqual([early.state, early.terminal, early.reason], ['pending', false, 'FailedScheduling']);
      assert.match(early.message!, /needs 61 GiB memory; 0\/3 nodes have that free/);
      assert.equal(classifyPod(stuck, events, Date.now() + 61_000, POLICY).terminal, true);

      const killed = pythonTaskJob('import time\ntime.sleep(30)', { runId: 'r-oom', attributes: { memory: '512' } });
      await client.createJob('default', killed.job);
      const dead = await waitForPod(client, 'default', killed.selector, finished);
      const verdict = classifyPod(dead, [], Date.now(), { ...POLICY, memoryLimit: '512M' });
      assert.deepEqual([verdict.state, verdict.reason, verdict.retryable], ['failed', 'OOMKilled', true]);
      assert.match(verdict.message!, /ran out of memory \(limit 512M\)/);
    } finally {
      unschedulable.remove();
      oom.remove();
    }
  });

  it("cancels a run by deleting its Jobs in the foreground: no Job and no pod remain", async () => {
    const runId = 'r-cancel';
    const a = pythonTaskJob('import time\ntime.sleep(60)', { runId });
    const b = pythonTaskJob('import time\ntime.sleep(60)', { runId });
    const other = pythonTaskJob("print('kept')", { runId: 'r-other' });
    await Promise.all([client.createJob('default', a.job), client.createJob('default', b.job), client.createJob('default', other.job)]);
    await waitForPod(client, 'default', a.selector, (p) => p.status?.phase === 'Running');
    const selector = runLabelSelector('ClientFlow', runId);
    assert.equal(await client.deleteJobs('default', selector), 2);
    const deadline = Date.now() + 20_000;
    while ((await client.listJobs('default', selector)).length > 0 || (await client.listPods('default', selector)).length > 0) {
      assert.ok(Date.now() < deadline, 'the run\'s Jobs and pods are gone');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await client.listJobs('default', runLabelSelector('ClientFlow', 'r-other'))).length, 1, 'other runs keep their Jobs');
    await client.deleteJob('default', 'no-such-job');
  });
});
