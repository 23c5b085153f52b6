import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RunEvent } from '../../../src/runtime/events';
import { describeRun, listFiles, pidAlive, REPO_ROOT, testEnv, type Workspace, workspace, writeFlow } from './harness';

const CLI = path.join(REPO_ROOT, 'src', 'cli.ts');
// The loader is named by URL because the CLI runs with a temp workspace as its cwd.
const TSX = pathToFileURL(require.resolve('tsx', { paths: [REPO_ROOT] })).href;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(ws: Workspace, args: string[], onStdout?: (text: string, child: ChildProcess) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: ws.dir, env: testEnv(ws, { NODE_OPTIONS: '' }) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function events(stdout: string): RunEvent[] {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunEvent);
}

const FOREACH = `from metaflow import FlowSpec, step
import time


class SlowForeachFlow(FlowSpec):
    @step
    def start(self):
        self.items = list(range(6))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        time.sleep(0.4)
        self.value = self.input * 10
        print("body", self.input)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = [i.value for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        print("values", self.values)


if __name__ == "__main__":
    SlowForeachFlow()
`;

let ws: Workspace;
beforeEach(() => {
  ws = workspace('branch_flow.py');
});
afterEach(() => ws.cleanup());

describe('metaflow-studio run / resume / dump / logs', () => {
  it('run --json prints the event stream as JSON lines and exits 0 on success', async () => {
    const r = await cli(ws, ['run', 'branch_flow.py', '--json', '--tag', 'nightly']);
    assert.equal(r.code, 0, r.stderr);
    const evs = events(r.stdout);
    assert.equal(evs[0].event, 'run_started');
    assert.deepEqual(evs[0].event === 'run_started' ? evs[0].tags : [], ['nightly']);
    assert.equal(evs[evs.length - 1].event, 'run_finished');
    assert.equal(evs[evs.length - 1].event === 'run_finished' ? evs[evs.length - 1] : undefined, evs[evs.length - 1]);
    const kinds = new Set(evs.map((e) => e.event));
    for (const k of ['task_started', 'log', 'task_finished']) assert.ok(kinds.has(k as RunEvent['event']), k);
    const log = evs.find((e) => e.event === 'log');
    assert.match(log && log.event === 'log' ? log.pathspec : '', /^BranchFlow\/\d+\/end\/\d+$/);
  });

  it('human output has Metaflow\'s console shape, and dump and logs read the run back', async () => {
    const r = await cli(ws, ['run', 'branch_flow.py']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[\d{16}\/start\/1 \(pid \d+\)\] Task is starting\.$/m);
    assert.match(r.stdout, /\[\d{16}\/end\/5 \(pid \d+\)\] xs \[10, 20\]$/m);
    const runId = fs.readFileSync(path.join(ws.root, 'BranchFlow', 'latest_run'), 'utf8');
    const dump = await cli(ws, ['dump', `BranchFlow/${runId}/join`]);
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /xs {2}<class 'list'> {2}\d+ bytes\n {4}\[10, 20\]/);
    const logs = await cli(ws, ['logs', `BranchFlow/${runId}/end/5`]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'xs [10, 20]\n');
    const missing = await cli(ws, ['dump', `BranchFlow/${runId}/nope`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no step 'nope'/);
  });

  it("accepts Metaflow's top-level options and unicode tags; --run-id-file gets the id, and only run (not resume) writes latest_run", async () => {
    const compat = ['--metadata=local', '--datastore=local', '--environment=local', '--event-logger=nullSidecarLogger', '--no-pylint', '--quiet'];
    const tags = ['--tag=\u523a\u8eab means sashimi', '--tag=multiple tags should be ok'];
    const r = await cli(ws, ['run', 'branch_flow.py', ...compat, '--run-id-file', 'run-id', ...tags]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Metaflow Studio executing|Creating local datastore/);
    const runId = fs.readFileSync(path.join(ws.dir, 'run-id'), 'utf8');
    assert.match(runId, /^\d{16}$/);
    assert.equal(fs.readFileSync(path.join(ws.root, 'BranchFlow', 'latest_run'), 'utf8'), runId);
    const run = await describeRun(ws, `BranchFlow/${runId}`);
    assert.deepEqual(run.userTags, ['multiple tags should be ok', '\u523a\u8eab means sashimi'].sort());
    const resumed = await cli(ws, ['resume', 'branch_flow.py', 'join', ...compat, '--run-id-file=resume-id', '--origin-run-id', runId]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const resumeId = fs.readFileSync(path.join(ws.dir, 'resume-id'), 'utf8');
    assert.notEqual(resumeId, runId);
    assert.ok(fs.existsSync(path.join(ws.root, 'BranchFlow', resumeId, '_meta')));
    assert.equal(fs.readFileSync(path.join(ws.root, 'BranchFlow', 'latest_run'), 'utf8'), runId);
    const remote = await cli(ws, ['run', 'branch_flow.py', '--metadata=service']);
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /--metadata service is not available here/);
  });

  it('exits 1 on a failed run, 1 with check\'s output on lint errors, 2 on usage errors', async () => {
    writeFlow(ws, 'bad.py', 'from metaflow import FlowSpec, step\n\nclass BadFlow(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.nowhere)\n\n    @step\n    def end(self):\n        pass\n');
    const lint = await cli(ws, ['run', 'bad.py']);
    assert.equal(lint.code, 1);
    assert.match(lint.stderr, /^bad\.py:\d+: check_unknown_transitions: .*nowhere/m);
    assert.match(lint.stderr, /problems? found in bad\.py\./);
    assert.deepEqual(listFiles(ws.root), []);
    writeFlow(ws, 'raise.py', 'from metaflow import FlowSpec, step\n\nclass RaiseFlow(FlowSpec):\n    @step\n    def start(self):\n        raise RuntimeError("nope")\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n');
    const failed = await cli(ws, ['run', 'raise.py']);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout + failed.stderr, /RuntimeError: nope/);
    const usage = await cli(ws, ['run']);
    assert.equal(usage.code, 2);
  });

  it('SIGINT cancels the run: every task process ends and the exit code is 130', async () => {
    writeFlow(ws, 'sleepy.py', FOREACH.replace('time.sleep(0.4)', 'time.sleep(60)').replaceAll('SlowForeachFlow', 'SleepyFlow'));
    let interrupted = false;
    const r = await cli(ws, ['run', 'sleepy.py', '--json'], (text, child) => {
      const starts = text.split('\n').filter((l) => l.includes('"task_started"') && l.includes('"step":"body"')).length;
      if (!interrupted && starts >= 6) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    assert.equal(r.code, 130, r.stderr + r.stdout.slice(-1500));
    const evs = events(r.stdout);
    const pids = evs.flatMap((e) => (e.event === 'task_started' && e.step === 'body' && e.pid ? [e.pid] : []));
    assert.equal(pids.length, 6);
    for (const pid of pids) assert.equal(pidAlive(pid), false, `task process ${pid} still runs`);
    const last = evs[evs.length - 1];
    assert.equal(last.event === 'run_finished' ? last.status : '', 'cancelled');
  });

  it('after the scheduler is SIGKILLed mid-run, the datastore holds only whole files and resume completes the run', async () => {
    writeFlow(ws, 'slow_foreach.py', FOREACH);
    let killed = false;
    const first = await cli(ws, ['run', 'slow_foreach.py', '--json', '--max-workers', '2'], (text, child) => {
      const finishedBodies = text.split('\n').filter((l) => l.includes('"task_finished"') && l.includes('"step":"body"')).length;
      if (!killed && finishedBodies >= 2) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    assert.equal(first.code, null);
    assert.ok(killed);
    const runId = fs.readFileSync(path.join(ws.root, 'SlowForeachFlow', 'latest_run'), 'utf8');
    // Tasks already forked finish on their own; give them time, then look for partial files.
    await new Promise((r) => setTimeout(r, 1500));
    // Writes go to hidden temp files renamed into place, so every visible file is whole: each JSON parses,
    // and each finished attempt has its artifact index.
    const files = listFiles(ws.root);
    for (const f of files.filter((x) => x.endsWith('.json'))) assert.doesNotThrow(() => JSON.parse(fs.readFileSync(path.join(ws.root, f), 'utf8')), f);
    for (const f of files.filter((x) => x.endsWith('.DONE.lock'))) assert.ok(files.includes(f.replace(/DONE\.lock$/, 'data.json')), f);
    for (const f of files.filter((x) => x.endsWith('.tmp'))) assert.ok(path.basename(f).startsWith('.'), `visible temp file ${f}`);
    const resumed = await cli(ws, ['resume', 'slow_foreach.py', '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const evs = events(resumed.stdout);
    const cloned = evs.filter((e) => e.event === 'task_finished' && e.step === 'body' && e.status === 'cloned');
    assert.ok(cloned.length >= 2, `expected the finished body tasks to be cloned, got ${cloned.length}`);
    const started = evs[0];
    assert.equal(started.event === 'run_started' ? started.origin_run_id : '', runId);
    const finishedEvent = evs[evs.length - 1];
    const newRun = finishedEvent.run_id;
    const run = await describeRun(ws, `SlowForeachFlow/${newRun}`);
    assert.equal(run.successful, true);
    assert.deepEqual(run.steps.join[0].data.values, [0, 10, 20, 30, 40, 50]);
  });
});
