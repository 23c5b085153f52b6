// Lines of the "Metaflow" Output channel from run events: task prefixes with foreach index and attempt,
// stderr and runtime marks, run start and end lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../../src/runtime/events';
import { RunOutputFormatter } from '../../../src/vscode/outputChannelFormat';

const base = { ts: 1, flow: 'TrainFlow', run_id: '7' };
const task = (step: string, id: string) => ({ ...base, pathspec: `TrainFlow/7/${step}/${id}`, step, task_id: id });

test('formats a run from start to end', () => {
  const f = new RunOutputFormatter();
  const events: RunEvent[] = [
    { ...base, event: 'run_started', kind: 'run', pathspec: 'TrainFlow/7', datastore_root: '/d', parameters: { alpha: '0.1' }, tags: ['exp'] },
    { ...task('start', '1'), event: 'task_started', attempt: 0 },
    { ...task('start', '1'), event: 'log', attempt: 0, stream: 'stdout', line: 'loading', source: 'task' },
    { ...task('train', '4'), event: 'task_started', attempt: 0, foreach_indices: [3] },
    { ...task('train', '4'), event: 'log', attempt: 0, stream: 'stderr', line: 'warning: slow', source: 'task' },
    { ...task('train', '4'), event: 'log', attempt: 1, stream: 'stdout', line: 'again', source: 'task' },
    { ...task('train', '4'), event: 'log', attempt: 0, stream: 'stderr', line: 'Retrying', source: 'runtime' },
    { ...task('train', '4'), event: 'task_finished', attempt: 0, status: 'failed', duration_ms: 5, will_retry: true, error: 'ValueError: x' },
    { ...base, event: 'run_finished', pathspec: 'TrainFlow/7', status: 'succeeded', duration_ms: 4200 },
  ];
  assert.deepEqual(events.flatMap((e) => f.format(e)), [
    '=== Running TrainFlow/7 with alpha=0.1 (tags: exp)',
    '[start/1] loading',
    '[train/4 idx=3 stderr] warning: slow',
    '[train/4 idx=3 attempt=1] again',
    '[train/4 idx=3 stderr runtime] Retrying',
    '[train/4 idx=3 runtime] Task TrainFlow/7/train/4 failed: ValueError: x; retrying',
    '=== TrainFlow/7 succeeded in 4.2 s',
  ]);
});

test('names resume and spin origins, failures and cancellations', () => {
  const f = new RunOutputFormatter();
  assert.deepEqual(f.format({ ...base, event: 'run_started', kind: 'resume', pathspec: 'TrainFlow/8', datastore_root: '/d', parameters: {}, tags: [], origin_run_id: '7' }), ['=== Resuming TrainFlow/7 as TrainFlow/8']);
  assert.deepEqual(f.format({ ...base, event: 'run_started', kind: 'spin', pathspec: 'TrainFlow/9', datastore_root: '/d', parameters: {}, tags: [], origin_run_id: '7' }), [
    '=== Running one step (spin on the inputs of TrainFlow/7) as TrainFlow/9',
  ]);
  assert.deepEqual(f.format({ ...base, event: 'run_finished', pathspec: 'TrainFlow/8', status: 'failed', duration_ms: 61_000, error: 'step *train* failed' }), [
    '=== TrainFlow/8 failed after 61 s: step *train* failed',
  ]);
  assert.deepEqual(f.format({ ...base, event: 'run_finished', pathspec: 'TrainFlow/9', status: 'cancelled', duration_ms: 300 }), ['=== TrainFlow/9 was cancelled after 0.3 s']);
});
