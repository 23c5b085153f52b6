// Folds one run's event stream (src/runtime/events.ts) into a RunState. `state` is updated in place
// (a 10,000-task run must not copy per event); `version` tells readers whether anything changed.
//
// Choices a reader of the state should know:
// - Steps are `idle` until run_started, then `pending` until their first task (a spin run keeps the
//   steps it does not run `idle`). When the run ends, steps that never ran go back to `idle`.
// - A cancelled run is not rewritten: tasks keep the status their last event gave them (the runtime
//   reports every killed task as failed) and the run's status says `cancelled`. A task left `retrying`
//   when the run ends never gets its retry, so it is marked failed.
// - The runtime's internal `_parameters` task is not a step of the graph and is not counted.
import type { FlowInfo } from '../flow/types';
import type { StepRunState } from '../layout/types';
import type { LogEvent, RunEvent, RunFinishedEvent, RunStartedEvent, TaskFinishedEvent, TaskStartedEvent } from '../runtime/events';
import { predictTaskCounts, type Prediction, type StepFacts } from './expectedTasks';
import { FlowTopology } from './flowTopology';
import { formatDuration } from './formatDuration';
import type { AttemptState, RunState, StepState, TaskState, TaskStatus } from './types';

export interface RunStateFoldOptions {
  /** Log lines kept per task (default 200; the datastore keeps the whole log). */
  logTail?: number;
  /** When the run was requested (ms since the epoch); `state.startedAt` until run_started. */
  createdAt?: number;
}

const INTERNAL_STEPS = new Set(['_parameters']);
const DEFAULT_LOG_TAIL = 200;

interface StepBook extends StepFacts {
  fromSwitch: Map<string, number>;
  lastFinishedAt?: number;
  firstError?: string;
  prediction: Prediction;
}

function emptyBook(): StepBook {
  return { started: 0, ok: 0, ended: 0, splits: 0, undecided: 0, fromSwitch: new Map(), prediction: { count: 0, known: false } };
}

export class RunStateFold {
  readonly state: RunState;
  private readonly topology: FlowTopology;
  private readonly books = new Map<string, StepBook>();
  private readonly logTail: number;
  private ended = false;

  constructor(
    readonly flow: FlowInfo,
    options: RunStateFoldOptions = {},
  ) {
    this.topology = new FlowTopology(flow);
    this.logTail = Math.max(0, options.logTail ?? DEFAULT_LOG_TAIL);
    this.state = {
      flow: flow.name,
      runId: '',
      pathspec: '',
      kind: 'run',
      status: 'running',
      startedAt: options.createdAt ?? Date.now(),
      datastoreRoot: '',
      parameters: {},
      tags: [],
      steps: new Map(),
      tasks: new Map(),
      tasksFinished: 0,
      tasksTotal: 0,
      version: 0,
    };
    for (const step of flow.steps) this.addStep(step.name, 'idle');
  }

  /** True once run_finished was applied. */
  get finished(): boolean {
    return this.ended;
  }

  apply(e: RunEvent): void {
    this.state.version += 1;
    switch (e.event) {
      case 'run_started':
        return this.runStarted(e);
      case 'task_started':
        if (!INTERNAL_STEPS.has(e.step)) this.taskStarted(e);
        return;
      case 'log':
        if (!INTERNAL_STEPS.has(e.step)) this.log(e);
        return;
      case 'task_finished':
        if (!INTERNAL_STEPS.has(e.step)) this.taskFinished(e);
        return;
      case 'run_finished':
        return this.runFinished(e);
    }
  }

  /** Per-step status for the DAG layout (src/layout). */
  stepRunStates(): Record<string, StepRunState> {
    const out: Record<string, StepRunState> = {};
    for (const step of this.state.steps.values()) {
      const book = this.book(step.name);
      const total = book.prediction.known || book.prediction.count > 0 ? book.prediction.count : undefined;
      let message: string | undefined;
      if (step.status === 'failed') message = book.firstError;
      else if (step.status === 'succeeded' && step.durationMs !== undefined) message = formatDuration(step.durationMs);
      out[step.name] = {
        status: step.status,
        tasksDone: step.succeeded + step.cloned,
        tasksTotal: total,
        tasksFailed: step.failed,
        retries: step.maxAttempt,
        message,
      };
    }
    return out;
  }

