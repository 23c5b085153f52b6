import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMflogLine } from '../../../src/datastore/mflog';
import { describeRun, finish, runner, type Workspace, workspace } from './harness';

const FLOWS = ['wide_foreach_flow.py', 'branch_flow.py', 'nested_foreach_flow.py', 'switch_loop_flow.py', 'switch_in_foreach_flow.py', 'parallel_flow.py'];

describe('every graph shape runs', () => {
  let ws: Workspace;
  before(() => {
    ws = workspace(...FLOWS);
  });
  after(() => ws.cleanup());

  async function run(file: string, parameterArgs: string[] = []) {
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: ws.flow(file), parameterArgs }));
    assert.equal(result.status, 'succeeded', result.error);
    return { result, events };
  }

  it('static split: the join sees both branches, in branch order', async () => {
    const { result } = await run('branch_flow.py');
    const run2 = await describeRun(ws, `BranchFlow/${result.runId}`);
    assert.equal(run2.successful, true);
    assert.deepEqual(run2.steps.join[0].data.xs, [10, 20]);
    assert.match(run2.steps.end[0].stdout, /xs \[10, 20\]/);
  });

  it('nested foreach: inner and outer joins keep split order', async () => {
    const { result } = await run('nested_foreach_flow.py');
    const r = await describeRun(ws, `NestedForeachFlow/${result.runId}`);
    assert.deepEqual(r.steps.outer_join[0].data.all_tags, [['a1', 'a2', 'a3'], ['b1', 'b2', 'b3']]);
    assert.equal(r.steps.leaf.length, 6);
    assert.deepEqual(r.steps.mid.map((t) => t.index).sort(), [0, 1]);
  });

  it('a switch that loops to itself runs one task per iteration', async () => {
    const { result } = await run('switch_loop_flow.py');
    const r = await describeRun(ws, `SwitchLoopFlow/${result.runId}`);
    assert.equal(r.steps.loop.length, 3);
    assert.equal(r.steps.end[0].data.count, 3);
    assert.match(r.steps.end[0].stdout, /count 3/);
  });

  it('a switch inside a foreach takes a branch per item and the join keeps item order', async () => {
    const { result } = await run('switch_in_foreach_flow.py');
    const r = await describeRun(ws, `SwitchInForeachFlow/${result.runId}`);
    assert.deepEqual(r.steps.join[0].data.labels, ['small:5', 'big:50', 'big:500']);
    assert.equal(r.steps.big.length, 2);
    assert.equal(r.steps.small.length, 1);
  });

  it('num_parallel starts a control task and node tasks that see current.parallel', async () => {
    const { result, events } = await run('parallel_flow.py');
    const r = await describeRun(ws, `ParallelFlow/${result.runId}`);
    assert.deepEqual(r.steps.join[0].data.seen, [0, 1, 2]);
    const ids = r.steps.train.map((t) => t.id).sort();
    assert.equal(ids.length, 3);
    const control = ids.find((id) => !id.includes('_node_'))!;
    assert.deepEqual(ids.filter((id) => id !== control), [`${control}_node_1`, `${control}_node_2`]);
    const started = events.filter((e) => e.event === 'task_started' && e.step === 'train');
    assert.equal(started.length, 3);
  });

  it('a 200-way foreach runs every task and the join sees every value in split order', async () => {
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: ws.flow('wide_foreach_flow.py'), parameterArgs: ['--width', '200'], maxNumSplits: 200 }));
    assert.equal(result.status, 'succeeded', result.error);
    assert.equal(events.filter((e) => e.event === 'task_finished' && e.step === 'body' && e.status === 'succeeded').length, 200);
    const run = await describeRun(ws, `WideForeachFlow/${result.runId}`);
    assert.deepEqual(run.steps.join[0].data.squares, Array.from({ length: 200 }, (_, i) => i * i));
  });

  it('writes the run bookkeeping Metaflow reads: ids, _parameters, latest_run, _self.json, mflog logs', async () => {
    const { result, events } = await run('branch_flow.py');
    const runDir = path.join(ws.root, 'BranchFlow', result.runId);
    assert.match(result.runId, /^\d{16}$/);
    assert.equal(fs.readFileSync(path.join(ws.root, 'BranchFlow', 'latest_run'), 'utf8'), result.runId);
    const runSelf = JSON.parse(fs.readFileSync(path.join(runDir, '_meta', '_self.json'), 'utf8'));
    assert.equal(runSelf.run_number, result.runId);
    assert.equal(runSelf.user_name, 'tester');
    assert.ok(runSelf.system_tags.includes('user:tester'));
    assert.ok(fs.existsSync(path.join(runDir, '_parameters', '0', '0.DONE.lock')));
    assert.ok(fs.existsSync(path.join(runDir, 'start', '1', '_meta', '_self.json')));
    const taskIds = events.filter((e) => e.event === 'task_started').map((e) => (e.event === 'task_started' ? e.task_id : ''));
    assert.deepEqual([...taskIds].sort(), ['0', '1', '2', '3', '4', '5']);
    const endId = events.find((e) => e.event === 'task_started' && e.step === 'end')!;
    const endTask = endId.event === 'task_started' ? endId.task_id : '';
    const log = fs.readFileSync(path.join(runDir, 'end', endTask, '0.runtime_stdout.log'), 'utf8').trim().split('\n');
    const line = parseMflogLine(log[log.length - 1]);
    assert.equal(line?.text, 'xs [10, 20]');
    assert.equal(line?.source, 'task');
    const runtime = JSON.parse(fs.readFileSync(path.join(runDir, 'end', endTask, '0.runtime'), 'utf8'));
    assert.deepEqual(runtime, { return_code: 0, killed: false, success: true });
    const logEvent = events.find((e) => e.event === 'log' && e.line === 'xs [10, 20]');
    assert.equal(logEvent?.event === 'log' ? logEvent.pathspec : '', `BranchFlow/${result.runId}/end/${endTask}`);
    const finished = events.filter((e) => e.event === 'task_finished');
    assert.ok(finished.every((e) => e.event === 'task_finished' && e.status === 'succeeded' && e.duration_ms >= 0));
    assert.equal(events[0].event, 'run_started');
    assert.equal(events[events.length - 1].event, 'run_finished');
  });

  it('runs with a fresh interpreter per task when the setting asks for it', async () => {
    const r = await runner(ws, { METAFLOW_STUDIO_WORKER: 'process' });
    const { result } = await finish(r.run({ flowFile: ws.flow('branch_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    const run2 = await describeRun(ws, `BranchFlow/${result.runId}`);
    assert.deepEqual(run2.steps.join[0].data.xs, [10, 20]);
  });

  it('keeps at most --max-workers tasks running at once', async () => {
    const r = await runner(ws);
    let running = 0;
    let peak = 0;
    const { result } = await finish(r.run({ flowFile: ws.flow('nested_foreach_flow.py'), parameterArgs: [], maxWorkers: 2 }), (e) => {
      if (e.event === 'task_started') peak = Math.max(peak, ++running);
      if (e.event === 'task_finished') running--;
    });
    assert.equal(result.status, 'succeeded');
    assert.equal(peak, 2);
  });
});
