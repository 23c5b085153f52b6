// The Kubernetes executor: a WorkerPool whose tasks run as one `batch/v1` Job per attempt. The scheduler,
// the event stream and the datastore are the same as for local tasks; only where the task runs differs.
//
// Per run: one pod watch per namespace (label selector of the run), a short timer that re-reads pending
// pods' Events (a stuck pod is explained within seconds, not when it times out), a log follower per running
// pod feeding listener.log, and at the end the result from the termination message (or the datastore when
// it was too large), the pod's metadata copied into the local `.metaflow`, then `finished`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoreV1Event, V1Job, V1Pod } from '@kubernetes/client-node';
import type { FlowInfo } from '../../flow/types';
import type { DatastoreStorage } from '../../datastore/storage/types';
import { buildTaskJob } from '../../kube/jobSpec';
import { type KubernetesAttributes, resolveKubernetesAttributes } from '../../kube/kubernetesAttributes';
import { KUBERNETES_SETTINGS } from '../../kube/kubernetesSettings';
import { classifyJobEvents, classifyPod, type PodFailurePolicy, type PodVerdict, quotaExceededMessage } from '../../kube/podFailure';
import { POD_ENV, POD_LOADER_MODULE_FILE, type PodTerminationMessage } from '../../kube/podContract';
import { splitTimestamp } from '../../kube/podLogs';
import { containerName, runLabelSelector } from '../../kube/podSpec';
import type { TaskExecutor } from '../events';
import { buildCodePackage, uploadCodePackage } from '../codePackage';
import type { KubernetesRunOptions } from '../kubernetesPlacement';
import { syncPodMetadata } from '../localMetadataSync';
import type { TaskDatastore, TaskResult, TaskSpec } from '../workerProtocol';
import type { FinishedDetails, WorkerPool, WorkerPoolListener, WorkerReady } from './workerPool';

/** The calls the executor makes on the cluster (src/kube/kubeClient.ts's KubeClient provides them). */
export interface KubeApi {
  readonly contextName: string;
  preflight(input: { namespace: string; serviceAccount?: string; image?: string }): Promise<void>;
  createJob(namespace: string, job: V1Job): Promise<V1Job>;
  deleteJob(namespace: string, name: string): Promise<void>;
  listEvents(namespace: string, involvedName: string): Promise<CoreV1Event[]>;
  watchPods(namespace: string, labelSelector: string, onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod) => void): { stop(): void };
  followLogs(
    namespace: string,
    pod: string,
    container: string,
    onLine: (line: string, ts?: number) => void,
    opts?: { previous?: boolean; timestamps?: boolean; sinceTime?: string },
  ): { stop(): void; done: Promise<void> };
  readLogs(namespace: string, pod: string, container: string, opts?: { previous?: boolean; timestamps?: boolean }): Promise<string>;
}

export const PENDING_TIMEOUT_SETTING = 'METAFLOW_STUDIO_KUBERNETES_PENDING_TIMEOUT';
export const AUTOSCALER_GRACE_SETTING = 'METAFLOW_STUDIO_KUBERNETES_AUTOSCALER_GRACE';
const DEFAULT_PENDING_TIMEOUT_S = 600;
const DEFAULT_AUTOSCALER_GRACE_S = 600;
/** How often pending pods' Events are re-read. */
const PENDING_POLL_MS = 1000;
/** How long the end of a pod's log may take to arrive after the pod ended. */
const LOG_DRAIN_MS = 5000;
/** A Job with no pod after this long has its own Events read (a quota or admission refusal). */
const NO_POD_CHECK_MS = 2000;

export interface KubernetesPoolOptions {
  flow: FlowInfo;
  /** Absolute path of the flow file; its directory is the code package. */
  flowFile: string;
  embeddedPythonDir: string;
  run: KubernetesRunOptions;
  /** METAFLOW_* settings by full name (environment, config files, editor settings). */
  config: Record<string, string | undefined>;
  /** The run's datastore (Azure): the code package goes there, pods write task data and results there. */
  storage: DatastoreStorage;
  datastore: TaskDatastore;
  /** The run's local `.metaflow`: pods' metadata is copied into it. */
  localRoot: string;
  user: string;
  /** Steps that run on Kubernetes. */
  steps: ReadonlySet<string>;
  codePackageMaxBytes: number;
  kube: KubeApi;
  /** The interpreter inside the image. */
  podPython?: string;
}