  private addStep(name: string, status: StepState['status']): StepState {
    const step: StepState = { name, status, taskIds: [], succeeded: 0, cloned: 0, failed: 0, running: 0, retrying: 0, maxAttempt: 0 };
    this.state.steps.set(name, step);
    this.books.set(name, emptyBook());
    return step;
  }

  private step(name: string): StepState {
    return this.state.steps.get(name) ?? this.addStep(name, 'pending');
  }

  private book(name: string): StepBook {
    let book = this.books.get(name);
    if (!book) {
      book = emptyBook();
      this.books.set(name, book);
    }
    return book;
  }

  private runStarted(e: RunStartedEvent): void {
    const s = this.state;
    s.runId = e.run_id;
    s.pathspec = e.pathspec;
    s.kind = e.kind;
    s.status = 'running';
    s.startedAt = e.ts;
    s.datastoreRoot = e.datastore_root;
    s.parameters = e.parameters;
    s.tags = e.tags;
    s.originRunId = e.origin_run_id;
    this.refresh();
  }

  private taskKey(step: string, taskId: string): string {
    return `${step}/${taskId}`;
  }

  private taskStarted(e: TaskStartedEvent): void {
    const key = this.taskKey(e.step, e.task_id);
    const step = this.step(e.step);
    const book = this.book(e.step);
    let task = this.state.tasks.get(key);
    if (!task) {
      task = { pathspec: e.pathspec, step: e.step, taskId: e.task_id, foreachIndices: e.foreach_indices, status: 'running', attempts: [], logTail: [] };
      this.state.tasks.set(key, task);
      step.taskIds.push(e.task_id);
      book.started += 1;
      this.attributeToSwitch(e.step, book);
      if (step.startedAt === undefined || e.ts < step.startedAt) step.startedAt = e.ts;
    } else if (task.attempts.some((a) => a.attempt === e.attempt)) {
      return;
    } else {
      this.leaveStatus(step, task.status);
    }
    task.status = 'running';
    step.running += 1;
    task.attempts.push({ attempt: e.attempt, status: 'running', startedAt: e.ts, ...(e.executor ? { executor: { ...e.executor } } : {}) });
    if (e.attempt > step.maxAttempt) step.maxAttempt = e.attempt;
    this.refresh();
  }

  /** A new task of a switch's branch answers one of that switch's pending decisions. */
  private attributeToSwitch(stepName: string, book: StepBook): void {
    const preds = this.topology.get(stepName)?.predecessors ?? [];
    // A looping switch's own pending decision first: its next iteration is the likelier source.
    const ordered = [...preds.filter((p) => p.name === stepName), ...preds.filter((p) => p.name !== stepName)];
    for (const p of ordered) {
      if (p.type !== 'split-switch') continue;
      const pb = this.book(p.name);
      if (pb.undecided <= 0) continue;
      pb.undecided -= 1;
      book.fromSwitch.set(p.name, (book.fromSwitch.get(p.name) ?? 0) + 1);
      return;
    }
  }

  private ensureTask(e: LogEvent | TaskFinishedEvent): TaskState {
    const existing = this.state.tasks.get(this.taskKey(e.step, e.task_id));
    if (existing && existing.attempts.some((a) => a.attempt === e.attempt)) return existing;
    // The runtime announces every task before its output or its end; this keeps the fold whole if not.
    this.taskStarted({ event: 'task_started', ts: e.ts, flow: e.flow, run_id: e.run_id, pathspec: e.pathspec, step: e.step, task_id: e.task_id, attempt: e.attempt });
    return this.state.tasks.get(this.taskKey(e.step, e.task_id))!;
  }

  private log(e: LogEvent): void {
    if (this.logTail === 0) return;
    const task = this.ensureTask(e);
    task.logTail.push({ ts: e.ts, stream: e.stream, line: e.line, attempt: e.attempt, source: e.source });
    if (task.logTail.length > this.logTail) task.logTail.splice(0, task.logTail.length - this.logTail);
  }

