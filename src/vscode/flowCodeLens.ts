// CodeLens above each flow class: "Show DAG". Only lenses whose command exists are offered.
import * as vscode from 'vscode';
import type { AnalysedDocuments } from './flowDocumentsService';

export const SHOW_DAG_COMMAND = 'metaflow.showDag';

export class FlowCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly documents: AnalysedDocuments) {
    this.subscription = documents.onDidAnalyze(() => this.changed.fire());
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const analysed = await this.documents.whenAnalysed(document);
    if (!analysed) return [];
    return analysed.analysis.flows.map((flow) => {
      // Above the first decorator of the class, where a reader's eye starts.
      const line = Math.min(flow.range.start.line, flow.nameRange.start.line);
      return new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
        title: 'Show DAG',
        tooltip: `Draw the steps of ${flow.name} as a graph`,
        command: SHOW_DAG_COMMAND,
        arguments: [document.uri, flow.name],
      });
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
