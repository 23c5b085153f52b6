// The pod link of a DAG node: task events' executor info is kept per attempt by the run state fold (the pod
// name may come only with the task's end), the run message lists the steps with a pod, and the webview's
// "Show pod" and "Run on Kubernetes" messages are checked like every other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podSteps, runStateMessage } from '../../../src/protocol/dagRun';
import { RunStateFold } from '../../../src/runs/runStateFold';
import type { RunEvent, TaskExecutor } from '../../../src/runtime/events';
import { parseWebviewMessage, type ShownDrawing } from '../../../src/vscode/webviewMessages';
import { buildFlow } from '../layout/flowBuilder';

const T0 = 1_700_000_000_000;
const flow = buildFlow('MixedFlow', [
  { name: 'start', next: ['train'] },
  { name: 'train', next: ['end'] },
  { name: 'end' },
]);
const base = (ts: number) => ({ ts: T0 + ts, flow: 'MixedFlow', run_id: '5' });
const task = (step: string, id: string) => ({ pathspec: `MixedFlow/5/${step}/${id}`, step, task_id: id });
const job = (name: string, pod?: string): TaskExecutor => ({ kind: 'kubernetes', context: 'aks-dev', namespace: 'ml', job: name, ...(pod ? { pod } : {}) });

function fold(events: RunEvent[]): RunStateFold {
  const f = new RunStateFold(flow, { createdAt: T0 });
  for (const e of events) f.apply(e);
  return f;
}

const events: RunEvent[] = [
  { ...base(0), event: 'run_started', kind: 'run', pathspec: 'MixedFlow/5', datastore_root: '/d', parameters: {}, tags: [] },
  { ...base(1), event: 'task_started', ...task('start', '1'), attempt: 0, pid: 42 },
  { ...base(2), event: 'task_finished', ...task('start', '1'), attempt: 0, status: 'succeeded', duration_ms: 1, will_retry: false },
  { ...base(3), event: 'task_started', ...task('train', '2'), attempt: 0, executor: job('t-aaaa1111-') },
  { ...base(9), event: 'task_finished', ...task('train', '2'), attempt: 0, status: 'failed', duration_ms: 6, will_retry: true, exit_code: 137, executor: job('t-aaaa1111-', 't-aaaa1111-x1') },
  { ...base(10), event: 'task_started', ...task('train', '2'), attempt: 1, executor: job('t-bbbb2222-', 't-bbbb2222-y2') },
];

test('the fold keeps each attempt\'s executor, with the pod named at the end', () => {
  const state = fold(events).state;
  const train = state.tasks.get('train/2');
  assert.deepEqual(
    train?.attempts.map((a) => a.executor),
    [job('t-aaaa1111-', 't-aaaa1111-x1'), job('t-bbbb2222-', 't-bbbb2222-y2')],
  );
  assert.equal(state.tasks.get('start/1')?.attempts[0].executor, undefined, 'a local task has none');
});

test('the run message names the steps that have a pod, and only them', () => {
  const state = fold(events).state;
  assert.deepEqual(podSteps(state), ['train']);
  assert.deepEqual(runStateMessage(state, 'live', T0 + 20).podSteps, ['train']);
  assert.equal('podSteps' in runStateMessage(fold(events.slice(0, 3)).state, 'live', T0 + 20), false, 'a local run has no pod steps');
});

const shown: ShownDrawing = { file: '/w/mixed.py', flow: 'MixedFlow', flows: ['MixedFlow'], steps: ['start', 'train', 'end'] };

test('"Show pod" is a step action on a drawn step; "Run flow" may name Kubernetes as its target', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'stepAction', action: 'showPod', file: shown.file, flow: 'MixedFlow', step: 'train' }, shown), {
    type: 'stepAction',
    action: 'showPod',
    file: shown.file,
    flow: 'MixedFlow',
    step: 'train',
  });
  assert.equal(parseWebviewMessage({ type: 'stepAction', action: 'showPod', file: shown.file, flow: 'MixedFlow', step: 'other' }, shown), undefined);
  assert.deepEqual(parseWebviewMessage({ type: 'runFlow', file: shown.file, flow: 'MixedFlow', target: 'kubernetes' }, shown), { type: 'runFlow', file: shown.file, flow: 'MixedFlow', target: 'kubernetes' });
  assert.deepEqual(parseWebviewMessage({ type: 'runFlow', file: shown.file, flow: 'MixedFlow' }, shown), { type: 'runFlow', file: shown.file, flow: 'MixedFlow' });
  for (const target of ['batch', '', null, 1, { kind: 'kubernetes' }]) {
    assert.equal(parseWebviewMessage({ type: 'runFlow', file: shown.file, flow: 'MixedFlow', target }, shown), undefined, JSON.stringify(target));
  }
});
