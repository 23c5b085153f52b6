// Run state folded from the runtime's event stream (src/runtime/events.ts). Pure data: the DAG panel,
// the timeline, the Artifact Explorer, the status bar and the CLI's progress all read these shapes.
import type { RunKind } from '../runtime/events';
import type { StepStatus } from '../layout/types';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A task's status as drawn: `retrying` while a failed attempt waits for its next one. */
export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'retrying' | 'cloned';

export interface AttemptState {
  attempt: number;
  status: 'running' | 'succeeded' | 'failed' | 'cloned';
  /** Milliseconds since the epoch. */
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  error?: string;
  exitCode?: number | null;
}

export interface LogTailLine {
  ts: number;
  stream: 'stdout' | 'stderr';
  line: string;
  attempt: number;
  source: 'task' | 'runtime';
}

export interface TaskState {
  /** `Flow/run/step/task`. */
  pathspec: string;
  step: string;
  taskId: string;
  foreachIndices?: number[];
  status: TaskStatus;
  attempts: AttemptState[];
  /** The last lines of the task's output, oldest first (bounded; the datastore keeps the whole log). */
  logTail: LogTailLine[];
  numSplits?: number;
}

export interface StepState {
  name: string;
  status: StepStatus;
  /** Task ids of this step in start order. */
  taskIds: string[];
  /** Tasks expected for this step once known (foreach fan-out), else undefined. */
  expected?: number;
  succeeded: number;
  failed: number;
  running: number;
  retrying: number;
  /** Highest attempt number seen on any task (0 = first try). */
  maxAttempt: number;
  startedAt?: number;
  finishedAt?: number;
  /** From the step's first task start to its last task end. */
  durationMs?: number;
}

export interface RunState {
  flow: string;
  runId: string;
  /** `Flow/run`. */
  pathspec: string;
  kind: RunKind;
  status: RunStatus;
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  datastoreRoot: string;
  parameters: Record<string, unknown>;
  tags: string[];
  originRunId?: string;
  error?: string;
  /** Steps of the flow graph, in graph order, including those not reached yet. */
  steps: Map<string, StepState>;
  /** Keyed by `step/taskId`. */
  tasks: Map<string, TaskState>;
  tasksFinished: number;
  /** Tasks known so far: started ones plus those expected and not started. Grows as foreaches fan out. */
  tasksTotal: number;
  /** Bumped on every applied event, so readers can skip redraws of an unchanged state. */
  version: number;
}
