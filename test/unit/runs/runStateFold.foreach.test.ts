// Foreach fan-out: counts known once the split task reports num_splits, inherited by the body,
// one join task per split task; nested foreaches sum each inner split's own fan-out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../../src/runtime/events';
import { RunStateFold } from '../../../src/runs/runStateFold';
import { EventScript, fixtureFlow } from './script';

const expected = (fold: RunStateFold) => Object.fromEntries([...fold.state.steps.values()].map((s) => [s.name, s.expected]));
const statuses = (fold: RunStateFold) => Object.fromEntries([...fold.state.steps.values()].map((s) => [s.name, s.status]));

function applyAll(fold: RunStateFold, events: RunEvent[], check?: () => void): void {
  for (const e of events) {
    fold.apply(e);
    assert.ok(fold.state.tasksTotal >= fold.state.tasksFinished, `total ${fold.state.tasksTotal} < finished ${fold.state.tasksFinished} after ${e.event}`);
    check?.();
  }
}

test('foreach: body and join counts follow num_splits', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/foreach.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().start('start', '1');
  applyAll(fold, s.events);
  // The fan-out is not known yet: body counts only what starts; join and end follow their split's one task.
  assert.deepEqual(expected(fold), { start: 1, process: undefined, join: 1, end: 1 });
  assert.equal(fold.state.tasksTotal, 3);

  const t = new EventScript(flow.name, s.runId, 2_000_000).finish('start', '1', { splits: 4 });
  for (let i = 0; i < 4; i++) t.start('process', String(i + 2), { foreach: [i] });
  t.finish('process', '2').finish('process', '3');
  applyAll(fold, t.events);
  assert.deepEqual(expected(fold), { start: 1, process: 4, join: 1, end: 1 });
  assert.equal(fold.state.tasksTotal, 7);
  assert.equal(fold.state.tasksFinished, 3);
  const step = fold.state.steps.get('process')!;
  assert.equal(step.running, 2);
  assert.equal(step.succeeded, 2);
  assert.equal(step.status, 'running');
  assert.deepEqual(fold.state.tasks.get('process/4')!.foreachIndices, [2]);
  assert.equal(fold.state.tasks.get('start/1')!.numSplits, 4);
  assert.deepEqual(fold.stepRunStates().process, { status: 'running', tasksDone: 2, tasksTotal: 4, tasksFailed: 0, retries: 0, message: undefined });

  const u = new EventScript(flow.name, s.runId, 3_000_000).finish('process', '4').finish('process', '5');
  applyAll(fold, u.events);
  assert.equal(statuses(fold).process, 'succeeded');
  assert.equal(statuses(fold).join, 'pending');
  applyAll(fold, new EventScript(flow.name, s.runId, 4_000_000).task('join', '6').task('end', '7').runFinished().events);
  assert.equal(fold.state.tasksTotal, 7);
  assert.equal(fold.state.tasksFinished, 7);
});

test('a foreach body step is not succeeded while later splits can still arrive', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/foreach.py');
  const fold = new RunStateFold(flow);
  // Tasks of the body all done, but a queued one not started yet: pending, not succeeded.
  const s = new EventScript(flow.name).runStarted().task('start', '1', { splits: 3 }).task('process', '2', { foreach: [0] }).task('process', '3', { foreach: [1] });
  applyAll(fold, s.events);
  assert.equal(statuses(fold).process, 'pending');
  assert.equal(fold.state.tasksTotal, 6);
});

test('nested foreach: inner body sums each inner split, joins one per split task', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/nested_foreach_flow.py');
  assert.deepEqual(flow.steps.map((st) => st.type), ['split-foreach', 'split-foreach', 'linear', 'join', 'join', 'end']);
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1', { splits: 2 }).start('mid', '2', { foreach: [0] }).start('mid', '3', { foreach: [1] });
  applyAll(fold, s.events);
  assert.deepEqual(expected(fold), { start: 1, mid: 2, leaf: undefined, inner_join: 2, outer_join: 1, end: 1 });
  assert.equal(fold.state.tasksTotal, 1 + 2 + 2 + 1 + 1);

  const t = new EventScript(flow.name, s.runId, 2_000_000).finish('mid', '2', { splits: 3 });
  applyAll(fold, t.events);
  assert.equal(fold.state.steps.get('leaf')!.expected, 3, 'one inner split known: a lower bound');
  assert.equal(fold.state.tasksTotal, 10);
  const early = new EventScript(flow.name, s.runId, 2_500_000).task('leaf', '20', { foreach: [0, 0] }).task('leaf', '21', { foreach: [0, 1] }).task('leaf', '22', { foreach: [0, 2] });
  applyAll(fold, early.events);
  assert.equal(statuses(fold).leaf, 'pending', 'every leaf task known so far is done, but mid[1] has not fanned out yet');
  assert.equal(statuses(fold).mid, 'running');
  const u = new EventScript(flow.name, s.runId, 3_000_000).finish('mid', '3', { splits: 5 });
  applyAll(fold, u.events);
  assert.equal(fold.state.steps.get('leaf')!.expected, 8);
  assert.equal(fold.state.tasksTotal, 1 + 2 + 8 + 2 + 1 + 1);

  assert.equal(statuses(fold).leaf, 'pending', 'five more leaf tasks to come');
  const v = new EventScript(flow.name, s.runId, 4_000_000);
  let id = 4;
  for (let i = 0; i < 5; i++) v.task('leaf', String(id++), { foreach: [1, i] });
  v.task('inner_join', String(id++), { foreach: [0] }).task('inner_join', String(id++), { foreach: [1] });
  v.task('outer_join', String(id++)).task('end', String(id++)).runFinished();
  applyAll(fold, v.events);
  assert.equal(fold.state.tasksTotal, 15);
  assert.equal(fold.state.tasksFinished, 15);
  assert.ok([...fold.state.steps.values()].every((st) => st.status === 'succeeded'));
});

test('num_parallel fan-out is counted like a foreach', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/parallel_flow.py');
  const split = flow.steps.find((st) => st.type === 'split-parallel')!;
  const body = split.next[0];
  const join = flow.steps.find((st) => st.type === 'join')!;
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted();
  let id = 1;
  for (const st of flow.steps) {
    if (st.name === body) break;
    s.task(st.name, String(id++), { splits: st.name === split.name ? 3 : undefined });
  }
  applyAll(fold, s.events);
  assert.equal(fold.state.steps.get(body)!.expected, 3);
  assert.equal(fold.state.steps.get(join.name)!.expected, 1);
});
