// The scheduler's decisions on a scripted pool and a virtual clock: no Python, no wall-clock waits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateTaskRequest } from '../../../src/runtime/workerProtocolValidators';
import { flowOf } from './flowBuilder';
import { failure, finishedOf, linearFlow, simulate } from './schedulerHarness';

const FOREACH = flowOf('ForeachFlow', {
  start: { type: 'split-foreach', next: ['body'], foreach: 'items' },
  body: { type: 'linear', next: ['join'] },
  join: { type: 'join', next: ['end'] },
  end: { type: 'end' },
});

describe('scheduler: @retry', () => {
  it('retries a failed local task at once, up to times=, with the attempt number and retries in the spec', async () => {
    const sim = await simulate(linearFlow([{ name: 'retry', attributes: { times: 2, minutes_between_retries: 5 } }]), (spec) =>
      spec.step === 'train' && spec.attempt < 2 ? { result: failure(), durationMs: 100 } : {},
    );
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    assert.deepEqual(sim.pool.attempts('train'), [0, 1, 2]);
    const submits = sim.pool.submissions.filter((s) => s.spec.step === 'train');
    // Each retry is submitted as soon as the failed attempt ends (100 virtual ms later), not minutes later.
    assert.deepEqual(submits.map((s) => s.at - submits[0].at), [0, 100, 200]);
    assert.ok(submits.every((s) => s.spec.max_user_code_retries === 2));
    assert.deepEqual(finishedOf(sim.events, 'train').map((e) => [e.attempt, e.status, e.will_retry]), [[0, 'failed', true], [1, 'failed', true], [2, 'succeeded', false]]);
  });

  it('fails the run after the last attempt, naming the step and the exception', async () => {
    const sim = await simulate(linearFlow([{ name: 'retry', attributes: { times: 1 } }]), (spec) => (spec.step === 'train' ? { result: failure('KeyError') } : {}));
    assert.equal(sim.result.status, 'failed');
    assert.deepEqual(sim.pool.attempts('train'), [0, 1]);
    assert.match(sim.result.error ?? '', /step \*train\* .*KeyError: boom/);
    assert.equal(sim.pool.submissions.some((s) => s.spec.step === 'end'), false);
  });

  it('does not retry a failure the worker marks as not retryable', async () => {
    const sim = await simulate(linearFlow([{ name: 'retry', attributes: { times: 3 } }]), (spec) => (spec.step === 'train' ? { result: failure('MetaflowException', false) } : {}));
    assert.equal(sim.result.status, 'failed');
    assert.deepEqual(sim.pool.attempts('train'), [0]);
  });
});

describe('scheduler: @catch', () => {
  it('gives a task that dies without a result fallback attempts, then continues the run', async () => {
    const sim = await simulate(linearFlow([{ name: 'catch', attributes: { var: 'err' } }]), (spec) =>
      spec.step === 'train' && spec.attempt < 2 ? { result: null, exitCode: 139 } : {},
    );
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    assert.deepEqual(sim.pool.attempts('train'), [0, 1, 2]);
    // No @retry: the worker runs the catch fallback from the second attempt on.
    assert.ok(sim.pool.submissions.filter((s) => s.spec.step === 'train').every((s) => s.spec.max_user_code_retries === 0));
    assert.match(finishedOf(sim.events, 'train')[0].error ?? '', /exited with code 139 before reporting a result/);
    assert.equal(sim.pool.attempts('end').length, 1);
  });
});

describe('scheduler: @timeout', () => {
  it('kills the task (the backstop to the in-step TimeoutException) once the limit and its grace pass, and retries it under @retry', async () => {
    const sim = await simulate(linearFlow([{ name: 'timeout', attributes: { seconds: 5 } }, { name: 'retry', attributes: { times: 1 } }]), (spec) =>
      spec.step === 'train' && spec.attempt === 0 ? { durationMs: 60_000 } : { durationMs: 1000 },
    );
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const first = sim.pool.submissions.find((s) => s.spec.step === 'train')!;
    // The step gets the limit, then a grace period (the larger of 3 s and a tenth of the limit; none on Windows).
    const graceMs = process.platform === 'win32' ? 0 : 3000;
    assert.deepEqual(sim.pool.kills.map((k) => [k.key, k.at - first.at]), [[first.key, 5000 + graceMs]]);
    const [timedOut, retried] = finishedOf(sim.events, 'train');
    assert.equal(timedOut.error, 'timed out after 5 s (@timeout)');
    assert.equal(timedOut.will_retry, true);
    assert.equal(retried.status, 'succeeded');
  });

  it('fails the run when the only attempt times out', async () => {
    const sim = await simulate(linearFlow([{ name: 'timeout', attributes: { minutes: 1 } }]), (spec) => (spec.step === 'train' ? { durationMs: 3_600_000 } : {}));
    assert.equal(sim.result.status, 'failed');
    assert.match(sim.result.error ?? '', /timed out after 60 s/);
    assert.equal(sim.pool.kills.length, 1);
  });
});

