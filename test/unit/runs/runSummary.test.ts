// The one-line texts read by the CLI, the progress notification and the status bar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressLine } from '../../../src/cli/progressLine';
import { formatDuration } from '../../../src/runs/formatDuration';
import { RunStateFold } from '../../../src/runs/runStateFold';
import { progressLabel, runSummaryLine, taskTotals } from '../../../src/runs/runSummary';
import { EventScript, fixtureFlow } from './script';

test('progress label: starting, then done/total, failures named', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/foreach.py');
  const fold = new RunStateFold(flow);
  assert.equal(progressLabel(fold.state), 'Starting ForeachFlow');
  const s = new EventScript(flow.name).runStarted().task('start', '1', { splits: 3 }).task('process', '2', { foreach: [0] });
  s.events.forEach((e) => fold.apply(e));
  assert.equal(progressLabel(fold.state), 'Running ForeachFlow: 2/6 tasks');
  new EventScript(flow.name, s.runId, 2_000_000).start('process', '3').finish('process', '3', { status: 'failed', error: 'boom' }).events.forEach((e) => fold.apply(e));
  assert.equal(progressLabel(fold.state), 'Running ForeachFlow: 3/6 tasks (1 failed)');
});

test('summary line counts succeeded, cloned and failed tasks with the duration', async () => {
  const flow = await fixtureFlow('test/fixtures/flows/foreach.py');
  const fold = new RunStateFold(flow);
  new EventScript(flow.name, '42').runStarted('resume', '41')
    .task('start', '1', { status: 'cloned', splits: 2 })
    .task('process', '2', { status: 'cloned' })
    .start('process', '3').finish('process', '3', { status: 'failed', error: 'ValueError: x' })
    .runFinished('failed', 'step *process* failed')
    .events.forEach((e) => fold.apply(e));
  assert.deepEqual(taskTotals(fold.state), { succeeded: 0, cloned: 2, failed: 1, running: 0, retrying: 0 });
  assert.equal(runSummaryLine(fold.state), 'ForeachFlow/42 failed in 5.0 s: 3 tasks, 0 succeeded, 2 cloned, 1 failed');
});

test('durations read as people say them', () => {
  assert.equal(formatDuration(0), '0 ms');
  assert.equal(formatDuration(999.6), '1000 ms');
  assert.equal(formatDuration(1500), '1.5 s');
  assert.equal(formatDuration(59_940), '59.9 s');
  assert.equal(formatDuration(61_000), '1 min 1 s');
  assert.equal(formatDuration(3_725_000), '1 h 2 min');
  assert.equal(formatDuration(-1), '');
  assert.equal(formatDuration(Number.NaN), '');
});

test('progress line redraws only on change, fits the terminal width and clears once', () => {
  const written: string[] = [];
  let columns: number | undefined = 20;
  const line = new ProgressLine((t) => written.push(t), () => columns);
  line.show('Running F: 1/2 tasks');
  line.show('Running F: 1/2 tasks');
  assert.deepEqual(written, ['\r\x1b[2KRunning F: 1/2 tas…'], 'one column short of the width, so the cursor never wraps');
  columns = undefined;
  line.show('Running F: 2/2 tasks');
  line.clear();
  line.clear();
  assert.deepEqual(written.slice(1), ['\r\x1b[2KRunning F: 2/2 tasks', '\r\x1b[2K']);
});
