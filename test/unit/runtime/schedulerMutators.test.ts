// Decorators that mutators add or remove at import time: the `_parameters` task reports each step's decorators
// after mutation, and the scheduler's retry/catch/timeout policies follow that report instead of the source.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskResult, TaskSpec } from '../../../src/runtime/workerProtocol';
import { flowOf } from './flowBuilder';
import { failure, finishedOf, linearFlow, simulate, type TaskScript } from './schedulerHarness';

type Effective = NonNullable<TaskResult['effective_decorators']>;

/** The `_parameters` task reports `effective`; `train` behaves as `train` says; every other task succeeds. */
function withEffective(effective: Effective, train: (spec: TaskSpec) => TaskScript) {
  return (spec: TaskSpec): TaskScript => {
    if (spec.kind === 'params') return { result: { ok: true, next: ['start'], retry_allowed: true, effective_decorators: effective } };
    return spec.step === 'train' ? train(spec) : {};
  };
}

describe('scheduler: decorators added by mutators', () => {
  it('retries a step whose @retry a mutator added, as if it were written in the source', async () => {
    const sim = await simulate(linearFlow(), withEffective({ start: [], train: [{ name: 'retry', attributes: { times: 2 } }], end: [] }, (spec) =>
      spec.attempt < 2 ? { result: failure(), durationMs: 50 } : {},
    ));
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    assert.deepEqual(sim.pool.attempts('train'), [0, 1, 2]);
    assert.ok(sim.pool.submissions.filter((s) => s.spec.step === 'train').every((s) => s.spec.max_user_code_retries === 2));
    assert.deepEqual(finishedOf(sim.events, 'train').map((e) => e.will_retry), [true, true, false]);
  });

  it('without the report, the same failing step is not retried (the source has no @retry)', async () => {
    const sim = await simulate(linearFlow(), (spec) => (spec.step === 'train' ? { result: failure() } : {}));
    assert.equal(sim.result.status, 'failed');
    assert.deepEqual(sim.pool.attempts('train'), [0]);
  });

  it('gives fallback attempts under a @catch a mutator added', async () => {
    const sim = await simulate(linearFlow(), withEffective({ train: [{ name: 'catch', attributes: { var: 'err', print_exception: true } }] }, (spec) =>
      spec.attempt === 0 ? { result: null, exitCode: 139 } : {},
    ));
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    assert.deepEqual(sim.pool.attempts('train'), [0, 1]);
    assert.equal(sim.pool.attempts('end').length, 1);
  });

  it('arms the @timeout backstop a mutator added', async () => {
    const sim = await simulate(linearFlow(), withEffective({ train: [{ name: 'timeout', attributes: { seconds: 4 } }] }, () => ({ durationMs: 3_600_000 })));
    assert.equal(sim.result.status, 'failed');
    const first = sim.pool.submissions.find((s) => s.spec.step === 'train')!;
    const graceMs = process.platform === 'win32' ? 0 : 3000;
    assert.deepEqual(sim.pool.kills.map((k) => k.at - first.at), [4000 + graceMs]);
    assert.equal(finishedOf(sim.events, 'train')[0].error, 'timed out after 4 s (@timeout)');
  });

  it('drops a written @retry that a mutator removed, and keeps the written policy of steps the report leaves out', async () => {
    const flow = flowOf('MutatedFlow', {
      start: { type: 'start', next: ['train'], decorators: [{ name: 'retry', attributes: { times: 1 } }] },
      train: { type: 'linear', next: ['end'], decorators: [{ name: 'retry', attributes: { times: 3 } }] },
      end: { type: 'end' },
    });
    const sim = await simulate(flow, (spec) => {
      if (spec.kind === 'params') return { result: { ok: true, next: ['start'], retry_allowed: true, effective_decorators: { train: [] } } };
      return spec.attempt === 0 ? { result: failure() } : {};
    });
    assert.equal(sim.result.status, 'failed');
    // start keeps its written @retry(times=1); train lost its @retry to the mutator.
    assert.deepEqual(sim.pool.attempts('start'), [0, 1]);
    assert.deepEqual(sim.pool.attempts('train'), [0]);
    assert.match(sim.result.error ?? '', /step \*train\*/);
  });

  it('refuses a mutated policy Metaflow would refuse, naming the step and the mutators, before the start step runs', async () => {
    const sim = await simulate(linearFlow(), withEffective({ train: [{ name: 'retry', attributes: { times: 10 } }] }, () => ({})));
    assert.equal(sim.result.status, 'failed');
    assert.match(sim.result.error ?? '', /@retry\(times=10\) on step \*train\*: the most retries allowed is @retry\(times=\d+\) \(as the flow's mutators left the step's decorators\)/);
    assert.deepEqual(sim.pool.submissions.map((s) => s.spec.step), ['_parameters']);
  });
});