  private taskFinished(e: TaskFinishedEvent): void {
    const task = this.ensureTask(e);
    const step = this.step(e.step);
    const book = this.book(e.step);
    const attempt = task.attempts.find((a) => a.attempt === e.attempt)!;
    if (attempt.status !== 'running') return;
    attempt.status = e.status;
    attempt.finishedAt = e.ts;
    attempt.durationMs = e.duration_ms;
    if (e.error !== undefined) attempt.error = e.error;
    if (e.exit_code !== undefined) attempt.exitCode = e.exit_code;
    if (e.num_splits !== undefined) task.numSplits = e.num_splits;
    // The pod is often named only once the Job made it, after the start was announced.
    if (e.executor) attempt.executor = { ...e.executor };

    this.leaveStatus(step, task.status);
    let status: TaskStatus;
    if (e.status === 'failed' && e.will_retry) status = 'retrying';
    else status = e.status;
    task.status = status;
    this.enterStatus(step, book, task, attempt, e.ts);
    if (e.status !== 'failed') {
      book.splits += e.num_splits ?? 0;
      if (this.topology.get(e.step)?.step.type === 'split-switch') book.undecided += 1;
    }
    this.refresh();
  }

  private leaveStatus(step: StepState, status: TaskStatus): void {
    if (status === 'running') step.running -= 1;
    else if (status === 'retrying') step.retrying -= 1;
  }

  private enterStatus(step: StepState, book: StepBook, task: TaskState, attempt: AttemptState, ts: number): void {
    switch (task.status) {
      case 'retrying':
        step.retrying += 1;
        return;
      case 'succeeded':
        step.succeeded += 1;
        book.ok += 1;
        break;
      case 'cloned':
        step.cloned += 1;
        book.ok += 1;
        break;
      case 'failed':
        step.failed += 1;
        if (book.firstError === undefined) book.firstError = attempt.error ?? `task ${task.taskId} failed`;
        break;
      default:
        return;
    }
    book.ended += 1;
    this.state.tasksFinished += 1;
    if (book.lastFinishedAt === undefined || ts > book.lastFinishedAt) book.lastFinishedAt = ts;
  }

  private runFinished(e: RunFinishedEvent): void {
    const s = this.state;
    s.status = e.status;
    s.finishedAt = e.ts;
    s.durationMs = e.duration_ms;
    if (e.error !== undefined) s.error = e.error;
    if (!s.pathspec && e.pathspec) s.pathspec = e.pathspec;
    this.ended = true;
    for (const task of s.tasks.values()) {
      if (task.status !== 'retrying') continue;
      const step = this.step(task.step);
      const book = this.book(task.step);
      this.leaveStatus(step, 'retrying');
      task.status = 'failed';
      this.enterStatus(step, book, task, task.attempts[task.attempts.length - 1], e.ts);
    }
    this.refresh();
  }

  /** Re-predicts counts and re-derives every step's status (a handful of steps; cheap per event). */
  private refresh(): void {
    const s = this.state;
    const started = s.runId !== '' || this.ended;
    const mode = this.ended || s.kind === 'spin' ? 'observed' : 'walk';
    const predictions = predictTaskCounts(this.topology, (name) => this.book(name), mode);
    let total = 0;
    for (const step of s.steps.values()) {
      const book = this.book(step.name);
      const p = predictions.get(step.name) ?? { count: book.started, known: mode === 'observed' };
      book.prediction = p;
      total += started ? p.count : 0;
      step.expected = started && (p.known || p.count > 0) ? p.count : undefined;
      step.status = this.stepStatus(step, book, started, mode === 'observed');
      const done = step.status === 'succeeded' || step.status === 'failed';
      step.finishedAt = done ? book.lastFinishedAt : undefined;
      step.durationMs = done && step.startedAt !== undefined && book.lastFinishedAt !== undefined ? book.lastFinishedAt - step.startedAt : undefined;
    }
    s.tasksTotal = Math.max(total, s.tasksFinished);
  }

  private stepStatus(step: StepState, book: StepBook, started: boolean, observed: boolean): StepState['status'] {
    if (!started) return 'idle';
    if (step.running > 0) return 'running';
    if (step.retrying > 0) return 'retrying';
    if (step.failed > 0) return 'failed';
    if (book.started > 0 && book.prediction.known && book.ok >= book.prediction.count) return 'succeeded';
    if (book.started === 0 && (this.ended || (observed && this.state.kind === 'spin'))) return 'idle';
    return 'pending';
  }
}
