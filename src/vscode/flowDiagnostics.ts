// Publishes lint errors and syntax problems of analysed flow documents in the Problems panel.
import * as vscode from 'vscode';
import type { FileAnalysis } from '../flow/types';
import type { FlowDocuments } from './flowDocuments';
import { toRange } from './ranges';

export const DIAGNOSTIC_SOURCE = 'Metaflow';
export const SYNTAX_ERROR_CODE = 'syntax-error';

/** Only documents that mention Metaflow reach the analyzer, so its syntax errors are worth showing even when they hide the flow. */
export function toDiagnostics(analysis: FileAnalysis): vscode.Diagnostic[] {
  const diagnostics: vscode.Diagnostic[] = [];
  for (const problem of analysis.syntaxErrors) {
    const d = new vscode.Diagnostic(toRange(problem.range), problem.message, vscode.DiagnosticSeverity.Error);
    d.source = DIAGNOSTIC_SOURCE;
    d.code = SYNTAX_ERROR_CODE;
    diagnostics.push(d);
  }
  // A subclass inherits its base flow's steps, and with them the same errors at the same places.
  const seen = new Set<string>();
  for (const flow of analysis.flows) {
    for (const error of flow.errors) {
      const { start, end } = error.range;
      const key = `${error.check}|${start.line}:${start.character}-${end.line}:${end.character}|${error.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Metaflow refuses to run a flow that fails a check, hence Error rather than Warning.
      const d = new vscode.Diagnostic(toRange(error.range), error.message, vscode.DiagnosticSeverity.Error);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = error.check;
      diagnostics.push(d);
    }
  }
  return diagnostics;
}

export class FlowDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly subscriptions: vscode.Disposable[];

  constructor(documents: FlowDocuments) {
    this.subscriptions = [
      this.collection,
      documents.onDidAnalyze(({ uri, analysis }) => this.collection.set(uri, toDiagnostics(analysis))),
      vscode.workspace.onDidCloseTextDocument((document) => this.collection.delete(document.uri)),
    ];
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
