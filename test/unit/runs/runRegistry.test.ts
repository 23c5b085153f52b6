// RunRegistry over handles shaped like the scheduler's: several runs at once, end notification with the
// final state, a bounded list of recent runs, listener failures kept apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStream } from '../../../src/runtime/eventStream';
import type { RunResult } from '../../../src/runtime/scheduler';
import { RunRegistry, type TrackedRun } from '../../../src/runs/runRegistry';
import { EventScript, fixtureFlow } from './script';

function handle() {
  const events = new EventStream();
  let resolve!: (r: RunResult) => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<RunResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let cancelled = 0;
  return { handle: { events, cancel: () => (cancelled += 1), done }, resolve, reject, cancelled: () => cancelled };
}

const settle = () => new Promise((r) => setImmediate(r));

test('tracks concurrent runs, notifies each change and each end with the final state', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const registry = new RunRegistry();
  const a = handle();
  const b = handle();
  const changes: string[] = [];
  const ended: TrackedRun[] = [];
  registry.onDidChange((r) => changes.push(`${r.state.runId}:${r.state.version}`));
  registry.onDidEnd((r) => ended.push(r));
  const runA = registry.track(a.handle, flow, '/w/linear.py');
  const runB = registry.track(b.handle, flow, '/w/linear.py');
  const sa = new EventScript(flow.name, '100').runStarted().task('start', '1');
  const sb = new EventScript(flow.name, '200').runStarted().start('start', '1');
  sa.events.forEach((e) => a.handle.events.emit(e));
  sb.events.forEach((e) => b.handle.events.emit(e));
  assert.deepEqual(changes, ['100:1', '100:2', '100:3', '200:1', '200:2']);
  assert.equal(registry.active().length, 2);
  assert.equal(registry.get('LinearFlow/200'), runB);
  assert.equal(registry.latest('LinearFlow'), runB);
  assert.equal(runA.state.steps.get('start')!.status, 'succeeded');
  assert.equal(runB.flowFile, '/w/linear.py');

  new EventScript(flow.name, '100', 2_000_000).task('train', '2').task('end', '3').runFinished().events.forEach((e) => a.handle.events.emit(e));
  a.resolve({ status: 'succeeded', runId: '100' });
  await settle();
  assert.equal(ended.length, 1);
  assert.equal(ended[0], runA);
  assert.equal(ended[0].state.status, 'succeeded');
  assert.equal(ended[0].state.tasksFinished, 3);
  assert.deepEqual(registry.active(), [runB]);
  assert.deepEqual(registry.recent(), [runA]);
  assert.equal(registry.get('LinearFlow/100'), runA, 'ended runs stay queryable');

  registry.cancelAll();
  assert.equal(b.cancelled(), 1);
  assert.equal(a.cancelled(), 0);
});

test('a runtime that throws still ends its run, failed with the reason', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const registry = new RunRegistry({ now: () => 9_000_000 });
  const h = handle();
  const run = registry.track(h.handle, flow, 'f.py');
  new EventScript(flow.name, '1').runStarted().start('start', '1').events.forEach((e) => h.handle.events.emit(e));
  const ends: string[] = [];
  registry.onDidEnd((r) => ends.push(r.state.status));
  h.reject(new Error('worker pool crashed'));
  await settle();
  assert.deepEqual(ends, ['failed']);
  assert.equal(run.state.error, 'worker pool crashed');
  assert.equal(run.state.finishedAt, 9_000_000);
});

test('recent runs are bounded, newest first, and filter by flow', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const other = await fixtureFlow('test/fixtures/flows/foreach.py');
  const registry = new RunRegistry({ recentLimit: 3 });
  for (let i = 0; i < 5; i++) {
    const f = i === 4 ? other : flow;
    const h = handle();
    registry.track(h.handle, f, 'f.py');
    new EventScript(f.name, String(i)).runStarted().runFinished('failed', 'x').events.forEach((e) => h.handle.events.emit(e));
    h.resolve({ status: 'failed', runId: String(i) });
    await settle();
  }
  assert.deepEqual(registry.recent().map((r) => r.state.runId), ['4', '3', '2']);
  assert.deepEqual(registry.recent('LinearFlow').map((r) => r.state.runId), ['3', '2']);
  assert.equal(registry.get('LinearFlow/0'), undefined);
  assert.equal(registry.latest(other.name)?.state.runId, '4');
});

test("one listener's exception reaches onListenerError and the others still run", async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const errors: unknown[] = [];
  const registry = new RunRegistry({ onListenerError: (e) => errors.push(e) });
  const h = handle();
  registry.track(h.handle, flow, 'f.py');
  let seen = 0;
  const sub = registry.onDidChange(() => {
    throw new Error('listener bug');
  });
  registry.onDidChange(() => (seen += 1));
  new EventScript(flow.name, '1').runStarted().events.forEach((e) => h.handle.events.emit(e));
  assert.equal(seen, 1);
  assert.equal((errors[0] as Error).message, 'listener bug');
  sub.dispose();
  new EventScript(flow.name, '1', 5).start('start', '1').events.forEach((e) => h.handle.events.emit(e));
  assert.equal(errors.length, 1);
  assert.equal(seen, 2);
});
