// Argo Workflows compile time for a generated 300-step flow (linear runs, static splits, foreaches,
// switches, decorators, parameters): the check alone and the whole compile, median of several rounds,
// plus the size of what is emitted. Prints JSON lines; nothing is asserted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkArgo } from '../src/deploy/argo/checkArgo';
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
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