describe('scheduler: cancel', () => {
  it('kills every running task, starts nothing more and ends cancelled', async () => {
    let cancelled = false;
    const sim = await simulate(FOREACH, (spec) => (spec.step === 'body' ? { durationMs: 10_000 } : {}), {
      maxWorkers: 2,
      onEvent: (e, handle) => {
        if (!cancelled && e.event === 'task_started' && e.step === 'body') {
          cancelled = true;
          handle.cancel();
        }
      },
    });
    assert.equal(sim.result.status, 'cancelled');
    const bodies = sim.pool.submissions.filter((s) => s.spec.step === 'body');
    assert.ok(bodies.length >= 1 && bodies.length <= 2, `${bodies.length} body tasks started`);
    assert.deepEqual(sim.pool.kills.map((k) => k.key).sort(), bodies.map((b) => b.key).sort());
    assert.equal(sim.pool.submissions.some((s) => s.spec.step === 'join'), false);
    assert.ok(sim.pool.shutDown);
  });
});

describe('scheduler: concurrency and foreach limits', () => {
  it('keeps at most max-workers tasks running and feeds the join every split, in order', async () => {
    const wide = flowOf('WideFlow', { start: { type: 'split-foreach', next: ['body'], foreach: 'items' }, body: { type: 'linear', next: ['join'] }, join: { type: 'join', next: ['end'] }, end: { type: 'end' } });
    const sim = await simulate(wide, (spec) =>
      spec.step === 'start' ? { result: { ok: true, next: ['body'], foreach_var: 'items', num_splits: 10, retry_allowed: true } } : { durationMs: 100 + Number(spec.task_id) },
    { maxWorkers: 3 });
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    assert.equal(sim.pool.maxConcurrent, 3);
    const bodies = sim.pool.submissions.filter((s) => s.spec.step === 'body');
    assert.deepEqual(bodies.map((b) => b.spec.split_index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const join = sim.pool.submissions.find((s) => s.spec.step === 'join')!;
    assert.deepEqual(join.spec.input_paths, bodies.map((b) => `${b.spec.run_id}/body/${b.spec.task_id}`));
  });

  it('refuses a foreach wider than max-num-splits before starting any of it', async () => {
    const sim = await simulate(FOREACH, (spec) => (spec.step === 'start' ? { result: { ok: true, next: ['body'], foreach_var: 'items', num_splits: 6, retry_allowed: true } } : {}), { maxNumSplits: 5 });
    assert.equal(sim.result.status, 'failed');
    assert.match(sim.result.error ?? '', /yielded 6 child tasks, which is more than the current maximum of 5\. Raise the maximum with --max-num-splits/);
    assert.equal(sim.pool.submissions.some((s) => s.spec.step === 'body'), false);
  });

  it('starts a num_parallel group whole, even wider than max-workers, with its node ids and mapper tasks', async () => {
    const parallel = flowOf('ParallelFlow', {
      start: { type: 'split-parallel', next: ['train'], numParallel: 4 },
      train: { type: 'linear', next: ['join'], decorators: [{ name: 'parallel' }] },
      join: { type: 'join', next: ['end'] },
      end: { type: 'end' },
    });
    const sim = await simulate(parallel, () => ({ durationMs: 500 }), { maxWorkers: 2 });
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const nodes = sim.pool.submissions.filter((s) => s.spec.step === 'train');
    assert.equal(new Set(nodes.map((n) => n.at)).size, 1, 'every node starts at the same moment');
    assert.equal(sim.pool.maxConcurrent, 4);
    const control = nodes[0].spec.task_id;
    assert.deepEqual(nodes.map((n) => n.spec.task_id), [control, `${control}_node_1`, `${control}_node_2`, `${control}_node_3`]);
    assert.deepEqual(nodes.map((n) => n.spec.parallel?.node_index), [0, 1, 2, 3]);
    assert.ok(nodes.every((n) => n.spec.parallel?.num_nodes === 4 && n.spec.parallel.control_task_id === control && n.spec.parallel.mapper_tasks.length === 4));
  });
});

describe('scheduler: requests', () => {
  it('sends only task requests the protocol schema accepts', async () => {
    const sim = await simulate(FOREACH, (spec) => (spec.step === 'body' && spec.attempt === 0 ? { result: failure() } : {}), { tags: ['刺身'] });
    // The body fails without @retry: the run fails, after requests of several kinds were sent.
    assert.equal(sim.result.status, 'failed');
    assert.ok(sim.pool.submissions.length >= 3);
    for (const s of sim.pool.submissions) assert.ok(validateTaskRequest({ op: 'task', key: s.key, task: s.spec }), JSON.stringify(s.spec));
  });
});
