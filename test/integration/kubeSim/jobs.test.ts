// The simulator's job controller and kubelet, driven only through @kubernetes/client-node and the
// generated kubeconfig: a python3 pod to Succeeded, live logs, termination messages, deadlines, the
// pod's environment and its private files, deletion with propagation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import { type KubeSimulator, startKubeSimulator, WI_CLIENT_ID_ANNOTATION } from '../../support/kubeSim';
import { type Clients, clients, finishedJob, finishedPod, podsOf, pythonJob, statusOf, waitFor } from './simClient';

describe('Kubernetes simulator: jobs and pods', () => {
  let sim: KubeSimulator;
  let c: Clients;

  before(async () => {
    sim = await startKubeSimulator({
      namespaces: ['default', 'kube-system', 'ml'],
      serviceAccounts: [{ namespace: 'ml', name: 'runner', annotations: { [WI_CLIENT_ID_ANNOTATION]: '00000000-1111-2222-3333-444444444444' } }],
      workloadIdentity: { tenantId: 'tenant-1', authorityHost: 'https://login.example.test/' },
      extraPodEnv: { SIM_TRUST_STORE: '/etc/ssl/certs/extra.pem' },
    });
    c = clients(sim);
  });
  after(async () => sim?.stop());

  it('runs a Job whose pod prints with python3, to Succeeded, with its log and Events', async () => {
    const job = await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('hello', "print('hi')") });
    assert.equal(job.metadata?.name, 'hello');
    assert.match(job.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.match(job.metadata?.resourceVersion ?? '', /^\d+$/);
    assert.equal(job.spec?.completions, 1);
    assert.equal(job.spec?.template.metadata?.labels?.['job-name'], 'hello');
    const pod = await finishedPod(c.kc, 'hello');
    assert.equal(pod.status?.phase, 'Succeeded');
    assert.match(pod.metadata?.name ?? '', /^hello-[a-z0-9]{5}$/);
    assert.equal(pod.metadata?.labels?.['controller-uid'], job.metadata?.uid);
    assert.equal(pod.metadata?.labels?.['batch.kubernetes.io/job-name'], 'hello');
    assert.equal(pod.metadata?.ownerReferences?.[0]?.uid, job.metadata?.uid);
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(terminated?.exitCode, 0);
    assert.equal(terminated?.reason, 'Completed');
    const log = await c.core.readNamespacedPodLog({ namespace: 'default', name: pod.metadata!.name! });
    assert.equal(log, 'hi\n');
    const stamped = await c.core.readNamespacedPodLog({ namespace: 'default', name: pod.metadata!.name!, timestamps: true });
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z hi\n$/);
    const done = await finishedJob(c.kc, 'hello');
    assert.equal(done.status?.succeeded, 1);
    assert.ok(done.status?.conditions?.some((x) => x.type === 'Complete' && x.status === 'True'));
    const events = await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${pod.metadata!.name}` });
    assert.deepEqual(
      events.items.map((e) => e.reason),
      ['Scheduled', 'Pulled', 'Created', 'Started'],
    );
    const jobEvents = await c.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.kind=Job,involvedObject.name=hello' });
    assert.deepEqual(jobEvents.items.map((e) => e.reason), ['SuccessfulCreate', 'Completed']);
  });

  it('streams a running container log with follow until the container exits', async () => {
    const code = "import time\nfor i in range(4):\n    print('line', i, flush=True)\n    time.sleep(0.4)\n";
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('follow', code) });
    const running = await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=follow' }, (p) => p.status?.phase === 'Running');
    const out = new PassThrough();
    const arrivals: { text: string; at: number }[] = [];
    out.on('data', (d: Buffer) => arrivals.push({ text: d.toString(), at: Date.now() }));
    const ended = new Promise<void>((resolve) => out.on('end', () => resolve()));
    await new k8s.Log(c.kc).log('default', running.metadata!.name!, 'main', out, { follow: true });
    await ended;
    assert.equal(arrivals.map((a) => a.text).join(''), 'line 0\nline 1\nline 2\nline 3\n');
    // Streamed as printed, not delivered in one piece at the end.
    assert.ok(arrivals.length >= 2, `expected the log in several pieces, got ${JSON.stringify(arrivals)}`);
    assert.ok(arrivals[arrivals.length - 1].at - arrivals[0].at >= 300);
  });

  it('serves tailLines and rejects a container that is not in the pod', async () => {
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('tail', "for i in range(5): print(i)") });
    const pod = await finishedPod(c.kc, 'tail');
    const tail = await c.core.readNamespacedPodLog({ namespace: 'default', name: pod.metadata!.name!, tailLines: 2 });
    assert.equal(tail, '3\n4\n');
    await assert.rejects(c.core.readNamespacedPodLog({ namespace: 'default', name: pod.metadata!.name!, container: 'other' }), (e) => {
      assert.equal(statusOf(e).code, 400);
      assert.match(statusOf(e).message, /container other is not valid for pod tail-/);
      return true;
    });
  });

  it('gives each pod its own termination message file and emptyDir volume', async () => {
    const code = "import os,sys\nopen('/mnt/out/who','w').write(os.environ['POD'])\nopen('/dev/termination-log','w').write('result:'+os.environ['POD'])\nsys.exit(int(os.environ['CODE']))\n";
    const spec = (name: string, exit: string) =>
      pythonJob(name, code, {
        container: {
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'CODE', value: exit }],
          volumeMounts: [{ name: 'out', mountPath: '/mnt/out' }],
        },
        pod: { volumes: [{ name: 'out', emptyDir: {} }] },
      });
    await Promise.all([c.batch.createNamespacedJob({ namespace: 'default', body: spec('term-a', '0') }), c.batch.createNamespacedJob({ namespace: 'default', body: spec('term-b', '3') })]);
    const [a, b] = await Promise.all([finishedPod(c.kc, 'term-a'), finishedPod(c.kc, 'term-b')]);
    assert.equal(a.status?.containerStatuses?.[0]?.state?.terminated?.message, `result:${a.metadata!.name}`);
    assert.equal(b.status?.phase, 'Failed');
    const bt = b.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(bt?.exitCode, 3);
    assert.equal(bt?.reason, 'Error');
    assert.equal(bt?.message, `result:${b.metadata!.name}`);
    assert.equal(readFileSync(join(sim.podVolumePath(a.metadata!.uid!, 'out'), 'who'), 'utf8'), a.metadata!.name);
    assert.equal(readFileSync(join(sim.podVolumePath(b.metadata!.uid!, 'out'), 'who'), 'utf8'), b.metadata!.name);
    const failedJob = await finishedJob(c.kc, 'term-b');
    const failed = failedJob.status?.conditions?.find((x) => x.type === 'Failed');
    assert.equal(failed?.reason, 'BackoffLimitExceeded');
    assert.equal(failedJob.status?.failed, 1);
    assert.equal((await podsOf(c.core, 'term-b')).length, 1, 'backoffLimit 0: no second pod');
  });

  it('falls back to the last log lines as the message with FallbackToLogsOnError', async () => {
    const body = pythonJob('fallback', "import sys\nprint('working')\nraise SystemExit('boom: the step failed')", { container: { terminationMessagePolicy: 'FallbackToLogsOnError' } });
    await c.batch.createNamespacedJob({ namespace: 'default', body });
    const pod = await finishedPod(c.kc, 'fallback');
    const t = pod.status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(t?.exitCode, 1);
    assert.equal(t?.message, 'working\nboom: the step failed\n');
  });

  it('kills a pod past its activeDeadlineSeconds (DeadlineExceeded) and fails a Job past its own', async () => {
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('pod-deadline', 'import time; time.sleep(60)', { pod: { activeDeadlineSeconds: 1 } }) });
    const pod = await finishedPod(c.kc, 'pod-deadline');
    assert.equal(pod.status?.phase, 'Failed');
    assert.equal(pod.status?.reason, 'DeadlineExceeded');
    assert.equal(pod.status?.message, 'Pod was active on the node longer than the specified deadline');
    assert.notEqual(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);

    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('job-deadline', 'import time; time.sleep(60)', { job: { activeDeadlineSeconds: 1 } }) });
    const job = await finishedJob(c.kc, 'job-deadline');
    const failed = job.status?.conditions?.find((x) => x.type === 'Failed');
    assert.equal(failed?.reason, 'DeadlineExceeded');
    assert.equal(failed?.message, 'Job was active longer than specified deadline');
  });

  it('gives the container its env: values, the downward API, envFrom accepted, the image PATH and extra env; $(VAR) expanded', async () => {
    const code = 'import json,os,shutil; print(json.dumps({k: os.environ.get(k) for k in ["A","B","NAME","NS","UID","SA","HOST_IP","POD_IP","PATH","SIM_TRUST_STORE","HOME"]} | {"python3": shutil.which("python3"), "cwd": os.getcwd()}))';
    const body = pythonJob('env', code, {
      container: {
        args: [],
        env: [
          { name: 'A', value: 'x' },
          { name: 'B', value: '$(A)-y' },
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        envFrom: [{ secretRef: { name: 'some-secret' } }, { configMapRef: { name: 'some-config', optional: true } }],
      },
    });
    await c.batch.createNamespacedJob({ namespace: 'default', body });
    const pod = await finishedPod(c.kc, 'env');
    assert.equal(pod.status?.phase, 'Succeeded', sim.podLog('default', pod.metadata!.name!));
    const env = JSON.parse(await c.core.readNamespacedPodLog({ namespace: 'default', name: pod.metadata!.name! })) as Record<string, string>;
    assert.equal(env.A, 'x');
    assert.equal(env.B, 'x-y');
    assert.equal(env.NAME, pod.metadata!.name);
    assert.equal(env.NS, 'default');
    assert.equal(env.UID, pod.metadata!.uid);
    assert.equal(env.SA, 'default');
    assert.equal(env.HOST_IP, pod.status?.hostIP);
    assert.equal(env.POD_IP, pod.status?.podIP);
    assert.equal(env.PATH, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(env.python3, '/usr/bin/python3');
    assert.equal(env.SIM_TRUST_STORE, '/etc/ssl/certs/extra.pem');
    assert.notEqual(env.cwd, process.cwd());
  });

  it('injects workload identity into an opted-in pod whose service account names a client id', async () => {
    const code = "import base64,json,os\nt=open(os.environ['AZURE_FEDERATED_TOKEN_FILE']).read().split('.')[1]\nclaims=json.loads(base64.urlsafe_b64decode(t+'='*(-len(t)%4)))\nprint(json.dumps({k: os.environ.get(k) for k in ['AZURE_CLIENT_ID','AZURE_TENANT_ID','AZURE_AUTHORITY_HOST']} | {'sub': claims['sub'], 'aud': claims['aud'], 'iss': claims['iss']}))";
    const body = pythonJob('wi', code, { labels: { 'azure.workload.identity/use': 'true' }, pod: { serviceAccountName: 'runner' } });
    await c.batch.createNamespacedJob({ namespace: 'ml', body });
    const pod = await finishedPod(c.kc, 'wi', 'ml');
    assert.equal(pod.status?.phase, 'Succeeded', sim.podLog('ml', pod.metadata!.name!));
    const out = JSON.parse(await c.core.readNamespacedPodLog({ namespace: 'ml', name: pod.metadata!.name! })) as Record<string, unknown>;
    assert.deepEqual(out, {
      AZURE_CLIENT_ID: '00000000-1111-2222-3333-444444444444',
      AZURE_TENANT_ID: 'tenant-1',
      AZURE_AUTHORITY_HOST: 'https://login.example.test/',
      sub: 'system:serviceaccount:ml:runner',
      aud: ['api://AzureADTokenExchange'],
      iss: sim.serviceAccountIssuer.issuer,
    });
    // Without the label nothing is injected.
    await c.batch.createNamespacedJob({ namespace: 'ml', body: pythonJob('no-wi', "import os; print(os.environ.get('AZURE_CLIENT_ID'))", { pod: { serviceAccountName: 'runner' } }) });
    const plain = await finishedPod(c.kc, 'no-wi', 'ml');
    assert.equal(await c.core.readNamespacedPodLog({ namespace: 'ml', name: plain.metadata!.name! }), 'None\n');
  });

  it('deletes a running Job in the foreground: the pod process is killed, then the Job goes', async () => {
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('cancel-me', "import os,time\nprint(os.getpid(), flush=True)\ntime.sleep(60)") });
    const running = await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=cancel-me' }, (p) => p.status?.phase === 'Running');
    let pid = 0;
    for (let i = 0; i < 50 && !pid; i++) {
      pid = Number((sim.podLog('default', running.metadata!.name!) ?? '').trim());
      if (!pid) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(pid > 0);
    const seen: string[] = [];
    const gone = waitFor<k8s.V1Job>(c.kc, '/apis/batch/v1/namespaces/default/jobs', { fieldSelector: 'metadata.name=cancel-me' }, (j, type) => {
      seen.push(`${type}${j.metadata?.deletionTimestamp ? ' marked' : ''}`);
      return type === 'DELETED';
    });
    await c.batch.deleteNamespacedJob({ namespace: 'default', name: 'cancel-me', propagationPolicy: 'Foreground' });
    await gone;
    // The Job was first marked (deletionTimestamp, foregroundDeletion) and went only after its pod.
    assert.ok(seen.includes('MODIFIED marked'), seen.join(', '));
    assert.deepEqual(await podsOf(c.core, 'cancel-me'), []);
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    await assert.rejects(c.batch.readNamespacedJob({ namespace: 'default', name: 'cancel-me' }), (e) => {
      assert.equal(statusOf(e).code, 404);
      assert.equal(statusOf(e).message, 'jobs.batch "cancel-me" not found');
      return true;
    });
  });

  it('orphans the pods by default and deletes a collection of Jobs by label (background)', async () => {
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('orphan', 'print(1)') });
    await finishedPod(c.kc, 'orphan');
    await c.batch.deleteNamespacedJob({ namespace: 'default', name: 'orphan' });
    const [left] = await podsOf(c.core, 'orphan');
    assert.ok(left, 'the pod stays');
    assert.equal(left.metadata?.ownerReferences, undefined);

    const labels = { run: 'r42' };
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('coll-a', 'import time; time.sleep(60)', { labels }) });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('coll-b', 'import time; time.sleep(60)', { labels }) });
    await c.batch.createNamespacedJob({ namespace: 'default', body: pythonJob('coll-keep', 'print(1)') });
    await waitFor<k8s.V1Pod>(c.kc, '/api/v1/namespaces/default/pods', { labelSelector: 'job-name=coll-b' }, (p) => p.status?.phase === 'Running');
    await c.batch.deleteCollectionNamespacedJob({ namespace: 'default', labelSelector: 'run=r42', propagationPolicy: 'Background' });
    const names = (await c.batch.listNamespacedJob({ namespace: 'default' })).items.map((j) => j.metadata!.name);
    assert.ok(names.includes('coll-keep'));
    assert.ok(!names.includes('coll-a') && !names.includes('coll-b'));
    for (let i = 0; i < 100 && (await c.core.listNamespacedPod({ namespace: 'default', labelSelector: 'run=r42' })).items.length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual((await c.core.listNamespacedPod({ namespace: 'default', labelSelector: 'run=r42' })).items, []);
  });

  it('refuses a pod whose service account does not exist, and a Job in a namespace that does not', async () => {
    await assert.rejects(
      c.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'nosa' }, spec: { serviceAccountName: 'ghost', restartPolicy: 'Never', containers: [{ name: 'main', image: 'python:3.11', command: ['true'] }] } } }),
      (e) => {
        assert.equal(statusOf(e).code, 403);
        assert.match(statusOf(e).message, /serviceaccount "ghost" not found/);
        return true;
      },
    );
    await assert.rejects(c.batch.createNamespacedJob({ namespace: 'nowhere', body: pythonJob('x', 'print(1)') }), (e) => {
      assert.equal(statusOf(e).code, 404);
      assert.equal(statusOf(e).message, 'namespaces "nowhere" not found');
      return true;
    });
  });
});
