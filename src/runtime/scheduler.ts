// The local run controller: walks the graph, keeps at most `maxWorkers` tasks running, retries,
// times out, cancels, clones (resume) and records everything in Metaflow's local layout.
import * as fs from 'node:fs';
import type { FlowInfo } from '../flow/types';
import { LocalLayout } from '../datastore/localLayout';
import { LocalMetadataWriter } from '../datastore/localMetadata';
import { AttemptLog } from '../datastore/taskLogs';
import { writeFileAtomicSync } from '../datastore/atomicWrite';
import type { RunEvent, RunKind, RunOutcome, TaskExecutor, TaskOutcome } from './events';
import { EventStream } from './eventStream';
import { GraphWalker, type Launch, type TransitionResult, type WalkTask } from './graphWalk';
import { type ComputePlacement, effectivePolicies, taskPolicy, type TaskPolicy } from './taskPolicy';
import type { TaskDatastore, TaskResult, TaskSpec } from './workerProtocol';
import type { DatastoreStorage } from '../datastore/storage/types';
import type { FinishedDetails, WorkerPool, WorkerPoolListener } from './workers/workerPool';
import { type Clock, systemClock } from './clock';
import { LaunchQueue } from './launchQueue';

/** A successful task of the run being resumed, by pathspec index. */
export interface OriginTask {
  step: string;
  taskId: string;
  transition: TransitionResult;
}

export interface ResumeSpec {
  originRunId: string;
  /** Successful origin tasks keyed by pathspec index (`step[..][..]`). */
  successful: Map<string, OriginTask>;
  /** Steps that run again even when the origin has them (the resume step and everything after it). */
  rerunSteps: Set<string>;
}

export interface SpinSpec {
  originRunId: string;
  /** The tasks to execute, each with the inputs its counterpart had in the origin run. */
  launches: Launch[];
}

export interface RunRequest {
  kind: RunKind;
  flow: FlowInfo;
  flowFile: string;
  datastoreRoot: string;
  user: string;
  tags: string[];
  /** Raw values by parameter name (run only). */
  parameters: Record<string, string>;
  maxWorkers: number;
  maxNumSplits: number;
  maxLogBytes: number;
  resume?: ResumeSpec;
  spin?: SpinSpec;
  /** Extra environment for every task. */
  env?: Record<string, string>;
  /** Recorded in the run's system tags (`metaflow_version:`). */
  metaflowVersion?: string;
  /** `run --until STEP`: only these steps run (the ancestors of STEP), so that STEP can be spun next. */
  onlySteps?: Set<string>;
  /** `--run-id-file`: receives the run id once the run is registered, before any task starts. */
  runIdFile?: string;
  /** `runtime:` and `user:` / `production:` tags (src/runtime/identityTags.ts); `runtime:dev` and `user:<user>` when absent. */
  identityTags?: string[];
  /** `project:` / `project_branch:` tags of a `@project` flow (src/runtime/projectTags.ts). */
  projectTags?: string[];
  /**
   * Task data elsewhere than `datastoreRoot` (Azure Blob): the workers write it there, and the scheduler its
   * runtime logs and `<attempt>.runtime` through `taskStorage`. Metadata and `latest_run` stay local, as Metaflow's.
   */
  taskDatastore?: TaskDatastore;
  taskStorage?: DatastoreStorage;
  /** Steps whose tasks run on remote compute (Kubernetes): their retries wait `minutes_between_retries`. */
  remoteSteps?: ReadonlySet<string>;
}

export interface SchedulerDeps {
  pool: WorkerPool;
  clock?: Clock;
  /** Chooses the run id; Metaflow's local provider uses microseconds since the epoch. */
  newRunId?: (nowMs: number) => string;
}

export interface RunResult {
  status: RunOutcome;
  runId: string;
  error?: string;
}

export interface RunHandle {
  events: EventStream;
  cancel(): void;
  done: Promise<RunResult>;
}

interface TaskState {
  key: string;
  step: string;
  taskId: string;
  attempt: number;
  kind: TaskSpec['kind'];
  launch: Launch;
  policy: TaskPolicy;
  startedAt: number;
  pid?: number;
  announced: boolean;
  timedOut: boolean;
  killedByRuntime: boolean;
  log: AttemptLog;
  sawTraceback: boolean;
  /** The task stored its own output (a pod): its attempt log keeps only the runtime's lines. */
  taskLogsPersisted?: boolean;
  cloneOf?: OriginTask;
  parallel?: TaskSpec['parallel'];
  executor?: TaskExecutor;
}

