// A namespace's ResourceQuota refusing a step, through the executor: the run fails with a message naming the
// quota, what was asked and what to change, as soon as the refusal shows (the pending deadline is left at
// its ten-minute default, so waiting for it would time the test out), and no Job of the run stays behind.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Finished, finish } from '../runtime/harness';
import { finishedOf, kubeRunSetup, type KubeRunSetup, NAMESPACE } from './kubernetesRunHarness';

describe('Kubernetes ResourceQuota refusals (simulator, Azurite, workload identity)', { timeout: 300_000 }, () => {
  let setup: KubeRunSetup;
  let flowFile: string;

  before(async () => {
    setup = await kubeRunSetup('kube-quota');
    flowFile = setup.flow('kube_fault_flow.py');
  });
  after(async () => {
    await setup?.dispose();
  });

  async function run(): Promise<Finished> {
    const r = await setup.runner();
    return finish(r.run({ flowFile, parameterArgs: [] }));
  }

  function jobsOf(runId: string): string[] {
    return setup.sim
      .list('Job', NAMESPACE)
      .filter((j) => j.metadata.annotations?.['metaflow/run_id'] === runId)
      .map((j) => j.metadata.name!);
  }

  it("a quota that refuses the step's pod fails the task naming the quota, the request and the fix, and deletes the Job", async () => {
    const quota = setup.sim.faults.exceededQuota('team-memory', { resource: 'requests.memory', used: '1Gi', limited: '1200Mi', match: { namespace: NAMESPACE } });
    try {
      const done = await run();
      assert.equal(done.result.status, 'failed');
      const f = finishedOf(done.events);
      assert.equal(f.status, 'failed');
      const error = f.error ?? '';
      assert.match(error, /^ExceededQuota: /);
      assert.match(error, /ResourceQuota "team-memory"/);
      // The step asked for @kubernetes(memory=300): the refusal shows that request against the quota.
      assert.match(error, /requested: requests\.memory=300M, used: requests\.memory=1Gi, limited: requests\.memory=1200Mi/);
      assert.match(error, /lower the step's @kubernetes\/@resources requests, or ask the cluster administrator to raise the quota/);
      assert.match(error, new RegExp(`\\(Job t-[0-9a-f]{8}-\\w+, which has no pod in namespace ${NAMESPACE}\\)$`));
      assert.doesNotMatch(error, /pending|deadline/i);
      assert.deepEqual(jobsOf(done.result.runId), [], 'no Job of the run is left');
      assert.equal(done.events.filter((e) => e.event === 'task_started' && e.step === 'end').length, 0);
    } finally {
      quota.remove();
    }
  });

  it('a quota counting Jobs refuses the Job itself: the task fails naming the quota, and no Job exists', async () => {
    const quota = setup.sim.faults.exceededQuota('job-count', { resource: 'count/jobs.batch', used: '20', limited: '20', match: { namespace: NAMESPACE } });
    try {
      const done = await run();
      assert.equal(done.result.status, 'failed');
      const f = finishedOf(done.events);
      const error = f.error ?? '';
      assert.match(error, /^ExceededQuota: /);
      assert.match(error, /ResourceQuota "job-count"/);
      assert.match(error, /count\/jobs\.batch=1, used: count\/jobs\.batch=20, limited: count\/jobs\.batch=20/);
      assert.match(error, /raise the quota/);
      assert.deepEqual(jobsOf(done.result.runId), []);
    } finally {
      quota.remove();
    }
  });

  it('once the quota allows it, the same flow runs', async () => {
    const done = await run();
    assert.equal(done.result.status, 'succeeded', done.result.error);
  });
});
