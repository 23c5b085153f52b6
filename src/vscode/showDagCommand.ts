// `metaflow.showDag [uri] [flow]`: draws a flow. Without arguments it draws the flow under the cursor
// of the active editor, or lets the user pick one of the workspace's flows.
import * as vscode from 'vscode';
import type { AnalysedDocuments } from './flowDocumentsService';
import { flowAt } from './flowLookup';
import type { WorkspaceFlowIndex } from './workspaceIndex';

export interface DagTarget {
  uri: vscode.Uri;
  flow?: string;
}

/** What the command needs from the DAG panel. */
export interface DagShower {
  show(target?: DagTarget): unknown;
}

export interface ShowDagDependencies {
  documents: AnalysedDocuments;
  index: WorkspaceFlowIndex;
  panel: DagShower;
}

function asUri(value: unknown): vscode.Uri | undefined {
  if (value instanceof vscode.Uri) return value;
  if (typeof value === 'string' && value.length > 0) return value.includes('://') ? vscode.Uri.parse(value) : vscode.Uri.file(value);
  return undefined;
}

export class ShowDagCommand {
  constructor(private readonly deps: ShowDagDependencies) {}

  async run(uriArg?: unknown, flowArg?: unknown): Promise<DagTarget | undefined> {
    const target = await this.resolve(asUri(uriArg), typeof flowArg === 'string' ? flowArg : undefined);
    if (target) await this.deps.panel.show(target);
    return target;
  }

  private async resolve(uri: vscode.Uri | undefined, flow: string | undefined): Promise<DagTarget | undefined> {
    if (uri) return { uri, flow };
    const fromEditor = await this.fromActiveEditor();
    if (fromEditor) return fromEditor;
    return this.pickFromWorkspace();
  }

  private async fromActiveEditor(): Promise<DagTarget | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const analysed = await this.deps.documents.whenAnalysed(editor.document);
    const flows = analysed?.analysis.flows ?? [];
    if (flows.length === 0) return undefined;
    const flow = flowAt(analysed!.analysis, editor.selection.active) ?? flows[0];
    return { uri: editor.document.uri, flow: flow.name };
  }

  private async pickFromWorkspace(): Promise<DagTarget | undefined> {
    const flows = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Looking for Metaflow flows' },
      () => this.deps.index.flows(),
    );
    if (flows.length === 0) {
      void vscode.window.showInformationMessage(
        'No Metaflow flows found in this workspace. Open a Python file with a class that subclasses FlowSpec, then run "Metaflow: Show DAG" again.',
      );
      return undefined;
    }
    if (flows.length === 1) return { uri: flows[0].uri, flow: flows[0].name };
    const picked = await vscode.window.showQuickPick(
      flows.map((f) => ({
        label: f.name,
        description: vscode.workspace.asRelativePath(f.uri),
        detail: `${f.stepCount} step${f.stepCount === 1 ? '' : 's'}${f.errorCount > 0 ? `, ${f.errorCount} problem${f.errorCount === 1 ? '' : 's'}` : ''}`,
        target: { uri: f.uri, flow: f.name },
      })),
      { title: 'Show DAG', placeHolder: 'Choose a flow to draw', matchOnDescription: true },
    );
    return picked?.target;
  }
}
