// A virtual clock and a scripted worker pool for the scheduler's unit tests: tasks "run" for a scripted
// virtual duration, so retry, timeout, cancel and concurrency are decided without Python or wall-clock waits.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Clock } from '../../../src/runtime/clock';
import type { RunEvent } from '../../../src/runtime/events';
import type { FlowInfo } from '../../../src/flow/types';
import { type RunHandle, type RunRequest, type RunResult, Scheduler } from '../../../src/runtime/scheduler';
import type { TaskResult, TaskSpec } from '../../../src/runtime/workerProtocol';
import type { WorkerPool, WorkerPoolListener, WorkerReady } from '../../../src/runtime/workers/workerPool';
import { flowOf, type StepSpec } from './flowBuilder';

export class VirtualClock implements Clock {
  private time = 1_800_000_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time to the earliest timer and fires it; false when none is left. */
  runNext(): boolean {
    let first: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of this.timers) if (!first || entry[1].at < first[1].at || (entry[1].at === first[1].at && entry[0] < first[0])) first = entry;
    if (!first) return false;
    this.timers.delete(first[0]);
    this.time = first[1].at;
    first[1].fn();
    return true;
  }
}

/** What a scripted task does: how long it runs (virtual ms), then how it ends. */
export interface TaskScript {
  durationMs?: number;
  result?: TaskResult | null;
  exitCode?: number | null;
}

export interface Submission {
  key: string;
  spec: TaskSpec;
  at: number;
}

export class ScriptedPool implements WorkerPool {
  readonly submissions: Submission[] = [];
  readonly kills: Array<{ key: string; at: number }> = [];
  private listener?: WorkerPoolListener;
  private readonly running = new Map<string, unknown>();
  maxConcurrent = 0;
  shutDown = false;

  constructor(
    private readonly clock: VirtualClock,
    private readonly flow: FlowInfo,
    private readonly script: (spec: TaskSpec) => TaskScript,
  ) {}

  /** What a task of a plain step reports when it succeeds: its written transition (and 3 foreach splits). */
  succeeded(spec: TaskSpec): TaskResult {
    if (spec.kind === 'params') return { ok: true, next: [this.flow.start ?? 'start'], retry_allowed: true };
    const step = this.flow.steps.find((s) => s.name === spec.step)!;
    const result: TaskResult = { ok: true, next: step.next, retry_allowed: true };
    if (step.type === 'split-foreach') return { ...result, foreach_var: step.foreach, num_splits: 3 };
    if (step.type === 'split-parallel') return { ...result, foreach_var: '_parallel_ubf_iter', num_splits: Number(step.numParallel) };
    return result;
  }

  async start(listener: WorkerPoolListener): Promise<WorkerReady> {
    this.listener = listener;
    return { pythonVersion: '3.11.7' };
  }

  submit(key: string, spec: TaskSpec): void {
    this.submissions.push({ key, spec, at: this.clock.now() });
    const s = this.script(spec);
    const timer = this.clock.setTimeout(() => this.finish(key, s.exitCode ?? (s.result?.ok === false ? 1 : 0), null, s.result === undefined ? this.succeeded(spec) : s.result), s.durationMs ?? 10);
    this.running.set(key, timer);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running.size);
    // The process exists before it is announced, so a kill prompted by the announcement reaches it.
    this.listener!.started(key, 1000 + this.submissions.length);
  }

  kill(key: string): void {
    const timer = this.running.get(key);
    if (timer === undefined) return;
    this.kills.push({ key, at: this.clock.now() });
    this.clock.clearTimeout(timer);
    // As a real kill: the process ends by signal without a result, a moment later.
    this.running.set(key, this.clock.setTimeout(() => this.finish(key, null, 'SIGKILL', null), 1));
  }

  private finish(key: string, exitCode: number | null, signal: string | null, result: TaskResult | null): void {
    this.running.delete(key);
    this.listener!.finished(key, exitCode, signal, result);
  }

  async shutdown(): Promise<void> {
    this.shutDown = true;
  }

  attempts(step: string): number[] {
    return this.submissions.filter((s) => s.spec.step === step).map((s) => s.spec.attempt);
  }
}

export type TaskFinished = Extract<RunEvent, { event: 'task_finished' }>;

export const finishedOf = (events: RunEvent[], step: string) => events.filter((e): e is TaskFinished => e.event === 'task_finished' && e.step === step);

/** start -> train -> end, with `decorators` on train. */
export function linearFlow(decorators: NonNullable<StepSpec['decorators']> = []): FlowInfo {
  return flowOf('LinearFlow', { start: { type: 'start', next: ['train'] }, train: { type: 'linear', next: ['end'], decorators }, end: { type: 'end' } });
}

export function failure(type = 'ValueError', retryAllowed = true): TaskResult {
  return { ok: false, next: [], retry_allowed: retryAllowed, exception: { type, message: 'boom', traceback: `Traceback (most recent call last):\n${type}: boom\n` } };
}

export interface Simulation {
  result: RunResult;
  events: RunEvent[];
  pool: ScriptedPool;
  clock: VirtualClock;
  root: string;
}

/** Runs `flow` on the scripted pool, letting real file writes settle before each virtual-time step. */
export async function simulate(
  flow: FlowInfo,
  script: (spec: TaskSpec) => TaskScript,
  options: Partial<RunRequest> & { onEvent?: (e: RunEvent, handle: RunHandle) => void } = {},
): Promise<Simulation> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scheduler-unit-'));
  const clock = new VirtualClock();
  const pool = new ScriptedPool(clock, flow, script);
  const { onEvent, ...request } = options;
  const handle = new Scheduler({ pool, clock }).start({
    kind: 'run', flow, flowFile: path.join(root, 'flow.py'), datastoreRoot: path.join(root, '.metaflow'), user: 'tester', tags: [],
    parameters: {}, maxWorkers: 16, maxNumSplits: 100, maxLogBytes: 1 << 20, ...request,
  });
  const events: RunEvent[] = [];
  handle.events.on((e: RunEvent) => {
    events.push(e);
    onEvent?.(e, handle);
  });
  let result: RunResult | undefined;
  void handle.done.then((r) => (result = r));
  try {
    while (!result) {
      // Metadata is written to real files: let those writes finish before virtual time moves on.
      for (let i = 0; i < 20 && !result; i++) await new Promise((r) => setImmediate(r));
      if (!result && !clock.runNext()) await new Promise((r) => setTimeout(r, 1));
    }
    return { result, events, pool, clock, root };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
