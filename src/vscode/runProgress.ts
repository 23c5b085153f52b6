// What the run views need from the run registry (src/runs/runRegistry.ts): the live runs and their changes.
// Declared here by shape so the status bar and the progress notifications depend only on what they read.
import type { RunState } from '../runs/types';
import type { RunKind } from '../runtime/events';
import type { RunHandle } from '../runtime/scheduler';
import * as vscode from 'vscode';
import { throttle } from '../runs/throttle';

const REPORT_MS = 100;

export interface LiveRun {
  flowFile: string;
  state: RunState;
  handle: RunHandle;
}

export interface LiveRuns<R extends LiveRun = LiveRun> {
  active(): R[];
  onDidChange(listener: (run: R) => void): { dispose(): void };
  onDidEnd(listener: (run: R) => void): { dispose(): void };
}

export function progressText(state: RunState): string {
  return `${state.tasksFinished}/${state.tasksTotal} task${state.tasksTotal === 1 ? '' : 's'}`;
}

/** "Running TrainFlow: 37/100 tasks" as a notification with Cancel, until the run ends. */
export function showRunProgress(run: LiveRun, runs: LiveRuns, kind: RunKind): void {
  // The kind comes from the request: the state only learns it from `run_started`, after this is shown.
  const verb = kind === 'resume' ? 'Resuming' : 'Running';
  const label = kind === 'spin' ? `${run.state.flow} (one step)` : run.state.flow;
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `${verb} ${label}`, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        let shown = '';
        let lastDone = 0;
        const report = () => {
          const text = progressText(run.state);
          if (text === shown) return;
          shown = text;
          const { tasksFinished: done, tasksTotal: total } = run.state;
          progress.report({ message: text, increment: total > 0 ? ((done - lastDone) / total) * 100 : undefined });
          lastDone = done;
        };
        report();
        const throttled = throttle(report, REPORT_MS);
        const changed = runs.onDidChange((r) => {
          if (r.handle === run.handle) throttled(undefined);
        });
        token.onCancellationRequested(() => run.handle.cancel());
        void run.handle.done.finally(() => {
          changed.dispose();
          throttled.cancel();
          report();
          resolve();
        });
      }),
  );
}
