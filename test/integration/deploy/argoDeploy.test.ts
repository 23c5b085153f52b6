// Deploying to Argo Workflows through the Kubernetes simulator (its API server validates every object against
// the pinned schemas, and honours dryRun): the first deploy creates the WorkflowTemplate, CronWorkflow and
// Sensor; a second deploy of a changed flow names the changed fields and replaces them; trigger submits a
// Workflow with JSON-encoded parameters; suspend, status and delete act on the same objects; a cluster
// without Argo's resources is said plainly. The code package goes to Azurite over https.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArgoClient, ArgoNotInstalledError } from '../../../src/deploy/argo/argoClient';
import { applyArgoDeployment, type ArgoDeployRequest, prepareArgoDeployment } from '../../../src/deploy/argo/argoDeploy';
import { deleteDeployment, deploymentStatus, setScheduleSuspended, triggerArgoWorkflow } from '../../../src/deploy/argo/argoLifecycle';
import { ArgoRunWatch, argoTaskId } from '../../../src/deploy/argo/argoRunWatch';
import { argoSchemaValidator } from '../../../src/deploy/argo/argoSchemaCheck';
import type { RunEvent } from '../../../src/runtime/events';
import { RunStateFold } from '../../../src/runs/runStateFold';
import { AzureBlobStorage } from '../../../src/datastore/azure/azureBlobStorage';
import type { AzureDatastoreConfig } from '../../../src/datastore/azure/azureConfig';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import { analyzeFile } from '../../../src/flow/analyzeFile';
import type { FlowInfo } from '../../../src/flow/types';
import { KubeClient } from '../../../src/kube/kubeClient';
import { type Azurite, azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite } from '../../support/azurite';
import { type KubeSimulator, startKubeSimulator } from '../../support/kubeSim';
import { DEFAULT_SCHEMAS_DIR } from '../../support/kubeSim/schemaValidator';
import { PYTHON_DIR, testEnv, type Workspace, workspace, writeFlow } from '../runtime/harness';
import { cli } from './cliProcess';


