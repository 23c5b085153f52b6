import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { RunRefused } from '../../../src/runtime/localRunner';
import { describeRun, finish, runner, type Workspace, workspace, writeFlow } from './harness';

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

function selfJson(...parts: string[]): { system_tags: string[] } {
  return JSON.parse(fs.readFileSync(path.join(ws.root, ...parts, '_meta', '_self.json'), 'utf8')) as { system_tags: string[] };
}

describe('task behaviours through the scheduler', () => {
  it('a segfault ends the task with Metaflow\'s line in its stderr, after the output it printed', async () => {
    const file = writeFlow(ws, 'segv_flow.py', `from metaflow import FlowSpec, step

class SegvFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        import ctypes
        print("Crash and burn!")
        ctypes.string_at(0)

if __name__ == "__main__":
    SegvFlow()
`);
    const { result, events } = await finish((await runner(ws)).run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /step \*end\*.*Task failed with a segmentation fault\./);
    const end = events.find((e) => e.event === 'task_finished' && e.step === 'end');
    assert.ok(end && end.event === 'task_finished' && end.signal === 'SIGSEGV');
    const run = await describeRun(ws, `SegvFlow/${result.runId}`);
    assert.match(run.steps.end[0].stdout, /Crash and burn!/);
    assert.match(run.steps.end[0].stderr, /Task failed with a segmentation fault\./);
  });

  it('@timeout raises in the step: @catch catches it on the same attempt, long before the backstop kill', async () => {
    const file = writeFlow(ws, 'timeout_flow.py', `import time
from metaflow import FlowSpec, catch, step, timeout

class TimeoutFlow(FlowSpec):
    @catch(var="ex", print_exception=False)
    @timeout(seconds=1)
    @step
    def start(self):
        self.check = True
        time.sleep(20)
        self.next(self.end)

    @step
    def end(self):
        self.caught = self.ex.type

if __name__ == "__main__":
    TimeoutFlow()
`);
    const { result, events } = await finish((await runner(ws)).run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    const starts = events.filter((e) => e.event === 'task_finished' && e.step === 'start');
    assert.equal(starts.length, 1, 'caught on the first attempt');
    const first = starts[0];
    assert.ok(first.event === 'task_finished' && first.status === 'succeeded' && first.duration_ms < 3000, JSON.stringify(first));
    const run = await describeRun(ws, `TimeoutFlow/${result.runId}`);
    assert.equal(run.steps.start[0].data.check, true);
    assert.equal(run.steps.end[0].data.caught, 'metaflow.plugins.timeout_decorator.TimeoutException');
    assert.match(run.steps.start[0].stderr, /Step start timed out after 0 hours, 0 minutes, 1 seconds/);
  });

  const PARAMS_FLOW = `import os
from metaflow import FlowSpec, Parameter, project, step

@project(name="tags_project")
class EnvParamFlow(FlowSpec):
    needed = Parameter("needed-value", required=True)
    count = Parameter("count", default=1)

    @step
    def start(self):
        self.seen = (self.needed, self.count)
        self.next(self.end)

    @step
    def end(self):
        pass

if __name__ == "__main__":
    EnvParamFlow()
`;

  it('a required parameter may come from METAFLOW_RUN_<NAME>; the command line wins over it', async () => {
    const file = writeFlow(ws, 'env_param_flow.py', PARAMS_FLOW);
    const r = await runner(ws, { METAFLOW_RUN_NEEDED_VALUE: 'from env', METAFLOW_RUN_COUNT: '5' });
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: ['--count', '6'] }));
    assert.equal(result.status, 'succeeded', result.error);
    const run = await describeRun(ws, `EnvParamFlow/${result.runId}`);
    assert.deepEqual(run.steps.start[0].data.seen, ['from env', 6]);
  });

  it('a bad METAFLOW_RUN_<NAME> value or a missing required parameter is refused before the run, naming the variable', async () => {
    const file = writeFlow(ws, 'env_param_flow.py', PARAMS_FLOW);
    const bad = await runner(ws, { METAFLOW_RUN_NEEDED_VALUE: 'x', METAFLOW_RUN_COUNT: 'many' });
    assert.throws(() => bad.run({ flowFile: file, parameterArgs: [] }), (e: Error) => e instanceof RunRefused && /parameter 'count' \(environment variable METAFLOW_RUN_COUNT\): 'many' is not a valid integer/.test(e.message));
    const missing = await runner(ws);
    assert.throws(() => missing.run({ flowFile: file, parameterArgs: [] }), (e: Error) => e instanceof RunRefused && /--needed-value VALUE or set the environment variable METAFLOW_RUN_NEEDED_VALUE/.test(e.message));
  });

  it('@project tags the run, its steps and tasks with project: and project_branch: (METAFLOW_BRANCH)', async () => {
    const file = writeFlow(ws, 'env_param_flow.py', PARAMS_FLOW);
    const r = await runner(ws, { METAFLOW_BRANCH: 'feature_x' });
    const { result } = await finish(r.run({ flowFile: file, parameterArgs: ['--needed-value', 'v'] }));
    assert.equal(result.status, 'succeeded', result.error);
    const expected = ['project:tags_project', 'project_branch:test.feature_x'];
    const runDir = ['EnvParamFlow', result.runId];
    const task = fs.readdirSync(path.join(ws.root, ...runDir, 'start')).find((t) => t !== '_meta')!;
    for (const parts of [runDir, [...runDir, 'start'], [...runDir, 'start', task]]) {
      const tags = selfJson(...parts).system_tags;
      for (const t of expected) assert.ok(tags.includes(t), `${parts.join('/')}: ${tags.join(', ')}`);
    }
  });
});
