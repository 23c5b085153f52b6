// Runs of TrainFlow as the runtime reports them: its event stream, folded by the real RunStateFold, so the
// panel's tests and bench draw the state a run would have. Times are fixed, so the drawing is too.
import type { FlowInfo } from '../../../src/flow/types';
import type { RunEvent } from '../../../src/runtime/events';
import { RunStateFold } from '../../../src/runs/runStateFold';
import type { RunState } from '../../../src/runs/types';

export const RUN_T0 = 1_700_000_000_000;
export const RUN_ID = '1700000000';

export interface TrainRunOptions {
  /** Tasks of the `train` foreach. */
  shards: number;
  /** Train tasks that have finished (the others: running up to `running`, then not started). */
  finished?: number;
  running?: number;
  /** This train task (index) fails twice, for good. */
  failShard?: number;
  /** Every train task whose index is a multiple of this fails once, then succeeds on its retry. */
  retryEvery?: number;
  /** End the run after the train tasks (succeeded unless a shard failed). */
  end?: boolean;
}

export class TrainRun {
  private readonly events: RunEvent[] = [];
  private nextTask = 2;
  constructor(private readonly flow = 'TrainFlow') {}

  private base(ts: number) {
    return { ts: RUN_T0 + ts, flow: this.flow, run_id: RUN_ID };
  }

  started(): this {
    this.events.push({ ...this.base(0), event: 'run_started', kind: 'run', pathspec: `${this.flow}/${RUN_ID}`, datastore_root: '/tmp/flows/.metaflow', parameters: {}, tags: [] });
    return this;
  }

  /** One task: attempts given as [start, end, outcome] (end undefined: still running), all in ms from the run's start. */
  task(step: string, attempts: Array<[number, number | undefined, 'succeeded' | 'failed']>, extra: { foreach?: number[]; splits?: number; error?: string } = {}): string {
    const taskId = String(this.nextTask++);
    const pathspec = `${this.flow}/${RUN_ID}/${step}/${taskId}`;
    attempts.forEach(([start, end, outcome], attempt) => {
      this.events.push({ ...this.base(start), event: 'task_started', pathspec, step, task_id: taskId, attempt, ...(extra.foreach ? { foreach_indices: extra.foreach } : {}) });
      if (end === undefined) return;
      this.events.push({
        ...this.base(end),
        event: 'task_finished',
        pathspec,
        step,
        task_id: taskId,
        attempt,
        status: outcome,
        duration_ms: end - start,
        will_retry: outcome === 'failed' && attempt < attempts.length - 1,
        ...(outcome === 'failed' ? { error: extra.error ?? 'RuntimeError: boom', exit_code: 1 } : {}),
        ...(extra.splits !== undefined && outcome === 'succeeded' ? { num_splits: extra.splits } : {}),
      });
    });
    return pathspec;
  }

  finished(status: 'succeeded' | 'failed', at: number, error?: string): this {
    this.events.push({ ...this.base(at), event: 'run_finished', pathspec: `${this.flow}/${RUN_ID}`, status, duration_ms: at, ...(error ? { error } : {}) });
    return this;
  }

  fold(flow: FlowInfo): RunState {
    const fold = new RunStateFold(flow, { createdAt: RUN_T0 });
    // The runtime emits in time order; tasks here are written one after another.
    for (const e of [...this.events].sort((a, b) => a.ts - b.ts)) fold.apply(e);
    return fold.state;
  }
}

/**
 * start -> load_data (retried once) + load_config -> join_inputs -> fan_out -> `shards` train tasks of
 * distinct durations (task i takes 100 + 37 * ((i * 7) % shards) ms), some retried, one failing for good.
 */
export function trainRun(flow: FlowInfo, options: TrainRunOptions): RunState {
  const run = new TrainRun().started();
  run.task('start', [[0, 100, 'succeeded']]);
  run.task('load_data', [
    [110, 200, 'failed'],
    [210, 300, 'succeeded'],
  ], { error: 'ConnectionError: storage not reachable' });
  run.task('load_config', [[110, 150, 'succeeded']]);
  run.task('join_inputs', [[310, 350, 'succeeded']]);
  run.task('fan_out', [[360, 400, 'succeeded']], { splits: options.shards });
  const finished = options.finished ?? options.shards;
  const running = options.running ?? 0;
  let last = 400;
  for (let i = 0; i < Math.min(options.shards, finished + running); i += 1) {
    const start = 410 + i * 5;
    const length = 100 + 37 * ((i * 7) % options.shards);
    const end = i < finished ? start + length : undefined;
    if (end !== undefined) last = Math.max(last, end);
    if (i === options.failShard) run.task('train', [[start, start + 50, 'failed'], [start + 60, end === undefined ? undefined : end + 60, 'failed']], { foreach: [i], error: `ValueError: shard ${i} is empty` });
    else if (options.retryEvery && i % options.retryEvery === 0) run.task('train', [[start, start + 30, 'failed'], [start + 40, end === undefined ? undefined : end + 40, 'succeeded']], { foreach: [i], error: 'MemoryError' });
    else run.task('train', [[start, end, 'succeeded']], { foreach: [i] });
  }
  if (options.end) run.finished(options.failShard === undefined ? 'succeeded' : 'failed', last + 200, options.failShard === undefined ? undefined : 'step train failed');
  return run.fold(flow);
}
