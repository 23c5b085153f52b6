// Deployed runs without a cluster, shared by the Argo run tests: a flow compiled by the Argo compiler is executed
// by argoSim (Argo's controller semantics) whose every step is a Pod created through the Kubernetes simulator's
// API; its kubelet runs the real pod loader with Debian's python3, signing in with workload identity at a
// stand-in Entra to Azurite (https, OAuth). The same flow also runs locally on the same datastore so the tests
// can compare each step's artifacts; the pods' metadata (tarballs in the datastore) is read back as the
// launcher reads it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileArgo } from '../../../src/deploy/argo';
import type { ArgoCompileOptions, ArgoManifests } from '../../../src/deploy/argo';
import type { FlowInfo } from '../../../src/flow/types';
import { POD_LOADER_MODULE_FILE } from '../../../src/kube/podContract';
import { buildCodePackage, uploadCodePackage } from '../../../src/runtime/codePackage';
import { type ArgoRun, KubePodLauncher, runArgoWorkflow } from '../../support/argoSim';
import { type FakeEntra, startFakeEntra } from '../../support/fakeEntra';
import { type KubeSimulator, startKubeSimulator, WI_CLIENT_ID_ANNOTATION } from '../../support/kubeSim';
import { type AzureRunSetup, azureRunSetup, execAzurePython } from '../azure/azureRunHarness';
import { analyzer, finish, PYTHON_DIR, writeFlow } from '../runtime/harness';

export const NAMESPACE = 'default';
const SERVICE_ACCOUNT = 'metaflow-runner';
/** Who deploys (the templates' METAFLOW_OWNER). */
export const OWNER = 'alice';

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

// The pods' metadata copied into a local `.metaflow` as the launcher copies it, then: the run's `_self.json`,
// each task's metadata fields, and the runs the embedded Client lists in the given namespace.
const READ_METADATA = String.raw`
import glob, json, os, sys
from metaflow_studio.azure_datastore import AzureBackend
from metaflow_studio.datastore import latest_done_attempt_of
from metaflow_studio.pod_metadata_sync import RawContentStore, sync_from_datastore
sysroot, endpoint, flow, run_id, local, ns = sys.argv[1:7]
backend = AzureBackend.open(sysroot, endpoint)
cas = RawContentStore(flow, backend=backend)
root = os.path.join(local, ".metaflow")
tasks = {}
for step in backend.store.list_names("%s/%s" % (flow, run_id)):
    for task_id in backend.store.list_names("%s/%s/%s" % (flow, run_id, step)):
        files = backend.task_files(flow, run_id, step, task_id)
        attempt = latest_done_attempt_of(files.names())
        if attempt is None:
            continue
        sync_from_datastore(root, cas, files, attempt)
        fields = {}
        for path in glob.glob(os.path.join(root, flow, run_id, step, task_id, "_meta", "sysmeta_*.json")):
            with open(path) as f:
                datum = json.load(f)
            fields[datum["field_name"]] = datum["value"]
        tasks.setdefault(step, {})[task_id] = fields
with open(os.path.join(root, flow, run_id, "_meta", "_self.json")) as f:
    run = json.load(f)
from metaflow import Flow, namespace
from metaflow.exception import MetaflowNamespaceMismatch
namespace(ns)
try:
    listed = [r.id for r in Flow(flow).runs()]
except MetaflowNamespaceMismatch:
    listed = None
print(json.dumps({"run": run, "tasks": tasks, "listed": listed}))
`;

export interface RunMetadata {
  run: { system_tags: string[]; user_name: string };
  /** step -> task id -> metadata field -> value. */
  tasks: Record<string, Record<string, Record<string, string>>>;
  /** Run ids the embedded Client lists in the namespace asked for (null: the flow is outside it). */
  listed: string[] | null;
}

export interface Deployed {
  flow: FlowInfo;
  manifests: ArgoManifests;
  productionToken: string;
  /** The WorkflowTemplate's name. */
  templateName: string;
}

export class ArgoHarness {
  private constructor(
    readonly setup: AzureRunSetup,
    readonly sim: KubeSimulator,
    private readonly entra: FakeEntra,
    private readonly container: string,
    private readonly loaderSource: string,
  ) {}

  static async start(container: string, flows: Record<string, string>): Promise<ArgoHarness> {
    const setup = await azureRunSetup(container);
    const entra = await startFakeEntra();
    const bundle = path.join(setup.ws.dir, 'pod-ca.pem');
    fs.writeFileSync(bundle, `${setup.azurite.caCert ?? ''}\n${entra.caCert}`);
    const sim = await startKubeSimulator({
      workloadIdentity: { tenantId: entra.tenantId, authorityHost: entra.authorityHost },
      serviceAccounts: [{ namespace: NAMESPACE, name: SERVICE_ACCOUNT, annotations: { [WI_CLIENT_ID_ANNOTATION]: entra.clientId } }],
      // The image's trust store: the emulator's and the stand-in Entra's certificates.
      extraPodEnv: { REQUESTS_CA_BUNDLE: bundle },
    });
    for (const [name, source] of Object.entries(flows)) writeFlow(setup.ws, name, source);
    const loaderSource = fs.readFileSync(path.join(PYTHON_DIR, POD_LOADER_MODULE_FILE), 'utf8');
    return new ArgoHarness(setup, sim, entra, container, loaderSource);
  }

  get sysroot(): string {
    return `${this.container}/studio`;
  }

  async dispose(): Promise<void> {
    await this.sim.stop();
    await this.entra.stop();
    await this.setup.dispose();
  }

  async flowInfo(file: string): Promise<FlowInfo> {
    const analysis = (await analyzer()).analyze(file, fs.readFileSync(file, 'utf8'));
    assert.equal(analysis.flows.length, 1);
    return analysis.flows[0]!;
  }