const PARAMS_STEP = '_parameters';
/** Time a timed-out step gets to record its TimeoutException (and @catch to store what the step set) before the kill. */
const TIMEOUT_GRACE_MIN_MS = 3000;

function defaultRunId(nowMs: number): string {
  return String(Math.floor(nowMs * 1000));
}

export class Scheduler {
  private readonly clock: Clock;
  private readonly newRunId: (nowMs: number) => string;

  constructor(private readonly deps: SchedulerDeps) {
    this.clock = deps.clock ?? systemClock;
    this.newRunId = deps.newRunId ?? defaultRunId;
  }

  start(request: RunRequest): RunHandle {
    const events = new EventStream();
    const run = new RunExecution(request, this.deps.pool, this.clock, this.newRunId, events);
    // Deferred so a caller can attach listeners before even an immediate refusal is emitted.
    const done = Promise.resolve()
      .then(() => run.execute())
      .finally(() => events.close());
    return { events, cancel: () => run.cancel(), done };
  }
}

class RunExecution implements WorkerPoolListener {
  private runId = '';
  private readonly layout: LocalLayout;
  private readonly walker: GraphWalker;
  private metadata!: LocalMetadataWriter;
  private readonly queue = new LaunchQueue();
  private readonly running = new Map<string, TaskState>();
  private readonly timers = new Map<string, unknown>();
  private readonly retryTimers = new Set<unknown>();
  private readonly policies = new Map<string, TaskPolicy>();
  private nextTaskId = 1;
  private failure?: string;
  private cancelled = false;
  private finishResolve!: () => void;
  private readonly finishedAll = new Promise<void>((r) => (this.finishResolve = r));
  private pendingRetries = 0;
  /** num_parallel groups (`step/control task id`) whose worker nodes ran out of attempts, left to the control task's @catch fallback. */
  private readonly workersLeftToFallback = new Set<string>();
  /** num_parallel groups whose control task went on to the join. */
  private readonly controlsAdvanced = new Set<string>();
  private startMs = 0;
  private pythonVersion = '';
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    private readonly req: RunRequest,
    private readonly pool: WorkerPool,
    private readonly clock: Clock,
    private readonly newRunId: (nowMs: number) => string,
    private readonly events: EventStream,
  ) {
    this.layout = new LocalLayout(req.datastoreRoot);
    this.walker = new GraphWalker(req.flow, req.maxNumSplits);
  }

  private get flowName(): string {
    return this.req.flow.name;
  }

  private emit(event: RunEvent): void {
    this.events.emit(event);
  }

  private base(): { ts: number; flow: string; run_id: string } {
    return { ts: this.clock.now(), flow: this.flowName, run_id: this.runId };
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stopLaunching();
  }

  private stopLaunching(): void {
    this.queue.clear();
    for (const t of this.retryTimers) this.clock.clearTimeout(t);
    this.pendingRetries -= this.retryTimers.size;
    this.retryTimers.clear();
    for (const task of this.running.values()) {
      task.killedByRuntime = true;
      this.pool.kill(task.key);
    }
    this.checkDone();
  }

  private allocateRunId(): string {
    let id = this.newRunId(this.clock.now());
    while (fs.existsSync(this.layout.runDir(this.flowName, id))) id = String(BigInt(id) + 1n);
    return id;
  }

  async execute(): Promise<RunResult> {
    this.startMs = this.clock.now();
    try {
      for (const s of this.req.flow.steps) this.policies.set(s.name, taskPolicy(s, this.placementOf(s.name)));
    } catch (err) {
      return this.refuse((err as Error).message);
    }
    try {
      const ready = await this.pool.start(this);
      this.pythonVersion = ready.pythonVersion;
    } catch (err) {
      await this.pool.shutdown().catch(() => undefined);
      return this.refuse((err as Error).message);
    }
    if (this.cancelled) {
      await this.pool.shutdown();
      return this.refuse('cancelled before the run started', 'cancelled');
    }
    this.runId = this.allocateRunId();
    const systemTags = [...(this.req.identityTags ?? ['runtime:dev', `user:${this.req.user}`])];
    if (this.req.metaflowVersion) systemTags.push(`metaflow_version:${this.req.metaflowVersion}`);
    if (this.pythonVersion) systemTags.push(`python_version:${this.pythonVersion.split(' ')[0]}`);
    systemTags.push(...(this.req.projectTags ?? []));
    this.metadata = new LocalMetadataWriter(this.layout, { flow: this.flowName, run: this.runId, user: this.req.user, tags: this.req.tags, systemTags }, () => this.clock.now());
    try {
      await this.metadata.registerRun();
      // As Metaflow: `run` (not resume) names itself the latest run; run and resume both write --run-id-file.
      if (this.req.kind === 'run') await this.metadata.writeLatestRun();
    } catch (err) {
      await this.pool.shutdown();
      return this.refuse(`cannot write the run's metadata in ${this.req.datastoreRoot}: ${(err as Error).message}`);
    }
    if (this.req.runIdFile) {
      try {
        await fs.promises.writeFile(this.req.runIdFile, this.runId, 'utf8');
      } catch (err) {
        await this.pool.shutdown();
        return this.refuse(`cannot write the run id to --run-id-file ${this.req.runIdFile}: ${(err as Error).message}`);
      }
    }
    this.emit({
      ...this.base(),
      event: 'run_started',
      kind: this.req.kind,
      pathspec: `${this.flowName}/${this.runId}`,
      datastore_root: this.req.datastoreRoot,
      origin_run_id: this.req.resume?.originRunId ?? this.req.spin?.originRunId,
      parameters: this.req.parameters,
      tags: this.req.tags,
    });

    if (this.req.spin) {
      for (const launch of this.req.spin.launches) this.queue.push([launch]);
      this.pump();
    } else {
      this.launchParams();
    }
    this.checkDone();
    await this.finishedAll;
    await Promise.all([...this.writes]);
    await this.pool.shutdown();

    let status: RunOutcome = 'succeeded';
    let error = this.failure;
    if (this.cancelled) {
      status = 'cancelled';
      error = error ?? 'the run was cancelled';
    } else if (this.failure) status = 'failed';
    else if (!this.req.spin && !this.req.onlySteps) {
      const pending = this.walker.pendingJoins();
      if (pending.length > 0) {
        status = 'failed';
        error = pending.map((p) => `join step *${p.join}* got ${p.got} of its ${p.expected} inputs`).join('; ');
      }
    }
    this.emit({ ...this.base(), event: 'run_finished', pathspec: `${this.flowName}/${this.runId}`, status, duration_ms: this.clock.now() - this.startMs, error });
    return { status, runId: this.runId, error };
  }

  private refuse(error: string, status: RunOutcome = 'failed'): RunResult {
    this.emit({ ...this.base(), event: 'run_finished', pathspec: `${this.flowName}/${this.runId}`, status, duration_ms: this.clock.now() - this.startMs, error });
    return { status, runId: this.runId, error };
  }

  private launchParams(): void {
    const launch: Launch = { step: PARAMS_STEP, inputPaths: [], foreach: [], iteration: [], index: `${PARAMS_STEP}[][]` };
    const resume = this.req.resume;
    const spec = this.baseSpec(launch, '0', 0);
    if (resume) {
      spec.kind = 'clone';
      spec.clone_from = `${resume.originRunId}/${PARAMS_STEP}/0`;
    } else {
      spec.kind = 'params';
      spec.parameters = this.req.parameters;
    }
    this.submit(launch, '0', 0, spec, { userCodeRetries: 0, errorRetries: 0, retryDelayMs: 0, timeoutMs: 0 });
  }

  private baseSpec(launch: Launch, taskId: string, attempt: number): TaskSpec {
    return {
      kind: 'step',
      flow_file: this.req.flowFile,
      flow_name: this.flowName,
      datastore_root: this.req.datastoreRoot,
      run_id: this.runId,
      step: launch.step,
      task_id: taskId,
      attempt,
      max_user_code_retries: 0,
      input_paths: launch.inputPaths,
      split_index: launch.splitIndex,
      user_name: this.req.user,
      tags: this.req.tags,
      origin_run_id: this.req.resume?.originRunId,
      env: this.req.env,
      datastore: this.req.taskDatastore,
    };
  }

  /** Starts queued groups while there is room; a `num_parallel` group starts whole. */
  private pump(): void {
    while (this.queue.length > 0 && !this.failure && !this.cancelled) {
      const group = this.queue.peek()!;
      // A num_parallel group must start whole; when it is wider than max-workers it waits for an idle pool.
      if (this.running.size > 0 && this.running.size + group.length > this.req.maxWorkers) break;
      this.queue.shift();
      this.launchGroup(group);
    }
  }

  private launchGroup(group: Launch[]): void {
    const resume = this.req.resume;
    const origins = group.map((l) => (resume && !resume.rerunSteps.has(l.step) ? resume.successful.get(l.index) : undefined));
    const cloneAll = origins.every((o) => o !== undefined);
    const ids = this.taskIds(group);
    group.forEach((launch, i) => {
      const policy = this.policies.get(launch.step) ?? { userCodeRetries: 0, errorRetries: 0, retryDelayMs: 0, timeoutMs: 0 };
      const spec = this.baseSpec(launch, ids[i], 0);
      spec.max_user_code_retries = policy.userCodeRetries;
      let cloneOf: OriginTask | undefined;
      if (cloneAll && origins[i]) {
        cloneOf = origins[i];
        spec.kind = 'clone';
        spec.clone_from = `${resume!.originRunId}/${launch.step}/${cloneOf.taskId}`;
      }
      if (launch.ubf) spec.ubf_context = launch.ubf.role === 'control' ? 'ubf_control' : 'ubf_task';
      if (launch.parallel) {
        spec.parallel = {
          node_index: launch.parallel.nodeIndex,
          num_nodes: launch.parallel.numNodes,
          control_task_id: ids[0],
          main_ip: '127.0.0.1',
          mapper_tasks: ids.map((id) => `${this.runId}/${launch.step}/${id}`),
        };
      }
      this.submit(launch, ids[i], 0, spec, policy, cloneOf);
    });
  }

  /** A num_parallel group's nodes are `<id>_node_<i>`; an unbounded foreach's mapper tasks `<control task id>-<i>`, as Metaflow names them. */
  private taskIds(group: Launch[]): string[] {
    const ubf = group[0].ubf;
    if (ubf?.role === 'mapper') return [`${ubf.controlTaskId}-${group[0].splitIndex ?? 0}`];
    const first = this.nextTaskId++;
    return group.map((_, i) => (i === 0 ? String(first) : `${first}_node_${i}`));
  }

  private submit(launch: Launch, taskId: string, attempt: number, spec: TaskSpec, policy: TaskPolicy, cloneOf?: OriginTask): void {
    const key = `${launch.step}/${taskId}/${attempt}`;
    const state: TaskState = {
      key,
      step: launch.step,
      taskId,
      attempt,
      kind: spec.kind,
      launch,
      policy,
      startedAt: this.clock.now(),
      announced: false,
      timedOut: false,
      killedByRuntime: false,
      log: new AttemptLog(this.req.maxLogBytes, `${taskId}.${attempt}.`),
      sawTraceback: false,
      cloneOf,
      parallel: spec.parallel,
    };
    this.running.set(key, state);
    const register = this.metadata.registerStep(launch.step);
    const send = register.then(
      () => {
        if (!this.running.has(key)) return;
        if (state.killedByRuntime) {
          // Stopped (cancel, another task's failure) while its step's metadata was being written: never started.
          this.finished(key, null, null, null);
          return;
        }
        state.startedAt = this.clock.now();
        this.pool.submit(key, spec);
      },
      (err: Error) => {
        this.failure = this.failure ?? `cannot write the metadata of ${this.pathspec(state)}: ${err.message}`;
        this.running.delete(key);
        this.stopLaunching();
      },
    );
    this.track(send);
  }

  private track(p: Promise<unknown>): void {
    this.writes.add(p);
    void p.finally(() => this.writes.delete(p));
  }

  private pathspec(t: { step: string; taskId: string }): string {
    return `${this.flowName}/${this.runId}/${t.step}/${t.taskId}`;
  }

  private announce(state: TaskState): void {
    if (state.announced) return;
    state.announced = true;
    this.emit({
      ...this.base(),
      event: 'task_started',
      pathspec: this.pathspec(state),
      step: state.step,
      task_id: state.taskId,
      attempt: state.attempt,
      pid: state.pid,
      foreach_indices: state.launch.foreach.length ? state.launch.foreach.map((f) => f.index) : undefined,
      executor: state.executor,
    });
  }

  private runtimeLog(state: TaskState, line: string, stream: 'stdout' | 'stderr' = 'stderr'): void {
    const now = this.clock.now();
    state.log.add(stream, 'runtime', line, now);
    this.announce(state);
    this.emit({ ...this.base(), ts: now, event: 'log', pathspec: this.pathspec(state), step: state.step, task_id: state.taskId, attempt: state.attempt, stream, line, source: 'runtime' });
  }

  // WorkerPoolListener

  started(key: string, pid: number, executor?: TaskExecutor): void {
    const state = this.running.get(key);
    if (!state) return;
    state.pid = executor ? undefined : pid;
    state.executor = executor;
    this.announce(state);
    // As Metaflow's alarm, the limit covers the step, not the interpreter start and flow import before it.
    // The task raises TimeoutException itself when the limit passes; this kill is the backstop for a step
    // that does not stop (the alarm ignored or blocked, no SIGALRM on Windows), after a grace period.
    const { timeoutMs } = state.policy;
    if (timeoutMs > 0 && state.kind === 'step' && !this.timers.has(key)) {
      const graceMs = process.platform === 'win32' ? 0 : Math.max(TIMEOUT_GRACE_MIN_MS, timeoutMs / 10);
      this.timers.set(
        key,
        this.clock.setTimeout(() => {
          state.timedOut = true;
          this.runtimeLog(state, `Task timed out after ${timeoutMs / 1000} s (@timeout) and did not stop within ${graceMs / 1000} s more; killing its processes.`);
          this.pool.kill(key);
        }, timeoutMs + graceMs),
      );
    }
  }

  log(key: string, stream: 'stdout' | 'stderr', line: string, ts: number): void {
    const state = this.running.get(key);
    if (!state) return;
    const ms = ts < 1e11 ? ts * 1000 : ts;
    state.log.add(stream, 'task', line, ms);
    if (stream === 'stderr' && line.startsWith('Traceback (most recent call last)')) state.sawTraceback = true;
    this.announce(state);
    this.emit({ ts: ms, flow: this.flowName, run_id: this.runId, event: 'log', pathspec: this.pathspec(state), step: state.step, task_id: state.taskId, attempt: state.attempt, stream, line, source: 'task' });
  }

  finished(key: string, exitCode: number | null, signal: string | null, result: TaskResult | null, details?: FinishedDetails): void {
    const state = this.running.get(key);
    if (!state) return;
    state.taskLogsPersisted = details?.taskLogsPersisted;
    const timer = this.timers.get(key);
    if (timer !== undefined) {
      this.clock.clearTimeout(timer);
      this.timers.delete(key);
    }
    this.announce(state);
    const ok = !!result?.ok && !state.timedOut && (exitCode === 0 || exitCode === null) && !(state.killedByRuntime && !result);
    let error: string | undefined;
    if (!ok) error = this.describeFailure(state, exitCode, signal, result);
    if (!ok && result?.exception?.traceback && !state.sawTraceback) {
      for (const line of result.exception.traceback.replace(/\n$/, '').split('\n')) this.runtimeLog(state, line);
    }
    const retryAllowed = !ok && !this.cancelled && !this.failure && !(state.killedByRuntime && !state.timedOut) && (result ? result.retry_allowed !== false : true);
    const maxAttempt = this.maxAttemptOf(state);
    const willRetry = retryAllowed && state.kind === 'step' && state.attempt < maxAttempt;
    if (!ok && error) this.runtimeLog(state, willRetry ? `${error}. Retrying (attempt ${state.attempt + 2} of ${maxAttempt + 1}).` : error);

    const status: TaskOutcome = ok ? (state.kind === 'clone' ? 'cloned' : 'succeeded') : 'failed';
    this.running.delete(key);
    this.persistAttempt(state, exitCode, ok);
    this.emit({
      ...this.base(),
      event: 'task_finished',
      pathspec: this.pathspec(state),
      step: state.step,
      task_id: state.taskId,
      attempt: state.attempt,
      status,
      duration_ms: this.clock.now() - state.startedAt,
      will_retry: willRetry,
      exit_code: exitCode,
      signal,
      error,
      // A control task's count of mapper tasks is not a split of its own step.
      num_splits: ok && state.launch.ubf?.role !== 'control' ? (state.cloneOf?.transition.num_splits ?? result?.num_splits ?? undefined) : undefined,
      executor: state.executor,
    });

    if (ok) this.advance(state, result!);
    else if (willRetry) this.scheduleRetry(state);
    else if (retryAllowed && this.leaveToControlFallback(state)) {
      this.runtimeLog(state, `Worker node of a num_parallel step: the control task's @catch fallback continues for the whole group.`);
    } else if (!this.cancelled && !state.killedByRuntime) {
      this.failure = this.failure ?? `step *${state.step}* (task ${this.pathspec(state)}) failed: ${error}`;
      this.stopLaunching();
    }
    this.pump();
    this.checkDone();
  }

  /** Metaflow gives a num_parallel group's worker nodes no @catch fallback attempt: only the control task runs it. */
  private maxAttemptOf(state: TaskState): number {
    const worker = state.parallel !== undefined && state.parallel.node_index > 0;
    return state.policy.userCodeRetries + (worker ? 0 : state.policy.errorRetries);
  }

  private static groupOf(state: TaskState): string {
    return `${state.step}/${state.parallel?.control_task_id ?? state.taskId}`;
  }

  /** A worker node out of attempts under @catch: its group is the control task's to finish, unless that already went on. */
  private leaveToControlFallback(state: TaskState): boolean {
    if (!state.parallel || state.parallel.node_index === 0 || state.policy.errorRetries === 0 || state.kind !== 'step') return false;
    const group = RunExecution.groupOf(state);
    if (this.controlsAdvanced.has(group)) return false;
    this.workersLeftToFallback.add(group);
    return true;
  }

  private describeFailure(state: TaskState, exitCode: number | null, signal: string | null, result: TaskResult | null): string {
    if (state.timedOut) return `timed out after ${state.policy.timeoutMs / 1000} s (@timeout)`;
    if (state.killedByRuntime) return this.cancelled ? 'killed because the run was cancelled' : 'killed because another task of the run failed';
    if (result?.exception) return `${result.exception.type}: ${result.exception.message}`;
    // Metaflow's runtime writes this very line to the task's stderr; readers and its test suite look for it.
    if (signal === 'SIGSEGV') return 'Task failed with a segmentation fault.';
    if (signal) return signal === 'SIGKILL' ? 'the task process was killed by SIGKILL (out of memory?)' : `the task process was killed by signal ${signal}`;
    if (exitCode !== null && exitCode !== 0) return `the task process exited with code ${exitCode} before reporting a result`;
    return 'the task process ended without reporting a result';
  }

  private persistAttempt(state: TaskState, exitCode: number | null, ok: boolean): void {
    const pathFor = (name: string) => this.layout.attemptFile(this.flowName, this.runId, state.step, state.taskId, state.attempt, name);
    const runtime = JSON.stringify({ return_code: exitCode, killed: state.killedByRuntime || state.timedOut, success: ok });
    if (state.kind !== 'clone' && this.req.taskStorage) {
      this.persistToStorage(this.req.taskStorage, state, runtime);
      return;
    }
    try {
      if (state.kind === 'clone') return;
      state.log.persist(pathFor, this.clock.now(), { withoutTaskLines: state.taskLogsPersisted });
      writeFileAtomicSync(pathFor('runtime'), runtime);
    } catch (err) {
      this.failure = this.failure ?? `cannot write the logs of ${this.pathspec(state)}: ${(err as Error).message}`;
    }
  }

  /** The same files into a remote datastore; the run ends only once they are written. */
  private persistToStorage(storage: DatastoreStorage, state: TaskState, runtime: string): void {
    const key = (name: string) => `${this.flowName}/${this.runId}/${state.step}/${state.taskId}/${state.attempt}.${name}`;
    const files: Array<[string, string]> = [...state.log.render(this.clock.now(), { withoutTaskLines: state.taskLogsPersisted }), ['runtime', runtime]];
    const write = Promise.all(files.map(([name, text]) => storage.write(key(name), text))).catch((err: Error) => {
      this.failure = this.failure ?? `cannot write the logs of ${this.pathspec(state)} to ${storage.describe(key(''))}: ${err.message}`;
    });
    this.track(write);
  }

  private scheduleRetry(state: TaskState): void {
    this.pendingRetries += 1;
    const relaunch = () => {
      this.retryTimers.delete(handle);
      this.pendingRetries -= 1;
      if (this.failure || this.cancelled) {
        this.checkDone();
        return;
      }
      const spec = this.baseSpec(state.launch, state.taskId, state.attempt + 1);
      spec.max_user_code_retries = state.policy.userCodeRetries;
      spec.parallel = state.parallel;
      this.submit(state.launch, state.taskId, state.attempt + 1, spec, state.policy);
    };
    const handle = this.clock.setTimeout(relaunch, state.policy.retryDelayMs);
    this.retryTimers.add(handle);
  }

  private advance(state: TaskState, result: TaskResult): void {
    if (this.failure || this.cancelled) return;
    if (state.step === PARAMS_STEP) {
      if (result.effective_decorators && !this.applyEffectiveDecorators(result.effective_decorators)) return;
      const start = this.walker.start(`${this.runId}/${PARAMS_STEP}/0`);
      if (!this.req.onlySteps || this.req.onlySteps.has(start.step)) this.queue.push([start]);
      return;
    }
    if (this.req.spin) return;
    // Only the control task of a parallel fan-out continues the walk for the whole group,
    // once every node has finished; nodes report into the join through the walker like foreach tasks.
    const ubf = state.launch.ubf;
    const task: WalkTask = {
      step: state.step,
      path: `${this.runId}/${state.step}/${state.taskId}`,
      foreach: state.launch.foreach,
      iteration: state.launch.iteration,
      ubfControl: ubf?.role === 'control' ? { split: ubf.split, inputPaths: ubf.inputPaths } : undefined,
    };
    if (state.parallel && state.parallel.node_index === 0) {
      const group = RunExecution.groupOf(state);
      this.controlsAdvanced.add(group);
      if (state.attempt > state.policy.userCodeRetries && state.kind === 'step') task.parallelAlone = true;
      else if (this.workersLeftToFallback.has(group)) {
        this.failure = this.failure ?? `step *${state.step}*: a worker node of the num_parallel group of task ${this.pathspec(state)} failed on its last attempt`;
        this.stopLaunching();
        return;
      }
    }
    const transition: TransitionResult = state.cloneOf ? state.cloneOf.transition : result;
    const outcome = this.walker.finished(task, transition);
    if (outcome.error) {
      this.failure = `${outcome.error} (task ${this.pathspec(state)})`;
      this.stopLaunching();
      return;
    }
    const parallelGroups = new Map<string, Launch[]>();
    for (const launch of outcome.launches) {
      if (this.req.onlySteps && !this.req.onlySteps.has(launch.step)) continue;
      if (launch.parallel) {
        const group = parallelGroups.get(launch.step) ?? [];
        group.push(launch);
        parallelGroups.set(launch.step, group);
      } else this.queue.push([launch]);
    }
    for (const group of parallelGroups.values()) this.queue.push(group);
  }

  private placementOf(step: string): ComputePlacement {
    return this.req.remoteSteps?.has(step) ? 'remote' : 'local';
  }

  /** Mutators ran in the `_parameters` task: its report of every step's decorators replaces the static policies. */
  private applyEffectiveDecorators(effective: NonNullable<TaskResult['effective_decorators']>): boolean {
    try {
      for (const [step, policy] of effectivePolicies(this.req.flow.steps, effective, (name) => this.placementOf(name))) this.policies.set(step, policy);
      return true;
    } catch (err) {
      this.failure = this.failure ?? (err as Error).message;
      this.stopLaunching();
      return false;
    }
  }

  private checkDone(): void {
    if (this.running.size === 0 && this.pendingRetries === 0 && (this.queue.length === 0 || this.failure || this.cancelled)) {
      this.finishResolve();
    }
  }
}
