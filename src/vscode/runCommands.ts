// The run commands (category "Metaflow"): Run Flow, Run Step, Resume From Step, Cancel Run. The
// CodeLens, the DAG panel and the Artifact Explorer call them with (uri, flowName, step, originRunId);
// whatever is missing comes from the active editor, the workspace index or a quick pick.
import * as vscode from 'vscode';
import type { FlowInfo, StepInfo } from '../flow/types';
import type { RunRegistry, TrackedRun } from '../runs/runRegistry';
import { NoRunReachedStepError } from '../runtime/localRunner';
import type { AnalysedDocuments } from './flowDocumentsService';
import type { RemoteRunPreparation } from './kubernetesCommands';
import { flowAt, stepAt } from './flowLookup';
import type { RunOutputChannel } from './outputChannelRuns';
import type { RunForm, RunFormValues } from './runForm';
import type { LaunchRequest, RunLauncher } from './runLauncher';
import { runSettings } from './settings';
import type { RunStatusBar } from './statusBarRuns';
import { SHOW_ACTIVE_RUNS_COMMAND } from './statusBarRuns';
import type { WorkspaceFlowIndex } from './workspaceIndex';

export const RUN_FLOW_COMMAND = 'metaflow.runFlow';
export const RUN_STEP_COMMAND = 'metaflow.runStep';
export const RESUME_FROM_STEP_COMMAND = 'metaflow.resumeFromStep';
export const CANCEL_RUN_COMMAND = 'metaflow.cancelRun';

export interface RunCommandsDeps {
  documents: AnalysedDocuments;
  index: WorkspaceFlowIndex;
  launcher: RunLauncher;
  registry: RunRegistry;
  form: RunForm;
  output: RunOutputChannel;
  statusBar: RunStatusBar;
}

interface FlowTarget {
  uri: vscode.Uri;
  flow: FlowInfo;
}

const NO_FORM: RunFormValues = { parameterArgs: [], tags: [] };