interface PodTask {
  key: string;
  spec: TaskSpec;
  namespace: string;
  attributes: KubernetesAttributes;
  /** Fixed for the attempt: read on every pod event and every poll of its Events. */
  failurePolicy: PodFailurePolicy;
  container: string;
  submittedAt: number;
  job?: string;
  pod?: V1Pod;
  events: CoreV1Event[];
  /** A read of its Events is under way: the next tick does not ask again before it answers (a slow API server). */
  readingEvents?: boolean;
  announced: boolean;
  logs?: { stop(): void; done: Promise<void> };
  /** Lines already delivered, so a reconnected follower or a final read does not repeat them. */
  seenLines: number;
  killed: boolean;
  ending: boolean;
  lastReason?: string;
}

export class KubernetesPool implements WorkerPool {
  private listener?: WorkerPoolListener;
  private readonly tasks = new Map<string, PodTask>();
  private readonly byJob = new Map<string, PodTask>();
  /** Pods seen before their Job's create call returned. */
  private readonly earlyPods = new Map<string, V1Pod>();
  private readonly watches = new Map<string, { stop(): void }>();
  private readonly attributes = new Map<string, KubernetesAttributes>();
  private pythonVersion?: string;
  private codeEnv: Record<string, string> = {};
  private loaderSource = '';
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly pending = new Set<Promise<unknown>>();
  /** The pending deadlines come from settings that do not change during a run: read once. */
  private readonly deadlines: Omit<PodFailurePolicy, 'memoryLimit'>;

  constructor(private readonly options: KubernetesPoolOptions) {
    const seconds = (name: string, fallback: number) => {
      const n = Number(options.config[name]);
      return (Number.isFinite(n) && n >= 0 && options.config[name] !== undefined ? n : fallback) * 1000;
    };
    this.deadlines = {
      pendingDeadlineMs: seconds(PENDING_TIMEOUT_SETTING, DEFAULT_PENDING_TIMEOUT_S),
      autoscalerGraceMs: seconds(AUTOSCALER_GRACE_SETTING, DEFAULT_AUTOSCALER_GRACE_S),
    };
  }

  setLauncherPython(version: string): void {
    const m = /^(\d+)\.(\d+)/.exec(version);
    if (m) this.pythonVersion = `${m[1]}.${m[2]}`;
  }

  private get executorContext(): string {
    return this.options.kube.contextName;
  }

  /** Resolves every Kubernetes step's attributes, runs the pre-flight and uploads the code package. */
  async start(listener: WorkerPoolListener): Promise<WorkerReady> {
    this.listener = listener;
    const problems: string[] = [];
    for (const step of this.options.flow.steps) {
      if (!this.options.steps.has(step.name)) continue;
      const resolved = resolveKubernetesAttributes({ step, withSpec: this.options.run.spec, config: this.options.config, pythonVersion: this.pythonVersion });
      problems.push(...resolved.problems.map((p) => p.message));
      const attributes = resolved.attributes;
      if (this.options.run.namespace) attributes.namespace = this.options.run.namespace;
      this.attributes.set(step.name, attributes);
    }
    if (problems.length > 0) throw new Error(`the flow cannot run on Kubernetes:\n  ${problems.join('\n  ')}`);
    // One pre-flight per distinct (namespace, service account, image).
    const checked = new Set<string>();
    for (const a of this.attributes.values()) {
      const id = JSON.stringify([a.namespace, a.serviceAccount, a.image]);
      if (checked.has(id)) continue;
      checked.add(id);
      await this.options.kube.preflight({ namespace: a.namespace, serviceAccount: a.serviceAccount, image: a.image });
    }
    const loader = path.join(this.options.embeddedPythonDir, ...POD_LOADER_MODULE_FILE.split('/'));
    this.loaderSource = fs.readFileSync(loader, 'utf8');
    const pkg = await buildCodePackage({ flowDir: path.dirname(this.options.flowFile), embeddedPythonDir: this.options.embeddedPythonDir, maxBytes: this.options.codePackageMaxBytes });
    const uploaded = await uploadCodePackage(this.options.storage, this.options.flow.name, pkg).catch((err: Error) => {
      throw new Error(`cannot upload the code package to ${this.options.storage.describe(`${this.options.flow.name}/data`)}: ${err.message}`);
    });
    const ds = this.options.datastore;
    this.codeEnv = {
      [POD_ENV.codeDs]: ds.type,
      [POD_ENV.codeSha]: pkg.sha,
      [POD_ENV.codeUrl]: `${ds.sysroot}/${uploaded.key}`,
      [POD_ENV.defaultDatastore]: ds.type,
      [POD_ENV.azureSysroot]: ds.sysroot,
      ...(ds.endpoint ? { [POD_ENV.azureEndpoint]: ds.endpoint } : {}),
    };
    this.timer = setInterval(() => this.poll(), PENDING_POLL_MS);
    this.timer.unref?.();
    return { pythonVersion: this.pythonVersion ?? '' };
  }

