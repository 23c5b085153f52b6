import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTimeline, sortTimeline } from '../../../src/runs/timeline';
import type { AttemptState, RunState, StepState, TaskState } from '../../../src/runs/types';

const T0 = 1_700_000_000_000;

function step(name: string): StepState {
  return { name, status: 'idle', taskIds: [], succeeded: 0, cloned: 0, failed: 0, running: 0, retrying: 0, maxAttempt: 0 };
}

function task(stepName: string, taskId: string, attempts: AttemptState[], extra: Partial<TaskState> = {}): TaskState {
  const last = attempts.at(-1);
  return {
    pathspec: `TrainFlow/7/${stepName}/${taskId}`,
    step: stepName,
    taskId,
    status: last?.status ?? 'pending',
    attempts,
    logTail: [],
    ...extra,
  };
}

function done(attempt: number, start: number, end: number, status: AttemptState['status'] = 'succeeded', error?: string): AttemptState {
  return { attempt, status, startedAt: T0 + start, finishedAt: T0 + end, durationMs: end - start, ...(error ? { error } : {}) };
}

function run(tasks: TaskState[], steps: string[], extra: Partial<RunState> = {}): RunState {
  return {
    flow: 'TrainFlow',
    runId: '7',
    pathspec: 'TrainFlow/7',
    kind: 'run',
    status: 'succeeded',
    startedAt: T0,
    datastoreRoot: '/tmp/ds/.metaflow',
    parameters: {},
    tags: [],
    steps: new Map(steps.map((s) => [s, step(s)])),
    tasks: new Map(tasks.map((t) => [`${t.step}/${t.taskId}`, t])),
    tasksFinished: tasks.length,
    tasksTotal: tasks.length,
    version: 1,
    ...extra,
  };
}

test('one bar per attempt, one row per task, rows grouped by step in graph order', () => {
  const state = run(
    [
      task('train', '4', [done(0, 300, 900)], { foreachIndices: [1] }),
      task('start', '1', [done(0, 10, 110)]),
      task('train', '3', [done(0, 200, 400, 'failed', 'ValueError: bad shard'), done(1, 450, 700)], { foreachIndices: [0] }),
      task('end', '9', [done(0, 1000, 1050)]),
    ],
    ['start', 'train', 'end'],
    { finishedAt: T0 + 1100 },
  );
  const model = buildTimeline(state, T0 + 5000);
  assert.deepEqual(
    model.groups.map((g) => [g.step, g.rows.map((r) => r.taskId)]),
    [
      ['start', ['1']],
      ['train', ['3', '4']],
      ['end', ['9']],
    ],
  );
  assert.equal(model.tasks, 4);
  assert.equal(model.bars, 5);
  assert.equal(model.span, 1100, 'a finished run spans from its start to its end');
  const retried = model.groups[1].rows[0];
  assert.equal(retried.pathspec, 'TrainFlow/7/train/3');
  assert.equal(retried.foreachIndex, '[0]');
  assert.deepEqual(
    retried.bars.map((b) => [b.attempt, b.status, b.start, b.end, b.durationMs, b.error]),
    [
      [0, 'failed', 200, 400, 200, 'ValueError: bad shard'],
      [1, 'succeeded', 450, 700, 250, undefined],
    ],
  );
  assert.equal(retried.durationMs, 500, 'a retried task lasts from its first attempt to its last, waits included');
  assert.deepEqual([model.groups[1].start, model.groups[1].end], [200, 900]);
});

test('a running attempt ends at the time the model is built, and so does the span of a running run', () => {
  const state = run([task('start', '1', [done(0, 0, 100)]), task('train', '2', [{ attempt: 0, status: 'running', startedAt: T0 + 150 }])], ['start', 'train', 'end'], {
    status: 'running',
  });
  const model = buildTimeline(state, T0 + 400);
  const bar = model.groups[1].rows[0].bars[0];
  assert.deepEqual([bar.status, bar.start, bar.end, bar.durationMs], ['running', 150, 400, 250]);
  assert.equal(model.span, 400);
  assert.deepEqual(
    model.groups.map((g) => g.step),
    ['start', 'train'],
    'steps without a started task have no group',
  );
});

test('tasks not started yet have no row, and steps the edited graph lost still show their tasks', () => {
  const state = run([task('start', '1', [done(0, 0, 100)]), task('train', '2', []), task('old_step', '3', [done(0, 100, 200)])], ['start', 'train', 'end']);
  const model = buildTimeline(state, T0 + 300);
  assert.deepEqual(
    model.groups.map((g) => [g.step, g.rows.length]),
    [
      ['start', 1],
      ['old_step', 1],
    ],
  );
  assert.equal(model.span, 200, 'a run without an end time spans to its last bar');
});

test('sorting by duration puts the longest step and, within each step, the longest task first; by start restores time order', () => {
  const state = run(
    [
      task('start', '1', [done(0, 0, 50)]),
      task('train', '2', [done(0, 100, 200)]),
      task('train', '3', [done(0, 110, 900)]),
      task('train', '4', [done(0, 120, 400)]),
      task('end', '5', [done(0, 950, 960)]),
    ],
    ['start', 'train', 'end'],
  );
  const model = buildTimeline(state, T0 + 1000);
  const byDuration = sortTimeline(model.groups, 'duration');
  assert.deepEqual(
    byDuration.map((g) => [g.step, g.rows.map((r) => r.taskId)]),
    [
      ['train', ['3', '4', '2']],
      ['start', ['1']],
      ['end', ['5']],
    ],
  );
  assert.deepEqual(
    model.groups[1].rows.map((r) => r.taskId),
    ['2', '3', '4'],
    'the model itself is not reordered',
  );
  assert.deepEqual(
    sortTimeline(byDuration, 'start').map((g) => [g.step, g.rows.map((r) => r.taskId)]),
    [
      ['start', ['1']],
      ['train', ['2', '3', '4']],
      ['end', ['5']],
    ],
  );
});

test('cloned tasks of a resumed run keep their status, and an empty run has a span of at least one millisecond', () => {
  const cloned = run([task('start', '1', [done(0, 0, 0, 'cloned')])], ['start', 'end'], { kind: 'resume' });
  const model = buildTimeline(cloned, T0);
  assert.equal(model.groups[0].rows[0].bars[0].status, 'cloned');
  assert.equal(model.span, 1);
  assert.equal(buildTimeline(run([], ['start', 'end'], { status: 'running' }), T0).groups.length, 0);
});

test('builds the timeline of 1,000 tasks with a retry in every tenth', () => {
  const tasks: TaskState[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const attempts = i % 10 === 0 ? [done(0, i, i + 5, 'failed', 'boom'), done(1, i + 6, i + 20)] : [done(0, i, i + 10)];
    tasks.push(task('train', String(i + 2), attempts, { foreachIndices: [i] }));
  }
  const model = buildTimeline(run(tasks, ['start', 'train', 'end']), T0 + 2000);
  assert.equal(model.tasks, 1000);
  assert.equal(model.bars, 1100);
  assert.equal(model.groups[0].rows.filter((r) => r.bars.length === 2).length, 100);
});
