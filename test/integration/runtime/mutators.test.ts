// Decorators added by mutators at import time take effect in the scheduler (retries) exactly as written ones,
// with real python3 and the embedded worker; the flow's DAG stays the one `src/flow` reads from the source.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RunEvent } from '../../../src/runtime/events';
import { describeRun, finish, runner, type Workspace, workspace, writeFlow } from './harness';

type Finished = Extract<RunEvent, { event: 'task_finished' }>;

const MUTATED_FLOW = `import os
from metaflow import FlowMutator, FlowSpec, StepMutator, catch, current, retry, step


class RetryFlaky(FlowMutator):
    def pre_mutate(self, mutable_flow):
        mutable_flow.flaky.add_decorator(retry, deco_kwargs={"times": 2})


class CatchIt(StepMutator):
    def mutate(self, mutable_step):
        mutable_step.add_decorator(catch, deco_kwargs={"var": "caught"})


@RetryFlaky
class MutatedFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.flaky)

    @step
    def flaky(self):
        self.attempt_seen = current.retry_count
        if current.retry_count == 0:
            raise ValueError("fails on the first attempt")
        self.next(self.doomed)

    @CatchIt
    @step
    def doomed(self):
        raise KeyError("always")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    MutatedFlow()
`;

let ws: Workspace;
beforeEach(() => {
  ws = workspace();
});
afterEach(() => ws.cleanup());

describe('decorators added by mutators', () => {
  it('a FlowMutator\'s @retry retries the failing-once step and a StepMutator\'s @catch keeps the run going', async () => {
    const file = writeFlow(ws, 'mutated_flow.py', MUTATED_FLOW);
    const r = await runner(ws);
    const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    const flaky = events.filter((e): e is Finished => e.event === 'task_finished' && e.step === 'flaky');
    assert.deepEqual(flaky.map((e) => [e.attempt, e.status, e.will_retry]), [[0, 'failed', true], [1, 'succeeded', false]]);
    assert.match(flaky[0].error ?? '', /ValueError: fails on the first attempt/);
    // @catch without @retry: the user code runs once, the exception is caught and stored.
    const doomed = events.filter((e): e is Finished => e.event === 'task_finished' && e.step === 'doomed');
    assert.deepEqual(doomed.map((e) => [e.attempt, e.status]), [[0, 'succeeded']]);

    const run = await describeRun(ws, `MutatedFlow/${result.runId}`);
    assert.equal(run.successful, true);
    assert.equal(run.steps.flaky[0].data.attempt_seen, 1);
    assert.match(String(run.steps.doomed[0].data.caught), /KeyError/);
  });

  it('resume keeps the mutated policy: the cloned _parameters task reports the decorators the origin run had', async () => {
    const file = writeFlow(ws, 'mutated_flow.py', MUTATED_FLOW.replace('raise KeyError("always")', 'pass').replace(
      'if current.retry_count == 0:',
      'if current.retry_count == 0 and current.origin_run_id is not None:',
    ).replace('    @step\n    def start(self):\n        self.next(self.flaky)', '    @step\n    def start(self):\n        if current.origin_run_id is None:\n            raise RuntimeError("first run fails at start")\n        self.next(self.flaky)'));
    const r = await runner(ws);
    const first = await finish(r.run({ flowFile: file, parameterArgs: [] }));
    assert.equal(first.result.status, 'failed');
    const resumed = await finish((await runner(ws)).resume({ flowFile: file }));
    assert.equal(resumed.result.status, 'succeeded', resumed.result.error);
    const flaky = resumed.events.filter((e): e is Finished => e.event === 'task_finished' && e.step === 'flaky');
    assert.deepEqual(flaky.map((e) => [e.attempt, e.status]), [[0, 'failed'], [1, 'succeeded']]);
  });
});
