// What the datastore client reports about flows, runs, steps, tasks and artifacts. Every node carries
// the error that kept part of it from being read (a missing or corrupt file, named by path), so one bad
// file shows on its own node and never hides the rest of the tree.

/** `incomplete`: the run stopped before its end step with no failed task (cancelled, killed, or run `--until` a step). */
export type ClientRunStatus = 'running' | 'succeeded' | 'failed' | 'incomplete';
export type ClientTaskStatus = 'running' | 'succeeded' | 'failed' | 'unknown';

export interface FlowSummary {
  name: string;
  /** The newest run id in `latest_run`, when that file exists. */
  latestRun?: string;
  error?: string;
}

export interface RunSummary {
  flow: string;
  runId: string;
  /** `Flow/run`. */
  pathspec: string;
  status: ClientRunStatus;
  /** Milliseconds since the epoch (the run's `_self.json`, else its directory's mtime). */
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  user?: string;
  tags: string[];
  systemTags: string[];
  /** The run this one resumed, from its tasks' `origin-run-id` metadata. */
  originRunId?: string;
  /** End step name as recorded in `_parameters` metadata (Metaflow's `Run.end_task`), else `end`. */
  endStep: string;
  error?: string;
}

export interface StepSummary {
  flow: string;
  runId: string;
  name: string;
  pathspec: string;
  startedAt?: number;
  /** Task directories of the step (one readdir, no task is read). */
  taskCount?: number;
  error?: string;
}

export interface TaskSummary {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  /** `Flow/run/step/task`. */
  pathspec: string;
  /** The attempt readers use: the newest started one (Metaflow hides older attempts behind it). */
  attempt?: number;
  done: boolean;
  status: ClientTaskStatus;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  /** Innermost foreach index and value (from the `foreach-execution-path` / `foreach-stack` metadata). */
  foreachIndex?: number;
  foreachValue?: string;
  /** Set for tasks copied from the origin run by resume. */
  originTaskId?: string;
  error?: string;
}

export interface ArtifactSummary {
  /** `Flow/run/step/task/name`. */
  pathspec: string;
  taskPathspec: string;
  name: string;
  sha: string;
  /** Python class as `str(type(x))` in `data.json`, e.g. `<class 'int'>`; undefined when only `_meta` named it. */
  type?: string;
  /** Pickled size in bytes. */
  size?: number;
  encoding?: string;
  attempt: number;
}

export interface TaskArtifacts {
  task: string;
  attempt?: number;
  artifacts: ArtifactSummary[];
  error?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; undefined on the last page. */
  cursor?: string;
  total: number;
}
