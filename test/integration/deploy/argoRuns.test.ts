// Deployed runs, proven without a cluster: a flow compiled by the Argo compiler is executed by argoSim (Argo's
// controller semantics) whose every step is a Pod created through the Kubernetes simulator's API; its kubelet
// runs the real pod loader with Debian's python3, signing in with workload identity at a stand-in Entra to
// Azurite (https, OAuth). The same flow then runs locally on the same datastore, and each step's artifacts
// must be equal; the Argo run's tasks also leave Metaflow-format metadata (the pods' tarballs).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileArgo } from '../../../src/deploy/argo';
import type { ArgoCompileOptions, ArgoManifests } from '../../../src/deploy/argo';
import type { FlowInfo } from '../../../src/flow/types';
import { POD_LOADER_MODULE_FILE } from '../../../src/kube/podContract';
import { buildCodePackage, uploadCodePackage } from '../../../src/runtime/codePackage';
import { AZURE_PYTHON, type AzureRunSetup, azureRunSetup } from '../azure/azureRunHarness';
import { analyzer, finish, PYTHON_DIR, writeFlow } from '../runtime/harness';
import { type ArgoRun, KubePodLauncher, runArgoWorkflow } from '../../support/argoSim';
import { type FakeEntra, startFakeEntra } from '../../support/fakeEntra';
import { type KubeSimulator, startKubeSimulator, WI_CLIENT_ID_ANNOTATION } from '../../support/kubeSim';

const CONTAINER = 'argo-runs';
const SYSROOT = `${CONTAINER}/studio`;
const NAMESPACE = 'default';
const SERVICE_ACCOUNT = 'metaflow-runner';

const FOREACH_FLOW = `from metaflow import FlowSpec, Parameter, step


class ArgoForeachFlow(FlowSpec):
    factor = Parameter("factor", default=2)

    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.value = self.input * self.input * self.factor
        self.next(self.add_one)

    @step
    def add_one(self):
        self.value += 1
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = sorted(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.values)
        print("total", self.total)


if __name__ == "__main__":
    ArgoForeachFlow()
`;

const SWITCH_FLOW = `from metaflow import FlowSpec, Parameter, step


class ArgoSwitchFlow(FlowSpec):
    size = Parameter("size", default=5)

    @step
    def start(self):
        self.kind = "big" if self.size > 3 else "small"
        self.next({"big": self.big, "small": self.small}, condition="kind")

    @step
    def big(self):
        self.label = "BIG"
        self.next(self.merge)

    @step
    def small(self):
        self.label = "small"
        self.next(self.merge)

    @step
    def merge(self):
        self.result = "%s:%d" % (self.label, self.size)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ArgoSwitchFlow()
`;

// Every task's user artifacts of one run, straight from the datastore: {step: [{name: value}, ...] sorted}.
const READ_RUN = String.raw`
import json, sys
from metaflow_studio.azure_datastore import AzureBackend
from metaflow_studio.datastore import BlobCache, TaskReader, latest_done_attempt_of
sysroot, endpoint, flow, run_id = sys.argv[1:5]
backend = AzureBackend.open(sysroot, endpoint)
cache = BlobCache(backend.content_store(flow))
out = {}
for step in backend.store.list_names("%s/%s" % (flow, run_id)):
    if step.startswith("_"):
        continue
    tasks = []
    for task_id in backend.store.list_names("%s/%s/%s" % (flow, run_id, step)):
        files = backend.task_files(flow, run_id, step, task_id)
        if latest_done_attempt_of(files.names()) is None:
            continue
        reader = TaskReader.from_pathspec("/unused", flow, "%s/%s/%s" % (run_id, step, task_id), cache, backend)
        tasks.append(dict((k, reader[k]) for k in sorted(reader.keys()) if not k.startswith("_") and k != "name"))
    out[step] = sorted(tasks, key=lambda t: json.dumps(t, sort_keys=True, default=str))
print(json.dumps(out, sort_keys=True, default=str))
`;

async function listNames(storage: { listChildren(key: string): Promise<Array<{ name: string }>> }, key: string): Promise<string[]> {
  return (await storage.listChildren(key)).map((e) => e.name).sort();
}