  /** `config`: more METAFLOW_* settings (e.g. Argo Events') for this deployment. */
  async deploy(file: string, config: Record<string, string> = {}): Promise<Deployed> {
    const flow = await this.flowInfo(file);
    const pkg = await buildCodePackage({ flowDir: path.dirname(file), embeddedPythonDir: PYTHON_DIR, maxBytes: 50 << 20 });
    const uploaded = await uploadCodePackage(this.setup.storage(), flow.name, pkg);
    const productionToken = `${flow.name.toLowerCase()}-0-test`;
    const options: ArgoCompileOptions = {
      config: {
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: this.sysroot,
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: this.setup.azurite.endpoint,
        METAFLOW_KUBERNETES_NAMESPACE: NAMESPACE,
        METAFLOW_KUBERNETES_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
        METAFLOW_KUBERNETES_LABELS: 'azure.workload.identity/use=true',
        ...config,
      },
      productionToken,
      user: OWNER,
      deploymentTimestamp: new Date().toISOString(),
      codePackage: { sha: pkg.sha, url: `${this.sysroot}/${uploaded.key}` },
      podLoaderSource: this.loaderSource,
      flowFile: path.basename(file),
    };
    const result = compileArgo(flow, options);
    assert.deepEqual(result.problems, []);
    const manifests = result as ArgoManifests;
    return { flow, manifests, productionToken, templateName: String((manifests.workflowTemplate.metadata as Record<string, unknown>).name) };
  }

  async runDeployed(manifests: ArgoManifests, parameters: Record<string, string>): Promise<ArgoRun> {
    // The simulator keeps each pod's emptyDir volumes under <its folder>/pods/<uid>/volumes/<name>.
    const simRoot = path.dirname(this.sim.kubeconfigPath);
    const launcher = new KubePodLauncher(this.sim.kubeconfigPath, async (pod, volume, rel) => {
      const file = path.join(simRoot, 'pods', pod.metadata!.uid!, 'volumes', volume, rel);
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    });
    return runArgoWorkflow({ template: manifests.workflowTemplate, parameters, namespace: NAMESPACE, launcher });
  }

  async localRun(file: string, parameterArgs: string[]): Promise<string> {
    const runner = await this.setup.runner();
    const { result } = await finish(runner.run({ flowFile: file, parameterArgs }));
    assert.equal(result.status, 'succeeded', result.error);
    return result.runId;
  }

  async artifacts(flowName: string, runId: string): Promise<Record<string, Array<Record<string, unknown>>>> {
    const text = await this.python(['-c', READ_RUN, this.sysroot, this.setup.azurite.endpoint, flowName, runId]);
    return JSON.parse(text.trim().split('\n').pop()!) as Record<string, Array<Record<string, unknown>>>;
  }

  async metadata(flowName: string, runId: string, namespace: string): Promise<RunMetadata> {
    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'argo-meta-'));
    try {
      const text = await this.python(['-c', READ_METADATA, this.sysroot, this.setup.azurite.endpoint, flowName, runId, local, namespace], { METAFLOW_DATASTORE_SYSROOT_LOCAL: local });
      return JSON.parse(text.trim().split('\n').pop()!) as RunMetadata;
    } finally {
      fs.rmSync(local, { recursive: true, force: true });
    }
  }

  failureReport(run: ArgoRun): string {
    const lines = run.nodes.filter((n) => n.phase !== 'Succeeded' && n.phase !== 'Skipped').map((n) => `${n.name}: ${n.phase} ${n.message ?? ''}`);
    for (const n of run.nodes) for (const pod of n.pods) if (n.phase === 'Failed') lines.push(`--- ${pod}\n${this.sim.podLog(NAMESPACE, pod, 'main') ?? ''}`);
    return `${run.message ?? ''}\n${lines.join('\n')}`;
  }

  private python(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<string> {
    return execAzurePython(args, { ...this.setup.env(), ...extra });
  }
}

/** A deployment's identity on every task and on the run: `production:<token>`, `runtime:argo-workflows`, no `user:`. */
export function assertProductionIdentity(meta: RunMetadata, token: string, runId: string): void {
  const tags = meta.run.system_tags;
  assert.ok(tags.includes(`production:${token}`), tags.join(', '));
  assert.ok(tags.includes('runtime:argo-workflows'), tags.join(', '));
  assert.deepEqual(tags.filter((t) => t.startsWith('user:') || t === 'runtime:dev'), []);
  assert.equal(meta.run.user_name, 'argo-workflows');
  assert.deepEqual(meta.listed, [runId]);
  for (const [step, tasks] of Object.entries(meta.tasks)) {
    for (const [task, fields] of Object.entries(tasks)) {
      assert.equal(fields.production, token, `${step}/${task}`);
      assert.equal(fields.runtime, 'argo-workflows', `${step}/${task}`);
      assert.equal(fields.user, undefined, `${step}/${task}`);
    }
  }
}

/** Every step task (not `_parameters`) names the workflow, its template, namespace and owner, as Metaflow's Argo decorator does. */
export function assertArgoMetadata(meta: RunMetadata, templateName: string, workflowName: string): void {
  for (const [step, tasks] of Object.entries(meta.tasks)) {
    if (step === '_parameters') continue;
    for (const [task, fields] of Object.entries(tasks)) {
      assert.deepEqual(
        [fields['argo-workflow-template'], fields['argo-workflow-name'], fields['argo-workflow-namespace'], fields['argo-workflow-template-owner']],
        [templateName, workflowName, NAMESPACE, OWNER],
        `${step}/${task}`,
      );
    }
  }
  assert.equal(Object.values(meta.tasks._parameters ?? {}).some((f) => 'argo-workflow-name' in f), false);
}
