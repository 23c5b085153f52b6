// Proof that the simulator speaks the real API: the real kubectl binary, given only the generated
// kubeconfig, lists jobs and pods, describes a pod (with its Events), follows a running pod's log and
// deletes a job.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { type KubeSimulator, startKubeSimulator } from '../../support/kubeSim';
import { type Clients, clients, finishedPod, podsOf, pythonJob, waitFor } from './simClient';

describe('Kubernetes simulator: the real kubectl', () => {
  let sim: KubeSimulator;
  let c: Clients;
  let home: string;

  // Never spawnSync: the simulator answers from this same process.
  function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', sim.kubeconfigPath, '--cache-dir', join(home, 'cache'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, timeout: 60000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'mfs-kubectl-home-'));
    sim = await startKubeSimulator();
    c = clients(sim);
  });
  after(async () => {
    await sim?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('get jobs, get pods -o json, describe pod', async () => {
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('hello', "print('hi from the pod')") });
    const pod = await finishedPod(c.kc, 'hello');
    const podName = pod.metadata!.name!;

    const jobs = await kubectl('get', 'jobs');
    assert.equal(jobs.code, 0, jobs.stderr);
    const [header, row] = jobs.stdout.trim().split('\n');
    assert.match(header, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    assert.match(row, /^hello\s+Complete\s+1\/1\s+/);

    const pods = await kubectl('get', 'pods', '-o', 'json');
    assert.equal(pods.code, 0, pods.stderr);
    const list = JSON.parse(pods.stdout) as { items: k8s.V1Pod[] };
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0].metadata?.name, podName);
    assert.equal(list.items[0].status?.phase, 'Succeeded');
    assert.equal(list.items[0].metadata?.labels?.['job-name'], 'hello');

    const described = await kubectl('describe', 'pod', podName);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`^Name:\\s+${podName}$`, 'm'));
    assert.match(described.stdout, /^Status:\s+Succeeded$/m);
    assert.match(described.stdout, /^Controlled By:\s+Job\/hello$/m);
    assert.match(described.stdout, /Reason:\s+Completed/);
    assert.match(described.stdout, /Exit Code:\s+0/);
    assert.match(described.stdout, new RegExp(`Normal\\s+Scheduled\\s+.*default-scheduler\\s+Successfully assigned default/${podName} to `));
    assert.match(described.stdout, /Normal\s+Started\s+.*kubelet\s+Started container main/);
  });

  it('logs -f follows a running pod until it exits', async () => {
    const code = "import time\nfor i in range(4):\n    print('tick', i, flush=True)\n    time.sleep(0.4)\n";
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('ticker', code) });
    const running = await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=ticker' }, (p) => p.status?.phase === 'Running');
    const logs = await kubectl('logs', '-f', running.metadata!.name!);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'tick 0\ntick 1\ntick 2\ntick 3\n');
  });

  it('delete job removes the job and (background propagation) its pods', async () => {
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('sleeper', 'import time; time.sleep(60)') });
    await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=sleeper' }, (p) => p.status?.phase === 'Running');
    const deleted = await kubectl('delete', 'job', 'sleeper');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), 'job.batch "sleeper" deleted');
    assert.equal(sim.get('Job', 'default', 'sleeper'), undefined);
    for (let i = 0; i < 100 && (await podsOf(c.core, 'sleeper')).length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await podsOf(c.core, 'sleeper'), []);
    const missing = await kubectl('get', 'job', 'sleeper');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Error from server \(NotFound\): jobs\.batch "sleeper" not found/);
  });
});
