// Retries, @catch, failures, cancellation, resume (clones) and spin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStateFold } from '../../../src/runs/runStateFold';
import { EventScript, fixtureFlow } from './script';

const statuses = (fold: RunStateFold) => Object.fromEntries([...fold.state.steps.values()].map((s) => [s.name, s.status]));

test('retry then success: attempts kept, retrying between them, one finished task', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/retry_catch_flow.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1')
    .start('flaky', '2').log('flaky', '2', 'attempt 0')
    .finish('flaky', '2', { status: 'failed', willRetry: true, error: 'RuntimeError: flaky failure 0', durationMs: 300 });
  s.events.forEach((e) => fold.apply(e));
  const task = fold.state.tasks.get('flaky/2')!;
  assert.equal(task.status, 'retrying');
  assert.equal(statuses(fold).flaky, 'retrying');
  assert.equal(fold.state.steps.get('flaky')!.retrying, 1);
  assert.equal(fold.state.tasksFinished, 1);
  assert.equal(fold.stepRunStates().flaky.status, 'retrying');

  const t = new EventScript(flow.name, s.runId, 2_000_000).start('flaky', '2', { attempt: 1 }).log('flaky', '2', 'attempt 1', { attempt: 1 });
  t.events.forEach((e) => fold.apply(e));
  assert.equal(task.status, 'running');
  assert.equal(statuses(fold).flaky, 'running');
  assert.equal(fold.state.steps.get('flaky')!.retrying, 0);
  assert.deepEqual(task.logTail.map((l) => [l.attempt, l.line]), [[0, 'attempt 0'], [1, 'attempt 1']]);

  const u = new EventScript(flow.name, s.runId, 3_000_000)
    .finish('flaky', '2', { status: 'failed', attempt: 1, willRetry: true, error: 'RuntimeError: flaky failure 1' })
    .start('flaky', '2', { attempt: 2 })
    .finish('flaky', '2', { attempt: 2 });
  u.events.forEach((e) => fold.apply(e));
  assert.equal(task.status, 'succeeded');
  assert.deepEqual(task.attempts.map((a) => [a.attempt, a.status, a.error]), [[0, 'failed', 'RuntimeError: flaky failure 0'], [1, 'failed', 'RuntimeError: flaky failure 1'], [2, 'succeeded', undefined]]);
  assert.equal(task.attempts[0].durationMs, 300);
  const step = fold.state.steps.get('flaky')!;
  assert.deepEqual([step.status, step.succeeded, step.failed, step.maxAttempt], ['succeeded', 1, 0, 2]);
  assert.equal(fold.stepRunStates().flaky.retries, 2);
  assert.equal(fold.state.tasksFinished, 2);
});

test('@catch: the task succeeds with its traceback kept in the log tail', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/retry_catch_flow.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1').task('flaky', '2')
    .start('caught', '3').log('caught', '3', 'Traceback (most recent call last):', { stream: 'stderr' }).log('caught', '3', "KeyError: 'always'", { stream: 'stderr' }).finish('caught', '3');
  s.events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).caught, 'succeeded');
  assert.deepEqual(fold.state.tasks.get('caught/3')!.logTail.map((l) => l.stream), ['stderr', 'stderr']);
});

test('failure: the step fails with the first error, later steps go idle, totals settle', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/foreach.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1', { splits: 3 })
    .start('process', '2', { foreach: [0] }).start('process', '3', { foreach: [1] })
    .finish('process', '2', { status: 'failed', error: 'ValueError: bad item' });
  s.events.forEach((e) => fold.apply(e));
  assert.equal(statuses(fold).process, 'running', 'a sibling is still being stopped');
  assert.equal(fold.state.tasksTotal, 6);
  const t = new EventScript(flow.name, s.runId, 2_000_000)
    .finish('process', '3', { status: 'failed', error: 'killed because another task of the run failed' })
    .runFinished('failed', 'step *process* failed');
  t.events.forEach((e) => fold.apply(e));
  assert.deepEqual(statuses(fold), { start: 'succeeded', process: 'failed', join: 'idle', end: 'idle' });
  assert.equal(fold.state.status, 'failed');
  assert.equal(fold.state.error, 'step *process* failed');
  assert.equal(fold.stepRunStates().process.message, 'ValueError: bad item');
  assert.equal(fold.stepRunStates().process.tasksFailed, 2);
  assert.equal(fold.state.tasksFinished, 3);
  assert.equal(fold.state.tasksTotal, 3, 'the third foreach task never started');
  assert.equal(fold.state.steps.get('process')!.expected, 2);
});