function flowSource(extraTag: string): string {
  return `from metaflow import FlowSpec, step, Parameter, schedule, trigger


@schedule(daily=True)
@trigger(event='data_ready')
class NightlyFlow(FlowSpec):
    """Nightly training${extraTag}."""
    alpha = Parameter('alpha', default=0.5)
    label = Parameter('label', default='x')

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;
}

async function analyze(file: string): Promise<FlowInfo> {
  const analyzer = await createFlowAnalyzer();
  try {
    return analyzeFile(analyzer, file).flows[0];
  } finally {
    analyzer.dispose();
  }
}


async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function label(e: RunEvent): string {
  return `${e.event}${'step' in e ? ` ${e.step}` : ''}${'status' in e ? ` ${e.status}` : ''}`;
}

describe('Argo Workflows deployment through the Kubernetes simulator', () => {
  let azurite: Azurite;
  let sim: KubeSimulator;
  let ws: Workspace;
  let argo: ArgoClient;
  const container = 'argodeploy';
  const requests: string[] = [];

  before(async () => {
    azurite = await startAzurite({ https: true, oauth: true });
    await createAzuriteContainer(azurite, container);
    sim = await startKubeSimulator({ namespaces: ['default', 'ml'], onRequest: (r) => requests.push(`${r.method} ${r.path} ${r.status}`) });
    argo = new ArgoClient(KubeClient.load({ kubeconfigPath: sim.kubeconfigPath, namespace: 'ml' }));
    ws = workspace();
  });
  after(async () => {
    await sim?.stop();
    await azurite?.stop();
    ws?.cleanup();
  });

  function request(flowFile: string, flow: FlowInfo, extra: Partial<ArgoDeployRequest> = {}): ArgoDeployRequest {
    return {
      flowFile,
      flow,
      options: { namespace: 'ml', tags: ['nightly'] },
      env: testEnv(ws, {
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: `${container}/studio`,
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
        METAFLOW_KUBERNETES_CONTAINER_IMAGE: 'myregistry.azurecr.io/flows:1',
        METAFLOW_HOME: path.join(ws.dir, 'mfhome'),
        METAFLOW_ARGO_EVENTS_EVENT: 'metaflow-event',
        METAFLOW_ARGO_EVENTS_EVENT_SOURCE: 'metaflow-webhook',
        METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT: 'operate-workflow-sa',
      }),
      homeDir: ws.dir,
      azureStorage: (config: AzureDatastoreConfig) => AzureBlobStorage.fromConfig(config, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) }),
      embeddedPythonDir: PYTHON_DIR,
      argo,
      validate: argoSchemaValidator(path.join(DEFAULT_SCHEMAS_DIR, 'argo-workflows.schema.json')),
      ...extra,
    };
  }

  it('creates the three objects, then shows the changes of a redeploy and replaces them', async () => {
    // The flow's folder is the code package; the token store is outside it, as a home folder is.
    fs.mkdirSync(path.join(ws.dir, 'flows'));
    const flowFile = writeFlow(ws, path.join('flows', 'nightly.py'), flowSource(''));
    const first = await prepareArgoDeployment(request(flowFile, await analyze(flowFile)));
    assert.ok(first.ok, JSON.stringify(!first.ok && first.problems));
    assert.deepEqual(first.plan.objects.map((o) => `${o.kind}:${o.action}`), ['WorkflowTemplate:create', 'CronWorkflow:create', 'Sensor:create']);
    assert.equal(first.plan.tokenGenerated, true);
    assert.equal(first.plan.packageUploaded, true);
    assert.equal(sim.list('WorkflowTemplate', 'ml').length, 0, 'nothing is created before apply');
    const report = await applyArgoDeployment(first.plan, argo);
    assert.deepEqual(report.applied.map((a) => `${a.kind} ${a.name} ${a.namespace} ${a.action}`), [
      'WorkflowTemplate nightlyflow ml create',
      'CronWorkflow nightlyflow ml create',
      'Sensor nightlyflow ml create',
    ]);
    assert.ok(requests.some((r) => /^POST \/apis\/argoproj\.io\/v1alpha1\/namespaces\/ml\/workflowtemplates\?dryRun=All 201$/.test(r)), 'a server-side dry run came first');
    const template = sim.get('WorkflowTemplate', 'ml', 'nightlyflow')!;
    assert.equal(template.metadata.annotations?.['metaflow/production_token'], first.plan.productionToken);
    assert.equal(template.metadata.annotations?.['metaflow/owner'], 'tester');
    assert.deepEqual((sim.get('CronWorkflow', 'ml', 'nightlyflow')!.spec as { schedules: string[] }).schedules, ['0 0 * * ?']);
    assert.ok(sim.get('Sensor', 'ml', 'nightlyflow'));
    const stored = JSON.parse(fs.readFileSync(path.join(ws.dir, 'mfhome', 'nightlyflow'), 'utf8')) as { production_token: string };
    assert.equal(stored.production_token, first.plan.productionToken);

    // The same flow again: nothing to change (the deployment time is not a change).
    const same = await prepareArgoDeployment(request(flowFile, await analyze(flowFile)));
    assert.ok(same.ok);
    assert.deepEqual(same.plan.objects.map((o) => `${o.action}${o.changes.map((c) => ` ${c.path}`).join('')}`), ['unchanged', 'unchanged', 'unchanged']);
    assert.equal(same.plan.productionToken, first.plan.productionToken, 'a redeploy keeps the token');

    fs.writeFileSync(flowFile, flowSource(' with a new description'));
    const version = template.metadata.resourceVersion;
    const second = await prepareArgoDeployment(request(flowFile, await analyze(flowFile), { options: { namespace: 'ml', tags: ['nightly', 'v2'] } }));
    assert.ok(second.ok);
    const wt = second.plan.objects.find((o) => o.kind === 'WorkflowTemplate')!;
    assert.equal(wt.action, 'replace');
    const paths = wt.changes.map((c) => c.path);
    assert.ok(paths.includes('metadata.annotations.workflows.argoproj.io/description'), paths.join(', '));
    assert.ok(paths.includes('metadata.annotations.metaflow/tags'), paths.join(', '));
    assert.ok(paths.some((p) => p.startsWith('spec.templates')), 'the package sha changed in the containers');
    await applyArgoDeployment(second.plan, argo);
    const replaced = sim.get('WorkflowTemplate', 'ml', 'nightlyflow')!;
    assert.notEqual(replaced.metadata.resourceVersion, version);
    assert.equal(replaced.metadata.annotations?.['workflows.argoproj.io/description'], 'Nightly training with a new description.');
  });

  it('refuses to replace a deployment made by someone else without its token', async () => {
    const flowFile = ws.flow('flows/nightly.py');
    const other = await prepareArgoDeployment(request(flowFile, await analyze(flowFile), { env: { ...request(flowFile, await analyze(flowFile)).env, USER: 'mallory', METAFLOW_HOME: path.join(ws.dir, 'mallory') } }));
    assert.equal(other.ok, false);
    assert.match(!other.ok ? other.problems[0].message : '', /made by tester; .*--authorize TOKEN/);
  });

  it('triggers a Workflow with the parameters JSON-encoded, suspends the schedule, reports the status', async () => {
    const flow = await analyze(ws.flow('flows/nightly.py'));
    const ref = { name: 'nightlyflow', namespace: 'ml', sensorNamespace: 'ml' };
    const result = await triggerArgoWorkflow({ argo, ref, flow, parameters: { alpha: '0.75', label: 'abc' }, user: 'tester' });
    assert.match(result.workflowName, /^nightlyflow-[a-z0-9]{5}$/);
    assert.equal(result.runId, `argo-${result.workflowName}`);
    const wf = sim.get('Workflow', 'ml', result.workflowName)!;
    assert.deepEqual(wf.spec, { workflowTemplateRef: { name: 'nightlyflow' }, arguments: { parameters: [{ name: 'alpha', value: '0.75' }, { name: 'label', value: '"abc"' }] } });
    assert.equal(wf.metadata.annotations?.['metaflow/triggered_by_user'], 'tester');
    await assert.rejects(triggerArgoWorkflow({ argo, ref, flow, parameters: { alpha: 'many' }, user: 'tester' }), /parameter 'alpha' \(--alpha\): 'many' is not a valid float/);

    await setScheduleSuspended(argo, ref, true);
    assert.equal((sim.get('CronWorkflow', 'ml', 'nightlyflow')!.spec as { suspend: boolean }).suspend, true);
    const status = await deploymentStatus(argo, ref);
    assert.equal(status.deployed, true);
    assert.deepEqual(status.schedule, { cron: '0 0 * * ?', timezone: undefined, suspended: true });
    assert.equal(status.sensor, 'nightlyflow');
    assert.deepEqual(status.runs.map((r) => r.runId), [result.runId]);
    await setScheduleSuspended(argo, ref, false);
    assert.equal((sim.get('CronWorkflow', 'ml', 'nightlyflow')!.spec as { suspend: boolean }).suspend, false);
  });

  it('triggers from the command line and writes the run id file', async () => {
    const r = await cli(ws, ['argo-workflows', 'trigger', 'flows/nightly.py', '--namespace', 'ml', '--alpha', '2', '--run-id-file', 'run.txt'], { KUBECONFIG: sim.kubeconfigPath });
    assert.equal(r.code, 0, r.stderr);
    const runId = fs.readFileSync(path.join(ws.dir, 'run.txt'), 'utf8');
    assert.match(runId, /^argo-nightlyflow-[a-z0-9]{5}$/);
    assert.match(r.stdout, new RegExp(`run-id ${runId}`));
    const wf = sim.get('Workflow', 'ml', runId.slice('argo-'.length))!;
    assert.deepEqual((wf.spec as { arguments: unknown }).arguments, { parameters: [{ name: 'alpha', value: '2' }] });
  });

  it('follows a triggered Workflow as Argo records it into the run event stream and the run state', async () => {
    const flow = await analyze(ws.flow('flows/nightly.py'));
    const ref = { name: 'nightlyflow', namespace: 'ml', sensorNamespace: 'ml' };
    const { workflowName } = await triggerArgoWorkflow({ argo, ref, flow, parameters: { alpha: '0.25' }, user: 'tester' });
    const kube = KubeClient.load({ kubeconfigPath: sim.kubeconfigPath, namespace: 'ml' });
    const wfRef = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', namespace: 'ml' };
    // What Argo's controller writes into the Workflow as the run goes (status.nodes keyed by node id).
    const setStatus = async (status: object) => {
      const current = (await kube.getCustomObject(wfRef, workflowName)) as Record<string, unknown>;
      await kube.replaceCustomObject(wfRef, workflowName, { ...current, status });
    };
    const created = String((sim.get('Workflow', 'ml', workflowName)!.metadata as { creationTimestamp: string }).creationTimestamp);
    const startId = argoTaskId('start', created, true, {});
    const inputPaths = `argo-${workflowName}/start/${startId}`;
    const startNode = (phase: string, finished?: string) => ({
      id: `${workflowName}-1001`, name: `${workflowName}.start`, displayName: 'start', type: 'Pod', templateName: 'start', phase,
      startedAt: '2026-01-01T00:00:01Z', ...(finished ? { finishedAt: finished, outputs: { parameters: [{ name: 'task-id', value: startId }], exitCode: '0' } } : {}),
    });
    const endNode = (phase: string, finished?: string) => ({
      id: `${workflowName}-1002`, name: `${workflowName}.end`, displayName: 'end', type: 'Pod', templateName: 'end', phase,
      startedAt: '2026-01-01T00:00:05Z', inputs: { parameters: [{ name: 'input-paths', value: inputPaths }] },
      ...(finished ? { finishedAt: finished, message: 'Error (exit code 1)', outputs: { exitCode: '1' } } : {}),
    });
    const events: RunEvent[] = [];
    const fold = new RunStateFold(flow);
    const logs: string[] = [];
    const watch = new ArgoRunWatch(
      {
        flow, namespace: 'ml', workflowName, datastoreRoot: `${container}/studio`, intervalMs: 50,
        read: () => argo.get('Workflow', 'ml', workflowName),
        followLogs: (_ns, pod, containerName) => {
          logs.push(`${pod}/${containerName}`);
          return { stop: () => undefined };
        },
      },
      (e) => {
        events.push(e);
        fold.apply(e);
      },
    ).start();
    await setStatus({ phase: 'Running', startedAt: '2026-01-01T00:00:00Z', nodes: { [`${workflowName}-1001`]: startNode('Running') } });
    await waitFor(() => events.some((e) => e.event === 'task_started'));
    assert.equal(fold.stepRunStates().start?.status, 'running');
    await setStatus({ phase: 'Running', startedAt: '2026-01-01T00:00:00Z', nodes: { a: startNode('Succeeded', '2026-01-01T00:00:04Z'), b: endNode('Running') } });
    await setStatus({
      phase: 'Failed', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:09Z', message: 'child failed',
      nodes: { a: startNode('Succeeded', '2026-01-01T00:00:04Z'), b: endNode('Failed', '2026-01-01T00:00:08Z') },
    });
    await watch.done;
    const runId = `argo-${workflowName}`;
    // Polls may see several changes at once, so only the set (each once) and the run's first and last are fixed.
    const labels = events.map(label);
    assert.deepEqual([...labels].sort(), ['run_finished failed', 'run_started', 'task_finished end failed', 'task_finished start succeeded', 'task_started end', 'task_started start']);
    assert.equal(labels[0], 'run_started');
    assert.equal(labels.at(-1), 'run_finished failed');
    const started = events[0] as Extract<RunEvent, { event: 'run_started' }>;
    assert.equal(started.pathspec, `NightlyFlow/${runId}`);
    assert.deepEqual(started.parameters, { alpha: 0.25 });
    const endStarted = events.find((e) => e.event === 'task_started' && e.step === 'end') as Extract<RunEvent, { event: 'task_started' }>;
    // The task id the pod derives (pod_argo.task_id) is the one the watch announces before the pod reports it.
    const fromPython = execFileSync('python3', ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); from metaflow_studio.pod_argo import task_id; print(task_id("end", sys.argv[2], sys.argv[3]))', PYTHON_DIR, created, inputPaths], { encoding: 'utf8' }).trim();
    assert.equal(endStarted.task_id, fromPython);
    assert.equal(endStarted.pathspec, `NightlyFlow/${runId}/end/${fromPython}`);
    const endFinished = events.find((e) => e.event === 'task_finished' && e.step === 'end') as Extract<RunEvent, { event: 'task_finished' }>;
    assert.equal(endFinished.exit_code, 1);
    assert.equal(endFinished.error, 'Error (exit code 1)');
    assert.equal(endFinished.duration_ms, 3000);
    assert.deepEqual(logs, [`${workflowName}-start-1001/main`, `${workflowName}-end-1002/main`]);
    assert.equal(fold.state.status, 'failed');
    assert.equal(fold.stepRunStates().start?.status, 'succeeded');
    assert.equal(fold.stepRunStates().end?.status, 'failed');
  });

  it('deletes the template, the CronWorkflow and the Sensor', async () => {
    const deleted = await deleteDeployment(argo, { name: 'nightlyflow', namespace: 'ml', sensorNamespace: 'ml' });
    assert.deepEqual(deleted, ['CronWorkflow nightlyflow', 'Sensor nightlyflow', 'WorkflowTemplate nightlyflow']);
    assert.equal(sim.list('WorkflowTemplate', 'ml').length, 0);
    assert.equal(sim.list('CronWorkflow', 'ml').length, 0);
    assert.equal(sim.list('Sensor', 'ml').length, 0);
    const status = await deploymentStatus(argo, { name: 'nightlyflow', namespace: 'ml', sensorNamespace: 'ml' });
    assert.equal(status.deployed, false);
  });

  it('says plainly when the cluster has no Argo Workflows', async () => {
    const fault = sim.faults.apiError({ path: /^\/apis\/argoproj\.io\//, status: 404, count: 1000, message: 'the server could not find the requested resource' });
    try {
      const flowFile = ws.flow('flows/nightly.py');
      await assert.rejects(prepareArgoDeployment(request(flowFile, await analyze(flowFile))), (err: unknown) => {
        assert.ok(err instanceof ArgoNotInstalledError);
        assert.match(err.message, /^Argo Workflows is not installed in cluster kube-simulator: no workflowtemplates\.argoproj\.io\./);
        return true;
      });
      const r = await cli(ws, ['argo-workflows', 'status', 'flows/nightly.py', '--namespace', 'ml'], { KUBECONFIG: sim.kubeconfigPath });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Argo Workflows is not installed in cluster kube-simulator: no workflowtemplates\.argoproj\.io/);
    } finally {
      fault.remove();
    }
  });
});