  submit(key: string, spec: TaskSpec): void {
    const attributes = this.attributes.get(spec.step);
    if (!attributes) {
      this.listener!.finished(key, null, null, failure('KubernetesLaunchError', `step ${spec.step} has no Kubernetes attributes (it is not a Kubernetes step)`, false));
      return;
    }
    const task: PodTask = {
      key,
      spec,
      namespace: attributes.namespace,
      attributes,
      failurePolicy: { ...this.deadlines, memoryLimit: `${attributes.memory} MB` },
      container: containerName(spec.step),
      submittedAt: Date.now(),
      events: [],
      announced: false,
      seenLines: 0,
      killed: false,
      ending: false,
    };
    this.tasks.set(key, task);
    this.ensureWatch(task.namespace, spec.run_id);
    this.track(this.create(task));
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private podEnv(spec: TaskSpec): Record<string, string> {
    const flowDir = path.dirname(this.options.flowFile);
    const podSpec: TaskSpec = { ...spec, flow_file: path.relative(flowDir, this.options.flowFile).split(path.sep).join('/'), datastore: this.options.datastore };
    return {
      ...(spec.env ?? {}),
      ...this.codeEnv,
      METAFLOW_USER: this.options.user,
      METAFLOW_RUN_ID: spec.run_id,
      METAFLOW_RUNTIME_ENVIRONMENT: 'kubernetes',
      [POD_ENV.taskSpec]: JSON.stringify(podSpec),
    };
  }

  private async create(task: PodTask): Promise<void> {
    const { spec } = task;
    let job: V1Job;
    try {
      job = buildTaskJob({
        attributes: task.attributes,
        flowName: spec.flow_name,
        runId: spec.run_id,
        step: spec.step,
        taskId: spec.task_id,
        attempt: spec.attempt,
        user: this.options.user,
        command: [this.options.podPython ?? 'python3', '-c', this.loaderSource, 'task'],
        env: this.podEnv(spec),
        workloadIdentity: this.options.config.METAFLOW_STUDIO_KUBERNETES_WORKLOAD_IDENTITY !== 'false',
      });
      const created = await this.options.kube.createJob(task.namespace, job);
      task.job = created.metadata?.name;
    } catch (err) {
      const message = (err as Error).message;
      // The client has already explained a quota refusal (reason ExceededQuota); a plain error may still carry one.
      const quota = (err as { reason?: string }).reason === 'ExceededQuota' ? message : quotaExceededMessage(message);
      this.end(task, null, failure(quota ? 'ExceededQuota' : 'KubernetesLaunchError', quota ? `${quota} (the Job of ${this.pathspec(task)} in namespace ${task.namespace})` : `cannot create the Job of ${this.pathspec(task)}: ${message}`, false));
      return;
    }
    if (!task.job) return;
    this.byJob.set(task.job, task);
    if (task.killed) {
      await this.deleteJob(task);
      this.end(task, null, null);
      return;
    }
    const early = this.earlyPods.get(task.job);
    if (early) {
      this.earlyPods.delete(task.job);
      this.onPod('MODIFIED', early);
    }
  }

  private pathspec(task: PodTask): string {
    return `${task.spec.flow_name}/${task.spec.run_id}/${task.spec.step}/${task.spec.task_id}`;
  }

  private ensureWatch(namespace: string, runId: string): void {
    if (this.watches.has(namespace)) return;
    this.watches.set(namespace, this.options.kube.watchPods(namespace, runLabelSelector(this.options.flow.name, runId), (type, pod) => this.onPod(type, pod)));
  }

  private onPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod): void {
    const jobName = pod.metadata?.labels?.['job-name'] ?? pod.metadata?.labels?.['batch.kubernetes.io/job-name'];
    if (!jobName) return;
    const task = this.byJob.get(jobName);
    if (!task) {
      if (type !== 'DELETED') this.earlyPods.set(jobName, pod);
      return;
    }
    if (task.ending) return;
    task.pod = pod;
    if (type === 'DELETED') {
      // Deleted under us (kill, or someone ran kubectl delete): what it printed is kept, no result.
      this.track(this.finish(task, { state: 'failed', terminal: true, reason: 'Deleted', message: 'the pod was deleted before it finished', retryable: true }));
      return;
    }
    this.evaluate(task);
  }

