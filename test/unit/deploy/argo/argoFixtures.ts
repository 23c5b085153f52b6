// Shared by the Argo compiler tests: flows analysed from source, compile options for an Azure datastore,
// and the strict schema validator the Kubernetes simulator uses.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFlowAnalyzer } from '../../../../src/flow/analyzer';
import type { FlowInfo } from '../../../../src/flow/types';
import type { ArgoCompileOptions } from '../../../../src/deploy/argo/types';
import { SchemaValidator } from '../../../support/kubeSim/schemaValidator';

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const SCHEMAS = path.resolve(REPO, '..', 'shared', 'schemas');

export const AZURE_CONFIG: Record<string, string> = {
  METAFLOW_DEFAULT_DATASTORE: 'azure',
  METAFLOW_DATASTORE_SYSROOT_AZURE: 'flows/prod',
  METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: 'https://acct.blob.core.windows.net/',
  METAFLOW_KUBERNETES_NAMESPACE: 'mf',
  METAFLOW_ARGO_EVENTS_EVENT: 'metaflow-event',
  METAFLOW_ARGO_EVENTS_EVENT_SOURCE: 'argo-events-webhook',
  METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT: 'operate-workflow-sa',
};

export function options(extra: Partial<ArgoCompileOptions> = {}): ArgoCompileOptions {
  return {
    config: AZURE_CONFIG,
    productionToken: 'flow-0-abcd',
    user: 'alice',
    deploymentTimestamp: '2026-01-02T03:04:05.000Z',
    codePackage: { sha: 'a'.repeat(40), url: 'flows/prod/Flow/data/aa/' + 'a'.repeat(40) },
    podLoaderSource: 'import sys  # pod loader',
    flowFile: 'flow.py',
    ...extra,
  };
}

export async function flowFromSource(source: string, key = 'flow.py'): Promise<FlowInfo> {
  const analyzer = await createFlowAnalyzer();
  try {
    const a = analyzer.analyze(key, source);
    if (a.flows.length === 0) throw new Error(`no flow in ${key}`);
    return a.flows[0];
  } finally {
    analyzer.dispose();
  }
}

export async function flowFromFile(file: string): Promise<FlowInfo> {
  return flowFromSource(fs.readFileSync(file, 'utf8'), file);
}

/** `class F(FlowSpec)` around `body` (steps indented 4 spaces), with `decorators` above the class. */
export function flowSource(body: string, decorators = '', imports = 'from metaflow import *'): string {
  return `${imports}\n\n${decorators}\nclass TestFlow(FlowSpec):\n${body}\n`;
}

let validator: SchemaValidator | undefined;
export function schemas(): SchemaValidator {
  validator ??= new SchemaValidator(SCHEMAS);
  return validator;
}
