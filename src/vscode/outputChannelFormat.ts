// How run events read in the "Metaflow" Output channel: one line per log line, prefixed with the task
// (`[train/7]`, `[train/7 idx=3]` inside a foreach), with stderr and runtime messages marked in the prefix
// so the printed text itself is never altered. Pure; no `vscode`.
import type { RunEvent } from '../runtime/events';

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export class RunOutputFormatter {
  /** `step/task_id` -> foreach indices, known from `task_started`. */
  private readonly indices = new Map<string, number[]>();

  private prefix(step: string, taskId: string, attempt: number, marks: string[]): string {
    const parts = [`${step}/${taskId}`];
    const idx = this.indices.get(`${step}/${taskId}`);
    if (idx && idx.length > 0) parts.push(`idx=${idx.join('.')}`);
    if (attempt > 0) parts.push(`attempt=${attempt}`);
    parts.push(...marks);
    return `[${parts.join(' ')}]`;
  }

  format(e: RunEvent): string[] {
    switch (e.event) {
      case 'run_started': {
        const what = e.kind === 'run' ? 'Running' : e.kind === 'resume' ? `Resuming${e.origin_run_id ? ` ${e.flow}/${e.origin_run_id} as` : ''}` : `Running one step (spin${e.origin_run_id ? ` on the inputs of ${e.flow}/${e.origin_run_id}` : ''}) as`;
        const params = Object.entries(e.parameters).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
        return [`=== ${what} ${e.pathspec}${params.length ? ` with ${params.join(', ')}` : ''}${e.tags.length ? ` (tags: ${e.tags.join(', ')})` : ''}`];
      }
      case 'task_started':
        if (e.foreach_indices && e.foreach_indices.length > 0) this.indices.set(`${e.step}/${e.task_id}`, e.foreach_indices);
        return [];
      case 'log':
        return [`${this.prefix(e.step, e.task_id, e.attempt, [...(e.stream === 'stderr' ? ['stderr'] : []), ...(e.source === 'runtime' ? ['runtime'] : [])])} ${e.line}`];
      case 'task_finished':
        if (e.status !== 'failed') return [];
        return [`${this.prefix(e.step, e.task_id, e.attempt, ['runtime'])} Task ${e.pathspec} failed${e.error ? `: ${e.error}` : ''}${e.will_retry ? '; retrying' : ''}`];
      case 'run_finished': {
        this.indices.clear();
        if (e.status === 'succeeded') return [`=== ${e.pathspec} succeeded in ${seconds(e.duration_ms)}`];
        if (e.status === 'cancelled') return [`=== ${e.pathspec} was cancelled after ${seconds(e.duration_ms)}`];
        return [`=== ${e.pathspec || e.flow} failed after ${seconds(e.duration_ms)}${e.error ? `: ${e.error}` : ''}`];
      }
    }
  }
}
