// Starts runs from the editor exactly as the CLI does (LocalRunner run/resume/spin), after the editor's
// own checks: a trusted workspace, a saved file, a working interpreter, the engine setting. Every
// started run is tracked in the RunRegistry and followed by the Output channel, a progress
// notification and, when it ends, the Problems entries of its failure.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRegistry, TrackedRun } from '../runs/runRegistry';
import type { RunKind } from '../runtime/events';
import type { KubernetesRunOptions } from '../runtime/kubernetesPlacement';
import { NoRunReachedStepError, type PreparedRun, RunRefused } from '../runtime/localRunner';
import type { InterpreterService } from './interpreter';
import type { RunOutputChannel } from './outputChannelRuns';
import type { RunDiagnostics } from './runDiagnostics';
import type { RunFormValues } from './runForm';
import { runWithInstalledMetaflow } from './runInstalledEngine';
import type { RunnerFactory } from './runnerFactory';
import { showRunProgress } from './runProgress';
import { runSettings } from './settings';

export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';

export interface LaunchRequest {
  kind: 'run' | 'resume' | 'spin';
  uri: vscode.Uri;
  flowName: string;
  step?: string;
  originRunId?: string;
  /** `run` only: stop after what this step needs. */
  until?: string;
  form: RunFormValues;
  /** `run` only: steps on Kubernetes (Run Flow on Kubernetes: every step). */
  kubernetes?: KubernetesRunOptions;
}

export interface RunLauncherDeps {
  runners: RunnerFactory;
  registry: RunRegistry;
  interpreter: InterpreterService;
  output: RunOutputChannel;
  diagnostics: RunDiagnostics;
  /** Whether the workspace is trusted; read at each launch. */
  isTrusted: () => boolean;
}

/** "linear_flow.py:12: check_for_orphans: ..." for the first problems, as the CLI prints them. */
function refusalDetail(err: RunRefused): string[] {
  const file = err.file ? vscode.workspace.asRelativePath(err.file) : undefined;
  return [
    ...err.syntaxErrors.map((e) => `${file}:${e.range.start.line + 1}: syntax error: ${e.message}`),
    ...err.lintErrors.map((e) => `${file}:${e.line}: ${e.check}: ${e.message}`),
  ];
}

export class RunLauncher implements vscode.Disposable {
  private readonly ended: { dispose(): void };

  constructor(private readonly deps: RunLauncherDeps) {
    this.ended = deps.registry.onDidEnd((run) => deps.diagnostics.update(vscode.Uri.file(run.flowFile), run.state));
  }

  /** Refuses (with a message saying how to trust the folder) when the workspace is not trusted. */
  refuseIfUntrusted(): boolean {
    if (this.deps.isTrusted()) return false;
    const manage = 'Manage Workspace Trust';
    void vscode.window
      .showErrorMessage('Metaflow runs nothing in an untrusted workspace: running a flow executes its code. Trust this folder to run flows.', manage)
      .then((picked) => (picked === manage ? vscode.commands.executeCommand(MANAGE_TRUST_COMMAND) : undefined));
    return true;
  }

