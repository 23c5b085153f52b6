// The flow a deploy command (Argo Workflows, Airflow) works on: the file's main flow, its only flow, or the
// one picked.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlowInfo } from '../flow/types';
import type { FlowDocuments } from './flowDocuments';

/** Throws when the file defines no flow; undefined when the pick was dismissed. */
export async function pickDeployFlow(documents: FlowDocuments, document: vscode.TextDocument, placeHolder: string): Promise<FlowInfo | undefined> {
  const analysis = documents.get(document)?.analysis;
  const flows = analysis?.flows ?? [];
  if (flows.length === 0) throw new Error(`${path.basename(document.uri.fsPath)} defines no Metaflow flow.`);
  const main = flows.find((f) => f.name === analysis?.mainFlow);
  if (main || flows.length === 1) return main ?? flows[0];
  const picked = await vscode.window.showQuickPick(flows.map((f) => f.name), { placeHolder });
  return flows.find((f) => f.name === picked);
}
