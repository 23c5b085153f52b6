import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NoRunReachedStepError, RunRefused } from '../../../src/runtime/localRunner';
import { describeRun, finish, listFiles, pidAlive, runner, type Workspace, workspace, writeFlow } from './harness';

const HEADER = 'from metaflow import FlowSpec, step, Parameter, retry, catch, timeout, current\nimport os, signal, sys, time\n\n';

/** The plain end step most flows here finish with. */
const END_STEP = '    @step\n    def end(self):\n        pass';

function flow(name: string, body: string): string {
  return `${HEADER}class ${name}(FlowSpec):\n${body}\n\nif __name__ == "__main__":\n    ${name}()\n`;
}

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

async function expectFailure(file: string, pattern: RegExp, parameterArgs: string[] = []) {
  const r = await runner(ws);
  const { result, events } = await finish(r.run({ flowFile: file, parameterArgs }));
  assert.equal(result.status, 'failed');
  assert.match(result.error ?? '', pattern);
  return { result, events };
}

describe('bad input gets a clear message', () => {
  it('a step that raises: traceback in the task log and the events, finished tasks kept, resume completes the run', async () => {
    const file = writeFlow(ws, 'raise_flow.py', flow('RaiseFlow', `
    @step
    def start(self):
        self.kept = 41
        self.next(self.middle)

    @step
    def middle(self):
        if not os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixed")):
            raise ValueError("middle is broken")
        self.kept += 1
        self.next(self.end)

    @step
    def end(self):
        print("kept", self.kept)`));
    const { result, events } = await expectFailure(file, /step \*middle\*.*ValueError: middle is broken/);
    assert.ok(events.some((e) => e.event === 'log' && e.step === 'middle' && e.line.startsWith('Traceback (most recent call last)')));
    const middleDir = path.join(ws.root, 'RaiseFlow', result.runId, 'middle');
    const task = fs.readdirSync(middleDir).find((t) => t !== '_meta')!;
    assert.match(fs.readFileSync(path.join(middleDir, task, '0.runtime_stderr.log'), 'utf8'), /ValueError: middle is broken/);
    const failedRun = await describeRun(ws, `RaiseFlow/${result.runId}`);
    assert.equal(failedRun.successful, false);
    assert.equal(failedRun.steps.start[0].data.kept, 41);

    fs.writeFileSync(path.join(ws.dir, 'fixed'), '');
    const r = await runner(ws);
    const resumed = await finish(r.resume({ flowFile: file }));
    assert.equal(resumed.result.status, 'succeeded', resumed.result.error);
    const statuses = resumed.events.filter((e) => e.event === 'task_finished').map((e) => (e.event === 'task_finished' ? `${e.step}:${e.status}` : ''));
    assert.deepEqual(statuses, ['_parameters:cloned', 'start:cloned', 'middle:succeeded', 'end:succeeded']);
    const done = await describeRun(ws, `RaiseFlow/${resumed.result.runId}`);
    assert.equal(done.successful, true);
    assert.equal(done.steps.end[0].data.kept, 42);
    assert.equal(done.steps.start[0].metadata['origin-task-id'], '1');
    assert.equal(done.steps.start[0].metadata['origin-run-id'], result.runId);
  });

  it('a foreach over an empty list names the step', async () => {
    const file = writeFlow(ws, 'empty_flow.py', flow('EmptyFlow', `
    @step
    def start(self):
        self.items = []
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

${END_STEP}`));
    await expectFailure(file, /start.*(empty|nothing to iterate|zero)/i);
  });

  it('a foreach wider than --max-num-splits says so', async () => {
    const file = writeFlow(ws, 'wide_flow.py', flow('WideFlow', `
    @step
    def start(self):
        self.items = list(range(5))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws);
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: [], maxNumSplits: 4 }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /foreach in step \*start\* yielded 5 child tasks, which is more than the current maximum of 4/);
  });

  it('a switch value that is not a case names the step and the value', async () => {
    const file = writeFlow(ws, 'switch_flow.py', flow('BadSwitchFlow', `
    @step
    def start(self):
        self.mode = "sideways"
        self.next({"up": self.up, "down": self.down}, condition="mode")

    @step
    def up(self):
        self.next(self.end)

    @step
    def down(self):
        self.next(self.end)

${END_STEP}`));
    await expectFailure(file, /start.*sideways/);
  });

  it('a task killed by a signal says which signal', async () => {
    const file = writeFlow(ws, 'kill_flow.py', flow('KillFlow', `
    @step
    def start(self):
        os.kill(os.getpid(), signal.SIGKILL)
        self.next(self.end)

${END_STEP}`));
    await expectFailure(file, /killed by SIGKILL \(out of memory\?\)/);
  });

  it('a fork-server that dies under a run fails the run instead of hanging', async () => {
    const file = writeFlow(ws, 'server_flow.py', flow('ServerFlow', `
    @retry(times=2, minutes_between_retries=0)
    @step
    def start(self):
        with open("/proc/%d/cmdline" % os.getppid(), "rb") as f:
            parent = f.read()
        if b"metaflow_studio.worker" in parent:
            os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(2)
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'failed');
    assert.ok(events.some((e) => e.event === 'log' && /the Python fork-server exited \(SIGKILL\)/.test(e.line)));
  });

  it('an unpicklable artifact names the artifact', async () => {
    const file = writeFlow(ws, 'pickle_flow.py', flow('PickleFlow', `
    @step
    def start(self):
        import threading
        self.handle = threading.Lock()
        self.next(self.end)

${END_STEP}`));
    await expectFailure(file, /handle/);
  });

  it('a Parameter given a value of the wrong type is refused before anything runs', async () => {
    const file = writeFlow(ws, 'param_flow.py', flow('ParamFlow', `
    alpha = Parameter("alpha", type=float, default=0.5)

    @step
    def start(self):
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws);
    assert.throws(() => r.run({ flowFile: file, parameterArgs: ['--alpha', 'fast'] }), (e: Error) => e instanceof RunRefused && /parameter 'alpha' \(--alpha\): 'fast' is not a valid float/.test(e.message));
    assert.deepEqual(listFiles(ws.root), []);
  });

  it("'root' as the only user name is refused with the setting to fix it", async () => {
    const file = writeFlow(ws, 'root_flow.py', flow('RootFlow', `
    @step
    def start(self):
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws, { USER: 'root' });
    assert.throws(() => r.run({ flowFile: file, parameterArgs: [] }), /'root'.*Set METAFLOW_USER/);
  });

  it('a lint error stops the run before any task starts', async () => {
    const file = writeFlow(ws, 'lint_flow.py', flow('LintFlow', `
    @step
    def start(self):
        self.next(self.missing)

${END_STEP}`));
    const r = await runner(ws);
    assert.throws(() => r.run({ flowFile: file, parameterArgs: [] }), (e: Error) => e instanceof RunRefused && e.lintErrors.length > 0);
    assert.deepEqual(listFiles(ws.root), []);
  });

  it('a syntax error stops the run before the flow is imported', async () => {
    const file = writeFlow(ws, 'syntax_flow.py', flow('SyntaxFlow', `
    @step
    def start(self):
        x = (1 +
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws);
    assert.throws(() => r.run({ flowFile: file, parameterArgs: [] }), (e: Error) => e instanceof RunRefused && e.syntaxErrors.length > 0 && /syntax error/.test(e.message));
    assert.deepEqual(listFiles(ws.root), []);
  });

  it('a flow file that fails to import shows the traceback and no run starts', async () => {
    const file = writeFlow(ws, 'import_flow.py', `import no_such_module_here\n${flow('ImportFlow', `
    @step
    def start(self):
        self.next(self.end)

${END_STEP}`)}`);
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /Traceback[\s\S]*No module named 'no_such_module_here'/);
    assert.deepEqual(events.map((e) => e.event), ['run_finished']);
    assert.deepEqual(listFiles(path.join(ws.root, 'ImportFlow')), []);
  });

  it('a missing python3 names the setting that fixes it', async () => {
    const file = writeFlow(ws, 'py_flow.py', flow('PyFlow', `
    @step
    def start(self):
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws, { METAFLOW_STUDIO_PYTHON: path.join(ws.dir, 'no-python-here') });
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /cannot start Python.*METAFLOW_STUDIO_PYTHON/);
  });

  it('spin with no run that reached the step says so', async () => {
    const file = writeFlow(ws, 'spin_none_flow.py', flow('SpinNoneFlow', `
    @step
    def start(self):
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws);
    await assert.rejects(r.spin({ flowFile: file, step: 'end' }), (e: Error) => e instanceof NoRunReachedStepError && /no run of SpinNoneFlow has reached step 'end'/.test(e.message));
  });
});

describe('retry, catch, timeout and cancel', () => {
  it('retries, catches and times out as the decorators say', async () => {
    fs.copyFileSync(path.join(__dirname, 'flows', 'retry_catch_flow.py'), path.join(ws.dir, 'retry_catch_flow.py'));
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: ws.flow('retry_catch_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    const flaky = events.filter((e) => e.event === 'task_finished' && e.step === 'flaky');
    assert.deepEqual(flaky.map((e) => (e.event === 'task_finished' ? [e.attempt, e.status, e.will_retry] : [])), [[0, 'failed', true], [1, 'failed', true], [2, 'succeeded', false]]);
    const slow = events.filter((e) => e.event === 'task_finished' && e.step === 'slow');
    assert.equal(slow.length, 2);
    // The alarm raised TimeoutException in the step: the attempt ended by itself, nothing was killed.
    assert.match(slow[0].event === 'task_finished' ? (slow[0].error ?? '') : '', /^metaflow\.plugins\.timeout_decorator\.TimeoutException: Step slow timed out after 0 hours, 0 minutes, 1 seconds/);
    const run = await describeRun(ws, `RetryCatchFlow/${result.runId}`);
    assert.equal(run.steps.end[0].data.attempts, 2);
    assert.match(String(run.steps.caught[0].data.problem), /KeyError|always/);
    const slowDir = path.join(ws.root, 'RetryCatchFlow', result.runId, 'slow', run.steps.slow[0].id);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(slowDir, '0.runtime'), 'utf8')), { return_code: 1, killed: false, success: false });
  });

  it('@environment variables reach the task, and tags reach the run', async () => {
    const file = writeFlow(ws, 'env_flow.py', flow('EnvFlow', `
    @environment(vars={"GREETING": "hello from env"})
    @step
    def start(self):
        self.greeting = os.environ.get("GREETING")
        self.next(self.end)

    @step
    def end(self):
        print(os.environ.get("GREETING"))`).replace('from metaflow import ', 'from metaflow import environment, '));
    const r = await runner(ws);
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: [], tags: ['exp-1'] }));
    assert.equal(result.status, 'succeeded', result.error);
    const run = await describeRun(ws, `EnvFlow/${result.runId}`);
    assert.equal(run.steps.start[0].data.greeting, 'hello from env');
    assert.equal(run.steps.end[0].stdout.trim(), 'None');
    assert.deepEqual(run.userTags, ['exp-1']);
    assert.ok(run.systemTags.some((t) => t.startsWith('user:')), `system tags name the user: ${run.systemTags.join(', ')}`);
    assert.deepEqual(run.tags, [...run.userTags, ...run.systemTags].sort());
  });

  it('retries a local task at once: minutes_between_retries is for remote compute only, as in Metaflow', async () => {
    const file = writeFlow(ws, 'delay_flow.py', flow('DelayFlow', `
    @retry(times=1, minutes_between_retries=2)
    @step
    def start(self):
        if current.retry_count == 0:
            raise RuntimeError("first attempt fails")
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    const failed = events.find((e) => e.event === 'task_finished' && e.step === 'start' && e.attempt === 0)!;
    const retried = events.find((e) => e.event === 'task_started' && e.step === 'start' && e.attempt === 1)!;
    // Waiting the 2 minutes would put the retry 120 000 ms after the failure.
    assert.ok(retried.ts - failed.ts < 60_000, `retry came after ${retried.ts - failed.ts} ms`);
  });

  it('@timeout: a step that does not stop at its alarm is killed with its whole process group', async () => {
    const file = writeFlow(ws, 'group_flow.py', flow('GroupFlow', `
    @timeout(seconds=1)
    @step
    def start(self):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        import subprocess
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "child.pid"), "w") as f:
            f.write(str(child.pid))
        time.sleep(60)
        self.next(self.end)

${END_STEP}`));
    const r = await runner(ws);
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /timed out after 1 s \(@timeout\)/);
    const pid = Number(fs.readFileSync(path.join(ws.dir, 'child.pid'), 'utf8'));
    await new Promise((r2) => setTimeout(r2, 200));
    assert.equal(pidAlive(pid), false);
  });

  it('@timeout counts the step, not the interpreter start and flow import of a fresh-process task', async () => {
    const file = writeFlow(ws, 'slow_import_flow.py', flow('SlowImportFlow', `
    @timeout(seconds=2)
    @step
    def start(self):
        self.next(self.end)

${END_STEP}`).replace('import os, signal, sys, time\n', 'import os, signal, sys, time\ntime.sleep(2.5)\n'));
    const r = await runner(ws, { METAFLOW_STUDIO_WORKER: 'process' });
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
  });

  for (const mode of ['fork-server', 'process']) {
    it(`cancel ends every task process, marks the run cancelled and leaves only whole files (${mode} workers)`, async () => {
      const file = writeFlow(ws, 'cancel_flow.py', flow('CancelFlow', `
      @step
      def start(self):
          self.items = list(range(4))
          self.next(self.body, foreach="items")

      @step
      def body(self):
          print("sleeping", self.input)
          time.sleep(60)
          self.next(self.join)

      @step
      def join(self, inputs):
          self.next(self.end)

      @step
      def end(self):
          pass`));
      const r = await runner(ws, { METAFLOW_STUDIO_WORKER: mode });
      const pids: number[] = [];
      let sleeping = 0;
      const started = Date.now();
      const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }), (e, cancel) => {
        if (e.event === 'task_started' && e.step === 'body' && e.pid) pids.push(e.pid);
        if (e.event === 'log' && e.line.startsWith('sleeping') && ++sleeping === 4) cancel();
      });
      assert.ok(Date.now() - started < 20_000);
      assert.equal(result.status, 'cancelled');
      assert.equal(pids.length, 4);
      for (const pid of pids) assert.equal(pidAlive(pid), false, `task process ${pid} still runs`);
      const bodyDone = events.filter((e) => e.event === 'task_finished' && e.step === 'body');
      assert.equal(bodyDone.length, 4);
      assert.ok(listFiles(ws.root).every((f) => !f.endsWith('.tmp')));
      const run = await describeRun(ws, `CancelFlow/${result.runId}`);
      assert.equal(run.successful, false);
    });
  }
});
