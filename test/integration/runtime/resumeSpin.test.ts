import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, finish, listFiles, runner, type Workspace, workspace } from './harness';

function treeHash(dir: string): string {
  const h = crypto.createHash('sha1');
  for (const f of listFiles(dir)) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

describe('resume and spin', () => {
  let ws: Workspace;
  let originRun = '';
  before(async () => {
    ws = workspace('nested_foreach_flow.py', 'switch_loop_flow.py');
    const r = await runner(ws);
    const { result } = await finish(r.run({ flowFile: ws.flow('nested_foreach_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    originRun = result.runId;
  });
  after(() => ws.cleanup());

  it('resume STEP clones every task before the step (matched by foreach index) and re-runs the step and what follows', async () => {
    const r = await runner(ws);
    const { result, events } = await finish(r.resume({ flowFile: ws.flow('nested_foreach_flow.py'), step: 'inner_join' }));
    assert.equal(result.status, 'succeeded', result.error);
    const byStep = new Map<string, string[]>();
    for (const e of events) if (e.event === 'task_finished') byStep.set(e.step, [...(byStep.get(e.step) ?? []), e.status]);
    assert.deepEqual(byStep.get('leaf'), Array(6).fill('cloned'));
    assert.deepEqual(byStep.get('mid'), ['cloned', 'cloned']);
    assert.deepEqual(byStep.get('inner_join'), ['succeeded', 'succeeded']);
    assert.deepEqual(byStep.get('end'), ['succeeded']);
    const origin = await describeRun(ws, `NestedForeachFlow/${originRun}`);
    const resumed = await describeRun(ws, `NestedForeachFlow/${result.runId}`);
    assert.deepEqual(resumed.steps.outer_join[0].data.all_tags, [['a1', 'a2', 'a3'], ['b1', 'b2', 'b3']]);
    // Each cloned leaf points at the origin task with the same foreach position.
    const originByTag = new Map(origin.steps.leaf.map((t) => [String(t.data.tag), t.id]));
    for (const t of resumed.steps.leaf) {
      assert.equal(t.metadata['origin-task-id'], originByTag.get(String(t.data.tag)));
      assert.equal(t.metadata['origin-run-id'], originRun);
    }
    assert.equal(resumed.steps.inner_join[0].metadata['origin-task-id'], undefined);
    // resume does not move latest_run
    assert.equal(fs.readFileSync(path.join(ws.root, 'NestedForeachFlow', 'latest_run'), 'utf8'), originRun);
  });

  it('resume --origin-run-id of an unknown step is refused with the step list', async () => {
    const r = await runner(ws);
    await assert.rejects(r.resume({ flowFile: ws.flow('nested_foreach_flow.py'), step: 'nope' }), /has no step 'nope'; its steps are start, mid/);
  });

  it('spin runs one step again with the inputs of its tasks in the latest run, apart from that run', async () => {
    const runDir = path.join(ws.root, 'NestedForeachFlow', originRun);
    const before = treeHash(runDir);
    const r = await runner(ws);
    const { result, events } = await finish(r.spin({ flowFile: ws.flow('nested_foreach_flow.py'), step: 'leaf', originRunId: originRun }));
    assert.equal(result.status, 'succeeded', result.error);
    assert.equal(treeHash(runDir), before);
    const started = events.filter((e) => e.event === 'task_started');
    assert.equal(started.length, 6);
    const spinRoot = path.join(ws.dir, '.metaflow_spin');
    assert.equal(events[0].event === 'run_started' ? events[0].datastore_root : '', spinRoot);
    const spinRun = await describeSpin(ws, result.runId);
    assert.deepEqual(spinRun.sort(), ['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    assert.equal(fs.existsSync(path.join(ws.root, 'NestedForeachFlow', result.runId)), false);
  });

  it('spin picks the latest run that reached the step by default', async () => {
    const r = await runner(ws);
    const { result, events } = await finish(r.spin({ flowFile: ws.flow('nested_foreach_flow.py'), step: 'end' }));
    assert.equal(result.status, 'succeeded', result.error);
    const started = events[0];
    assert.equal(started.event === 'run_started' ? started.kind : '', 'spin');
    assert.ok(started.event === 'run_started' && started.origin_run_id && started.origin_run_id >= originRun);
    assert.ok(events.some((e) => e.event === 'log' && e.line.startsWith('all [[')));
  });

  async function describeSpin(w: Workspace, runId: string): Promise<string[]> {
    const run = await describeRunAt(w, `NestedForeachFlow/${runId}`, w.dir);
    return run.steps.leaf.map((t) => String(t.data.tag));
  }
});

function describeRunAt(ws: Workspace, pathspec: string, parent: string) {
  // The Client reads `<sysroot>/.metaflow`; point a sysroot at a directory whose `.metaflow` is the spin store.
  const shim = fs.mkdtempSync(path.join(ws.dir, 'shim-'));
  fs.symlinkSync(path.join(parent, '.metaflow_spin'), path.join(shim, '.metaflow'));
  return describeRun(ws, pathspec, shim);
}

describe('run --until STEP, then spin STEP', () => {
  it('runs only what the step needs, and spin then runs the step with those inputs', async () => {
    const ws = workspace('branch_flow.py');
    try {
      const r = await runner(ws);
      const partial = await finish(r.run({ flowFile: ws.flow('branch_flow.py'), parameterArgs: [], until: 'join' }));
      assert.equal(partial.result.status, 'succeeded', partial.result.error);
      const steps = new Set(partial.events.filter((e) => e.event === 'task_finished').map((e) => e.step));
      assert.deepEqual([...steps].sort(), ['_parameters', 'a', 'b', 'start']);
      const spun = await finish(r.spin({ flowFile: ws.flow('branch_flow.py'), step: 'join' }));
      assert.equal(spun.result.status, 'succeeded', spun.result.error);
      const first = spun.events[0];
      assert.equal(first.event === 'run_started' ? first.origin_run_id : '', partial.result.runId);
      const shim = fs.mkdtempSync(path.join(ws.dir, 'shim-'));
      fs.symlinkSync(path.join(ws.dir, '.metaflow_spin'), path.join(shim, '.metaflow'));
      const run = await describeRun(ws, `BranchFlow/${spun.result.runId}`, shim);
      assert.deepEqual(run.steps.join[0].data.xs, [10, 20]);
    } finally {
      ws.cleanup();
    }
  });
});

describe('resume of a num_parallel flow', () => {
  it('clones the split step and the parallel nodes, then re-runs the join', async () => {
    const ws = workspace('parallel_flow.py');
    try {
      const r = await runner(ws);
      const origin = await finish(r.run({ flowFile: ws.flow('parallel_flow.py'), parameterArgs: [] }));
      assert.equal(origin.result.status, 'succeeded', origin.result.error);
      const { result, events } = await finish(r.resume({ flowFile: ws.flow('parallel_flow.py'), step: 'join' }));
      assert.equal(result.status, 'succeeded', result.error);
      const byStep = new Map<string, string[]>();
      for (const e of events) if (e.event === 'task_finished') byStep.set(e.step, [...(byStep.get(e.step) ?? []), e.status]);
      assert.deepEqual(byStep.get('start'), ['cloned']);
      assert.deepEqual(byStep.get('train'), ['cloned', 'cloned', 'cloned']);
      assert.deepEqual(byStep.get('join'), ['succeeded']);
      const resumed = await describeRun(ws, `ParallelFlow/${result.runId}`);
      assert.deepEqual(resumed.steps.join[0].data.seen, [0, 1, 2]);
    } finally {
      ws.cleanup();
    }
  });
});

describe('origin run ids that are not a run directory name', () => {
  it('resume and spin refuse an --origin-run-id that would leave the datastore, naming the option', async () => {
    const ws = workspace('branch_flow.py');
    try {
      const r = await runner(ws);
      const outside = fs.mkdtempSync(path.join(ws.dir, 'outside-'));
      const escape = path.relative(path.join(ws.root, 'BranchFlow'), outside);
      await assert.rejects(r.resume({ flowFile: ws.flow('branch_flow.py'), originRunId: escape }), /--origin-run-id '\.\.\/.*' is not a run id/);
      await assert.rejects(r.spin({ flowFile: ws.flow('branch_flow.py'), step: 'join', originRunId: escape }), /--origin-run-id '\.\.\/.*' is not a run id/);
    } finally {
      ws.cleanup();
    }
  });

  it('resume of a run id that does not exist says so instead of failing inside the reader', async () => {
    const ws = workspace('branch_flow.py');
    try {
      const r = await runner(ws);
      await assert.rejects(r.resume({ flowFile: ws.flow('branch_flow.py'), originRunId: '12345' }), (err: Error) => {
        assert.match(err.message, /^there is no run BranchFlow\/12345 in .* \(from --origin-run-id\)$/);
        return true;
      });
    } finally {
      ws.cleanup();
    }
  });

  it('resume refuses a latest_run file whose content is not a run id, naming the file', async () => {
    const ws = workspace('branch_flow.py');
    try {
      fs.mkdirSync(path.join(ws.root, 'BranchFlow'), { recursive: true });
      fs.writeFileSync(path.join(ws.root, 'BranchFlow', 'latest_run'), '../../elsewhere');
      const r = await runner(ws);
      await assert.rejects(r.resume({ flowFile: ws.flow('branch_flow.py') }), /latest_run.*'\.\.\/\.\.\/elsewhere' is not a run id/);
    } finally {
      ws.cleanup();
    }
  });
});
