// The one event stream of a run. The CLI prints it (`--json`: one object per line), the VS Code layer
// feeds it to the Output channel, the DAG panel and the Artifact Explorer. Field names are snake_case
// because this is also a JSON contract for other people's tools.

export type RunKind = 'run' | 'resume' | 'spin';
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';
export type TaskOutcome = 'succeeded' | 'failed' | 'cloned';

/** Where a task ran when not in a local process: the DAG panel links a remote task to its pod and its Events. */
export interface TaskExecutor {
  kind: 'kubernetes';
  /** kubeconfig context. */
  context: string;
  namespace: string;
  /** The task attempt's Job. */
  job: string;
  /** Its pod, once the Job made one. */
  pod?: string;
}

interface EventBase {
  /** Milliseconds since the epoch. */
  ts: number;
  flow: string;
  run_id: string;
}

export interface RunStartedEvent extends EventBase {
  event: 'run_started';
  kind: RunKind;
  /** `Flow/run_id`. */
  pathspec: string;
  datastore_root: string;
  origin_run_id?: string;
  parameters: Record<string, unknown>;
  tags: string[];
}

export interface TaskStartedEvent extends EventBase {
  event: 'task_started';
  /** `Flow/run_id/step/task_id`. */
  pathspec: string;
  step: string;
  task_id: string;
  attempt: number;
  pid?: number;
  /** Foreach indices from the outermost split, when inside foreaches. */
  foreach_indices?: number[];
  /** Set when the task runs on Kubernetes (no local pid then). */
  executor?: TaskExecutor;
}

export interface LogEvent extends EventBase {
  event: 'log';
  pathspec: string;
  step: string;
  task_id: string;
  attempt: number;
  stream: 'stdout' | 'stderr';
  /** One line without its trailing newline. Runtime messages (retries, kills) come with source `runtime`. */
  line: string;
  source: 'task' | 'runtime';
}

export interface TaskFinishedEvent extends EventBase {
  event: 'task_finished';
  pathspec: string;
  step: string;
  task_id: string;
  attempt: number;
  status: TaskOutcome;
  duration_ms: number;
  /** True when a retry of this task will follow. */
  will_retry: boolean;
  exit_code?: number | null;
  signal?: string | null;
  /** Human explanation of a failure: exception type and message, "killed by SIGKILL (out of memory?)", "timed out after 60 s". */
  error?: string;
  /** For split steps: how many tasks the next step fans out to. */
  num_splits?: number;
  /** Set when the task ran on Kubernetes. */
  executor?: TaskExecutor;
}

export interface RunFinishedEvent extends EventBase {
  event: 'run_finished';
  pathspec: string;
  status: RunOutcome;
  duration_ms: number;
  /** Why a run failed or was refused (lint errors, a failed task, a bad parameter). */
  error?: string;
}

export type RunEvent = RunStartedEvent | TaskStartedEvent | LogEvent | TaskFinishedEvent | RunFinishedEvent;
