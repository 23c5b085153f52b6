// Event sequences written by hand, shaped as the scheduler emits them, and flows read by the real
// language service from the runtime's fixture flows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import type { FlowInfo } from '../../../src/flow/types';
import type { RunEvent, RunKind, RunOutcome, TaskOutcome } from '../../../src/runtime/events';

const REPO = path.resolve(__dirname, '..', '..', '..');

export async function fixtureFlow(relative: string): Promise<FlowInfo> {
  const file = path.join(REPO, relative);
  const analyzer = await createFlowAnalyzer();
  const analysis = analyzer.analyze(file, fs.readFileSync(file, 'utf8'));
  const flow = analysis.flows.find((f) => f.name === analysis.mainFlow) ?? analysis.flows[0];
  if (!flow) throw new Error(`no flow in ${relative}`);
  return flow;
}

export class EventScript {
  readonly events: RunEvent[] = [];
  private now: number;

  constructor(
    readonly flow: string,
    readonly runId = '1700000000000000',
    t0 = 1_000_000,
  ) {
    this.now = t0;
  }

  private tick(ms = 10): number {
    this.now += ms;
    return this.now;
  }

  private base(ms?: number) {
    return { ts: this.tick(ms), flow: this.flow, run_id: this.runId };
  }

  private pathspec(step: string, task: string): string {
    return `${this.flow}/${this.runId}/${step}/${task}`;
  }

  runStarted(kind: RunKind = 'run', originRunId?: string): this {
    this.events.push({ ...this.base(), event: 'run_started', kind, pathspec: `${this.flow}/${this.runId}`, datastore_root: '/ds', origin_run_id: originRunId, parameters: { alpha: '1' }, tags: ['t'] });
    return this;
  }

  start(step: string, task: string, opts: { attempt?: number; foreach?: number[]; ms?: number } = {}): this {
    this.events.push({ ...this.base(opts.ms), event: 'task_started', pathspec: this.pathspec(step, task), step, task_id: task, attempt: opts.attempt ?? 0, pid: 100, foreach_indices: opts.foreach });
    return this;
  }

  log(step: string, task: string, line: string, opts: { attempt?: number; stream?: 'stdout' | 'stderr' } = {}): this {
    this.events.push({ ...this.base(1), event: 'log', pathspec: this.pathspec(step, task), step, task_id: task, attempt: opts.attempt ?? 0, stream: opts.stream ?? 'stdout', line, source: 'task' });
    return this;
  }

  finish(step: string, task: string, opts: { status?: TaskOutcome; attempt?: number; willRetry?: boolean; splits?: number; error?: string; durationMs?: number; ms?: number } = {}): this {
    const status = opts.status ?? 'succeeded';
    this.events.push({
      ...this.base(opts.ms),
      event: 'task_finished',
      pathspec: this.pathspec(step, task),
      step,
      task_id: task,
      attempt: opts.attempt ?? 0,
      status,
      duration_ms: opts.durationMs ?? 10,
      will_retry: opts.willRetry ?? false,
      exit_code: status === 'failed' ? 1 : 0,
      error: opts.error,
      num_splits: opts.splits,
    });
    return this;
  }

  /** Start and finish in one. */
  task(step: string, task: string, opts: { splits?: number; foreach?: number[]; status?: TaskOutcome } = {}): this {
    return this.start(step, task, { foreach: opts.foreach }).finish(step, task, { splits: opts.splits, status: opts.status });
  }

  runFinished(status: RunOutcome = 'succeeded', error?: string): this {
    this.events.push({ ...this.base(), event: 'run_finished', pathspec: `${this.flow}/${this.runId}`, status, duration_ms: 5000, error });
    return this;
  }

  /** The parameters task the runtime runs before start. */
  params(): this {
    return this.start('_parameters', '0').finish('_parameters', '0');
  }
}
