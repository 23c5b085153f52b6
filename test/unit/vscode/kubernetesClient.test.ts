// The lazily loaded cluster client: calls made before the library is loaded wait for it, a watch or log follow
// stopped before then never starts, and a load failure reaches the caller that meets it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeApi } from '../../../src/runtime/workers/kubernetesPool';
import { lazyKubeApi } from '../../../src/vscode/kubernetesClient';

function fakeClient(calls: string[]): KubeApi {
  return {
    contextName: 'aks-dev',
    preflight: async (input) => void calls.push(`preflight ${input.namespace}`),
    createJob: async (_ns, job) => job,
    deleteJob: async () => undefined,
    listEvents: async () => [],
    readLogs: async (_ns, pod) => `log of ${pod}`,
    watchPods: (ns, selector) => {
      calls.push(`watch ${ns} ${selector}`);
      return { stop: () => calls.push('watch stopped') };
    },
    followLogs: (_ns, pod, _c, onLine) => {
      calls.push(`follow ${pod}`);
      onLine('a line');
      return { stop: () => calls.push('follow stopped'), done: Promise.resolve() };
    },
  };
}

test('calls wait for the load and go to the loaded client', async () => {
  const calls: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const api = lazyKubeApi(async () => {
    await gate;
    return { load: (target) => (calls.push(`load ${target.context} ${target.namespace}`), fakeClient(calls)) };
  }, { context: 'wanted', namespace: 'ml' });
  assert.equal(api.contextName, 'wanted', 'before the load: the context asked for');
  const preflight = api.preflight({ namespace: 'ml' });
  const watch = api.watchPods('ml', 'app=x', () => undefined);
  const lines: string[] = [];
  const follow = api.followLogs('ml', 'p1', 'c', (l) => lines.push(l));
  assert.deepEqual(calls, []);
  release();
  await preflight;
  await follow.done;
  assert.equal(await api.readLogs('ml', 'p2', 'c'), 'log of p2');
  assert.equal(api.contextName, 'aks-dev', 'after the load: the client\'s own');
  watch.stop();
  assert.deepEqual(calls, ['load wanted ml', 'preflight ml', 'watch ml app=x', 'follow p1', 'watch stopped']);
  assert.deepEqual(lines, ['a line']);
});

test('a watch or follow stopped before the load never starts', async () => {
  const calls: string[] = [];
  const api = lazyKubeApi(async () => ({ load: () => fakeClient(calls) }), { namespace: 'default' });
  api.watchPods('default', 's', () => undefined).stop();
  const follow = api.followLogs('default', 'p', 'c', () => undefined);
  follow.stop();
  await follow.done;
  await api.preflight({ namespace: 'default' });
  assert.deepEqual(calls, ['preflight default']);
});

test('a load failure reaches the call that meets it', async () => {
  const api = lazyKubeApi(async () => {
    throw new Error('kubeconfig /x: no such file');
  }, { namespace: 'default' });
  await assert.rejects(api.preflight({ namespace: 'default' }), /no such file/);
  await assert.rejects(api.followLogs('default', 'p', 'c', () => undefined).done, /no such file/);
});
