import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runStateMessage, stepRunStates } from '../../../src/protocol/dagRun';
import { RunStateFold } from '../../../src/runs/runStateFold';
import type { RunEvent } from '../../../src/runtime/events';
import { buildFlow } from '../layout/flowBuilder';

const T0 = 1_700_000_000_000;
const flow = buildFlow('FanFlow', [
  { name: 'start', next: ['body'], foreach: 'items' },
  { name: 'body', next: ['join'] },
  { name: 'join', next: ['end'] },
  { name: 'end' },
]);

function fold(events: RunEvent[]): RunStateFold {
  const f = new RunStateFold(flow, { createdAt: T0 });
  for (const e of events) f.apply(e);
  return f;
}

const base = (ts: number) => ({ ts: T0 + ts, flow: 'FanFlow', run_id: '9' });
const started = (step: string, id: string, ts: number, attempt = 0): RunEvent => ({ ...base(ts), event: 'task_started', pathspec: `FanFlow/9/${step}/${id}`, step, task_id: id, attempt });
const finished = (step: string, id: string, ts: number, status: 'succeeded' | 'failed', extra: { attempt?: number; will_retry?: boolean; error?: string; num_splits?: number } = {}): RunEvent => ({
  ...base(ts),
  event: 'task_finished',
  pathspec: `FanFlow/9/${step}/${id}`,
  step,
  task_id: id,
  attempt: extra.attempt ?? 0,
  status,
  duration_ms: 10,
  will_retry: extra.will_retry ?? false,
  ...(extra.error ? { error: extra.error } : {}),
  ...(extra.num_splits ? { num_splits: extra.num_splits } : {}),
});

const run = [
  { ...base(0), event: 'run_started', kind: 'run', pathspec: 'FanFlow/9', datastore_root: '/d', parameters: {}, tags: [] } as RunEvent,
  started('start', '1', 10),
  finished('start', '1', 50, 'succeeded', { num_splits: 4 }),
  started('body', '2', 60),
  finished('body', '2', 90, 'succeeded'),
  started('body', '3', 61),
  finished('body', '3', 80, 'failed', { will_retry: true, error: 'KeyError: x' }),
  started('body', '3', 85, 1),
  started('body', '4', 62),
  finished('body', '4', 95, 'failed', { error: 'ZeroDivisionError: division by zero' }),
];

test('a fan-out step counts its tasks per state against the expected total; a single task step does not', () => {
  const steps = stepRunStates(fold(run).state);
  assert.equal(steps.start.status, 'succeeded');
  assert.equal(steps.start.tasksTotal, undefined, 'one task: its status says it all');
  assert.equal(steps.start.durationMs, 40);
  const body = steps.body;
  assert.equal(body.tasksTotal, 4);
  assert.equal(body.tasksDone, 2, 'one succeeded, one failed for good');
  assert.equal(body.tasksFailed, 1);
  assert.equal(body.tasksRunning, 1, 'the retry of task 3 runs');
  assert.equal(body.retries, 1);
  assert.equal(body.durationMs, undefined, 'no duration before the step is done');
  assert.equal(body.message, 'Task FanFlow/9/body/4: ZeroDivisionError: division by zero', 'the latest failure, naming its task');
  assert.equal(steps.join.status, 'pending');
});

test('the message carries the run, its mode and a timeline built at the given time', () => {
  const message = runStateMessage(fold(run).state, 'past', T0 + 200);
  assert.equal(message.type, 'runState');
  assert.equal(message.runId, '9');
  assert.equal(message.status, 'running');
  assert.equal(message.mode, 'past');
  assert.equal(message.timeline?.tasks, 4);
  assert.equal(message.timeline?.bars, 5);
  const retried = message.timeline!.groups.find((g) => g.step === 'body')!.rows.find((r) => r.taskId === '3')!;
  assert.deepEqual(
    retried.bars.map((b) => [b.status, b.start, b.end]),
    [
      ['failed', 61, 80],
      ['running', 85, 200],
    ],
  );
  assert.doesNotThrow(() => JSON.stringify(message), 'the message crosses postMessage as plain data');
});