function asUri(value: unknown): vscode.Uri | undefined {
  if (value instanceof vscode.Uri) return value;
  if (typeof value === 'string' && value.length > 0) return value.includes('://') ? vscode.Uri.parse(value) : vscode.Uri.file(value);
  return undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export class RunCommands {
  constructor(private readonly deps: RunCommandsDeps) {}

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand(RUN_FLOW_COMMAND, (uri?: unknown, flow?: unknown) => this.runFlow(uri, flow)),
      vscode.commands.registerCommand(RUN_STEP_COMMAND, (uri?: unknown, flow?: unknown, step?: unknown, origin?: unknown) => this.runStep(uri, flow, step, origin)),
      vscode.commands.registerCommand(RESUME_FROM_STEP_COMMAND, (uri?: unknown, flow?: unknown, step?: unknown, origin?: unknown) => this.resume(uri, flow, step, origin)),
      vscode.commands.registerCommand(CANCEL_RUN_COMMAND, (pathspec?: unknown) => this.cancel(pathspec)),
      vscode.commands.registerCommand(SHOW_ACTIVE_RUNS_COMMAND, () =>
        this.deps.statusBar.pick(
          () => this.deps.output.show(),
          (run) => run.handle.cancel(),
        ),
      ),
    ];
  }

  /** `remote` (Run Flow on Kubernetes) checks its settings once the flow is known, before the form asks anything. */
  async runFlow(uriArg?: unknown, flowArg?: unknown, until?: string, remote?: RemoteRunPreparation): Promise<TrackedRun | undefined> {
    if (this.deps.launcher.refuseIfUntrusted()) return undefined;
    const target = await this.target(uriArg, flowArg, remote?.title ?? 'Run Flow');
    if (!target) return undefined;
    const kubernetes = remote && (await remote.prepare(target.uri));
    if (remote && !kubernetes) return undefined;
    const where = kubernetes ? ' on Kubernetes' : '';
    const form = runSettings(target.uri).promptForParameters
      ? await this.deps.form.ask(target.uri, target.flow, until ? `Run ${target.flow.name} up to ${until}` : `Run ${target.flow.name}${where}`)
      : NO_FORM;
    if (!form) return undefined;
    return this.deps.launcher.launch({ kind: 'run', uri: target.uri, flowName: target.flow.name, until, form, ...(kubernetes ? { kubernetes } : {}) });
  }

  async runStep(uriArg?: unknown, flowArg?: unknown, stepArg?: unknown, originArg?: unknown): Promise<TrackedRun | undefined> {
    if (this.deps.launcher.refuseIfUntrusted()) return undefined;
    const target = await this.target(uriArg, flowArg, 'Run Step');
    const step = target && (await this.step(target, stepArg, 'Run Step', 'Choose the step to run again on the inputs of the latest run that reached it'));
    if (!target || !step) return undefined;
    const request: LaunchRequest = { kind: 'spin', uri: target.uri, flowName: target.flow.name, step: step.name, originRunId: asString(originArg), form: NO_FORM };
    try {
      return await this.deps.launcher.launch(request);
    } catch (err) {
      if (!(err instanceof NoRunReachedStepError)) throw err;
      const runUpTo = 'Run up to this step';
      const picked = await vscode.window.showWarningMessage(
        `No run of ${target.flow.name} has reached step '${step.name}' yet, so there are no inputs to run it with. Run the flow up to '${step.name}' first, then run the step.`,
        runUpTo,
      );
      return picked === runUpTo ? this.runFlow(target.uri, target.flow.name, step.name) : undefined;
    }
  }

  async resume(uriArg?: unknown, flowArg?: unknown, stepArg?: unknown, originArg?: unknown): Promise<TrackedRun | undefined> {
    if (this.deps.launcher.refuseIfUntrusted()) return undefined;
    const target = await this.target(uriArg, flowArg, 'Resume From Step');
    const step = target && (await this.step(target, stepArg, 'Resume From Step', 'Choose the step to resume from (earlier steps are reused from the origin run)'));
    if (!target || !step) return undefined;
    return this.deps.launcher.launch({ kind: 'resume', uri: target.uri, flowName: target.flow.name, step: step.name, originRunId: asString(originArg), form: NO_FORM });
  }

  async cancel(pathspecArg?: unknown): Promise<TrackedRun | undefined> {
    const pathspec = asString(pathspecArg);
    let run: TrackedRun | undefined;
    if (pathspec) {
      run = this.deps.registry.get(pathspec);
      if (!run) {
        void vscode.window.showWarningMessage(`There is no run ${pathspec} going in this window to cancel.`);
        return undefined;
      }
    } else {
      const active = this.deps.registry.active();
      if (active.length === 0) {
        void vscode.window.showInformationMessage('No Metaflow run is going.');
        return undefined;
      }
      run =
        active.length === 1
          ? active[0]
          : (
              await vscode.window.showQuickPick(
                active.map((r) => ({ label: r.state.pathspec || r.state.flow, description: `${r.state.tasksFinished}/${r.state.tasksTotal} tasks`, run: r })),
                { title: 'Cancel Run', placeHolder: 'Choose the run to cancel' },
              )
            )?.run;
    }
    run?.handle.cancel();
    return run;
  }

  private async target(uriArg: unknown, flowArg: unknown, title: string): Promise<FlowTarget | undefined> {
    let uri = asUri(uriArg);
    const flowName = asString(flowArg);
    let position: vscode.Position | undefined;
    if (!uri && flowName) {
      const matches = (await this.deps.index.flows()).filter((f) => f.name === flowName);
      if (matches.length === 0) {
        void vscode.window.showErrorMessage(`No flow named ${flowName} was found in this workspace.`);
        return undefined;
      }
      uri = matches.length === 1 ? matches[0].uri : (await vscode.window.showQuickPick(matches.map((f) => ({ label: f.name, description: vscode.workspace.asRelativePath(f.uri), uri: f.uri })), { title }))?.uri;
      if (!uri) return undefined;
    }
    if (!uri) {
      const editor = vscode.window.activeTextEditor;
      const analysed = editor && (await this.deps.documents.whenAnalysed(editor.document));
      if (editor && analysed && analysed.analysis.flows.length > 0) {
        uri = editor.document.uri;
        position = editor.selection.active;
      } else {
        return this.pickFromWorkspace(title);
      }
    }
    const document = await vscode.workspace.openTextDocument(uri);
    const analysis = (await this.deps.documents.whenAnalysed(document))?.analysis;
    const flows = analysis?.flows ?? [];
    if (flows.length === 0) {
      void vscode.window.showErrorMessage(`${vscode.workspace.asRelativePath(uri)} defines no Metaflow flow (no subclass of FlowSpec).`);
      return undefined;
    }
    if (flowName) {
      const flow = flows.find((f) => f.name === flowName);
      if (!flow) void vscode.window.showErrorMessage(`${vscode.workspace.asRelativePath(uri)} has no flow named ${flowName}; it defines ${flows.map((f) => f.name).join(', ')}.`);
      return flow && { uri, flow };
    }
    const atCursor = position && analysis && flowAt(analysis, position);
    if (atCursor) return { uri, flow: atCursor };
    if (flows.length === 1) return { uri, flow: flows[0] };
    const picked = await vscode.window.showQuickPick(flows.map((f) => ({ label: f.name, description: `line ${f.line}`, flow: f })), { title, placeHolder: 'Choose a flow' });
    return picked && { uri, flow: picked.flow };
  }

  private async pickFromWorkspace(title: string): Promise<FlowTarget | undefined> {
    const flows = await this.deps.index.flows();
    if (flows.length === 0) {
      void vscode.window.showInformationMessage('No Metaflow flows found in this workspace. Open a Python file with a class that subclasses FlowSpec.');
      return undefined;
    }
    const picked =
      flows.length === 1
        ? flows[0]
        : (await vscode.window.showQuickPick(flows.map((f) => ({ label: f.name, description: vscode.workspace.asRelativePath(f.uri), f })), { title, placeHolder: 'Choose a flow', matchOnDescription: true }))?.f;
    return picked && this.target(picked.uri, picked.name, title);
  }

  private async step(target: FlowTarget, stepArg: unknown, title: string, placeHolder: string): Promise<StepInfo | undefined> {
    const name = asString(stepArg);
    if (name) {
      const step = target.flow.steps.find((s) => s.name === name);
      if (!step) void vscode.window.showErrorMessage(`The flow ${target.flow.name} has no step '${name}'; its steps are ${target.flow.steps.map((s) => s.name).join(', ')}.`);
      return step;
    }
    const editor = vscode.window.activeTextEditor;
    if (editor && editor.document.uri.toString() === target.uri.toString()) {
      const here = stepAt(target.flow, editor.selection.active);
      if (here) return here;
    }
    const picked = await vscode.window.showQuickPick(
      target.flow.steps.map((s) => ({ label: s.name, description: s.type, detail: s.doc, step: s })),
      { title: `${title}: ${target.flow.name}`, placeHolder },
    );
    return picked?.step;
  }
}
