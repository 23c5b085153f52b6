// Every task of a run, read from files only: the run's status when its end task has not succeeded, the
// run state a DAG draws, and run comparison all start here.
import * as path from 'node:path';
import { LOCAL_VIEW, type FileView } from './fileView';
import { registeredAt } from './selfFiles';
import { listTaskIds, readTask, safeMtime, type TaskDetail, type TaskReadDepth } from './taskReader';

/** Steps a run's directory holds; `_parameters` is bookkeeping and hidden, as in Metaflow's Client. */
export function listStepNames(runDir: string, view: FileView = LOCAL_VIEW): string[] {
  const entries = view.list(runDir).filter((e) => e.isDirectory && !e.name.startsWith('_') && !e.name.startsWith('.'));
  const started = new Map(entries.map((e) => [e.name, registeredAt(path.join(runDir, e.name), view)]));
  return entries.map((e) => e.name).sort((a, b) => started.get(a)! - started.get(b)! || a.localeCompare(b));
}

export interface ScannedRun {
  steps: Map<string, TaskDetail[]>;
  /** Newest mtime of any step directory: when the run last created a task. */
  lastActivity: number;
  errors: string[];
}

export function scanRunTasks(root: string, flow: string, runId: string, depth: TaskReadDepth = 'summary', view: FileView = LOCAL_VIEW): ScannedRun {
  const runDir = path.join(root, flow, runId);
  const steps = new Map<string, TaskDetail[]>();
  const errors: string[] = [];
  let lastActivity = 0;
  for (const step of listStepNames(runDir, view)) {
    const stepDir = path.join(runDir, step);
    lastActivity = Math.max(lastActivity, safeMtime(stepDir, view));
    try {
      steps.set(step, listTaskIds(stepDir, view).map((id) => readTask(root, flow, runId, step, id, depth, view)));
    } catch (err) {
      errors.push(`cannot list ${stepDir}: ${(err as Error).message}`);
      steps.set(step, []);
    }
  }
  return { steps, lastActivity, errors };
}
