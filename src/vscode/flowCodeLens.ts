// CodeLens: above each flow class "Run flow" and "Show DAG"; above each step "Run step" and "Resume from
// here". In an untrusted workspace the run lenses say why they cannot run and open the trust editor;
// they are drawn again when trust is granted.
import * as vscode from 'vscode';
import type { AnalysedDocuments } from './flowDocumentsService';
import { RESUME_FROM_STEP_COMMAND as RESUME_FROM_STEP, RUN_FLOW_COMMAND as RUN_FLOW, RUN_STEP_COMMAND as RUN_STEP } from './runCommands';

export const SHOW_DAG_COMMAND = 'metaflow.showDag';
const MANAGE_TRUST = 'workbench.trust.manage';
const UNTRUSTED = 'trust this folder to run';

export interface WorkspaceTrust {
  readonly isTrusted: boolean;
  readonly onDidGrantWorkspaceTrust: vscode.Event<void>;
}

export class FlowCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly documents: AnalysedDocuments,
    private readonly trust: WorkspaceTrust = vscode.workspace,
  ) {
    this.subscriptions = [documents.onDidAnalyze(() => this.changed.fire()), trust.onDidGrantWorkspaceTrust(() => this.changed.fire())];
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const analysed = await this.documents.whenAnalysed(document);
    if (!analysed) return [];
    const trusted = this.trust.isTrusted;
    const lenses: vscode.CodeLens[] = [];
    const at = (line: number) => new vscode.Range(line, 0, line, 0);
    const untrusted = (title: string): vscode.Command => ({
      title: `${title} (${UNTRUSTED})`,
      tooltip: 'Running a flow executes its code, so Metaflow runs nothing in an untrusted workspace. Click to manage workspace trust.',
      command: MANAGE_TRUST,
    });
    for (const flow of analysed.analysis.flows) {
      // Above the first decorator of the class, where a reader's eye starts.
      const line = Math.min(flow.range.start.line, flow.nameRange.start.line);
      lenses.push(
        new vscode.CodeLens(
          at(line),
          trusted ? { title: 'Run flow', tooltip: `Run ${flow.name} with the embedded runtime`, command: RUN_FLOW, arguments: [document.uri, flow.name] } : untrusted('Run flow'),
        ),
        new vscode.CodeLens(at(line), { title: 'Show DAG', tooltip: `Draw the steps of ${flow.name} as a graph`, command: SHOW_DAG_COMMAND, arguments: [document.uri, flow.name] }),
      );
      for (const step of flow.steps) {
        const stepLine = step.range.start.line;
        if (!trusted) {
          lenses.push(new vscode.CodeLens(at(stepLine), untrusted('Run step')));
          continue;
        }
        lenses.push(
          new vscode.CodeLens(at(stepLine), {
            title: 'Run step',
            tooltip: `Run ${step.name} again on the inputs of the latest run of ${flow.name} that reached it`,
            command: RUN_STEP,
            arguments: [document.uri, flow.name, step.name],
          }),
          new vscode.CodeLens(at(stepLine), {
            title: 'Resume from here',
            tooltip: `Resume the latest run of ${flow.name} from ${step.name}: earlier steps are reused, this one and the rest run again`,
            command: RESUME_FROM_STEP,
            arguments: [document.uri, flow.name, step.name],
          }),
        );
      }
    }
    return lenses;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
