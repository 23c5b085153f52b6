// Compiles flow source text to an Airflow DAG file in a temp folder, with fixed inputs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFlowAnalyzer } from '../../../../src/flow/analyzer';
import type { FlowInfo } from '../../../../src/flow/types';
import { compileAirflow } from '../../../../src/deploy/airflow/airflowCompiler';
import type { AirflowCompileInput, AirflowCompileResult, AirflowOptions } from '../../../../src/deploy/airflow/airflowInput';

export const POD_LOADER_SOURCE = fs.readFileSync(path.resolve(__dirname, '../../../../src/runtime/python/metaflow_studio/pod_loader.py'), 'utf8');

export async function flowOf(source: string): Promise<FlowInfo> {
  const analyzer = await createFlowAnalyzer();
  try {
    const analysis = analyzer.analyze('flow.py', source);
    if (analysis.flows.length !== 1) throw new Error(`expected one flow, got ${analysis.flows.length}`);
    return analysis.flows[0];
  } finally {
    analyzer.dispose();
  }
}

export function compileInput(flow: FlowInfo, overrides: Partial<AirflowCompileInput> & { options?: AirflowOptions } = {}): AirflowCompileInput {
  return {
    flow,
    flowFile: 'flow.py',
    podLoaderSource: POD_LOADER_SOURCE,
    codePackage: { sha: 'a'.repeat(40), url: `studio/flows/${flow.name}/data/aa/${'a'.repeat(40)}` },
    datastore: { type: 'azure', sysroot: 'studio/flows', endpoint: 'https://acct.blob.core.windows.net/' },
    config: { METAFLOW_KUBERNETES_CONTAINER_IMAGE: 'python:3.11' },
    options: {},
    productionToken: 'trainflow-0-abcd',
    owner: 'alice',
    now: new Date('2025-01-02T03:04:05Z'),
    ...overrides,
  };
}

export async function compileSource(source: string, overrides: Partial<AirflowCompileInput> = {}): Promise<AirflowCompileResult> {
  return compileAirflow(compileInput(await flowOf(source), overrides));
}

export function writeTemp(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-dag-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}