test('cancel: tasks keep what they last reported, a pending retry ends failed, the run says cancelled', async () => {
  const flow = await fixtureFlow('test/integration/runtime/flows/retry_catch_flow.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().task('start', '1')
    .start('flaky', '2').finish('flaky', '2', { status: 'failed', willRetry: true, error: 'RuntimeError: flaky failure 0' })
    .runFinished('cancelled', 'the run was cancelled');
  s.events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.status, 'cancelled');
  assert.equal(fold.state.tasks.get('flaky/2')!.status, 'failed');
  assert.deepEqual(statuses(fold), { start: 'succeeded', flaky: 'failed', caught: 'idle', slow: 'idle', end: 'idle' });
  assert.equal(fold.state.tasksFinished, 2);
  assert.equal(fold.state.tasksTotal, 2);

  const running = new RunStateFold(flow);
  new EventScript(flow.name).runStarted().task('start', '1').start('flaky', '2')
    .finish('flaky', '2', { status: 'failed', error: 'killed because the run was cancelled' })
    .runFinished('cancelled').events.forEach((e) => running.apply(e));
  assert.equal(running.state.tasks.get('flaky/2')!.attempts[0].error, 'killed because the run was cancelled');
  assert.equal(running.state.tasksTotal, running.state.tasksFinished);
});

test('a run refused before it started ends failed with its reason and no tasks', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const fold = new RunStateFold(flow);
  fold.apply({ event: 'run_finished', ts: 5, flow: '', run_id: '', pathspec: '', status: 'failed', duration_ms: 0, error: "parameter 'alpha' must be a number" });
  assert.equal(fold.state.status, 'failed');
  assert.equal(fold.state.error, "parameter 'alpha' must be a number");
  assert.deepEqual(statuses(fold), { start: 'idle', train: 'idle', end: 'idle' });
  assert.equal(fold.state.tasksTotal, 0);
});

test('resume: cloned tasks count as done and carry their fan-out', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/foreach.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name, '1700000000000099').runStarted('resume', '1700000000000000')
    .task('start', '1', { status: 'cloned', splits: 2 })
    .task('process', '2', { status: 'cloned', foreach: [0] })
    .task('process', '3', { foreach: [1] })
    .task('join', '4').task('end', '5').runFinished();
  s.events.forEach((e) => fold.apply(e));
  assert.equal(fold.state.kind, 'resume');
  assert.equal(fold.state.originRunId, '1700000000000000');
  const step = fold.state.steps.get('process')!;
  assert.deepEqual([step.status, step.succeeded, step.cloned], ['succeeded', 1, 1]);
  assert.equal(fold.state.tasks.get('start/1')!.attempts[0].status, 'cloned');
  assert.equal(fold.stepRunStates().process.tasksDone, 2);
  assert.equal(fold.state.tasksTotal, 5);
});

test('spin: only the spun step runs; the others stay idle and nothing is predicted', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted('spin', '1700000000000000').start('train', '1');
  s.events.forEach((e) => fold.apply(e));
  assert.deepEqual(statuses(fold), { start: 'idle', train: 'running', end: 'idle' });
  assert.equal(fold.state.tasksTotal, 1);
  new EventScript(flow.name, s.runId, 2_000_000).finish('train', '1').runFinished().events.forEach((e) => fold.apply(e));
  assert.deepEqual(statuses(fold), { start: 'idle', train: 'succeeded', end: 'idle' });
  assert.equal(fold.state.tasksFinished, 1);
});

test('events for a task never announced still fold (no lost output)', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/linear.py');
  const fold = new RunStateFold(flow);
  const s = new EventScript(flow.name).runStarted().log('start', '1', 'early line').finish('start', '1');
  s.events.forEach((e) => fold.apply(e));
  const task = fold.state.tasks.get('start/1')!;
  assert.equal(task.status, 'succeeded');
  assert.deepEqual(task.logTail.map((l) => l.line), ['early line']);
  assert.equal(fold.state.steps.get('start')!.running, 0);
});
