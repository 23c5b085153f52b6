// Problems entries for failed runs: the failing line of the flow file, per flow, so that a file with two
// flows keeps the other flow's entry when one of them succeeds again.
import * as vscode from 'vscode';
import type { RunState } from '../runs/types';
import { locateFailure } from './runDiagnosticsTraceback';

export const RUN_DIAGNOSTICS_NAME = 'metaflow-run';
export const RUN_DIAGNOSTIC_SOURCE = 'Metaflow run';

export class RunDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(RUN_DIAGNOSTICS_NAME);
  /** File uri -> flow name -> that flow's entries. */
  private readonly byFile = new Map<string, Map<string, vscode.Diagnostic[]>>();

  /**
   * Called when a run ends. A run or resume replaces the flow's entries (a success clears them); a spin ran
   * one step, so it replaces only that step's entries. A cancelled run changes nothing.
   */
  update(flowFile: vscode.Uri, state: RunState): void {
    if (state.status !== 'succeeded' && state.status !== 'failed') return;
    const found = state.status === 'failed' ? this.failures(flowFile, state) : [];
    if (state.kind !== 'spin') {
      this.set(flowFile, state.flow, found);
      return;
    }
    const ran = new Set([...state.tasks.values()].map((t) => t.step));
    const kept = (this.byFile.get(flowFile.toString())?.get(state.flow) ?? []).filter((d) => !ran.has(String(d.code)));
    this.set(flowFile, state.flow, [...kept, ...found]);
  }

  /** Entries currently shown for a file (all flows). */
  get(flowFile: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(flowFile) ?? [];
  }

  private failures(flowFile: vscode.Uri, state: RunState): vscode.Diagnostic[] {
    const found: vscode.Diagnostic[] = [];
    const lines = new Set<number>();
    for (const task of state.tasks.values()) {
      if (task.status !== 'failed') continue;
      const lastAttempt = task.attempts[task.attempts.length - 1]?.attempt ?? 0;
      const stderr = task.logTail.filter((l) => l.stream === 'stderr' && l.source === 'task' && l.attempt === lastAttempt).map((l) => l.line);
      const hit = locateFailure(stderr, flowFile.fsPath);
      if (!hit || lines.has(hit.line)) continue;
      lines.add(hit.line);
      const line = hit.line - 1;
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
        `${hit.message} (step ${task.step}, task ${task.pathspec})`,
        vscode.DiagnosticSeverity.Error,
      );
      diagnostic.source = RUN_DIAGNOSTIC_SOURCE;
      diagnostic.code = task.step;
      found.push(diagnostic);
    }
    return found;
  }

  private set(flowFile: vscode.Uri, flow: string, diagnostics: vscode.Diagnostic[]): void {
    const key = flowFile.toString();
    const flows = this.byFile.get(key) ?? new Map<string, vscode.Diagnostic[]>();
    if (diagnostics.length > 0) flows.set(flow, diagnostics);
    else flows.delete(flow);
    if (flows.size === 0) {
      this.byFile.delete(key);
      this.collection.delete(flowFile);
      return;
    }
    this.byFile.set(key, flows);
    this.collection.set(flowFile, [...flows.values()].flat());
  }

  dispose(): void {
    this.collection.dispose();
  }
}