function execPython(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(AZURE_PYTHON, args, { env: { ...env, PYTHONPATH: PYTHON_DIR }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('deployed Argo runs through argoSim and the Kubernetes simulator', { timeout: 600_000 }, () => {
  let setup: AzureRunSetup;
  let entra: FakeEntra;
  let sim: KubeSimulator;
  let flowDir: string;
  let loaderSource: string;

  before(async () => {
    setup = await azureRunSetup(CONTAINER);
    entra = await startFakeEntra();
    const bundle = path.join(setup.ws.dir, 'pod-ca.pem');
    fs.writeFileSync(bundle, `${setup.azurite.caCert ?? ''}\n${entra.caCert}`);
    sim = await startKubeSimulator({
      workloadIdentity: { tenantId: entra.tenantId, authorityHost: entra.authorityHost },
      serviceAccounts: [{ namespace: NAMESPACE, name: SERVICE_ACCOUNT, annotations: { [WI_CLIENT_ID_ANNOTATION]: entra.clientId } }],
      // The image's trust store: the emulator's and the stand-in Entra's certificates.
      extraPodEnv: { REQUESTS_CA_BUNDLE: bundle },
    });
    writeFlow(setup.ws, 'argo_foreach_flow.py', FOREACH_FLOW);
    writeFlow(setup.ws, 'argo_switch_flow.py', SWITCH_FLOW);
    flowDir = path.dirname(setup.ws.flow('argo_foreach_flow.py'));
    loaderSource = fs.readFileSync(path.join(PYTHON_DIR, POD_LOADER_MODULE_FILE), 'utf8');
  });

  after(async () => {
    await sim?.stop();
    await entra?.stop();
    await setup?.dispose();
  });

  async function flowInfo(file: string): Promise<FlowInfo> {
    const analysis = (await analyzer()).analyze(file, fs.readFileSync(file, 'utf8'));
    assert.equal(analysis.flows.length, 1);
    return analysis.flows[0]!;
  }

  async function deploy(file: string): Promise<{ flow: FlowInfo; manifests: ArgoManifests }> {
    const flow = await flowInfo(file);
    const pkg = await buildCodePackage({ flowDir, embeddedPythonDir: PYTHON_DIR, maxBytes: 50 << 20 });
    const uploaded = await uploadCodePackage(setup.storage(), flow.name, pkg);
    const options: ArgoCompileOptions = {
      config: {
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: SYSROOT,
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: setup.azurite.endpoint,
        METAFLOW_KUBERNETES_NAMESPACE: NAMESPACE,
        METAFLOW_KUBERNETES_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
        METAFLOW_KUBERNETES_LABELS: 'azure.workload.identity/use=true',
      },
      productionToken: `${flow.name.toLowerCase()}-0-test`,
      user: 'alice',
      deploymentTimestamp: new Date().toISOString(),
      codePackage: { sha: pkg.sha, url: `${CONTAINER}/studio/${uploaded.key}` },
      podLoaderSource: loaderSource,
      flowFile: path.basename(file),
    };
    const result = compileArgo(flow, options);
    assert.deepEqual(result.problems, []);
    return { flow, manifests: result as ArgoManifests };
  }

  async function runDeployed(manifests: ArgoManifests, parameters: Record<string, string>): Promise<ArgoRun> {
    // The simulator keeps each pod's emptyDir volumes under <its folder>/pods/<uid>/volumes/<name>.
    const simRoot = path.dirname(sim.kubeconfigPath);
    const launcher = new KubePodLauncher(sim.kubeconfigPath, async (pod, volume, rel) => {
      const file = path.join(simRoot, 'pods', pod.metadata!.uid!, 'volumes', volume, rel);
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    });
    return runArgoWorkflow({ template: manifests.workflowTemplate, parameters, namespace: NAMESPACE, launcher });
  }

  async function localRun(file: string, parameterArgs: string[]): Promise<string> {
    const runner = await setup.runner();
    const { result } = await finish(runner.run({ flowFile: file, parameterArgs }));
    assert.equal(result.status, 'succeeded', result.error);
    return result.runId;
  }

  async function artifacts(flowName: string, runId: string): Promise<Record<string, unknown[]>> {
    const text = await execPython(['-c', READ_RUN, SYSROOT, setup.azurite.endpoint, flowName, runId], setup.env());
    return JSON.parse(text.trim().split('\n').pop()!) as Record<string, unknown[]>;
  }

  function failureReport(run: ArgoRun): string {
    const lines = run.nodes.filter((n) => n.phase !== 'Succeeded' && n.phase !== 'Skipped').map((n) => `${n.name}: ${n.phase} ${n.message ?? ''}`);
    for (const n of run.nodes) for (const pod of n.pods) if (n.phase === 'Failed') lines.push(`--- ${pod}\n${sim.podLog(NAMESPACE, pod, 'main') ?? ''}`);
    return `${run.message ?? ''}\n${lines.join('\n')}`;
  }

  it('a foreach flow with a two-step body: same artifacts per step as a local run, task metadata in the datastore', async () => {
    const file = setup.ws.flow('argo_foreach_flow.py');
    const { manifests } = await deploy(file);
    const run = await runDeployed(manifests, { factor: '3' });
    assert.equal(run.phase, 'Succeeded', failureReport(run));
    const runId = `argo-${run.name}`;
    // One pod per task: start, three of each body step, join, end.
    const pods = run.nodes.flatMap((n) => n.pods);
    assert.equal(pods.length, 1 + 3 + 3 + 1 + 1, run.nodes.map((n) => n.name).join('\n'));
    const deployed = await artifacts('ArgoForeachFlow', runId);
    const local = await artifacts('ArgoForeachFlow', await localRun(file, ['--factor', '3']));
    assert.deepEqual(deployed, local);
    // square: i*i*3, add_one: +1; the join keeps only what it sets (plus the parameter).
    assert.deepEqual(deployed.end, [{ factor: 3, total: 4 + 13 + 28, values: [4, 13, 28] }]);

    // Deterministic task ids (`t-` + 8 hex), and each task's metadata as the pod synced it: a tarball in the CAS.
    const storage = setup.storage();
    const joinTasks = (await listNames(storage, `ArgoForeachFlow/${runId}/add_one`));
    assert.equal(joinTasks.length, 3);
    for (const t of joinTasks) assert.match(t, /^t-[0-9a-f]{8}$/);
    for (const step of ['start', 'square', 'add_one', 'join', 'end']) {
      for (const task of (await listNames(storage, `ArgoForeachFlow/${runId}/${step}`))) {
        const key = await storage.readIfExists(`ArgoForeachFlow/${runId}/${step}/${task}/0.local_metadata`);
        assert.ok(key, `${step}/${task} has no metadata tarball`);
        assert.match(JSON.parse(key.toString('utf8')) as string, /^[0-9a-f]{40}$/);
      }
    }
    // The run's parameters task, made once by the start pod, named after start's task id.
    const start = (await listNames(storage, `ArgoForeachFlow/${runId}/start`));
    const params = (await listNames(storage, `ArgoForeachFlow/${runId}/_parameters`));
    assert.deepEqual(params, [`${start[0]}-params`]);
  });

  it('a switch flow: the branch the condition chose runs, the other is skipped, artifacts equal a local run', async () => {
    const file = setup.ws.flow('argo_switch_flow.py');
    const { manifests } = await deploy(file);
    const run = await runDeployed(manifests, { size: '1' });
    assert.equal(run.phase, 'Succeeded', failureReport(run));
    const byStep = (s: string) => run.nodes.find((n) => n.name.endsWith(`.${s}`));
    assert.equal(byStep('small')?.phase, 'Succeeded');
    assert.equal(byStep('big')?.phase, 'Skipped');
    const deployed = await artifacts('ArgoSwitchFlow', `argo-${run.name}`);
    const local = await artifacts('ArgoSwitchFlow', await localRun(file, ['--size', '1']));
    assert.deepEqual(deployed, local);
    assert.deepEqual(deployed.merge, [{ kind: 'small', label: 'small', result: 'small:1', size: 1 }]);
    assert.equal(deployed.big, undefined);
  });
});
