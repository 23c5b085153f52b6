// The fold on linear and static-split flows: statuses, counts, durations, logs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStateFold } from '../../../src/runs/runStateFold';
import { EventScript, fixtureFlow } from './script';

const statuses = (fold: RunStateFold) => Object.fromEntries([...fold.state.steps.values()].map((s) => [s.name, s.status]));

test('every step exists before run_started, idle; the run has no id yet', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const fold = new RunStateFold(flow, { createdAt: 42 });
  assert.deepEqual([...fold.state.steps.keys()], ['start', 'train', 'end']);
  assert.deepEqual(statuses(fold), { start: 'idle', train: 'idle', end: 'idle' });
  assert.equal(fold.state.runId, '');
  assert.equal(fold.state.flow, 'LinearFlow');
  assert.equal(fold.state.startedAt, 42);
  assert.equal(fold.state.tasksTotal, 0);
  assert.equal(fold.state.version, 0);
});

test('linear run: pending, running, succeeded; totals known from the start', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript('LinearFlow').runStarted();
  s.events.forEach((e) => fold.apply(e));
  assert.deepEqual(statuses(fold), { start: 'pending', train: 'pending', end: 'pending' });
  assert.equal(fold.state.tasksTotal, 3);
  assert.equal(fold.state.runId, '1700000000000000');
  assert.equal(fold.state.pathspec, 'LinearFlow/1700000000000000');
  assert.deepEqual(fold.state.parameters, { alpha: '1' });

  const more = new EventScript('LinearFlow', '1700000000000000', 2_000_000).params().start('start', '1').log('start', '1', 'hello');
  more.events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.tasks.has('_parameters/0'), false, 'the parameters task is internal');
  assert.equal(fold.state.steps.has('_parameters'), false);
  assert.deepEqual(statuses(fold), { start: 'running', train: 'pending', end: 'pending' });
  const task = fold.state.tasks.get('start/1')!;
  assert.equal(task.status, 'running');
  assert.deepEqual(task.logTail.map((l) => l.line), ['hello']);
  assert.equal(fold.state.tasksFinished, 0);

  const rest = new EventScript('LinearFlow', '1700000000000000', 3_000_000)
    .finish('start', '1', { durationMs: 1234 })
    .task('train', '2')
    .task('end', '3')
    .runFinished();
  const before = fold.state.version;
  rest.events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.version, before + rest.events.length);
  assert.deepEqual(statuses(fold), { start: 'succeeded', train: 'succeeded', end: 'succeeded' });
  assert.equal(fold.state.status, 'succeeded');
  assert.equal(fold.state.tasksFinished, 3);
  assert.equal(fold.state.tasksTotal, 3);
  assert.equal(fold.state.durationMs, 5000);
  const attempt = fold.state.tasks.get('start/1')!.attempts[0];
  assert.equal(attempt.durationMs, 1234);
  assert.equal(attempt.status, 'succeeded');
  assert.ok(attempt.finishedAt! > attempt.startedAt);
  const start = fold.state.steps.get('start')!;
  assert.equal(start.durationMs, start.finishedAt! - start.startedAt!);
  const layout = fold.stepRunStates();
  assert.deepEqual({ ...layout.train, message: undefined }, { status: 'succeeded', tasksDone: 1, tasksTotal: 1, tasksFailed: 0, retries: 0, message: undefined });
  assert.match(layout.train.message ?? '', /^\d+ ms$/);
});

test('log tail is bounded per task and keeps the newest lines', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const fold = new RunStateFold(flow, { logTail: 3 });
  const s = new EventScript('LinearFlow').runStarted().start('start', '1');
  for (let i = 0; i < 10; i++) s.log('start', '1', `line ${i}`, { stream: i % 2 ? 'stderr' : 'stdout' });
  s.events.forEach((e) => fold.apply(e));
  const tail = fold.state.tasks.get('start/1')!.logTail;
  assert.deepEqual(tail.map((l) => l.line), ['line 7', 'line 8', 'line 9']);
  assert.deepEqual(tail.map((l) => l.stream), ['stderr', 'stdout', 'stderr']);
});

test('static split: both branches expected once start finishes, join waits for both', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/branch_flow.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript('BranchFlow').runStarted().task('start', '1').task('a', '2').start('b', '3');
  s.events.forEach((e) => fold.apply(e));
  assert.deepEqual(statuses(fold), { start: 'succeeded', a: 'succeeded', b: 'running', join: 'pending', end: 'pending' });
  assert.equal(fold.state.tasksTotal, 5);
  assert.equal(fold.state.tasksFinished, 2);
  const end = new EventScript('BranchFlow', '1700000000000000', 5_000_000).finish('b', '3').task('join', '4').task('end', '5').runFinished();
  end.events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.tasksTotal, 5);
  assert.equal(fold.state.tasksFinished, 5);
  assert.ok(Object.values(statuses(fold)).every((x) => x === 'succeeded'));
});
