// One-line texts about a run's state, for the CLI's progress and summary, the progress notification
// and the status bar.
import { formatDuration } from './formatDuration';
import type { RunState } from './types';

export interface TaskTotals {
  succeeded: number;
  cloned: number;
  failed: number;
  running: number;
  retrying: number;
}

export function taskTotals(state: RunState): TaskTotals {
  const t: TaskTotals = { succeeded: 0, cloned: 0, failed: 0, running: 0, retrying: 0 };
  for (const s of state.steps.values()) {
    t.succeeded += s.succeeded;
    t.cloned += s.cloned;
    t.failed += s.failed;
    t.running += s.running;
    t.retrying += s.retrying;
  }
  return t;
}

/** "Running TrainFlow: 37/100 tasks" (the total grows as foreaches report their fan-out). */
export function progressLabel(state: RunState): string {
  if (!state.runId) return `Starting ${state.flow}`;
  const failed = taskTotals(state).failed;
  return `Running ${state.flow}: ${state.tasksFinished}/${state.tasksTotal} tasks${failed > 0 ? ` (${failed} failed)` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "TrainFlow/1700000000000000 succeeded in 12.3 s: 100 tasks, 98 succeeded, 2 cloned, 0 failed". */
export function runSummaryLine(state: RunState): string {
  const t = taskTotals(state);
  const what = state.pathspec || state.flow;
  const took = state.durationMs !== undefined ? ` in ${formatDuration(state.durationMs)}` : '';
  const status = state.finishedAt === undefined ? 'is running' : state.status;
  return `${what} ${status}${took}: ${plural(state.tasksFinished, 'task')}, ${t.succeeded} succeeded, ${t.cloned} cloned, ${t.failed} failed`;
}
