// Keeps the `metaflow.editorHasFlow` context key in step with the active editor, so that the
// editor-title "Show DAG" button appears on flow files only.
import * as vscode from 'vscode';
import type { FlowDocuments } from './flowDocuments';

export const EDITOR_HAS_FLOW = 'metaflow.editorHasFlow';

export class FlowEditorContext implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private current: boolean | undefined;

  constructor(private readonly documents: FlowDocuments) {
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      documents.onDidAnalyze(({ uri }) => {
        if (vscode.window.activeTextEditor?.document.uri.toString() === uri.toString()) this.update();
      }),
    ];
    this.update();
  }

  private update(): void {
    const editor = vscode.window.activeTextEditor;
    const hasFlow = editor ? (this.documents.get(editor.document)?.analysis.flows.length ?? 0) > 0 : false;
    if (hasFlow === this.current) return;
    this.current = hasFlow;
    void vscode.commands.executeCommand('setContext', EDITOR_HAS_FLOW, hasFlow);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
