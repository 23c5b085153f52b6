// Human output in Metaflow's console shape: `<timestamp> [<run>/<step>/<task> (pid N)] <text>`.
import type { RunEvent } from './events';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local time `YYYY-MM-DD HH:MM:SS.mmm`, as Metaflow's logger prints it. */
export function consoleTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export interface ConsoleLine {
  text: string;
  toStderr: boolean;
}

export class ConsoleFormatter {
  private readonly pids = new Map<string, number>();

  private prefix(run: string, step: string, task: string, pathspec: string): string {
    const pid = this.pids.get(pathspec);
    return `[${run}/${step}/${task}${pid !== undefined ? ` (pid ${pid})` : ''}]`;
  }

  format(e: RunEvent): ConsoleLine[] {
    const ts = consoleTimestamp(e.ts);
    switch (e.event) {
      case 'run_started': {
        const what = e.kind === 'resume' ? `Resuming run ${e.origin_run_id} as run-id ${e.run_id}` : e.kind === 'spin' ? `Running step again with the inputs of run ${e.origin_run_id} (spin run-id ${e.run_id}, kept in ${e.datastore_root})` : `Workflow starting (run-id ${e.run_id})`;
        return [{ text: `${ts} ${what}:`, toStderr: false }];
      }
      case 'task_started': {
        if (e.pid !== undefined) this.pids.set(e.pathspec, e.pid);
        const retry = e.attempt > 0 ? ` (retry ${e.attempt})` : '';
        return [{ text: `${ts} ${this.prefix(e.run_id, e.step, e.task_id, e.pathspec)} Task is starting${retry}.`, toStderr: false }];
      }
      case 'log':
        return [{ text: `${ts} ${this.prefix(e.run_id, e.step, e.task_id, e.pathspec)} ${e.line}`, toStderr: false }];
      case 'task_finished': {
        const p = this.prefix(e.run_id, e.step, e.task_id, e.pathspec);
        if (e.status === 'succeeded') {
          const splits = e.num_splits ? ` Foreach yields ${e.num_splits} child steps.` : '';
          return [{ text: `${ts} ${p}${splits} Task finished successfully.`, toStderr: false }];
        }
        if (e.status === 'cloned') return [{ text: `${ts} ${p} Cloned from the origin run.`, toStderr: false }];
        const tail = e.will_retry ? ' Retrying.' : ' This failed task will not be retried.';
        return [{ text: `${ts} ${p} Task failed${e.error ? `: ${e.error}` : ''}.${tail}`, toStderr: true }];
      }
      case 'run_finished':
        if (e.status === 'succeeded') return [{ text: `${ts} Done! (${(e.duration_ms / 1000).toFixed(1)} s)`, toStderr: false }];
        if (e.status === 'cancelled') return [{ text: `${ts} Workflow cancelled: every task process was stopped; run ${e.pathspec} is marked failed.`, toStderr: true }];
        return [{ text: `${ts} Workflow failed${e.run_id ? ` (run ${e.pathspec})` : ''}: ${e.error ?? 'a task failed'}`, toStderr: true }];
    }
  }
}
