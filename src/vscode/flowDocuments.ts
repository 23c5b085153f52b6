// The contract of the analysed-documents service (implemented in flowDocumentsService.ts):
// one place that keeps every open Python document's FileAnalysis current, for diagnostics,
// CodeLens, hover, definition and the DAG panel alike.
import type * as vscode from 'vscode';
import type { FileAnalysis } from '../flow/types';

export interface AnalysedDocument {
  uri: vscode.Uri;
  /** `document.version` the analysis was made from. */
  version: number;
  analysis: FileAnalysis;
}

export interface FlowDocuments extends vscode.Disposable {
  /** The current analysis of an open document (analysing it now if it is stale), or undefined when it is not Python. */
  get(document: vscode.TextDocument): AnalysedDocument | undefined;
  /** Fires after every (debounced) re-analysis of an open document. */
  readonly onDidAnalyze: vscode.Event<AnalysedDocument>;
}
