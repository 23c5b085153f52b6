// "Run Flow on Kubernetes (AKS)" end to end in the real extension host: the Azure datastore on Azurite (https,
// OAuth, the editor signed in), the simulator's kubeconfig in the metaflow.kubernetes.* settings; every step
// runs as a Job whose pod runs the real pod loader with the Python Azure SDK and signs in with workload
// identity. The run's printed lines reach the "Metaflow" Output channel, its folded state (what the DAG panel
// draws) shows the steps succeeded on the pod executor, "Show Pod" reads the pod, and Cancel leaves no Job.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TrackedRun } from '../../src/runs/runRegistry';
import { applyClusterSettings, type ClusterServices, clearClusterSettings, NAMESPACE, SERVICE_ACCOUNT, signInWithAzureCli, startClusterServices } from './clusterHarness';
import { api, closeAllEditors, waitFor } from './helpers';

const HELLO = `from metaflow import FlowSpec, step


class HelloClusterFlow(FlowSpec):
    @step
    def start(self):
        self.greeting = "hello from the cluster"
        print("printed in pod start")
        self.next(self.end)

    @step
    def end(self):
        print("end read: %s" % self.greeting)


if __name__ == "__main__":
    HelloClusterFlow()
`;

const SLOW = `import time
from metaflow import FlowSpec, step


class SlowClusterFlow(FlowSpec):
    @step
    def start(self):
        print("start is sleeping", flush=True)
        time.sleep(300)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SlowClusterFlow()
`;

const RUN_LABEL = 'metaflow-studio/run-id';
const STEP_LABEL = 'metaflow-studio/step-name';

suite('Run Flow on Kubernetes, end to end', function () {
  this.timeout(240_000);
  let services: ClusterServices;
  let signOut: (() => Promise<void>) | undefined;
  let output = '';
  let appended: { dispose(): void } | undefined;

  suiteSetup(async function () {
    this.timeout(120_000);
    const exports = await api();
    services = await startClusterServices('k8srun');
    signOut = await signInWithAzureCli(services.dir);
    await applyClusterSettings(services);
    appended = exports.runOutput.onDidAppend((a) => {
      output += a.text;
    });
  });

  suiteTeardown(async () => {
    appended?.dispose();
    for (const run of (await api()).runs.active()) run.handle.cancel();
    await clearClusterSettings();
    await signOut?.();
    await services?.stop();
  });

  teardown(closeAllEditors);

  test('every step runs as a Job in the cluster: the run succeeds, a pod\'s print reaches Output, the state shows the pods, Show Pod reads one', async () => {
    const flowFile = services.writeFlow('hello_cluster_flow.py', HELLO);
    const from = output.length;
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlowOnKubernetes', flowFile, 'HelloClusterFlow');
    assert.ok(run, 'a run was started');
    const result = await run.handle.done;
    assert.equal(result.status, 'succeeded', `${result.error ?? ''}\n${output.slice(from)}`);

    await waitFor('the pod\'s print in the Metaflow Output channel', () => output.slice(from).includes('printed in pod start'));
    assert.ok(output.slice(from).includes('end read: hello from the cluster'), 'the end step read the artifact start wrote through Blob');

    // What the DAG panel draws: the fold's per-step states.
    const steps = run.fold.stepRunStates();
    assert.equal(steps.start?.status, 'succeeded', JSON.stringify(steps));
    assert.equal(steps.end?.status, 'succeeded', JSON.stringify(steps));
    assert.equal(run.state.status, 'succeeded');

    // Every task's attempt ran in a pod of a Job in the configured namespace.
    const runId = run.state.runId;
    const tasks = [...run.state.tasks.values()];
    assert.deepEqual(tasks.map((t) => t.step).sort(), ['end', 'start']);
    for (const task of tasks) {
      const executor = task.attempts.at(-1)?.executor;
      assert.ok(executor?.kind === 'kubernetes', `${task.pathspec} ran on Kubernetes`);
      assert.equal(executor.namespace, NAMESPACE);
      assert.equal(executor.context, services.sim.contextName);
      assert.ok(executor.pod, `${task.pathspec} names its pod`);
    }

    // The Jobs exist in the cluster with Metaflow's labels and annotations, and ran as the workload identity.
    const jobs = services.sim.list('Job', NAMESPACE).filter((j) => j.metadata.labels?.[RUN_LABEL] === runId);
    assert.deepEqual(jobs.map((j) => j.metadata.labels?.[STEP_LABEL]).sort(), ['end', 'start']);
    for (const job of jobs) {
      assert.equal(job.metadata.labels?.['metaflow-studio/flow-name'], 'HelloClusterFlow');
      assert.equal(job.metadata.labels?.['app.kubernetes.io/part-of'], 'metaflow');
      assert.equal(job.metadata.annotations?.['metaflow/run_id'], runId);
      const spec = job.spec as { backoffLimit?: number; template: { spec: { serviceAccountName?: string } } };
      assert.equal(spec.backoffLimit, 0);
      assert.equal(spec.template.spec.serviceAccountName, SERVICE_ACCOUNT);
    }
    assert.ok(services.entra.requests.some((r) => r.status === 200 && r.subject === `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`), 'the pods exchanged their federated token at Entra');

    // "Show Pod" from the task pathspec (as the DAG node's button sends it) opens a report of that pod.
    const start = tasks.find((t) => t.step === 'start')!;
    const podName = start.attempts.at(-1)!.executor!.pod!;
    const editor = await vscode.commands.executeCommand<vscode.TextEditor | undefined>('metaflow.showPod', start.pathspec);
    assert.ok(editor, 'Show Pod opened a report');
    const lines = editor.document.getText().split('\n');
    assert.equal(lines[0], `Pod ${podName}`);
    assert.ok(lines.includes(`Task:            ${start.pathspec} (attempt 0)`), lines.join('\n'));
    assert.ok(lines.includes('Phase:           Succeeded'), lines.join('\n'));
    const tail = lines.slice(lines.findIndex((l) => l.startsWith('Last log lines')) + 1);
    assert.ok(tail.some((l) => l.includes('printed in pod start')), tail.join('\n'));
  });

  test('cancelling a run while its pod runs deletes its Jobs and pods', async () => {
    const exports = await api();
    const flowFile = services.writeFlow('slow_cluster_flow.py', SLOW);
    const from = output.length;
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlowOnKubernetes', flowFile, 'SlowClusterFlow');
    assert.ok(run, 'a run was started');
    const runId = await waitFor('the run id', () => run.state.runId || undefined);
    const ofRun = (kind: string) => services.sim.list(kind, NAMESPACE).filter((o) => o.metadata.labels?.[RUN_LABEL] === runId);
    await waitFor('the start pod running its step', () => output.slice(from).includes('start is sleeping'), 120_000);
    assert.equal(ofRun('Job').length, 1, 'one Job for the start task');

    await vscode.commands.executeCommand('metaflow.cancelRun', run.state.pathspec);
    const result = await run.handle.done;
    assert.equal(result.status, 'cancelled');
    await waitFor('no Job or pod of the run left', () => ofRun('Job').length === 0 && ofRun('Pod').length === 0, 60_000);
    assert.equal(exports.runs.active().includes(run), false);
    assert.equal(run.fold.stepRunStates().end?.status ?? 'idle', 'idle', 'the end step never ran');
  });
});
