// Argo Workflows compile time for a generated 300-step flow (linear runs, static splits, foreaches,
// switches, decorators, parameters): the check alone and the whole compile, median of several rounds,
// plus the size of what is emitted; and the deploy round trip against the Kubernetes simulator (code package to
// Azurite, compile, read what is deployed, dry run, create or replace) and a trigger. Prints JSON lines;
// nothing is asserted.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ArgoClient } from '../src/deploy/argo/argoClient';
import { applyArgoDeployment, prepareArgoDeployment } from '../src/deploy/argo/argoDeploy';
import { triggerArgoWorkflow } from '../src/deploy/argo/argoLifecycle';
import { checkArgo } from '../src/deploy/argo/checkArgo';
import { AzureBlobStorage } from '../src/datastore/azure/azureBlobStorage';
import type { FlowInfo } from '../src/flow/types';
import { KubeClient } from '../src/kube/kubeClient';
import { locateEmbeddedPython } from '../src/runtime/embeddedPython';
import { azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite } from '../test/support/azurite';
import { startKubeSimulator } from '../test/support/kubeSim';
import { compileArgo } from '../src/deploy/argo/compileArgo';
import type { ArgoManifests } from '../src/deploy/argo/types';
import { createFlowAnalyzer } from '../src/flow/analyzer';
import { generateLargeFlow } from './flowGenerator';

const STEPS = 300;
const ROUNDS = 9;

const config = {
  METAFLOW_DEFAULT_DATASTORE: 'azure',
  METAFLOW_DATASTORE_SYSROOT_AZURE: 'flows/bench',
  METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: 'https://bench.blob.core.windows.net/',
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const analyzer = await createFlowAnalyzer();
  const flow = analyzer.analyze('generated.py', generateLargeFlow(STEPS)).flows[0];
  analyzer.dispose();
  const options = {
    config,
    productionToken: 'generatedflow-0-abcd',
    user: 'bench',
    deploymentTimestamp: new Date(0).toISOString(),
    codePackage: { sha: '0'.repeat(40), url: `flows/bench/GeneratedFlow/data/00/${'0'.repeat(40)}` },
    // The real loader: its source is inlined in every container's argv, which is most of the template's size.
    podLoaderSource: readFileSync(join(__dirname, '..', 'src', 'runtime', 'python', 'metaflow_studio', 'pod_loader.py'), 'utf8'),
    flowFile: 'generated.py',
  };
  const checks: number[] = [];
  const compiles: number[] = [];
  let result = compileArgo(flow, options);
  if (result.problems.length > 0) throw new Error(`the generated flow does not compile: ${JSON.stringify(result.problems.slice(0, 3))}`);
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    checkArgo(flow, options);
    checks.push(performance.now() - t);
    t = performance.now();
    result = compileArgo(flow, options);
    compiles.push(performance.now() - t);
  }
  const m = result as ArgoManifests;
  const templates = (m.workflowTemplate.spec as { templates: unknown[] }).templates.length;
  const bytes = Buffer.byteLength(JSON.stringify(m.workflowTemplate));
  console.log(JSON.stringify({ bench: 'deploy', metric: 'argo_check_ms', steps: flow.steps.length, value: Number(median(checks).toFixed(2)), rounds: ROUNDS }));
  console.log(JSON.stringify({ bench: 'deploy', metric: 'argo_compile_ms', steps: flow.steps.length, value: Number(median(compiles).toFixed(2)), rounds: ROUNDS }));
  console.log(JSON.stringify({ bench: 'deploy', metric: 'argo_workflow_template_bytes', steps: flow.steps.length, templates, value: bytes }));
  await roundTrip(flow, generateLargeFlow(STEPS));
}

const ROUND_TRIPS = 5;

/** Deploy (prepare + apply) of the generated flow to the simulator, first as a create, then as replaces of a changed flow, then triggers. */
async function roundTrip(flow: FlowInfo, source: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mfs-deploy-bench-'));
  const azurite = await startAzurite({ https: true, oauth: true });
  const sim = await startKubeSimulator();
  try {
    await createAzuriteContainer(azurite, 'bench');
    mkdirSync(join(dir, 'flow'));
    const flowFile = join(dir, 'flow', 'generated.py');
    writeFileSync(flowFile, source);
    const argo = new ArgoClient(KubeClient.load({ kubeconfigPath: sim.kubeconfigPath, namespace: 'default' }));
    const request = (tag: string) => ({
      flowFile,
      flow,
      options: { tags: [tag] },
      env: {
        USER: 'bench',
        METAFLOW_HOME: join(dir, 'home'),
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: 'bench/studio',
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
      },
      homeDir: dir,
      azureStorage: (config: Parameters<typeof AzureBlobStorage.fromConfig>[0]) => AzureBlobStorage.fromConfig(config, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) }),
      embeddedPythonDir: locateEmbeddedPython(join(__dirname, '..', 'src', 'runtime')),
      argo,
    });
    const creates: number[] = [];
    const replaces: number[] = [];
    const triggers: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      for (const [tag, times] of [['a', creates], ['b', replaces]] as const) {
        const t = performance.now();
        const prepared = await prepareArgoDeployment(request(`${tag}${i}`));
        if (!prepared.ok) throw new Error(`the generated flow cannot be deployed: ${JSON.stringify(prepared.problems.slice(0, 3))}`);
        await applyArgoDeployment(prepared.plan, argo);
        times.push(performance.now() - t);
      }
      const t = performance.now();
      await triggerArgoWorkflow({ argo, ref: { name: 'generatedflow', namespace: 'default', sensorNamespace: 'default' }, flow, parameters: {}, user: 'bench' });
      triggers.push(performance.now() - t);
      if (i < ROUND_TRIPS - 1) await argo.delete('WorkflowTemplate', 'default', 'generatedflow');
    }
    const line = (metric: string, xs: number[]) => console.log(JSON.stringify({ bench: 'deploy', metric, steps: flow.steps.length, value: Number(median(xs).toFixed(1)), rounds: xs.length }));
    line('argo_deploy_create_ms', creates);
    line('argo_deploy_replace_ms', replaces);
    line('argo_trigger_ms', triggers);
  } finally {
    await sim.stop();
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
