// @catch on a num_parallel step, as Metaflow runs it: only the control task gets the fallback attempt;
// its worker nodes stop after their @retry attempts, and the control task alone goes on to the join.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/runtime/events';
import { flowOf } from './flowBuilder';
import { simulate } from './schedulerHarness';

type Finished = Extract<RunEvent, { event: 'task_finished' }>;

function parallelFlow(decorators: Array<{ name: string; attributes?: Record<string, number | string> }>) {
  return flowOf('ParallelCatchFlow', {
    start: { type: 'split-parallel', next: ['train'], numParallel: 3 },
    train: { type: 'linear', next: ['join'], decorators: [{ name: 'parallel' }, ...decorators] },
    join: { type: 'join', next: ['end'] },
    end: { type: 'end' },
  });
}

const attemptsByTask = (sim: Awaited<ReturnType<typeof simulate>>, step: string) => {
  const out: Record<string, number[]> = {};
  for (const s of sim.pool.submissions.filter((x) => x.spec.step === step)) (out[s.spec.task_id] ??= []).push(s.spec.attempt);
  return out;
};

describe('scheduler: @catch on a num_parallel step', () => {
  it('gives the fallback attempt to the control task only, and the join gets the control task alone', async () => {
    // Every node dies without a result on its user-code attempts (killed); the fallback attempt succeeds.
    const sim = await simulate(parallelFlow([{ name: 'catch', attributes: { var: 'ex' } }, { name: 'retry', attributes: { times: 2 } }]), (spec) =>
      spec.step === 'train' && spec.attempt <= 2 ? { result: null, exitCode: null } : {},
    );
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const attempts = attemptsByTask(sim, 'train');
    const control = Object.keys(attempts).find((id) => !id.includes('_node_'))!;
    assert.deepEqual(attempts, { [control]: [0, 1, 2, 3], [`${control}_node_1`]: [0, 1, 2], [`${control}_node_2`]: [0, 1, 2] });
    const join = sim.pool.submissions.find((s) => s.spec.step === 'join')!;
    assert.deepEqual(join.spec.input_paths, [`${join.spec.run_id}/train/${control}`]);
    const workersLast = sim.events.filter((e): e is Finished => e.event === 'task_finished' && e.step === 'train' && e.task_id.includes('_node_') && e.attempt === 2);
    assert.deepEqual(workersLast.map((e) => [e.status, e.will_retry]), [['failed', false], ['failed', false]]);
    assert.equal(sim.pool.attempts('end').length, 1);
  });

  it('feeds the join every node when the group succeeds, with @catch present', async () => {
    const sim = await simulate(parallelFlow([{ name: 'catch' }]), () => ({}));
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const join = sim.pool.submissions.find((s) => s.spec.step === 'join')!;
    assert.equal(join.spec.input_paths.length, 3);
  });

  it('fails the run when a worker node runs out of attempts but the control task succeeded without the fallback', async () => {
    const sim = await simulate(parallelFlow([{ name: 'catch' }]), (spec) =>
      spec.step === 'train' && spec.task_id.endsWith('_node_1') ? { result: null, exitCode: 1, durationMs: 50 } : { durationMs: 5 },
    );
    assert.equal(sim.result.status, 'failed');
    assert.match(sim.result.error ?? '', /step \*train\*/);
    assert.deepEqual(Object.values(attemptsByTask(sim, 'train')).map((a) => a.length).sort(), [1, 1, 1]);
    assert.equal(sim.pool.submissions.some((s) => s.spec.step === 'join'), false);
  });

  it('still gives a plain (not parallel) step its fallback attempt', async () => {
    const flow = flowOf('LinearFlow', {
      start: { type: 'start', next: ['train'] },
      train: { type: 'linear', next: ['end'], decorators: [{ name: 'catch' }] },
      end: { type: 'end' },
    });
    const sim = await simulate(flow, (spec) => (spec.step === 'train' && spec.attempt === 0 ? { result: null, exitCode: 1 } : {}));
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    assert.deepEqual(sim.pool.attempts('train'), [0, 1]);
  });
});