  private evaluate(task: PodTask): void {
    if (!task.pod || task.ending) return;
    const verdict = classifyPod(task.pod, task.events, Date.now(), task.failurePolicy);
    if (verdict.state === 'running' || verdict.terminal) this.announce(task);
    if (verdict.state === 'running' && !task.logs) this.followLogs(task);
    if (verdict.terminal) {
      this.track(this.finish(task, verdict));
      return;
    }
    if (verdict.state === 'pending' && verdict.message && verdict.message !== task.lastReason) {
      task.lastReason = verdict.message;
      this.announce(task);
      this.listener!.log(task.key, 'stderr', `Pod ${task.pod.metadata?.name} is pending: ${verdict.message}`, Date.now());
    }
  }

  private executor(task: PodTask): TaskExecutor {
    return { kind: 'kubernetes', context: this.executorContext, namespace: task.namespace, job: task.job ?? '', pod: task.pod?.metadata?.name };
  }

  private announce(task: PodTask): void {
    if (task.announced) return;
    task.announced = true;
    this.listener!.started(task.key, 0, this.executor(task));
  }

  private emitLine(task: PodTask, index: number, line: string, ts: number | undefined): void {
    if (index < task.seenLines) return;
    task.seenLines = index + 1;
    this.listener!.log(task.key, 'stdout', line, ts ?? Date.now());
  }

  private followLogs(task: PodTask): void {
    const podName = task.pod!.metadata!.name!;
    let index = 0;
    task.logs = this.options.kube.followLogs(task.namespace, podName, task.container, (line, ts) => this.emitLine(task, index++, line, ts), { timestamps: true });
  }

  /** Every Job of a pending pod, and pods not yet seen, are looked at again: Events explain what a status does not. */
  private poll(): void {
    for (const task of this.tasks.values()) {
      if (task.ending || !task.job || task.readingEvents) continue;
      const phase = task.pod?.status?.phase;
      if (task.pod && phase !== 'Pending') continue;
      const involved = task.pod?.metadata?.name ?? task.job;
      if (!task.pod && Date.now() - task.submittedAt < NO_POD_CHECK_MS) continue;
      task.readingEvents = true;
      this.track(
        this.options.kube.listEvents(task.namespace, involved).then(
          (events) => {
            if (task.ending) return;
            if (!task.pod) {
              const verdict = classifyJobEvents(events);
              if (verdict?.terminal) this.track(this.finish(task, verdict));
              return;
            }
            task.events = events;
            this.evaluate(task);
          },
          () => undefined, // the next tick asks again; the watch still reports the pod itself
        ).finally(() => (task.readingEvents = false)),
      );
    }
  }

  /** Gives the log follower the time to deliver the last lines, then reads whatever it missed. */
  private async drainLogs(task: PodTask, verdict: PodVerdict): Promise<void> {
    if (task.logs) {
      await Promise.race([task.logs.done.catch(() => undefined), new Promise((r) => setTimeout(r, LOG_DRAIN_MS).unref?.())]);
      task.logs.stop();
    }
    const podName = task.pod?.metadata?.name;
    if (!podName || verdict.reason === 'Deleted') return;
    const status = task.pod?.status?.containerStatuses?.find((s) => s.name === task.container);
    const read = (previous: boolean) => this.options.kube.readLogs(task.namespace, podName, task.container, { previous, timestamps: true }).catch(() => '');
    // A container that was restarted (an eviction or a node's kill): its earlier instance's last lines first.
    if ((status?.restartCount ?? 0) > 0 && !task.logs) {
      for (const { text, ts } of logLines(await read(true))) this.listener!.log(task.key, 'stdout', text, ts ?? Date.now());
    }
    if (status?.state?.terminated) {
      let index = 0;
      for (const { text, ts } of logLines(await read(false))) this.emitLine(task, index++, text, ts);
    }
  }

