// The REST surface itself: authentication, unknown paths, watch semantics (resume, bookmarks, 410 Gone,
// timeoutSeconds, dropped connections), strict validation against the official schemas, and the Argo
// custom resources (create/get/list/update/patch/delete, dryRun=All).
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type KubeSimulator, startKubeSimulator } from '../../support/kubeSim';
import { type Clients, clients, pythonJob, statusOf } from './simClient';

type Raw = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function raw(sim: KubeSimulator, path: string, options: { method?: string; token?: string | null; body?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  const token = options.token === undefined ? tokenOf(sim) : options.token;
  return new Promise((resolve, reject) => {
    const req = request(`${sim.server}${path}`, { method: options.method ?? 'GET', ca: sim.caCert, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json', ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function tokenOf(sim: KubeSimulator): string {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  return kc.getCurrentUser()!.token!;
}

/** Collects a watch's events until `until` holds or the server ends the stream. */
function collectWatch(sim: KubeSimulator, path: string, until: (events: { type: string; object: Record<string, unknown> }[]) => boolean, timeoutMs = 10000): Promise<{ events: { type: string; object: Record<string, unknown> }[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: Record<string, unknown> }[] = [];
    let buffer = '';
    let done = false;
    const finish = (ended: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ events, ended });
    };
    const timer = setTimeout(() => (done ? undefined : reject(new Error(`watch ${path}: condition not met in ${timeoutMs} ms: ${JSON.stringify(events.map((e) => e.type))}`))), timeoutMs);
    const req = request(`${sim.server}${path}`, { ca: sim.caCert, headers: { Authorization: `Bearer ${tokenOf(sim)}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buffer += d;
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, i)));
          buffer = buffer.slice(i + 1);
        }
        if (until(events)) finish(false);
      });
      res.on('end', () => finish(true));
      res.on('error', () => finish(true));
    });
    req.on('error', () => finish(true));
    req.end();
  });
}

const WFT = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'WorkflowTemplate',
  metadata: { name },
  spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'python:3.11', command: ['python3', '-c', 'print(1)'] }, retryStrategy: { limit: 2 } }], ...extra },
});

describe('Kubernetes simulator: API surface', () => {
  let sim: KubeSimulator;
  let c: Clients;

  before(async () => {
    sim = await startKubeSimulator({ bookmarkIntervalMs: 200, historyLimit: 50 });
    c = clients(sim);
  });
  after(async () => sim?.stop());

  it('requires the kubeconfig bearer token and answers unknown paths 404 with a Status', async () => {
    const anonymous = await raw(sim, '/api/v1/namespaces', { token: null });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(JSON.parse(anonymous.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    const wrong = await raw(sim, '/api/v1/namespaces', { token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    const unknown = await raw(sim, '/apis/apps/v1/namespaces/default/deployments');
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).reason, 'NotFound');
    const version = JSON.parse((await raw(sim, '/version')).body);
    assert.match(version.gitVersion, /^v1\.\d+\.\d+$/);
    const batch = JSON.parse((await raw(sim, '/apis/batch/v1')).body);
    assert.ok(batch.resources.some((r: { name: string; namespaced: boolean }) => r.name === 'jobs' && r.namespaced));
  });

  it('namespaces and service accounts: create, get, list; a new namespace gets a default service account', async () => {
    const ns = await c.core.createNamespace({ body: { metadata: { name: 'team-a' } } });
    assert.equal(ns.status?.phase, 'Active');
    assert.equal((await c.core.readNamespace({ name: 'team-a' })).metadata?.uid, ns.metadata?.uid);
    assert.ok((await c.core.listNamespace()).items.some((n) => n.metadata?.name === 'team-a'));
    await c.core.readNamespacedServiceAccount({ namespace: 'team-a', name: 'default' });
    const sa = await c.core.createNamespacedServiceAccount({ namespace: 'team-a', body: { metadata: { name: 'runner', annotations: { 'azure.workload.identity/client-id': 'abc' } } } });
    assert.equal(sa.metadata?.namespace, 'team-a');
    await assert.rejects(c.core.createNamespacedServiceAccount({ namespace: 'team-a', body: { metadata: { name: 'runner' } } }), (e) => {
      assert.equal(statusOf(e).code, 409);
      assert.equal(statusOf(e).reason, 'AlreadyExists');
      assert.equal(statusOf(e).message, 'serviceaccounts "runner" already exists');
      return true;
    });
    assert.deepEqual((await c.core.listNamespacedServiceAccount({ namespace: 'team-a' })).items.map((s) => s.metadata?.name).sort(), ['default', 'runner']);
  });

  it('rejects an unknown field (strict decoding, naming the field), a wrong type and a missing required value', async () => {
    const unknownField = pythonJob('bad-field', 'print(1)');
    (unknownField.spec!.template.spec!.containers[0] as unknown as Record<string, unknown>).imagePullPolice = 'Always';
    let r = await raw(sim, '/apis/batch/v1/namespaces/default/jobs', { method: 'POST', body: JSON.stringify(unknownField) });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolice"');
    const wrongType = pythonJob('bad-type', 'print(1)', { job: { backoffLimit: 'zero' as unknown as number } });
    r = await raw(sim, '/apis/batch/v1/namespaces/default/jobs', { method: 'POST', body: JSON.stringify(wrongType) });
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body).message, /cannot unmarshal string into Go struct field spec\.backoffLimit of type integer/);
    const noImage = pythonJob('no-image', 'print(1)');
    delete (noImage.spec!.template.spec!.containers[0] as { image?: string }).image;
    r = await raw(sim, '/apis/batch/v1/namespaces/default/jobs', { method: 'POST', body: JSON.stringify(noImage) });
    assert.equal(r.status, 422);
    const status = JSON.parse(r.body);
    assert.equal(status.reason, 'Invalid');
    assert.deepEqual(status.details.causes.map((x: { field: string }) => x.field), ['spec.template.spec.containers[0].image']);
    const always = pythonJob('restart-always', 'print(1)', { pod: { restartPolicy: 'Always' } });
    r = await raw(sim, '/apis/batch/v1/namespaces/default/jobs', { method: 'POST', body: JSON.stringify(always) });
    assert.equal(r.status, 422);
    assert.match(JSON.parse(r.body).message, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
    assert.deepEqual(sim.list('Job', 'default'), []);
  });

  it('generateName gives a unique name; dryRun=All validates without storing', async () => {
    const body = pythonJob('', 'print(1)');
    body.metadata = { generateName: 't-1a2b3c4d-' };
    const dry = await raw(sim, '/apis/batch/v1/namespaces/default/jobs?dryRun=All', { method: 'POST', body: JSON.stringify(body) });
    assert.equal(dry.status, 201);
    assert.match(JSON.parse(dry.body).metadata.name, /^t-1a2b3c4d-[a-z0-9]{5}$/);
    assert.deepEqual(sim.list('Job', 'default'), []);
  });

  it('watch: replays from a resourceVersion, sends bookmarks, answers 410 Gone for a compacted one, honours timeoutSeconds', async () => {
    const sa1 = await c.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'w1' } } });
    const from = sa1.metadata!.resourceVersion!;
    await c.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'w2' } } });
    await c.core.deleteNamespacedServiceAccount({ namespace: 'default', name: 'w1' });
    const replay = await collectWatch(sim, `/api/v1/namespaces/default/serviceaccounts?watch=true&resourceVersion=${from}&allowWatchBookmarks=true`, (ev) => ev.some((e) => e.type === 'BOOKMARK'));
    assert.deepEqual(
      replay.events.map((e) => `${e.type} ${(e.object.metadata as { name?: string }).name ?? ''}`),
      ['ADDED w2', 'DELETED w1', 'BOOKMARK '],
    );
    const bookmark = replay.events[2].object as { kind: string; metadata: { resourceVersion: string } };
    assert.equal(bookmark.kind, 'ServiceAccount');
    assert.ok(Number(bookmark.metadata.resourceVersion) > Number(from));

    // Filtered by selectors: only w3 (label) is seen, w4 is not.
    const labelled = collectWatch(sim, `/api/v1/namespaces/default/serviceaccounts?watch=true&resourceVersion=${bookmark.metadata.resourceVersion}&labelSelector=team%3Dx`, (ev) => ev.length >= 1);
    await c.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'w4' } } });
    await c.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'w3', labels: { team: 'x' } } } });
    assert.deepEqual((await labelled).events.map((e) => (e.object.metadata as { name: string }).name), ['w3']);

    sim.faults.dropWatches({ expireHistory: true });
    const gone = await collectWatch(sim, `/api/v1/namespaces/default/serviceaccounts?watch=true&resourceVersion=${from}`, () => false);
    assert.equal(gone.ended, true);
    assert.equal(gone.events.length, 1);
    assert.equal(gone.events[0].type, 'ERROR');
    const status = gone.events[0].object as { code: number; reason: string; message: string };
    assert.equal(status.code, 410);
    assert.equal(status.reason, 'Expired');
    assert.match(status.message, new RegExp(`^too old resource version: ${from} \\(\\d+\\)$`));

    const started = Date.now();
    const timed = await collectWatch(sim, '/api/v1/namespaces/default/serviceaccounts?watch=true&timeoutSeconds=1', () => false);
    assert.equal(timed.ended, true);
    assert.ok(Date.now() - started >= 900);
    assert.ok(timed.events.every((e) => e.type === 'ADDED'));
  });

  it('dropped watch: open watches are cut, and a client resuming from its last resourceVersion sees what it missed', async () => {
    const seen: string[] = [];
    let lastRv = '';
    const ended = new Promise<void>((resolve) => {
      void new k8s.Watch(c.kc).watch('/api/v1/namespaces/default/serviceaccounts', {}, (type, o: k8s.V1ServiceAccount) => {
        seen.push(`${type} ${o.metadata?.name}`);
        lastRv = o.metadata!.resourceVersion!;
      }, () => resolve());
    });
    await c.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'before-drop' } } });
    for (let i = 0; i < 50 && !seen.includes('ADDED before-drop'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(sim.openWatches() >= 1);
    assert.equal(sim.faults.dropWatches(), 1);
    await ended;
    assert.equal(sim.openWatches(), 0);
    await c.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'during-drop' } } });
    const resumed = await collectWatch(sim, `/api/v1/namespaces/default/serviceaccounts?watch=true&resourceVersion=${lastRv}`, (ev) => ev.length >= 1);
    assert.deepEqual(resumed.events.map((e) => `${e.type} ${(e.object.metadata as { name: string }).name}`), ['ADDED during-drop']);
  });

  it('Argo resources: create, get, list, update with a conflict check, merge patch, dryRun, validation, delete', async () => {
    const group = 'argoproj.io';
    const version = 'v1alpha1';
    const created = (await c.custom.createNamespacedCustomObject({ group, version, namespace: 'default', plural: 'workflowtemplates', body: WFT('trainflow') })) as { metadata: { resourceVersion: string; uid: string; generation: number } };
    assert.equal(created.metadata.generation, 1);
    const got = (await c.custom.getNamespacedCustomObject({ group, version, namespace: 'default', plural: 'workflowtemplates', name: 'trainflow' })) as { metadata: { uid: string } };
    assert.equal(got.metadata.uid, created.metadata.uid);
    const listed = (await c.custom.listNamespacedCustomObject({ group, version, namespace: 'default', plural: 'workflowtemplates' })) as { kind: string; items: { kind: string }[] };
    assert.equal(listed.kind, 'WorkflowTemplateList');
    assert.equal(listed.items[0].kind, 'WorkflowTemplate');

    const updated = (await c.custom.replaceNamespacedCustomObject({ group, version, namespace: 'default', plural: 'workflowtemplates', name: 'trainflow', body: { ...WFT('trainflow', { parallelism: 2 }), metadata: { name: 'trainflow', resourceVersion: created.metadata.resourceVersion } } })) as { metadata: { generation: number }; spec: { parallelism: number } };
    assert.equal(updated.spec.parallelism, 2);
    assert.equal(updated.metadata.generation, 2);
    await assert.rejects(
      c.custom.replaceNamespacedCustomObject({ group, version, namespace: 'default', plural: 'workflowtemplates', name: 'trainflow', body: { ...WFT('trainflow'), metadata: { name: 'trainflow', resourceVersion: created.metadata.resourceVersion } } }),
      (e) => {
        assert.equal(statusOf(e).code, 409);
        assert.equal(statusOf(e).reason, 'Conflict');
        return true;
      },
    );
    const patched = await raw(sim, '/apis/argoproj.io/v1alpha1/namespaces/default/workflowtemplates/trainflow', { method: 'PATCH', body: JSON.stringify({ metadata: { labels: { 'app.kubernetes.io/part-of': 'metaflow' } }, spec: { parallelism: null } }), headers: { 'Content-Type': 'application/merge-patch+json' } });
    assert.equal(patched.status, 200);
    const p = JSON.parse(patched.body);
    assert.equal(p.metadata.labels['app.kubernetes.io/part-of'], 'metaflow');
    assert.equal(p.spec.parallelism, undefined);
    const strategic = await raw(sim, '/apis/argoproj.io/v1alpha1/namespaces/default/workflowtemplates/trainflow', { method: 'PATCH', body: '{}', headers: { 'Content-Type': 'application/strategic-merge-patch+json' } });
    assert.equal(strategic.status, 415);

    const bad = await raw(sim, '/apis/argoproj.io/v1alpha1/namespaces/default/cronworkflows', { method: 'POST', body: JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'c' }, spec: { schedules: ['0 * * * *'], workflowSpec: { workflowTemplateRef: { name: 'trainflow' } }, timezon: 'UTC' } }) });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).message, 'strict decoding error: unknown field "spec.timezon"');
    const dry = await raw(sim, '/apis/argoproj.io/v1alpha1/namespaces/default/cronworkflows?dryRun=All', { method: 'POST', body: JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow', metadata: { name: 'c' }, spec: { schedules: ['0 * * * *'], workflowSpec: { workflowTemplateRef: { name: 'trainflow' } } } }) });
    assert.equal(dry.status, 201);
    assert.deepEqual(sim.list('CronWorkflow', 'default'), []);
    const sensor = await raw(sim, '/apis/argoproj.io/v1alpha1/namespaces/default/sensors', { method: 'POST', body: JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Sensor', metadata: { name: 's' }, spec: { dependencies: [{ name: 'd', eventSourceName: 'argo-events-webhook', eventName: 'metaflow-event' }], triggers: [] } }) });
    assert.equal(sensor.status, 201, sensor.body);
    const wf = await raw(sim, '/apis/argoproj.io/v1alpha1/namespaces/default/workflows', { method: 'POST', body: JSON.stringify({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: 'trainflow-' }, spec: { workflowTemplateRef: { name: 'trainflow' }, arguments: { parameters: [{ name: 'alpha', value: '0.5' }] } } }) });
    assert.equal(wf.status, 201, wf.body);

    await c.custom.deleteNamespacedCustomObject({ group, version, namespace: 'default', plural: 'workflowtemplates', name: 'trainflow' });
    await assert.rejects(c.custom.getNamespacedCustomObject({ group, version, namespace: 'default', plural: 'workflowtemplates', name: 'trainflow' }), (e) => {
      assert.equal(statusOf(e).code, 404);
      assert.equal(statusOf(e).message, 'workflowtemplates.argoproj.io "trainflow" not found');
      return true;
    });
  });

  it('answers a self-subject access review allowed', async () => {
    const review = await raw(sim, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { method: 'POST', body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'create', group: 'batch', resource: 'jobs', namespace: 'default' } } }) });
    assert.equal(review.status, 201);
    assert.equal(JSON.parse(review.body).status.allowed, true);
  });
});
