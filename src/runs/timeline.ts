// The timeline (Gantt) of a run: one bar per task attempt, one row per task, rows grouped by step. Built in
// the extension host from the folded run state and sent to the DAG webview, which only draws it; times are
// offsets from the run's start so that the webview needs no clock of its own.
import type { AttemptState, RunState, RunStatus, TaskState, TaskStatus } from './types';

export type BarStatus = AttemptState['status'];

export interface TimelineBar {
  attempt: number;
  status: BarStatus;
  /** Milliseconds from the run's start. */
  start: number;
  /** Milliseconds from the run's start; for a running attempt, the time the model was built. */
  end: number;
  durationMs: number;
  error?: string;
}

export interface TimelineRow {
  /** `Flow/run/step/task`. */
  pathspec: string;
  step: string;
  taskId: string;
  /** `[2]`, `[0, 3]`: the task's foreach indices, when it runs inside a foreach. */
  foreachIndex?: string;
  status: TaskStatus;
  /** Attempts in order; more than one means the task was retried. */
  bars: TimelineBar[];
  /** First attempt's start and last attempt's end, from the run's start. */
  start: number;
  end: number;
  /** From the first attempt's start to the last one's end, retries and the waits between them included. */
  durationMs: number;
}

export interface TimelineGroup {
  step: string;
  rows: TimelineRow[];
  start: number;
  end: number;
}

export interface TimelineModel {
  runId: string;
  status: RunStatus;
  /** Milliseconds since the epoch at which the run started: offset 0. */
  origin: number;
  /** Milliseconds covered, from the run's start to its end (or to now while it runs). */
  span: number;
  groups: TimelineGroup[];
  tasks: number;
  bars: number;
}

export type TimelineSort = 'start' | 'duration';

function rowOf(task: TaskState, origin: number, now: number): TimelineRow | undefined {
  if (task.attempts.length === 0) return undefined;
  const bars = task.attempts.map((a): TimelineBar => {
    const end = a.finishedAt ?? (a.durationMs !== undefined ? a.startedAt + a.durationMs : Math.max(now, a.startedAt));
    return {
      attempt: a.attempt,
      status: a.status,
      start: a.startedAt - origin,
      end: end - origin,
      durationMs: a.durationMs ?? end - a.startedAt,
      ...(a.error ? { error: a.error } : {}),
    };
  });
  bars.sort((a, b) => a.attempt - b.attempt);
  const start = Math.min(...bars.map((b) => b.start));
  const end = Math.max(...bars.map((b) => b.end));
  return {
    pathspec: task.pathspec,
    step: task.step,
    taskId: task.taskId,
    ...(task.foreachIndices && task.foreachIndices.length > 0 ? { foreachIndex: `[${task.foreachIndices.join(', ')}]` } : {}),
    status: task.status,
    bars,
    start,
    end,
    durationMs: end - start,
  };
}

/** The timeline of `state` as it is at `now` (running attempts end there), rows in start order, groups in graph order. */
export function buildTimeline(state: RunState, now: number): TimelineModel {
  const origin = state.startedAt;
  const byStep = new Map<string, TimelineRow[]>();
  let bars = 0;
  for (const task of state.tasks.values()) {
    const row = rowOf(task, origin, now);
    if (!row) continue;
    bars += row.bars.length;
    const rows = byStep.get(row.step);
    if (rows) rows.push(row);
    else byStep.set(row.step, [row]);
  }
  // Graph order first (the order the steps are drawn in), then any step the graph no longer has (the file was edited).
  const order = [...state.steps.keys(), ...[...byStep.keys()].filter((s) => !state.steps.has(s))];
  const groups: TimelineGroup[] = [];
  let last = 0;
  for (const step of order) {
    const rows = byStep.get(step);
    if (!rows) continue;
    rows.sort(byStart);
    const end = Math.max(...rows.map((r) => r.end));
    last = Math.max(last, end);
    groups.push({ step, rows, start: Math.min(...rows.map((r) => r.start)), end });
  }
  const runEnd = state.finishedAt ?? (state.status === 'running' ? now : origin + last);
  return {
    runId: state.runId,
    status: state.status,
    origin,
    span: Math.max(runEnd - origin, last, 1),
    groups,
    tasks: groups.reduce((n, g) => n + g.rows.length, 0),
    bars,
  };
}

function byStart(a: { start: number; end: number }, b: { start: number; end: number }): number {
  return a.start - b.start || a.end - b.end;
}

function byDuration(a: TimelineRow, b: TimelineRow): number {
  return b.durationMs - a.durationMs || a.start - b.start;
}

/**
 * The groups in the order asked for: by start, groups and their rows by when they began; by duration,
 * the longest step first and the longest tasks first within it. A new array; the model is left as it is.
 */
export function sortTimeline(groups: readonly TimelineGroup[], by: TimelineSort): TimelineGroup[] {
  const sorted = groups.map((g) => ({ ...g, rows: [...g.rows].sort(by === 'start' ? byStart : byDuration) }));
  return sorted.sort(by === 'start' ? byStart : (a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
}
