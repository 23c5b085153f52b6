// Every run this process started, live and recently ended, each with its folded state. The DAG panel,
// the explorer, the status bar and the progress notification listen here instead of to the runtime.
import type { FlowInfo } from '../flow/types';
import type { RunEvent } from '../runtime/events';
import type { RunHandle } from '../runtime/scheduler';
import { type Disposable, Emitter } from './emitter';
import { RunStateFold } from './runStateFold';
import type { RunState } from './types';

export interface TrackedRun {
  flowFile: string;
  flow: FlowInfo;
  /** The fold's state, updated in place (see `state.version`). */
  state: RunState;
  handle: RunHandle;
  fold: RunStateFold;
}

export interface RunRegistryOptions {
  /** Ended runs kept for `recent()` (default 20). */
  recentLimit?: number;
  /** Log lines kept per task in each run's state (default 200). */
  logTail?: number;
  /** Where a listener's exception goes; by default it is rethrown outside the event delivery. */
  onListenerError?: (err: unknown) => void;
  now?: () => number;
}

const DEFAULT_RECENT = 20;

function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

export class RunRegistry {
  private readonly live: TrackedRun[] = [];
  /** Newest first. */
  private readonly ended: TrackedRun[] = [];
  private readonly changed: Emitter<TrackedRun>;
  private readonly endedEmitter: Emitter<TrackedRun>;
  private readonly recentLimit: number;

  constructor(private readonly options: RunRegistryOptions = {}) {
    const onError = options.onListenerError ?? rethrowLater;
    this.changed = new Emitter(onError);
    this.endedEmitter = new Emitter(onError);
    this.recentLimit = Math.max(1, options.recentLimit ?? DEFAULT_RECENT);
  }

  /** Starts following a run; call before the first event can be emitted (the scheduler defers it). */
  track(handle: RunHandle, flow: FlowInfo, flowFile: string): TrackedRun {
    const fold = new RunStateFold(flow, { logTail: this.options.logTail, createdAt: (this.options.now ?? Date.now)() });
    const run: TrackedRun = {
      flowFile,
      flow,
      handle,
      fold,
      state: fold.state,
    };
    this.live.push(run);
    handle.events.on((e: RunEvent) => {
      fold.apply(e);
      this.changed.fire(run);
    });
    handle.done.then(
      () => this.end(run),
      (err: unknown) => this.end(run, err),
    );
    return run;
  }

  private end(run: TrackedRun, err?: unknown): void {
    if (!run.fold.finished) {
      // The runtime ended without its run_finished event (it threw): the state still has to end.
      const s = run.state;
      const now = (this.options.now ?? Date.now)();
      run.fold.apply({
        event: 'run_finished',
        ts: now,
        flow: s.flow,
        run_id: s.runId,
        pathspec: s.pathspec,
        status: 'failed',
        duration_ms: now - s.startedAt,
        error: err instanceof Error ? err.message : err !== undefined ? String(err) : 'the run ended without reporting its result',
      });
      this.changed.fire(run);
    }
    const i = this.live.indexOf(run);
    if (i >= 0) this.live.splice(i, 1);
    this.ended.unshift(run);
    if (this.ended.length > this.recentLimit) this.ended.length = this.recentLimit;
    this.endedEmitter.fire(run);
  }

  /** Runs still going, oldest first. */
  active(): TrackedRun[] {
    return [...this.live];
  }

  /** Ended runs, newest first (bounded), optionally of one flow. */
  recent(flowName?: string): TrackedRun[] {
    return flowName === undefined ? [...this.ended] : this.ended.filter((r) => r.state.flow === flowName);
  }

  /** The newest run of a flow, going or ended: what the DAG panel shows when asked for "the last run". */
  latest(flowName: string): TrackedRun | undefined {
    for (let i = this.live.length - 1; i >= 0; i--) if (this.live[i].state.flow === flowName) return this.live[i];
    return this.ended.find((r) => r.state.flow === flowName);
  }

  /** By `Flow/run_id` (known once the run has started). */
  get(pathspec: string): TrackedRun | undefined {
    return this.live.find((r) => r.state.pathspec === pathspec) ?? this.ended.find((r) => r.state.pathspec === pathspec);
  }

  /** Fires after every event applied to a run (consumers throttle themselves; see throttle.ts). */
  onDidChange(listener: (run: TrackedRun) => void): Disposable {
    return this.changed.on(listener);
  }

  /** Fires once per run, with its final state, when the runtime is done with it. */
  onDidEnd(listener: (run: TrackedRun) => void): Disposable {
    return this.endedEmitter.on(listener);
  }

  /** Cancels every active run (deactivation). */
  cancelAll(): void {
    for (const r of this.live) r.handle.cancel();
  }
}
