// The contract between the TypeScript scheduler and the embedded Python worker
// (`src/runtime/python/metaflow_studio/worker.py`). Both sides must change together.
//
// The written form is `workerProtocol.schema.json` (a JSON Schema for every message both ways); these
// types say the same and test/unit/runtime/workerProtocol.test.ts keeps them in step. TypeScript checks
// every message it receives against the schema (workers/workerMessages.ts, through the validators
// compiled ahead of time by scripts/gen-worker-protocol-validators.mjs); Python builds each message in
// one place (`metaflow_studio/protocol_messages.py`) and its tests check what a real run emits.
//
// Start:  python3 -u -m metaflow_studio.worker --mode fork-server|single --flow-file <absolute path of the flow file>
//         [--flow-name <Flow>]
//         with PYTHONPATH=<embedded python dir>[:<user PYTHONPATH>], cwd = the flow file's directory.
//         `--flow-name` names the class to load when the file holds several flows. Without `--flow-file` the worker
//         imports the first task's `flow_file` when that task arrives (a failure: `init_error`, then that task's
//         `finished` with ok=false and exception type `FlowImportError`).
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
//   The server tracks each child's pipes by the child, never by file descriptor number alone: a closed descriptor is
//   reused by the next child's pipe, so draining or closing by number would lose that child's result under load.
// single: the same messages for exactly one `task` request, executed in this fresh process (the
//   fallback where fork is unavailable, e.g. Windows, or when the setting asks for it); then exit.
//
// Files: the scheduler writes the flow/run/step `_meta/_self.json` objects (before it sends a step's
//   first task), `<Flow>/latest_run`, and per attempt `<attempt>.runtime_stdout.log` / `runtime_stderr.log`
//   (mflog lines built from the `log` messages; an empty stream is not written) and `<attempt>.runtime`.
//   The worker writes everything else of a task: its `_meta/_self.json`, `<attempt>.attempt.json`,
//   `task_begin`, `data.json`, `task_end`, `DONE.lock`, the CAS blobs and the task's
//   `_meta/<attempt>_artifact_*.json` and `_meta/sysmeta_*.json` files.

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
  /** Unbounded foreach: the control task (no split_index; records `_control_mapper_tasks`) or one mapper task (split_index set). */
  ubf_context?: 'ubf_control' | 'ubf_task';
  /** Extra environment for the task (`--with environment` etc.); `@environment` is applied by the worker itself. */
  env?: Record<string, string>;
  /** Where task data goes when it is not the local datastore; metadata stays under `datastore_root`. */
  datastore?: TaskDatastore;
}

/** With the local metadata provider and the Azure datastore (as Metaflow), `_meta` stays local, task data goes to Blob. */
export interface TaskDatastore {
  type: 'local' | 'azure';
  /** azure: `<container>[/<prefix>]` (METAFLOW_DATASTORE_SYSROOT_AZURE). */
  sysroot: string;
  /** azure: the blob service endpoint. */
  endpoint?: string;
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
  /** A split over an unbounded foreach input (num_splits null): one control task follows, whose own result gives num_splits (its mapper tasks). */
  unbounded_foreach?: boolean;
  exception?: TaskException;
  /** False for failures a retry cannot fix (a bad parameter value, an invalid transition). */
  retry_allowed: boolean;
  /** `_parameters` task of a flow with user decorators or mutators: each step's decorators after mutation. */
  effective_decorators?: Record<string, Array<{ name: string; attributes: Record<string, unknown> }>>;
}

export type WorkerMessage =
  | { op: 'ready'; pid: number; python_version: string }
  | { op: 'init_error'; error: string }
  | { op: 'started'; key: string; pid: number }
  | { op: 'log'; key: string; stream: 'stdout' | 'stderr'; line: string; ts: number }
  /** `result` is null when the task died before reporting (killed, crashed interpreter). */
  | { op: 'finished'; key: string; exit_code: number | null; signal: string | null; result: TaskResult | null };
