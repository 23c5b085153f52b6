// How the scheduler talks to Python: a pool that runs TaskSpecs and reports the worker's messages.
import * as path from 'node:path';
import type { TaskExecutor } from '../events';
import type { TaskResult, TaskSpec } from '../workerProtocol';

export interface WorkerPoolListener {
  /** `executor` names the remote place (a Kubernetes pod) of a task that has no local pid. */
  started(key: string, pid: number, executor?: TaskExecutor): void;
  log(key: string, stream: 'stdout' | 'stderr', line: string, ts: number): void;
  finished(key: string, exitCode: number | null, signal: string | null, result: TaskResult | null, details?: FinishedDetails): void;
}

export interface FinishedDetails {
  /** The task saved its own output to the datastore (a pod's `task_stdout.log`): the scheduler then stores only its own lines. */
  taskLogsPersisted?: boolean;
}

export interface WorkerReady {
  pythonVersion: string;
}

export interface WorkerPool {
  /** Starts the interpreter and imports the flow; rejects with FlowImportError or PythonNotFoundError. */
  start(listener: WorkerPoolListener): Promise<WorkerReady>;
  /** Optional: begin the slow part of start() early (interpreter start, flow import); start() then only waits for it. */
  warm?(): void;
  submit(key: string, task: TaskSpec): void;
  /** Kills the task's whole process tree; its `finished` still arrives. */
  kill(key: string): void;
  /** Ends every task process and the pool's own processes. */
  shutdown(): Promise<void>;
}

export interface WorkerLaunchOptions {
  python: string;
  /** Names where `python` came from, for the not-found message. */
  pythonSource: string;
  /** The embedded package's directory, put first on PYTHONPATH. */
  pythonPath: string;
  flowFile: string;
  /** The FlowSpec class to load when the file holds several. */
  flowName?: string;
  env: NodeJS.ProcessEnv;
}

export class PythonNotFoundError extends Error {}

/** The flow module failed to import: carries the Python traceback. */
export class FlowImportError extends Error {}

export function pythonNotFound(options: WorkerLaunchOptions, detail: string): PythonNotFoundError {
  return new PythonNotFoundError(
    `cannot start Python '${options.python}' (${detail}). Install Python 3.8 or newer, or point the setting ` +
      `METAFLOW_STUDIO_PYTHON (environment variable or .metaflow config) at an interpreter; now from: ${options.pythonSource}.`,
  );
}

/** The embedded package first on PYTHONPATH, ahead of the user's own. */
export function workerEnv(options: Pick<WorkerLaunchOptions, 'pythonPath' | 'env'>): NodeJS.ProcessEnv {
  const userPath = options.env.PYTHONPATH;
  return {
    ...options.env,
    PYTHONPATH: userPath ? `${options.pythonPath}${path.delimiter}${userPath}` : options.pythonPath,
    PYTHONUNBUFFERED: '1',
  };
}
