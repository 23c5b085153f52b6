import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatastoreClient } from '../../../src/client/datastoreClient';
import { loadRunState } from '../../../src/client/runStateLoader';
import { deleteRun, RunDeletionRefused } from '../../../src/client/runDeletion';
import { compareRuns, renderComparison } from '../../../src/client/runComparison';
import { taskLogText } from '../../../src/client/taskLogText';
import { pickledBool } from '../../../src/client/taskReader';
import { art, MetaflowLayoutWriter } from './metaflowLayoutFixture';

const T0 = 1_790_000_000; // seconds
const OLD = () => (T0 + 3600) * 1000;

function tmpRoot(): string {
  return path.join(fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-client-'))), '.metaflow');
}

describe('datastore client on a Metaflow-written layout', () => {
  let root: string;
  let w: MetaflowLayoutWriter;
  before(() => {
    root = tmpRoot();
    w = new MetaflowLayoutWriter(root, 'TrainFlow');
    // Run 1: succeeded, foreach of 3 with one retried task.
    w.run('1790000000000001', T0 * 1000, ['nightly']);
    w.parameters('1790000000000001', T0 * 1000, { alpha: art.int(1) });
    w.task('1790000000000001', 'start', '1', { attempts: [{ ok: true, start: T0 + 1, end: T0 + 2 }], artifacts: { items: art.str('abc') }, stdout: ['hello from start'], stderr: ['a warning'] });
    for (let i = 0; i < 3; i++) {
      const attempts = i === 1 ? [{ ok: false, start: T0 + 3, end: T0 + 4 }, { ok: true, start: T0 + 5, end: T0 + 6 }] : [{ ok: true, start: T0 + 3, end: T0 + 4 }];
      w.task('1790000000000001', 'body', String(i + 2), { attempts, artifacts: { square: art.int(i * i) }, foreach: { step: 'body', var: 'items', index: i, value: 'abc'[i] } });
    }
    w.task('1790000000000001', 'join', '5', { attempts: [{ ok: true, start: T0 + 7, end: T0 + 8 }], artifacts: { total: art.int(5) } });
    w.task('1790000000000001', 'end', '6', { attempts: [{ ok: true, start: T0 + 9, end: T0 + 10 }] });
    // Run 2 (newer): failed in body, no .runtime files and no attempt_ok (remote-style): status from _task_ok.
    w.run('1790000000000002', (T0 + 100) * 1000);
    w.parameters('1790000000000002', (T0 + 100) * 1000, { alpha: art.int(2) });
    w.task('1790000000000002', 'start', '1', { attempts: [{ ok: true, start: T0 + 101, end: T0 + 102 }], artifacts: { items: art.str('abd') }, runtimeFile: false, noAttemptOk: true });
    w.task('1790000000000002', 'body', '2', { attempts: [{ ok: false, start: T0 + 103, end: T0 + 104 }], runtimeFile: false, noAttemptOk: true });
    // Run 3 (newest): resumed from run 1, a task still running, its _self.json corrupt.
    w.run('1790000000000003', (T0 + 200) * 1000);
    w.parameters('1790000000000003', (T0 + 200) * 1000, { alpha: art.int(1) });
    w.task('1790000000000003', 'start', '1', { attempts: [{ ok: true, start: T0 + 201, end: T0 + 202 }], originRunId: '1790000000000001', originTaskId: '1' });
    w.task('1790000000000003', 'body', '2', { attempts: [{ ok: true, start: T0 + 203, done: false }], originRunId: '1790000000000001', noDataJson: true });
    fs.writeFileSync(path.join(root, 'TrainFlow', '1790000000000003', '_meta', '_self.json'), '{"run_number": "17900');
    // The _self.json mtimes decide the order, as Metaflow's ts_epoch does.
    for (const [id, t] of [['1790000000000001', T0], ['1790000000000002', T0 + 100], ['1790000000000003', T0 + 200]] as const) {
      fs.utimesSync(path.join(root, 'TrainFlow', id, '_meta', '_self.json'), t, t);
    }
  });
  after(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

  it('lists flows with their latest run and runs newest first with status, times, tags, origin', () => {
    const client = new DatastoreClient(root, { now: OLD });
    assert.deepEqual(client.listFlows(), [{ name: 'TrainFlow', latestRun: '1790000000000003' }]);
    const runs = client.listRuns('TrainFlow');
    assert.deepEqual(runs.items.map((r) => [r.runId, r.status]), [
      ['1790000000000003', 'running'],
      ['1790000000000002', 'failed'],
      ['1790000000000001', 'succeeded'],
    ]);
    const [resumed, failed, ok] = runs.items;
    assert.equal(ok.startedAt, T0 * 1000);
    assert.equal(ok.durationMs, 10_000);
    assert.equal(ok.user, 'anchor');
    assert.deepEqual(ok.tags, ['nightly']);
    assert.ok(ok.systemTags.includes('metaflow_version:2.19.38'));
    assert.equal(failed.finishedAt, (T0 + 104) * 1000);
    assert.equal(resumed.originRunId, '1790000000000001');
    assert.match(resumed.error ?? '', /1790000000000003\/_meta\/_self\.json is not valid JSON/);
  });

  it('pages runs with a cursor', () => {
    const client = new DatastoreClient(root, { now: OLD });
    const first = client.listRuns('TrainFlow', undefined, 2);
    assert.equal(first.items.length, 2);
    assert.equal(first.total, 3);
    const second = client.listRuns('TrainFlow', first.cursor, 2);
    assert.deepEqual(second.items.map((r) => r.runId), ['1790000000000001']);
    assert.equal(second.cursor, undefined);
    assert.throws(() => client.listRuns('TrainFlow', 'x'), /invalid page cursor 'x'/);
  });

  it('lists steps in start order (without _parameters) and tasks with foreach index, value and attempt', () => {
    const client = new DatastoreClient(root, { now: OLD });
    assert.deepEqual(client.listSteps('TrainFlow', '1790000000000001').map((s) => [s.name, s.taskCount]), [['start', 1], ['body', 3], ['join', 1], ['end', 1]]);
    const body = client.listTasks('TrainFlow', '1790000000000001', 'body').items;
    assert.deepEqual(body.map((t) => [t.taskId, t.foreachIndex, t.foreachValue, t.attempt, t.status]), [
      ['2', 0, 'a', 0, 'succeeded'],
      ['3', 1, 'b', 1, 'succeeded'],
      ['4', 2, 'c', 0, 'succeeded'],
    ]);
    assert.equal(body[1].startedAt, (T0 + 5) * 1000);
    assert.equal(body[1].durationMs, 1000);
    const failed = client.listTasks('TrainFlow', '1790000000000002', 'body').items[0];
    assert.equal(failed.status, 'failed');
    const running = client.task('TrainFlow', '1790000000000003', 'body', '2');
    assert.deepEqual([running.status, running.done], ['running', false]);
    assert.equal(client.task('TrainFlow', '1790000000000003', 'start', '1').originTaskId, '1');
  });

  it('lists artifacts with type, size and sha from data.json, hiding private ones unless asked', () => {
    const client = new DatastoreClient(root);
    const arts = client.artifacts('TrainFlow', '1790000000000001', 'body', '3');
    assert.deepEqual(arts.artifacts.map((a) => [a.name, a.type, a.size]), [
      ['name', "<class 'str'>", 17],
      ['square', "<class 'int'>", 8],
    ]);
    assert.equal(arts.attempt, 1);
    assert.match(arts.artifacts[1].sha, /^[0-9a-f]{40}$/);
    assert.equal(arts.artifacts[1].pathspec, 'TrainFlow/1790000000000001/body/3/square');
    assert.ok(client.artifacts('TrainFlow', '1790000000000001', 'body', '3', true).artifacts.some((a) => a.name === '_task_ok'));
  });

  it('explains why an unfinished task has no artifacts and falls back to _meta artifact files without data.json', () => {
    const client = new DatastoreClient(root);
    const running = client.artifacts('TrainFlow', '1790000000000003', 'body', '2');
    assert.match(running.error ?? '', /attempt 0 has not finished \(no 0\.DONE\.lock in .*body\/2\)/);
    const dir = path.join(root, 'TrainFlow', '1790000000000001', 'join', '5');
    fs.renameSync(path.join(dir, '0.data.json'), path.join(dir, 'hidden.json'));
    try {
      const arts = client.artifacts('TrainFlow', '1790000000000001', 'join', '5');
      assert.deepEqual(arts.artifacts.map((a) => [a.name, a.type]), [['name', undefined], ['total', undefined]]);
      assert.equal(arts.error, undefined);
    } finally {
      fs.renameSync(path.join(dir, 'hidden.json'), path.join(dir, '0.data.json'));
    }
  });

  it('names a corrupt data.json on its task when no _meta files can stand in', () => {
    const client = new DatastoreClient(root);
    const dir = path.join(root, 'TrainFlow', '1790000000000001', 'end', '6');
    const file = path.join(dir, '0.data.json');
    const saved = fs.readFileSync(file);
    const meta = path.join(dir, '_meta');
    fs.renameSync(meta, `${meta}.off`);
    fs.writeFileSync(file, '{"objects": ');
    try {
      assert.match(client.artifacts('TrainFlow', '1790000000000001', 'end', '6').error ?? '', new RegExp(`cannot read ${file.replace(/[.]/g, '\\.')}`));
    } finally {
      fs.writeFileSync(file, saved);
      fs.renameSync(`${meta}.off`, meta);
    }
  });

  it('builds the RunState of a past run for the DAG panel', () => {
    const state = loadRunState(root, 'TrainFlow', '1790000000000001');
    assert.equal(state.status, 'succeeded');
    assert.deepEqual([...state.steps.keys()], ['start', 'body', 'join', 'end']);
    const body = state.steps.get('body')!;
    assert.deepEqual([body.status, body.succeeded, body.failed, body.maxAttempt, body.taskIds], ['succeeded', 3, 0, 1, ['2', '3', '4']]);
    const retried = state.tasks.get('body/3')!;
    assert.deepEqual(retried.attempts.map((a) => a.status), ['failed', 'succeeded']);
    assert.deepEqual(retried.foreachIndices, [1]);
    assert.equal(state.tasksTotal, 6);
    const resumed = loadRunState(root, 'TrainFlow', '1790000000000003', undefined, new DatastoreClient(root, { now: OLD }));
    assert.equal(resumed.kind, 'resume');
    assert.equal(resumed.tasks.get('start/1')!.status, 'cloned');
    assert.equal(resumed.steps.get('start')!.cloned, 1);
  });

  it('compares two runs: parameters, changed artifacts per step, durations', () => {
    const client = new DatastoreClient(root, { now: OLD });
    const c = compareRuns(client, 'TrainFlow', '1790000000000001', '1790000000000002');
    assert.deepEqual(c.parameters.map((p) => [p.name, p.a === p.b]), [['alpha', false]]);
    assert.deepEqual(c.artifacts.filter((x) => x.step === 'start').map((x) => [x.name, x.change]), [['items', 'changed']]);
    assert.ok(c.artifacts.some((x) => x.step === 'join' && x.name === 'total' && x.change === 'removed'));
    assert.deepEqual(c.durations.find((d) => d.step === 'body'), { step: 'body', a: 3000, b: 1000, tasksA: 3, tasksB: 1 });
    const text = renderComparison(c, { 'a:alpha': '1', 'b:alpha': '2' });
    assert.match(text, /\| alpha \| 1 \| 2 \| \*\*differs\*\* \|/);
    assert.match(text, /\| start \| items \| changed \|/);
  });

  it('shows a task log with stdout and stderr marked', () => {
    const text = taskLogText(root, 'TrainFlow/1790000000000001/start/1');
    assert.match(text, /out \| hello from start/);
    assert.match(text, /ERR \| a warning/);
    assert.throws(() => taskLogText(root, 'TrainFlow/1790000000000001/start/../../x'), /not a task pathspec/);
  });

  it('reads a bool pickle without unpickling', () => {
    assert.equal(pickledBool(Buffer.from([0x80, 4, 0x88, 0x2e])), true);
    assert.equal(pickledBool(Buffer.from([0x80, 2, 0x89, 0x2e])), false);
    assert.equal(pickledBool(Buffer.from([0x80, 4, 0x4e, 0x2e])), undefined);
  });
});

describe('paging a wide step and deleting runs', () => {
  it('returns the first 200 of 450 tasks with a cursor, ids in numeric order, then orchestrator ids by creation', () => {
    const root = tmpRoot();
    try {
      const w = new MetaflowLayoutWriter(root, 'WideFlow');
      w.run('1', T0 * 1000);
      for (let i = 1; i <= 450; i++) w.task('1', 'body', String(i), { attempts: [{ ok: true, start: T0 + 1, end: T0 + 2 }] });
      w.task('1', 'body', 't-bbbb', { attempts: [{ ok: true, start: T0 + 1, end: T0 + 2 }] });
      w.task('1', 'body', 't-aaaa', { attempts: [{ ok: true, start: T0 + 1, end: T0 + 2 }] });
      fs.utimesSync(path.join(root, 'WideFlow', '1', 'body', 't-bbbb'), T0, T0);
      const client = new DatastoreClient(root);
      const first = client.listTasks('WideFlow', '1', 'body');
      assert.equal(first.items.length, 200);
      assert.equal(first.total, 452);
      assert.deepEqual(first.items.slice(0, 3).map((t) => t.taskId), ['1', '2', '3']);
      const last = client.listTasks('WideFlow', '1', 'body', '400');
      assert.deepEqual(last.items.slice(-3).map((t) => t.taskId), ['450', 't-bbbb', 't-aaaa']);
      assert.equal(last.cursor, undefined);
    } finally {
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
  });

  it('deletes a finished run with its _meta and clears latest_run, refuses a running one and bad ids', () => {
    const root = tmpRoot();
    try {
      const w = new MetaflowLayoutWriter(root, 'DelFlow');
      w.run('10', T0 * 1000);
      w.task('10', 'end', '1', { attempts: [{ ok: true, start: T0, end: T0 + 1 }] });
      w.run('11', Date.now());
      w.task('11', 'start', '1', { attempts: [{ ok: true, start: Date.now() / 1000, done: false }] });
      fs.writeFileSync(path.join(root, 'DelFlow', 'latest_run'), '10');
      const client = new DatastoreClient(root);
      assert.throws(() => deleteRun(client, 'DelFlow', '11'), (e: Error) => e instanceof RunDeletionRefused && /still running/.test(e.message));
      assert.throws(() => deleteRun(client, 'DelFlow', '..'), /not a run id/);
      assert.throws(() => deleteRun(client, 'DelFlow', 'data'), /not a run id/);
      deleteRun(client, 'DelFlow', '10');
      assert.equal(fs.existsSync(path.join(root, 'DelFlow', '10')), false);
      assert.equal(fs.existsSync(path.join(root, 'DelFlow', 'latest_run')), false);
      assert.ok(fs.existsSync(path.join(root, 'DelFlow', 'data')));
      assert.deepEqual(client.runIds('DelFlow'), ['11']);
    } finally {
      fs.rmSync(path.dirname(root), { recursive: true, force: true });
    }
  });
});
