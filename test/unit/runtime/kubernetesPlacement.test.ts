import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubernetesSteps, parseDecoratorSpec, parseWithKubernetes, placeTask } from '../../../src/runtime/kubernetesPlacement';
import type { TaskSpec } from '../../../src/runtime/workerProtocol';
import { RoutingPool } from '../../../src/runtime/workers/routingPool';
import type { WorkerPool, WorkerPoolListener } from '../../../src/runtime/workers/workerPool';
import { flowOf } from './flowBuilder';
import { failure, simulate } from './schedulerHarness';

const flow = flowOf('Mixed', {
  start: { type: 'linear', next: ['train'] },
  train: { type: 'linear', next: ['end'], decorators: [{ name: 'kubernetes', attributes: { cpu: 2 } }, { name: 'retry', attributes: { times: 1, minutes_between_retries: 3 } }] },
  end: { type: 'end' },
});

function spec(step: string, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { kind: 'step', flow_file: 'f.py', flow_name: 'Mixed', datastore_root: '/x', run_id: '1', step, task_id: '2', attempt: 0, max_user_code_retries: 1, input_paths: [], user_name: 'u', tags: [], ...extra };
}

describe('Kubernetes placement', () => {
  it('sends @kubernetes steps, or every step under --with kubernetes, to the cluster', () => {
    assert.deepEqual([...kubernetesSteps(flow, undefined)], ['train']);
    assert.deepEqual([...kubernetesSteps(flow, { withAll: false })], ['train']);
    assert.deepEqual([...kubernetesSteps(flow, { withAll: true })], ['start', 'train', 'end']);
  });

  it('keeps the _parameters task, resume clones and the @catch fallback attempt local', () => {
    const steps = new Set(['train']);
    assert.equal(placeTask(spec('train'), steps), 'kubernetes');
    assert.equal(placeTask(spec('train', { attempt: 1 }), steps), 'kubernetes');
    assert.equal(placeTask(spec('train', { attempt: 2 }), steps), 'local');
    assert.equal(placeTask(spec('start'), steps), 'local');
    assert.equal(placeTask(spec('_parameters', { kind: 'params' }), new Set(['_parameters'])), 'local');
    assert.equal(placeTask(spec('train', { kind: 'clone' }), steps), 'local');
  });

  it("parses Metaflow's --with spec: scalars as numbers, JSON for lists and dicts, text otherwise", () => {
    assert.deepEqual(parseWithKubernetes('kubernetes'), {});
    assert.equal(parseWithKubernetes('retry:times=2'), undefined);
    assert.deepEqual(parseWithKubernetes('kubernetes:cpu=2,memory=8000,image=python:3.11'), { cpu: 2, memory: 8000, image: 'python:3.11' });
    assert.deepEqual(parseDecoratorSpec('node_selector={"pool":"gpu","zone":"a"},tolerations=[{"key":"k","operator":"Exists"}],cpu=0.5'), {
      node_selector: { pool: 'gpu', zone: 'a' },
      tolerations: [{ key: 'k', operator: 'Exists' }],
      cpu: 0.5,
    });
    assert.deepEqual(parseDecoratorSpec('node_selector=a=b,c=d'), { node_selector: 'a=b', c: 'd' });
    assert.throws(() => parseDecoratorSpec('cpu'), /'cpu' in 'cpu' is not attribute=value/);
  });
});

class RecordingPool implements WorkerPool {
  readonly submitted: string[] = [];
  readonly killed: string[] = [];
  listener?: WorkerPoolListener;
  python?: string;
  constructor(readonly version = '3.11.2') {}
  async start(listener: WorkerPoolListener) {
    this.listener = listener;
    return { pythonVersion: this.version };
  }
  setLauncherPython(v: string) {
    this.python = v;
  }
  submit(key: string) {
    this.submitted.push(key);
  }
  kill(key: string) {
    this.killed.push(key);
  }
  async shutdown() {}
}

describe('routing pool', () => {
  it('routes each task to its pool, kills through the owner and tells the remote pool the launcher Python', async () => {
    const local = new RecordingPool('3.12.1 (main)');
    const remote = new RecordingPool();
    const steps = new Set(['train']);
    const pool = new RoutingPool(local, remote, (t) => (placeTask(t, steps) === 'kubernetes' ? 'remote' : 'local'));
    const seen: string[] = [];
    const ready = await pool.start({ started: () => undefined, log: () => undefined, finished: (k) => seen.push(k) });
    assert.equal(ready.pythonVersion, '3.12.1 (main)');
    assert.equal(remote.python, '3.12.1 (main)');
    pool.submit('start/1/0', spec('start'));
    pool.submit('train/2/0', spec('train'));
    assert.deepEqual(local.submitted, ['start/1/0']);
    assert.deepEqual(remote.submitted, ['train/2/0']);
    pool.kill('train/2/0');
    assert.deepEqual(remote.killed, ['train/2/0']);
    remote.listener!.finished('train/2/0', 0, null, null);
    assert.deepEqual(seen, ['train/2/0']);
    pool.kill('train/2/0');
    assert.deepEqual(remote.killed, ['train/2/0'], 'a finished task has no owner left');
  });

  it('a remote start that fails refuses the run', async () => {
    const local = new RecordingPool();
    const remote = new RecordingPool();
    remote.start = async () => {
      throw new Error('namespace "ml" does not exist');
    };
    const pool = new RoutingPool(local, remote, () => 'remote');
    await assert.rejects(() => pool.start({ started: () => undefined, log: () => undefined, finished: () => undefined }), /namespace "ml"/);
  });
});

describe('scheduler with remote steps', () => {
  it('waits minutes_between_retries before a Kubernetes retry', async () => {
    let failedOnce = false;
    const sim = await simulate(
      flow,
      (s) => {
        if (s.step === 'train' && !failedOnce) {
          failedOnce = true;
          return { result: failure() };
        }
        return {};
      },
      { remoteSteps: new Set(['train']) },
    );
    assert.equal(sim.result.status, 'succeeded');
    const train = sim.pool.submissions.filter((s) => s.spec.step === 'train');
    assert.equal(train.length, 2);
    assert.ok(train[1].at - train[0].at >= 3 * 60_000, `retry waited ${train[1].at - train[0].at} ms`);
  });

  it("after mutators, a remote step's retry waits the minutes its reported @retry asks, and a local step's does not", async () => {
    const mutated = flowOf('Mutated', { start: { type: 'linear', next: ['train'] }, train: { type: 'linear', next: ['end'] }, end: { type: 'end' } });
    const retry = [{ name: 'retry', attributes: { times: 1, minutes_between_retries: 2 } }];
    const failed = new Set<string>();
    const sim = await simulate(
      mutated,
      (s) => {
        if (s.kind === 'params') return { result: { ok: true, next: ['start'], retry_allowed: true, effective_decorators: { start: retry, train: retry } } };
        if (s.step !== 'end' && !failed.has(s.step)) {
          failed.add(s.step);
          return { result: failure() };
        }
        return {};
      },
      { remoteSteps: new Set(['train']) },
    );
    assert.equal(sim.result.status, 'succeeded', sim.result.error);
    const gap = (step: string) => {
      const [first, second] = sim.pool.submissions.filter((s) => s.spec.step === step);
      return second.at - first.at;
    };
    assert.ok(gap('train') >= 2 * 60_000, `remote retry waited ${gap('train')} ms`);
    assert.ok(gap('start') < 60_000, `local retry waited ${gap('start')} ms`);
  });
});
