// Real runs (python3, the embedded worker, a real `.metaflow` datastore) followed by a RunRegistry,
// three at once; the folded state is checked against what Metaflow's Client API reads back.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunRegistry, type TrackedRun } from '../../../src/runs/runRegistry';
import { type ClientRun, describeRun, runner, type Workspace, workspace } from '../runtime/harness';

const FLOWS = ['nested_foreach_flow.py', 'switch_in_foreach_flow.py', 'retry_catch_flow.py'];

function checkAgainstDatastore(run: TrackedRun, stored: ClientRun): void {
  const state = run.state;
  assert.equal(state.status, 'succeeded', state.error);
  assert.equal(stored.successful, true);
  let storedTasks = 0;
  for (const step of state.steps.values()) {
    const tasks = stored.steps[step.name] ?? [];
    storedTasks += tasks.length;
    assert.deepEqual([...step.taskIds].sort(), tasks.map((t) => t.id).sort(), `task ids of ${step.name}`);
    assert.equal(step.status, tasks.length > 0 ? 'succeeded' : 'idle', `status of ${step.name}`);
    assert.equal(step.succeeded, tasks.length);
    assert.equal(step.expected, tasks.length);
    for (const t of tasks) {
      const folded = state.tasks.get(`${step.name}/${t.id}`)!;
      assert.equal(folded.status, 'succeeded');
      assert.equal(folded.pathspec, `${state.pathspec}/${step.name}/${t.id}`);
      if (t.index !== null) assert.equal(folded.foreachIndices?.at(-1), t.index, `foreach index of ${folded.pathspec}`);
      const stdoutLines = t.stdout.split('\n').filter(Boolean);
      const tail = folded.logTail.filter((l) => l.stream === 'stdout' && l.source === 'task' && l.attempt === folded.attempts.at(-1)!.attempt).map((l) => l.line);
      assert.deepEqual(tail, stdoutLines, `stdout of ${folded.pathspec}`);
    }
  }
  assert.equal(state.tasksFinished, storedTasks);
  assert.equal(state.tasksTotal, storedTasks);
  const layout = run.fold.stepRunStates();
  for (const [name, s] of Object.entries(layout)) {
    if (s.status === 'idle') continue;
    assert.equal(s.tasksDone, stored.steps[name].length);
    assert.equal(s.tasksTotal, stored.steps[name].length);
  }
}

describe('the run state of real runs', () => {
  let ws: Workspace;
  before(() => {
    ws = workspace(...FLOWS);
  });
  after(() => ws.cleanup());

  it('folds three concurrent runs to what the datastore holds', async () => {
    const r = await runner(ws);
    const registry = new RunRegistry();
    const lastTotal = new Map<TrackedRun, number>();
    const problems: string[] = [];
    registry.onDidChange((run) => {
      const s = run.state;
      if (s.tasksTotal < s.tasksFinished) problems.push(`${s.flow}: total ${s.tasksTotal} < finished ${s.tasksFinished}`);
      // Predictions are lower bounds, so in a run that succeeds the total only grows.
      if (s.tasksTotal < (lastTotal.get(run) ?? 0)) problems.push(`${s.flow}: total went down to ${s.tasksTotal}`);
      lastTotal.set(run, s.tasksTotal);
    });
    const ended: TrackedRun[] = [];
    registry.onDidEnd((run) => ended.push(run));

    const tracked = FLOWS.map((f) => {
      const prepared = r.run({ flowFile: ws.flow(f), parameterArgs: [], maxWorkers: 4 });
      return registry.track(prepared.handle, prepared.flow, ws.flow(f));
    });
    assert.equal(registry.active().length, 3);
    await Promise.all(tracked.map((t) => t.handle.done));
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(problems, []);
    assert.equal(ended.length, 3);
    assert.equal(registry.active().length, 0);

    for (const run of tracked) {
      assert.equal(registry.get(run.state.pathspec), run);
      checkAgainstDatastore(run, await describeRun(ws, run.state.pathspec));
    }

    const nested = tracked[0].state;
    assert.equal(nested.steps.get('leaf')!.taskIds.length, 6, 'two outer splits of three inner ones');
    const retry = tracked[2].state;
    const flaky = retry.tasks.get(`flaky/${retry.steps.get('flaky')!.taskIds[0]}`)!;
    assert.deepEqual(flaky.attempts.map((a) => a.status), ['failed', 'failed', 'succeeded']);
    assert.ok(flaky.attempts.every((a) => a.durationMs !== undefined && a.finishedAt! >= a.startedAt));
    assert.equal(retry.steps.get('flaky')!.maxAttempt, 2);
    const slow = retry.tasks.get(`slow/${retry.steps.get('slow')!.taskIds[0]}`)!;
    assert.match(slow.attempts[0].error ?? '', /TimeoutException: Step slow timed out after 0 hours, 0 minutes, 1 seconds/);
    assert.equal(tracked[1].state.steps.get('big')!.taskIds.length, 2);
    assert.equal(tracked[1].state.steps.get('small')!.taskIds.length, 1);
  });
});
