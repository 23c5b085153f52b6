// The run-state fold on a synthetic 10,000-task foreach: events folded per second (median of 5) and the
// heap the folded state holds. Prints JSON lines like the other benches.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFlowAnalyzer } from '../src/flow/analyzer';
import type { FlowInfo } from '../src/flow/types';
import type { RunEvent } from '../src/runtime/events';
import { RunStateFold } from '../src/runs/runStateFold';

const REPO = path.resolve(__dirname, '..');
const TASKS = 10_000;
const LOG_LINES_PER_TASK = 3;
const REPEATS = 5;

function report(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function syntheticRun(flow: string, width: number): RunEvent[] {
  const runId = '1700000000000000';
  let ts = 1_700_000_000_000;
  let nextId = 1;
  const base = () => ({ ts: (ts += 1), flow, run_id: runId });
  const events: RunEvent[] = [
    { ...base(), event: 'run_started', kind: 'run', pathspec: `${flow}/${runId}`, datastore_root: '/ds', parameters: {}, tags: [] },
  ];
  const task = (step: string, opts: { splits?: number; foreach?: number[] } = {}) => {
    const id = String(nextId++);
    const pathspec = `${flow}/${runId}/${step}/${id}`;
    events.push({ ...base(), event: 'task_started', pathspec, step, task_id: id, attempt: 0, pid: 1000 + nextId, foreach_indices: opts.foreach });
    for (let l = 0; l < LOG_LINES_PER_TASK; l++) {
      events.push({ ...base(), event: 'log', pathspec, step, task_id: id, attempt: 0, stream: 'stdout', line: `processing item ${id} line ${l}`, source: 'task' });
    }
    events.push({ ...base(), event: 'task_finished', pathspec, step, task_id: id, attempt: 0, status: 'succeeded', duration_ms: 25, will_retry: false, exit_code: 0, num_splits: opts.splits });
  };
  task('start', { splits: width });
  // Interleaved as a worker pool runs them: starts run ahead of finishes.
  const body: RunEvent[][] = [];
  for (let i = 0; i < width; i++) {
    const before = events.length;
    task('process', { foreach: [i] });
    body.push(events.splice(before));
  }
  const window = 8;
  for (let i = 0; i < width; i++) {
    events.push(body[i][0]);
    if (i >= window) events.push(...body[i - window].slice(1));
  }
  for (let i = Math.max(0, width - window); i < width; i++) events.push(...body[i].slice(1));
  task('join');
  task('end');
  events.push({ ...base(), event: 'run_finished', pathspec: `${flow}/${runId}`, status: 'succeeded', duration_ms: ts - 1_700_000_000_000 });
  return events;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const file = path.join(REPO, 'test', 'fixtures', 'flows', 'foreach.py');
  const analyzer = await createFlowAnalyzer();
  const flow = analyzer.analyze(file, fs.readFileSync(file, 'utf8')).flows[0];
  const events = syntheticRun(flow.name, TASKS);

  throughput(flow, events);
  memory(flow, events);
}

function throughput(flow: FlowInfo, events: RunEvent[]): void {
  const rates: number[] = [];
  let fold = new RunStateFold(flow);
  for (let r = 0; r < REPEATS + 1; r++) {
    fold = new RunStateFold(flow);
    const t0 = process.hrtime.bigint();
    for (const e of events) fold.apply(e);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r > 0) rates.push(events.length / (ms / 1000)); // the first pass warms the JIT
  }
  const { tasksFinished, tasksTotal } = fold.state;
  if (tasksFinished !== TASKS + 3 || tasksTotal !== TASKS + 3) throw new Error(`fold counted ${tasksFinished}/${tasksTotal} tasks`);
  report('runs.fold_throughput', median(rates), 'events/s', { tasks: TASKS + 3, events: events.length, log_lines_per_task: LOG_LINES_PER_TASK, repeats: REPEATS });
  const t0 = process.hrtime.bigint();
  fold.stepRunStates();
  report('runs.step_run_states', Number(process.hrtime.bigint() - t0) / 1e6, 'ms', { tasks: TASKS + 3 });
}

function memory(flow: FlowInfo, events: RunEvent[]): void {
  const before = heapUsed();
  const kept = new RunStateFold(flow);
  for (const e of events) kept.apply(e);
  const after = heapUsed();
  // Read after the measurement so the state is certainly alive while it is measured.
  report('runs.state_heap', (after - before) / (1024 * 1024), 'MiB', { tasks: kept.state.tasks.size, log_tail_lines: LOG_LINES_PER_TASK * TASKS, gc: typeof (globalThis as { gc?: unknown }).gc === 'function' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