  /**
   * The started run, or undefined when nothing was started (a message said why). A refusal for a step that
   * no run has reached yet is rethrown as NoRunReachedStepError, for the caller to offer a run up to it.
   */
  async launch(request: LaunchRequest): Promise<TrackedRun | undefined> {
    if (this.refuseIfUntrusted()) return undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === request.uri.toString());
    if (open?.isDirty && !(await open.save())) {
      void vscode.window.showErrorMessage(`${vscode.workspace.asRelativePath(request.uri)} has unsaved changes that could not be saved; save it, then run again.`);
      return undefined;
    }
    const choice = await this.deps.interpreter.select(request.uri);
    const checked = await this.deps.interpreter.check(choice.python);
    if (!checked.ok) {
      void this.deps.interpreter.reportProblem(choice, checked.problem);
      return undefined;
    }
    if (runSettings(request.uri).engine === 'installed') {
      if (request.kubernetes) {
        void vscode.window.showErrorMessage(
          `Run Flow on Kubernetes runs with the embedded runtime, but the setting metaflow.engine is "installed". Set it to "embedded", or run "python ${path.basename(request.uri.fsPath)} run --with kubernetes" with your Metaflow in a terminal.`,
        );
      } else {
        await this.launchInstalled(request, choice.python);
      }
      return undefined;
    }
    const flowFile = request.uri.fsPath;
    let prepared: PreparedRun;
    let release: (() => Promise<void>) | undefined;
    let ended: (() => void) | undefined;
    try {
      const made = await this.deps.runners(choice.python, request.kind === 'run' ? { flowFile, flowName: request.flowName } : undefined);
      release = made.release;
      ended = made.ended;
      const common = { flowFile, flowName: request.flowName, tags: request.form.tags, maxWorkers: request.form.maxWorkers };
      if (request.kind === 'run') prepared = made.runner.run({ ...common, parameterArgs: request.form.parameterArgs, until: request.until, ...(request.kubernetes ? { kubernetes: request.kubernetes } : {}) });
      else if (request.kind === 'resume') prepared = await made.runner.resume({ ...common, step: request.step, originRunId: request.originRunId });
      else prepared = await made.runner.spin({ ...common, step: request.step ?? '', originRunId: request.originRunId });
    } catch (err) {
      void release?.();
      ended?.();
      if (!(err instanceof RunRefused)) {
        void vscode.window.showErrorMessage(`Could not start ${request.flowName}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
      if (err instanceof NoRunReachedStepError) throw err;
      this.showRefusal(request, err);
      return undefined;
    }
    void release?.();
    const run = this.follow(prepared, flowFile, request.kind);
    if (ended) this.whenEnded(run, ended);
    return run;
  }

  /** Grants given to a run's tasks (their Azure token secret) last as long as the run. */
  private whenEnded(run: TrackedRun, ended: () => void): void {
    const subscription = this.deps.registry.onDidEnd((r) => {
      if (r !== run) return;
      subscription.dispose();
      ended();
    });
  }

  private follow(prepared: PreparedRun, flowFile: string, kind: RunKind): TrackedRun {
    const run = this.deps.registry.track(prepared.handle, prepared.flow, flowFile);
    if (prepared.createdRoot) this.deps.output.note(`Created the local datastore ${prepared.datastoreRoot}`);
    this.deps.output.follow(prepared.handle.events);
    // Users look for the task output as soon as they start a run; the editor keeps the focus.
    this.deps.output.show();
    showRunProgress(run, this.deps.registry, kind);
    return run;
  }

  private showRefusal(request: LaunchRequest, err: RunRefused): void {
    const detail = refusalDetail(err);
    const where = detail[0] ?? '';
    this.deps.output.note(`=== ${request.flowName} was not started: ${err.message}`);
    for (const line of detail) this.deps.output.note(`    ${line}`);
    const showProblems = 'Show Problems';
    const buttons = detail.length > 0 ? [showProblems] : [];
    void vscode.window
      .showErrorMessage(`${request.flowName} was not started: ${err.message}${where ? ` (${where}${detail.length > 1 ? `, and ${detail.length - 1} more` : ''})` : ''}`, ...buttons)
      .then((picked) => (picked === showProblems ? vscode.commands.executeCommand('workbench.actions.view.problems') : undefined));
  }

  private async launchInstalled(request: LaunchRequest, python: string): Promise<void> {
    if (!(await this.deps.interpreter.hasOwnMetaflow(python))) {
      const useEmbedded = 'Use the Embedded Runtime';
      void vscode.window
        .showErrorMessage(
          `The setting metaflow.engine is "installed", but ${python} has no Metaflow of its own (import metaflow failed). Install Metaflow into it (pip install metaflow) or use the embedded runtime.`,
          useEmbedded,
        )
        .then((picked) => (picked === useEmbedded ? vscode.workspace.getConfiguration('metaflow', request.uri).update('engine', 'embedded', vscode.ConfigurationTarget.Workspace) : undefined));
      return;
    }
    this.deps.output.note(`=== ${request.flowName}: ${request.kind} ${path.basename(request.uri.fsPath)} with the Metaflow installed in ${python} (terminal "Metaflow")`);
    await runWithInstalledMetaflow({
      python,
      flowFile: request.uri,
      verb: request.kind,
      step: request.step,
      originRunId: request.originRunId,
      parameterArgs: request.form.parameterArgs,
      tags: request.form.tags,
      maxWorkers: request.form.maxWorkers,
    });
  }

  dispose(): void {
    this.ended.dispose();
  }
}
