// What a user sees when the cluster misbehaves: each fault the simulator injects (as a real cluster shows
// it: statuses, Events, exit codes) ends the task with a message that says what happened and what to change,
// and the pod's last lines are kept. API throttling, server errors and dropped watches are ridden out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LogEvent, RunEvent, TaskStartedEvent } from '../../../src/runtime/events';
import { type Finished, finish } from '../runtime/harness';
import { finishedOf, kubeRunSetup, type KubeRunSetup, NAMESPACE } from './kubernetesRunHarness';

const PENDING_TIMEOUT_S = 4;

function taskLines(events: RunEvent[], step = 'start'): string[] {
  return events.filter((e): e is LogEvent => e.event === 'log' && e.step === step).map((e) => e.line);
}

describe('Kubernetes faults (simulator, Azurite, workload identity)', { timeout: 900_000 }, () => {
  let setup: KubeRunSetup;
  let flowFile: string;

  before(async () => {
    setup = await kubeRunSetup('kube-faults');
    flowFile = setup.flow('kube_fault_flow.py');
  });
  after(async () => {
    await setup?.dispose();
  });

  async function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, onEvent?: (e: RunEvent, cancel: () => void) => void): Promise<Finished> {
    const r = await setup.runner(setup.env({ METAFLOW_STUDIO_KUBERNETES_PENDING_TIMEOUT: String(PENDING_TIMEOUT_S), ...extraEnv }));
    return finish(r.run({ flowFile, parameterArgs: args }), onEvent);
  }

  function activeJobsOf(runId: string): number {
    return setup.sim
      .list('Job', NAMESPACE)
      .filter((j) => j.metadata.annotations?.['metaflow/run_id'] === runId)
      .filter((j) => !(j.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')).length;
  }

  it('an image that cannot be pulled fails the task naming the image, and its Job is removed', async () => {
    const image = 'registry.example.com/team/missing:1.0';
    const fault = setup.sim.faults.imagePullFailure(image);
    try {
      const done = await run([], { METAFLOW_KUBERNETES_CONTAINER_IMAGE: image });
      assert.equal(done.result.status, 'failed');
      const f = finishedOf(done.events);
      assert.match(f.error ?? '', /registry\.example\.com\/team\/missing:1\.0/);
      assert.match(f.error ?? '', /pull/i);
      assert.equal(setup.sim.list('Job', NAMESPACE).filter((j) => j.metadata.annotations?.['metaflow/run_id'] === done.result.runId).length, 0);
    } finally {
      fault.remove();
    }
  });

  it('an unschedulable pod is explained from its Events while it waits, then fails at the pending deadline', async () => {
    const fault = setup.sim.faults.unschedulable({ namespace: NAMESPACE });
    try {
      const done = await run([]);
      assert.equal(done.result.status, 'failed');
      const pending = done.events.find((e): e is LogEvent => e.event === 'log' && /is pending: .*memory/i.test(e.line));
      assert.ok(pending, `a pending explanation in\n${taskLines(done.events).join('\n')}`);
      const f = finishedOf(done.events);
      assert.ok(pending.ts < f.ts, 'explained before the attempt was given up');
      assert.match(f.error ?? '', /memory/i);
      assert.equal(setup.sim.list('Job', NAMESPACE).filter((j) => j.metadata.annotations?.['metaflow/run_id'] === done.result.runId).length, 0);
    } finally {
      fault.remove();
    }
  });

  it('an out-of-memory kill (exit 137) is reported with the memory limit, and the last lines printed are kept', async () => {
    const fault = setup.sim.faults.oomKill({ namespace: NAMESPACE }, { afterMs: 2500 });
    try {
      const done = await run(['--lines', '5', '--wait', '60']);
      assert.equal(done.result.status, 'failed');
      const f = finishedOf(done.events);
      assert.equal(f.exit_code, 137);
      assert.match(f.error ?? '', /out of memory/);
      assert.match(f.error ?? '', /limit 300 MB/);
      const lines = taskLines(done.events);
      assert.ok(lines.some((l) => l.includes('line 4 of the pod')), lines.join('\n'));
    } finally {
      fault.remove();
    }
  });

  it("a task whose interpreter dies at once keeps its last lines, and the exit code is reported", async () => {
    const done = await run(['--lines', '4', '--crash', '3']);
    assert.equal(done.result.status, 'failed');
    const f = finishedOf(done.events);
    assert.equal(f.exit_code, 3);
    assert.match(f.error ?? '', /exited with code 3/);
    const lines = taskLines(done.events);
    assert.ok(lines.some((l) => l.includes('line 3 of the pod')), lines.join('\n'));
  });

  it('an evicted pod is reported as evicted', async () => {
    const fault = setup.sim.faults.evict({ namespace: NAMESPACE }, { afterMs: 2500 });
    try {
      const done = await run(['--wait', '60']);
      assert.equal(done.result.status, 'failed');
      assert.match(finishedOf(done.events).error ?? '', /evict/i);
      assert.ok(taskLines(done.events).some((l) => l.includes('line 2 of the pod')));
    } finally {
      fault.remove();
    }
  });

  it('rides out API throttling (429 with Retry-After) and server errors (5xx) on Job creation and Event reads', async () => {
    const throttled = setup.sim.faults.apiError({ method: 'POST', path: /\/jobs$/, status: 429, count: 2, retryAfterSeconds: 1 });
    const broken = setup.sim.faults.apiError({ method: 'POST', path: /\/jobs$/, status: 503, count: 1 });
    const events = setup.sim.faults.apiError({ method: 'GET', path: /\/events$/, status: 500, count: 2 });
    try {
      const done = await run([]);
      assert.equal(done.result.status, 'succeeded', done.result.error);
      assert.ok(taskLines(done.events).some((l) => l.includes('line 2 of the pod')));
    } finally {
      throttled.remove();
      broken.remove();
      events.remove();
    }
  });

  it('a dropped watch is reconnected (410 Gone -> relist) and the run goes on', async () => {
    let dropped = 0;
    const done = await run(['--wait', '4'], {}, (e) => {
      if (e.event === 'task_started' && e.step === 'start') setTimeout(() => (dropped = setup.sim.faults.dropWatches({ expireHistory: true })), 500);
    });
    assert.equal(done.result.status, 'succeeded', done.result.error);
    assert.ok(dropped >= 1, `watches dropped: ${dropped}`);
    assert.ok(taskLines(done.events).some((l) => l.includes('line 2 of the pod')));
  });

  it('cancel deletes the running Job and leaves none of the run behind', async () => {
    let runId = '';
    const done = await run(['--wait', '120'], {}, (e, cancel) => {
      if (e.event === 'run_started') runId = e.run_id;
      if (e.event === 'log' && e.line.includes('line 2 of the pod')) cancel();
    });
    assert.equal(done.result.status, 'cancelled');
    const started = done.events.find((e): e is TaskStartedEvent => e.event === 'task_started' && e.step === 'start');
    assert.ok(started?.executor?.job);
    assert.equal(setup.sim.get('Job', NAMESPACE, started.executor.job), undefined, 'the Job is gone');
    assert.equal(activeJobsOf(runId), 0);
    assert.equal(setup.sim.list('Pod', NAMESPACE).filter((p) => p.metadata.name === started.executor!.pod).length, 0, 'its pod is gone');
  });
});
