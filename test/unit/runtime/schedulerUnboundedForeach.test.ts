// Unbounded foreach as Metaflow's runtime runs it: the split reports no cardinality, one control task follows
// (no split index), and once it says how many items there are, a mapper task per item `<control id>-<i>`;
// the join gets the mapper tasks only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunEvent } from '../../../src/runtime/events';
import type { TaskSpec } from '../../../src/runtime/workerProtocol';
import { validateTaskRequest } from '../../../src/runtime/workerProtocolValidators';
import { flowOf } from './flowBuilder';
import { failure, simulate, type TaskScript } from './schedulerHarness';

type Finished = Extract<RunEvent, { event: 'task_finished' }>;

const UBF_DECORATOR = { name: 'unbounded_test_foreach_internal' };

const UBF = flowOf('UbfFlow', {
  start: { type: 'split-foreach', next: ['inner'], foreach: 'arr' },
  inner: { type: 'linear', next: ['join'], decorators: [UBF_DECORATOR, { name: 'retry', attributes: { times: 2 } }] },
  join: { type: 'join', next: ['end'] },
  end: { type: 'end' },
});

/** The split is unbounded; each control task reports `items` mapper tasks; `mapper` scripts the mapper tasks. */
function unbounded(splitStep: string, items: number, mapper: (spec: TaskSpec) => TaskScript = () => ({})) {
  return (spec: TaskSpec): TaskScript => {
    if (spec.step === splitStep) return { result: { ok: true, next: ['inner'], foreach_var: 'arr', num_splits: null, unbounded_foreach: true, retry_allowed: true } };
    if (spec.ubf_context === 'ubf_control') return { result: { ok: true, next: ['join'], num_splits: items, retry_allowed: true } };
    if (spec.ubf_context === 'ubf_task') return mapper(spec);
    return {};
  };
}

describe('scheduler: unbounded foreach', () => {
  it('runs one control task, then a mapper task per item named after it, and joins the mapper tasks only', async () => {
    const sim = await simulate(UBF, unbounded('start', 3));
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const start = sim.pool.submissions.find((s) => s.spec.step === 'start')!.spec;
    const inner = sim.pool.submissions.filter((s) => s.spec.step === 'inner').map((s) => s.spec);
    const [control, ...mappers] = inner;
    const startPath = `${start.run_id}/start/${start.task_id}`;
    assert.equal(control.ubf_context, 'ubf_control');
    assert.equal(control.split_index, undefined);
    assert.deepEqual(control.input_paths, [startPath]);
    assert.deepEqual(mappers.map((m) => [m.task_id, m.split_index, m.ubf_context, m.input_paths]), [0, 1, 2].map((i) => [`${control.task_id}-${i}`, i, 'ubf_task', [startPath]]));
    // Mappers start once the control task has said how many items there are.
    const controlFinished = sim.events.find((e): e is Finished => e.event === 'task_finished' && e.task_id === control.task_id)!;
    assert.ok(sim.pool.submissions.filter((s) => s.spec.ubf_context === 'ubf_task').every((s) => s.at >= controlFinished.ts));
    assert.equal(controlFinished.num_splits, undefined);
    const join = sim.pool.submissions.filter((s) => s.spec.step === 'join');
    assert.equal(join.length, 1);
    assert.deepEqual(join[0].spec.input_paths, mappers.map((m) => `${m.run_id}/inner/${m.task_id}`));
    assert.equal(sim.pool.attempts('end').length, 1);
    for (const s of sim.pool.submissions) assert.ok(validateTaskRequest({ op: 'task', key: s.key, task: s.spec }), JSON.stringify(s.spec));
  });

  it('inside a bounded foreach: a control task per outer item, each with its own mappers and join', async () => {
    const nested = flowOf('NestedUbfFlow', {
      start: { type: 'split-foreach', next: ['split_z'], foreach: 'x' },
      split_z: { type: 'split-foreach', next: ['inner'], foreach: 'z' },
      inner: { type: 'linear', next: ['join'], decorators: [UBF_DECORATOR] },
      join: { type: 'join', next: ['join_x'] },
      join_x: { type: 'join', next: ['end'] },
      end: { type: 'end' },
    });
    const sim = await simulate(nested, (spec) =>
      spec.step === 'start' ? { result: { ok: true, next: ['split_z'], foreach_var: 'x', num_splits: 3, retry_allowed: true } } : unbounded('split_z', 2)(spec),
    );
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const inner = sim.pool.submissions.filter((s) => s.spec.step === 'inner').map((s) => s.spec);
    assert.equal(inner.filter((s) => s.ubf_context === 'ubf_control').length, 3);
    assert.equal(inner.filter((s) => s.ubf_context === 'ubf_task').length, 6);
    const joins = sim.pool.submissions.filter((s) => s.spec.step === 'join').map((s) => s.spec);
    assert.equal(joins.length, 3);
    for (const j of joins) {
      // Each join closes the mappers of one control task, which all read the same split_z task.
      const ids = j.input_paths.map((p) => p.split('/')[2]);
      const control = ids[0].split('-')[0];
      assert.deepEqual(ids, [`${control}-0`, `${control}-1`]);
      const controlSpec = inner.find((s) => s.task_id === control)!;
      assert.equal(controlSpec.ubf_context, 'ubf_control');
      assert.ok(inner.filter((s) => ids.includes(s.task_id)).every((m) => m.input_paths[0] === controlSpec.input_paths[0]));
    }
    assert.equal(sim.pool.submissions.filter((s) => s.spec.step === 'join_x').length, 1);
  });

  it('does not retry a failed mapper task even under @retry, as Metaflow\'s unbounded-foreach decorator asks', async () => {
    const sim = await simulate(UBF, unbounded('start', 2, (spec) => (spec.split_index === 1 ? { result: failure() } : {})));
    assert.equal(sim.result.status, 'failed');
    const failed = sim.pool.submissions.filter((s) => s.spec.step === 'inner' && s.spec.split_index === 1);
    assert.deepEqual(failed.map((s) => s.spec.attempt), [0]);
    assert.ok(failed.every((s) => s.spec.max_user_code_retries === 0));
    assert.match(sim.result.error ?? '', /step \*inner\* .*ValueError: boom/);
    assert.equal(sim.pool.submissions.some((s) => s.spec.step === 'join'), false);
  });

  it('fails with Metaflow\'s message when the control task names no mapper tasks', async () => {
    const sim = await simulate(UBF, unbounded('start', 0));
    assert.equal(sim.result.status, 'failed');
    assert.match(sim.result.error ?? '', /Step \*inner\* has a control task which didn't specify the artifact \*_control_mapper_tasks\* for the subsequent \*join\* step/);
    assert.equal(sim.pool.submissions.filter((s) => s.spec.step === 'inner').length, 1);
  });

  it('a bounded foreach still reports its width and starts no control task', async () => {
    const sim = await simulate(UBF, (spec) => (spec.step === 'start' ? { result: { ok: true, next: ['inner'], foreach_var: 'arr', num_splits: 2, retry_allowed: true } } : {}));
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const inner = sim.pool.submissions.filter((s) => s.spec.step === 'inner').map((s) => s.spec);
    assert.deepEqual(inner.map((s) => [s.split_index, s.ubf_context]), [[0, undefined], [1, undefined]]);
  });
});
