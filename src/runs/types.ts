// Run state folded from the runtime's event stream (src/runtime/events.ts). Pure data: the DAG panel,
// the timeline, the Artifact Explorer, the status bar and the CLI's progress all read these shapes.
import type { RunKind, TaskExecutor } from '../runtime/events';
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
  /** Where the attempt ran when not in a local process (its Kubernetes Job and pod). */
  executor?: TaskExecutor;
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
  /**
   * `idle` before the run starts and, once it has finished, for steps that never ran (switch branches not
   * taken, steps after a failure, every step but the one a spin runs); `pending` while the run goes and
   * the step has more tasks to come but none running; `succeeded` only when every task it will run is done.
   */
  status: StepStatus;
  /** Task ids of this step in start order. */
  taskIds: string[];
  /** Tasks expected for this step once known (foreach fan-out), else undefined. */
  expected?: number;
  /** Tasks that ran and succeeded (clones not included). */
  succeeded: number;
  /** Tasks cloned from the origin run by a resume. */
  cloned: number;
  /** Tasks that failed with no retry to come. */
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
  /** `running` from the moment the fold exists (the run was requested), before run_started too. */
  status: RunStatus;
  /** The run_started event's time; until then, when the fold was made. */
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