  private async finish(task: PodTask, verdict: PodVerdict): Promise<void> {
    if (task.ending) return;
    task.ending = true;
    this.announce(task);
    await this.drainLogs(task, verdict);
    if (verdict.state === 'pending' || (verdict.state === 'failed' && verdict.reason !== 'Deleted' && !task.pod?.status?.containerStatuses?.some((s) => s.state?.terminated))) {
      // Stuck or refused before it ran: nothing will come of the Job, so it goes.
      await this.deleteJob(task);
    }
    if (task.killed || verdict.reason === 'Deleted') {
      this.end(task, null, null, task.killed ? 'SIGKILL' : null);
      return;
    }
    const terminated = task.pod?.status?.containerStatuses?.find((s) => s.name === task.container)?.state?.terminated;
    const exitCode = terminated?.exitCode ?? null;
    const reported = await this.readResult(terminated?.message);
    let result = reported;
    if (verdict.state === 'failed' && (!result || result.ok || !result.exception)) {
      const where = task.pod?.metadata?.name ? `pod ${task.pod.metadata.name} of Job ${task.job}` : `Job ${task.job}, which has no pod`;
      result = failure(verdict.reason ?? 'KubernetesPodFailure', `${verdict.message ?? 'the pod failed'} (${where} in namespace ${task.namespace})`, verdict.retryable);
    }
    if (verdict.state === 'succeeded' || verdict.state === 'failed') {
      const synced = await syncPodMetadata(this.options.storage, { flow: task.spec.flow_name, runId: task.spec.run_id, step: task.spec.step, taskId: task.spec.task_id, attempt: task.spec.attempt }, this.options.localRoot).catch(
        (err: Error) => err,
      );
      if (synced instanceof Error) {
        this.listener!.log(task.key, 'stderr', `The task's metadata could not be copied from the datastore: ${synced.message}`, Date.now());
        if (result?.ok) result = failure('MetadataSyncError', synced.message, true);
      } else if (!synced.found && result?.ok) {
        result = failure('MetadataSyncError', `pod ${task.pod?.metadata?.name} reported success but left no metadata (${task.spec.attempt}.local_metadata) in the datastore`, true);
      }
    }
    // The bootstrap reports only after it has saved the task's logs: then the streamed lines are stored already.
    this.end(task, exitCode, result, null, { taskLogsPersisted: reported !== null });
  }

  private async readResult(message: string | undefined): Promise<TaskResult | null> {
    if (!message) return null;
    let parsed: PodTerminationMessage;
    try {
      parsed = JSON.parse(message) as PodTerminationMessage;
    } catch {
      return null; // FallbackToLogsOnError: the log's tail, not a result
    }
    if ('result' in parsed) return parsed.result;
    if ('result_key' in parsed && typeof parsed.result_key === 'string') {
      const key = parsed.result_key;
      const data = await this.options.storage.read(key).catch(() => undefined);
      if (!data) return failure('KubernetesResultMissing', `the pod's result ${this.options.storage.describe(key)} cannot be read`, true);
      return JSON.parse(data.toString('utf8')) as TaskResult;
    }
    return null;
  }

  private end(task: PodTask, exitCode: number | null, result: TaskResult | null, signal: string | null = null, details?: FinishedDetails): void {
    task.ending = true;
    task.logs?.stop();
    if (!this.tasks.has(task.key)) return;
    this.tasks.delete(task.key);
    if (task.job) this.byJob.delete(task.job);
    this.listener!.finished(task.key, exitCode, signal, result, details);
  }

  private async deleteJob(task: PodTask): Promise<void> {
    if (!task.job) return;
    await this.options.kube.deleteJob(task.namespace, task.job).catch((err: Error) => {
      this.listener!.log(task.key, 'stderr', `Could not delete Job ${task.job} in namespace ${task.namespace}: ${err.message}`, Date.now());
    });
  }

  kill(key: string): void {
    const task = this.tasks.get(key);
    if (!task || task.killed) return;
    task.killed = true;
    if (!task.job) return; // deleted as soon as its create call returns
    this.track(
      (async () => {
        await this.deleteJob(task);
        // A Job deleted before its pod ran has no pod to report it: end here.
        await this.finish(task, { state: 'failed', terminal: true, reason: 'Deleted', message: 'the Job was deleted', retryable: false });
      })(),
    );
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const task of [...this.tasks.values()]) {
      task.killed = true;
      if (task.job) this.track(this.deleteJob(task));
    }
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    for (const task of this.tasks.values()) task.logs?.stop();
  }
}

function failure(type: string, message: string, retryAllowed: boolean): TaskResult {
  return { ok: false, next: [], retry_allowed: retryAllowed, exception: { type, message, traceback: '' } };
}

/** `timestamps=true` prefixes each line with an RFC 3339 time and a space. */
/** A read pod log as lines, each with the timestamp the API put in front of it (`timestamps: true`). */
function logLines(text: string): Array<{ text: string; ts?: number }> {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map(splitTimestamp);
}

/** The METAFLOW_* names the Kubernetes attributes and the executor read, from one config lookup. */
export function kubernetesConfig(get: (name: string) => string | undefined): Record<string, string | undefined> {
  const names = [...Object.values(KUBERNETES_SETTINGS), PENDING_TIMEOUT_SETTING, AUTOSCALER_GRACE_SETTING, 'METAFLOW_STUDIO_KUBERNETES_WORKLOAD_IDENTITY'];
  return Object.fromEntries(names.map((n) => [n, get(n)]));
}
