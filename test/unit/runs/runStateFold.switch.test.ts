// Switches: a branch counts only once its task starts; steps after a switch are not succeeded while
// a decision is outstanding; a self-looping switch counts each iteration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStateFold } from '../../../src/runs/runStateFold';
import { EventScript, fixtureFlow } from './script';

const statuses = (fold: RunStateFold) => Object.fromEntries([...fold.state.steps.values()].map((s) => [s.name, s.status]));
const expected = (fold: RunStateFold) => Object.fromEntries([...fold.state.steps.values()].map((s) => [s.name, s.expected]));

test('switch inside a foreach: branches unknown until taken, the join follows the foreach', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/switch_in_foreach_flow.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1', { splits: 3 });
  s.events.forEach((e) => fold.apply(e));
  assert.deepEqual(expected(fold), { start: 1, route: 3, big: undefined, small: undefined, after: undefined, join: 1, end: 1 });
  assert.equal(fold.state.tasksTotal, 1 + 3 + 1 + 1, 'the switch branches are unknown, not expected');

  // route[0] chooses small; its task finishes before the other switch tasks decide.
  const t = new EventScript(flow.name, s.runId, 2_000_000)
    .task('route', '2', { foreach: [0] })
    .task('small', '5', { foreach: [0] })
    .task('after', '6', { foreach: [0] });
  t.events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.steps.get('small')!.expected, 1);
  assert.equal(statuses(fold).small, 'pending', 'two switch tasks have not decided yet');
  assert.equal(statuses(fold).after, 'pending');
  assert.equal(fold.state.tasksTotal, 1 + 3 + 1 + 1 + 1 + 1);

  // A switch task that finished but whose branch has not started yet keeps its branches open.
  const u = new EventScript(flow.name, s.runId, 3_000_000).task('route', '3', { foreach: [1] }).task('route', '4', { foreach: [2] });
  u.events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).route, 'succeeded');
  assert.equal(statuses(fold).small, 'pending');
  const v = new EventScript(flow.name, s.runId, 4_000_000)
    .task('big', '7', { foreach: [1] })
    .task('big', '8', { foreach: [2] });
  v.events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).small, 'succeeded');
  assert.equal(statuses(fold).big, 'succeeded');
  assert.equal(fold.state.steps.get('after')!.expected, 3);
  assert.equal(statuses(fold).after, 'pending');
  const w = new EventScript(flow.name, s.runId, 5_000_000).task('after', '9', { foreach: [1] }).task('after', '10', { foreach: [2] }).task('join', '11').task('end', '12').runFinished();
  w.events.forEach((e) => fold.apply(e));
  assert.ok(Object.values(statuses(fold)).every((x) => x === 'succeeded'));
  assert.equal(fold.state.tasksTotal, 12);
  assert.equal(fold.state.tasksFinished, 12);
});

test('a branch not taken is idle once the run ends', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/switch_in_foreach_flow.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1', { splits: 1 }).task('route', '2', { foreach: [0] });
  s.events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).big, 'pending');
  new EventScript(flow.name, s.runId, 2_000_000).task('big', '3').task('after', '4').task('join', '5').task('end', '6').runFinished().events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).small, 'idle');
  assert.equal(statuses(fold).big, 'succeeded');
  assert.equal(fold.state.tasksTotal, fold.state.tasksFinished);
});

test('a switch looping to itself counts one task per iteration', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/switch_loop_flow.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1').task('loop', '2');
  s.events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).loop, 'pending', 'its decision is outstanding');
  assert.equal(fold.state.tasksTotal, 2);
  const t = new EventScript(flow.name, s.runId, 2_000_000).start('loop', '3');
  t.events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.steps.get('loop')!.expected, 2);
  assert.equal(statuses(fold).loop, 'running');
  const u = new EventScript(flow.name, s.runId, 3_000_000).finish('loop', '3').task('loop', '4').start('end', '5');
  u.events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).loop, 'succeeded');
  assert.equal(fold.state.steps.get('loop')!.expected, 3);
  assert.equal(fold.state.steps.get('end')!.expected, 1);
  assert.equal(fold.state.tasksTotal, 5);
  new EventScript(flow.name, s.runId, 4_000_000).finish('end', '5').runFinished().events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.tasksFinished, 5);
  assert.equal(fold.state.tasksTotal, 5);
});
