// "Show Pod": the pod's fields, container states, Events table (oldest first, with counts) and last log lines;
// what cannot be read is said, not left out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { age, renderPodReport } from '../../../src/vscode/kubernetesPodReport';

const NOW = Date.parse('2026-01-01T12:00:00Z');

const pod: V1Pod = {
  metadata: { name: 't-1a2b3c4d-x7k2p', namespace: 'ml' },
  spec: {
    nodeName: 'aks-nodepool1-0',
    serviceAccountName: 'flows',
    containers: [{ name: 'train', image: 'python:3.11', resources: { requests: { cpu: '1', memory: '4096M' }, limits: { memory: '4096M' } } }],
  },
  status: {
    phase: 'Failed',
    startTime: new Date('2026-01-01T11:58:00Z'),
    containerStatuses: [
      { name: 'train', image: 'python:3.11', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
    ],
  },
};

function event(reason: string, at: string, message: string, extra: Partial<CoreV1Event> = {}): CoreV1Event {
  return { metadata: {}, involvedObject: { kind: 'Pod', name: 't-1a2b3c4d-x7k2p' }, type: 'Normal', reason, message, lastTimestamp: new Date(at), source: { component: 'kubelet' }, ...extra };
}

test('a failed pod: fields, container state, resources, events oldest first and the log tail', () => {
  const text = renderPodReport({
    pathspec: 'TrainFlow/12/train/4',
    attempt: 0,
    context: 'aks-dev',
    namespace: 'ml',
    job: 't-1a2b3c4d',
    podName: 't-1a2b3c4d-x7k2p',
    pod,
    events: [
      event('Started', '2026-01-01T11:58:30Z', 'Started container train'),
      event('Scheduled', '2026-01-01T11:58:00Z', 'Successfully assigned ml/t-1a2b3c4d-x7k2p to aks-nodepool1-0', { source: { component: 'default-scheduler' } }),
      event('BackOff', '2026-01-01T11:59:45Z', 'Back-off   restarting', { type: 'Warning', count: 3 }),
    ],
    container: 'train',
    logLines: ['epoch 1', 'epoch 2'],
    now: NOW,
  });
  const lines = text.split('\n');
  assert.equal(lines[0], 'Pod t-1a2b3c4d-x7k2p');
  assert.ok(lines.includes('Task:            TrainFlow/12/train/4 (attempt 0)'));
  assert.ok(lines.includes('Context:         aks-dev'));
  assert.ok(lines.includes('Namespace:       ml'));
  assert.ok(lines.includes('Phase:           Failed'));
  assert.ok(lines.includes('Node:            aks-nodepool1-0'));
  assert.ok(lines.includes('  train (python:3.11): Terminated: OOMKilled, exit code 137'));
  assert.ok(lines.includes('  train requests: cpu=1, memory=4096M; limits: memory=4096M'));
  const events = lines.slice(lines.indexOf('Events:') + 1, lines.indexOf('Events:') + 5);
  assert.match(events[0], /^ {2}Type +Reason +Age +From +Message$/);
  assert.match(events[1], /^ {2}Normal +Scheduled +2m +default-scheduler +Successfully assigned/);
  assert.match(events[2], /^ {2}Normal +Started +90s +kubelet +Started container train$/);
  assert.match(events[3], /^ {2}Warning +BackOff +15s \(x3\) +kubelet +Back-off restarting$/);
  assert.deepEqual(lines.slice(lines.indexOf('Last log lines (container train):') + 1, -1), ['  epoch 1', '  epoch 2']);
});

test('a pod that is gone and unreadable events and logs are said so', () => {
  const text = renderPodReport({ pathspec: 'F/1/s/2', context: 'c', namespace: 'n', podName: 'p-1', podError: 'pods "p-1" not found', events: [], eventsError: 'forbidden', logLines: [], logError: 'gone', now: NOW });
  assert.ok(text.includes('Pod:             not readable: pods "p-1" not found'));
  assert.ok(text.includes('Events:\n  (not readable: forbidden)'));
  assert.ok(text.includes('(not readable: gone)'));
});

test('no events and no log lines show <none>', () => {
  const text = renderPodReport({ pathspec: 'F/1/s/2', context: 'c', namespace: 'n', podName: 'p', pod: { metadata: { name: 'p' }, status: { phase: 'Pending' } }, events: [], logLines: [], now: NOW });
  assert.ok(text.includes('Phase:           Pending'));
  assert.equal(text.match(/<none>/g)?.length, 2);
});

test('ages as kubectl shows them', () => {
  assert.deepEqual([age(NOW - 5_000, NOW), age(NOW - 600_000, NOW), age(NOW - 3 * 3600_000, NOW), age(NOW - 5 * 86400_000, NOW), age(undefined, NOW)], ['5s', '10m', '3h', '5d', '?']);
});
