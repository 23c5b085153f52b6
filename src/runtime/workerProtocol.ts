// The contract between the TypeScript scheduler and the embedded Python worker
// (`src/runtime/python/metaflow_studio/worker.py`). Both sides must change together.
//
// Start:  python3 -u -m metaflow_studio.worker --mode fork-server|single
//         with PYTHONPATH=<embedded python dir>[:<user PYTHONPATH>], cwd = the flow file's directory.
//
// Channels (both modes): the scheduler writes WorkerRequest objects as JSON lines on the worker's
// stdin; the worker writes WorkerMessage objects as JSON lines on a private duplicate of its original
// stdout, so that nothing user code prints (at import time or in a task) can corrupt the channel.
//
// fork-server: the worker imports the flow module once (as `__main__`, stopping before the module's
//   `if __name__ == "__main__":` block runs the flow), answers `ready` (or `init_error`), then forks
//   one child per `task` request. Each child starts a new session (its pid is its process group id,
//   so the scheduler can kill the whole group on timeout or cancel), redirects its stdout/stderr to
//   pipes the server reads, and the server relays every line as a `log` message as soon as it is
//   printed. When the child exits the server sends `finished` with the child's TaskResult.
// single: the same messages for exactly one `task` request, executed in this fresh process (the
//   fallback where fork is unavailable, e.g. Windows, or when the setting asks for it); then exit.

export type TaskKind =
  /** Run one attempt of a step's user code. */
  | 'step'
  /** Create the `_parameters` task (id 0 locally) from raw CLI parameter strings. */
  | 'params'
  /** Resume: copy a successful task of the origin run into this run (no user code runs). */
  | 'clone';

export interface ParallelSpec {
  /** 0 for the control task. */
  node_index: number;
  num_nodes: number;
  control_task_id: string;
  main_ip: string;
  /** Pathspecs (`run/step/task`) of every node task, control first; the control task records them as `_control_mapper_tasks`. */
  mapper_tasks: string[];
}

export interface TaskSpec {
  kind: TaskKind;
  flow_file: string;
  flow_name: string;
  /** Absolute path of the `.metaflow` directory. */
  datastore_root: string;
  run_id: string;
  step: string;
  task_id: string;
  /** Attempt number, 0-based (`current.retry_count`). */
  attempt: number;
  /** Number of user-code retries (`@retry(times=)`); `@catch` runs its fallback when attempt > this. */
  max_user_code_retries: number;
  /** Parent task pathspecs `run/step/task` (start: [`run/_parameters/0`]; a join: every branch/split task, in split-index order). */
  input_paths: string[];
  /** Index into the parent's foreach values, for tasks of a foreach body's first step. */
  split_index?: number;
  user_name: string;
  /** User tags of the run (system tags are computed by the worker). */
  tags: string[];
  origin_run_id?: string;
  /** kind 'params': raw values given on the command line, keyed by parameter name (not attribute). */
  parameters?: Record<string, string>;
  /** kind 'clone': the origin task's pathspec `run/step/task`. */
  clone_from?: string;
  /** `@parallel` steps reached through `num_parallel`. */
  parallel?: ParallelSpec;
  /** Extra environment for the task (`--with environment` etc.); `@environment` is applied by the worker itself. */
  env?: Record<string, string>;
}

export type WorkerRequest =
  | { op: 'task'; key: string; task: TaskSpec }
  | { op: 'shutdown' };

export interface TaskException {
  type: string;
  message: string;
  traceback: string;
}

export interface TaskResult {
  ok: boolean;
  /** Steps the task transitioned to (`_transition[0]`); for a switch, the one chosen case target. */
  next: string[];
  /** `foreach=` variable, when the task was a foreach (or parallel) split. */
  foreach_var?: string | null;
  /** Cardinality of the foreach or `num_parallel` split. */
  num_splits?: number | null;
  /** For switches: the condition's value as a string (the chosen case key). */
  switch_value?: string | null;
  exception?: TaskException;
  /** False for failures a retry cannot fix (a bad parameter value, an invalid transition). */
  retry_allowed: boolean;
}

export type WorkerMessage =
  | { op: 'ready'; pid: number; python_version: string }
  | { op: 'init_error'; error: string }
  | { op: 'started'; key: string; pid: number }
  | { op: 'log'; key: string; stream: 'stdout' | 'stderr'; line: string; ts: number }
  /** `result` is null when the task died before reporting (killed, crashed interpreter). */
  | { op: 'finished'; key: string; exit_code: number | null; signal: string | null; result: TaskResult | null };
