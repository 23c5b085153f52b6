// The node: schedules each new pod (unless a fault says it cannot fit), pulls (pretends to) its images,
// runs each container as a local process and keeps the pod's status, conditions and Events as a real
// kubelet and scheduler would, including activeDeadlineSeconds, deletion, eviction, OOM kills and restarts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ContainerExit, expandVariables, IMAGE_PATH, type Mount, signalGroup, startContainerProcess, type StartedContainer } from './containerProcess';
import type { EventRecorder, EventSource } from './eventRecorder';
import type { FaultInjector } from './faults';
import { type Change, type KubeObject, nowRfc3339, type ObjectStore } from './objectStore';
import type { ContainerLog, PodLogs } from './podLogs';
import type { ServiceAccountIssuer } from './workloadIdentity';

export const PODS = '/pods';
export const SERVICE_ACCOUNTS = '/serviceaccounts';

const MAX_TERMINATION_MESSAGE = 4096;

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; resourceFieldRef?: { resource: string; containerName?: string } } };
type VolumeMount = { name: string; mountPath: string; subPath?: string };
type Container = {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
};
type Volume = { name: string; projected?: { sources?: { serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string } }[] } };
type PodSpec = { containers: Container[]; volumes?: Volume[]; restartPolicy?: string; activeDeadlineSeconds?: number; terminationGracePeriodSeconds?: number; serviceAccountName?: string; nodeName?: string };
type ContainerState = { waiting?: { reason: string; message?: string }; running?: { startedAt: string }; terminated?: { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string } };
type ContainerStatus = { name: string; state: ContainerState; lastState: ContainerState; ready: boolean; restartCount: number; image: string; imageID: string; containerID?: string; started: boolean };
type Condition = { type: string; status: string; reason?: string; message?: string; lastProbeTime: null; lastTransitionTime: string };

export interface KubeletOptions {
  rootDir: string;
  nodeName: string;
  hostIP: string;
  extraPodEnv: Record<string, string>;
  mountNamespace: boolean;
  /** How long a pretend image pull takes, and the image pull back-off between retries. */
  pullDelayMs: number;
  backOffMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class PodWorker {
  readonly running = new Map<string, StartedContainer>();
  /** Why the kubelet killed a container (OOMKilled), read when the process exits. */
  readonly killReason = new Map<string, string>();
  readonly timers: ReturnType<typeof setTimeout>[] = [];
  stopped = false;
  /** Set when the whole pod is being ended (deadline, eviction, deletion): no container restarts. */
  ending?: { phase: 'Failed'; reason?: string; message?: string };
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
    readonly dir: string,
  ) {}
}

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private podIpCounter = 10;
  private unsubscribe?: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly events: EventRecorder,
    private readonly logs: PodLogs,
    private readonly faults: FaultInjector,
    private readonly issuer: ServiceAccountIssuer,
    private readonly options: KubeletOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((change: Change) => {
      if (change.resource === PODS && change.type === 'ADDED') {
        const pod = change.object;
        setImmediate(() => void this.runPod(pod).catch((error: Error) => this.failPod(pod, `kube simulator: ${error.message}`)));
      }
    });
  }

  private get kubeletSource(): EventSource {
    return { component: 'kubelet', host: this.options.nodeName };
  }

  private pod(worker: PodWorker): KubeObject | undefined {
    return this.store.get(PODS, worker.namespace, worker.name);
  }

  private mutateStatus(worker: PodWorker, change: (status: Record<string, unknown>, pod: KubeObject) => void): KubeObject | undefined {
    return this.store.mutate(PODS, worker.namespace, worker.name, (pod) => {
      const status = (pod.status ??= {}) as Record<string, unknown>;
      change(status, pod);
    });
  }

  private setCondition(status: Record<string, unknown>, type: string, value: boolean, reason?: string, message?: string): void {
    const conditions = ((status.conditions ??= []) as Condition[]);
    const existing = conditions.find((c) => c.type === type);
    const s = value ? 'True' : 'False';
    const next: Condition = { type, status: s, lastProbeTime: null, lastTransitionTime: existing && existing.status === s ? existing.lastTransitionTime : nowRfc3339() };
    if (reason) next.reason = reason;
    if (message) next.message = message;
    if (existing) {
      delete existing.reason;
      delete existing.message;
      Object.assign(existing, next);
    } else conditions.push(next);
  }

  private setContainerStatus(worker: PodWorker, name: string, change: (cs: ContainerStatus, status: Record<string, unknown>) => void): KubeObject | undefined {
    return this.mutateStatus(worker, (status) => {
      const list = (status.containerStatuses ?? []) as ContainerStatus[];
      const cs = list.find((c) => c.name === name);
      if (cs) change(cs, status);
      const all = list.length > 0 && list.every((c) => c.ready);
      this.setCondition(status, 'ContainersReady', all, all ? undefined : 'ContainersNotReady', all ? undefined : `containers with unready status: [${list.filter((c) => !c.ready).map((c) => c.name).join(' ')}]`);
      this.setCondition(status, 'Ready', all, all ? undefined : 'ContainersNotReady', all ? undefined : `containers with unready status: [${list.filter((c) => !c.ready).map((c) => c.name).join(' ')}]`);
    });
  }

  private async runPod(initial: KubeObject): Promise<void> {
    const ns = initial.metadata.namespace!;
    const name = initial.metadata.name!;
    const worker = new PodWorker(ns, name, initial.metadata.uid!, join(this.options.rootDir, 'pods', initial.metadata.uid!));
    this.workers.set(`${ns}/${name}`, worker);
    const spec = initial.spec as PodSpec;

    // Scheduling: a pod that cannot fit stays Pending with the scheduler's reason until the fault goes.
    let reported = false;
    for (;;) {
      const pod = this.pod(worker);
      if (!pod || worker.stopped) return;
      const fault = this.faults.podFault('unschedulable', pod);
      if (!fault) break;
      this.mutateStatus(worker, (status) => {
        status.phase = 'Pending';
        this.setCondition(status, 'PodScheduled', false, 'Unschedulable', fault.message);
      });
      if (!reported) this.events.record(pod, 'Warning', 'FailedScheduling', fault.message, { component: 'default-scheduler' });
      reported = true;
      await sleep(Math.min(this.options.backOffMs, 500));
    }

    this.store.mutate(PODS, ns, name, (pod) => {
      (pod.spec as PodSpec).nodeName = this.options.nodeName;
    });
    const podIP = `10.244.0.${this.podIpCounter++ % 250}`;
    const bound = this.mutateStatus(worker, (status) => {
      status.phase = 'Pending';
      status.hostIP = this.options.hostIP;
      status.hostIPs = [{ ip: this.options.hostIP }];
      status.podIP = podIP;
      status.podIPs = [{ ip: podIP }];
      status.startTime = nowRfc3339();
      this.setCondition(status, 'PodReadyToStartContainers', true);
      this.setCondition(status, 'Initialized', true);
      this.setCondition(status, 'PodScheduled', true);
      status.containerStatuses = spec.containers.map((c) => ({
        name: c.name,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: c.image,
        imageID: '',
        started: false,
      }));
    });
    if (!bound) return;
    this.setContainerStatus(worker, spec.containers[0].name, () => undefined);
    this.events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${this.options.nodeName}`, { component: 'default-scheduler' });

    if (spec.activeDeadlineSeconds !== undefined) {
      worker.timers.push(setTimeout(() => void this.endPod(worker, 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline', 'DeadlineExceeded'), spec.activeDeadlineSeconds * 1000));
    }

    mkdirSync(worker.dir, { recursive: true });
    this.prepareVolumes(worker, bound);
    await Promise.all(spec.containers.map((c) => this.runContainer(worker, c)));
    this.finishPod(worker);
  }

  private prepareVolumes(worker: PodWorker, pod: KubeObject): void {
    const spec = pod.spec as PodSpec;
    for (const volume of spec.volumes ?? []) {
      const dir = join(worker.dir, 'volumes', volume.name);
      mkdirSync(dir, { recursive: true });
      for (const source of volume.projected?.sources ?? []) {
        const sat = source.serviceAccountToken;
        if (!sat) continue;
        const sa = this.store.get(SERVICE_ACCOUNTS, worker.namespace, spec.serviceAccountName ?? 'default');
        if (!sa) continue;
        writeFileSync(join(dir, sat.path), this.issuer.token(pod, sa, sat.audience ?? 'https://kubernetes.default.svc', sat.expirationSeconds ?? 3600), { mode: 0o644 });
      }
    }
  }

  private containerEnv(pod: KubeObject, container: Container): Record<string, string> {
    const env: Record<string, string> = {
      PATH: IMAGE_PATH,
      HOSTNAME: pod.metadata.name!,
      HOME: '/root',
      LANG: 'C.UTF-8',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.0.0.1:443',
      ...this.options.extraPodEnv,
    };
    const status = (pod.status ?? {}) as Record<string, unknown>;
    const fields: Record<string, unknown> = {
      'metadata.name': pod.metadata.name,
      'metadata.namespace': pod.metadata.namespace,
      'metadata.uid': pod.metadata.uid,
      'spec.nodeName': (pod.spec as PodSpec).nodeName,
      'spec.serviceAccountName': (pod.spec as PodSpec).serviceAccountName,
      'status.hostIP': status.hostIP,
      'status.hostIPs': status.hostIP,
      'status.podIP': status.podIP,
      'status.podIPs': status.podIP,
    };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = expandVariables(e.value, env);
      else if (e.valueFrom?.fieldRef) {
        const path = e.valueFrom.fieldRef.fieldPath;
        const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
        const value = m ? pod.metadata[m[1] as 'labels' | 'annotations']?.[m[2]] : fields[path];
        if (value !== undefined) env[e.name] = String(value);
      } else if (e.valueFrom?.resourceFieldRef) {
        const [kind, resource] = e.valueFrom.resourceFieldRef.resource.split('.');
        const value = container.resources?.[kind as 'limits' | 'requests']?.[resource];
        env[e.name] = value !== undefined ? String(value) : resource === 'memory' ? '8589934592' : '4';
      } else if (e.value === undefined && !e.valueFrom) env[e.name] = '';
      // secretKeyRef / configMapKeyRef: the simulator keeps no secrets; the variable stays unset.
    }
    return env;
  }

  private async pullImage(worker: PodWorker, container: Container, fieldPath: string): Promise<boolean> {
    let pod = this.pod(worker);
    if (!pod) return false;
    const present = container.imagePullPolicy === 'IfNotPresent' || container.imagePullPolicy === 'Never';
    if (!present || this.faults.podFault('imagePull', pod)) this.events.record(pod, 'Normal', 'Pulling', `Pulling image "${container.image}"`, this.kubeletSource, fieldPath);
    for (;;) {
      pod = this.pod(worker);
      if (!pod || worker.stopped || worker.ending) return false;
      const fault = this.faults.podFault('imagePull', pod);
      if (!fault) break;
      this.events.record(pod, 'Warning', 'Failed', `Failed to pull image "${container.image}": ${fault.message}`, this.kubeletSource, fieldPath);
      this.events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', this.kubeletSource, fieldPath);
      this.setContainerStatus(worker, container.name, (cs) => (cs.state = { waiting: { reason: 'ErrImagePull', message: fault.message } }));
      await sleep(this.options.backOffMs);
      pod = this.pod(worker);
      if (!pod || worker.stopped || worker.ending) return false;
      this.events.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${container.image}"`, this.kubeletSource, fieldPath);
      this.events.record(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', this.kubeletSource, fieldPath);
      this.setContainerStatus(worker, container.name, (cs) => (cs.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"` } }));
      await sleep(this.options.backOffMs);
    }
    if (present) {
      this.events.record(pod, 'Normal', 'Pulled', `Container image "${container.image}" already present on machine`, this.kubeletSource, fieldPath);
    } else {
      await sleep(this.options.pullDelayMs);
      pod = this.pod(worker);
      if (!pod) return false;
      const ms = this.options.pullDelayMs;
      this.events.record(pod, 'Normal', 'Pulled', `Successfully pulled image "${container.image}" in ${ms}ms (${ms}ms including waiting). Image size: 49572731 bytes.`, this.kubeletSource, fieldPath);
    }
    return true;
  }

  private mounts(worker: PodWorker, container: Container, terminationFile: string): Mount[] {
    const mounts: Mount[] = [{ source: terminationFile, target: container.terminationMessagePath ?? '/dev/termination-log', kind: 'file' }];
    for (const m of container.volumeMounts ?? []) {
      const source = join(worker.dir, 'volumes', m.name, m.subPath ?? '');
      mkdirSync(source, { recursive: true });
      mounts.push({ source, target: m.mountPath, kind: 'dir' });
    }
    return mounts;
  }

  private async runContainer(worker: PodWorker, container: Container): Promise<void> {
    const fieldPath = `spec.containers{${container.name}}`;
    if (!(await this.pullImage(worker, container, fieldPath))) return;
    let instance = 0;
    for (;;) {
      const pod = this.pod(worker);
      if (!pod || worker.stopped || worker.ending) return;
      const containerID = `containerd://${randomBytes(32).toString('hex')}`;
      const dir = join(worker.dir, 'containers', container.name, String(instance));
      const workDir = join(dir, 'work');
      const terminationFile = join(dir, 'termination-log');
      mkdirSync(workDir, { recursive: true });
      writeFileSync(terminationFile, '');
      const env = this.containerEnv(pod, container);
      const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expandVariables(a, env));
      this.events.record(pod, 'Normal', 'Created', `Created container: ${container.name}`, this.kubeletSource, fieldPath);
      const log = this.logs.open(worker.uid, container.name, instance);
      let exit: ContainerExit;
      const startedAt = nowRfc3339();
      if (argv.length === 0) {
        exit = { exitCode: 128, signal: null, startError: `the Kubernetes simulator runs a container's command and args only (the image ${container.image} is not pulled): set command on container "${container.name}"` };
      } else {
        const proc = startContainerProcess({ argv, env, cwd: workDir, mounts: this.mounts(worker, container, terminationFile), mountNamespace: this.options.mountNamespace, onOutput: (stream, text) => log.write(stream, text) });
        worker.running.set(container.name, proc);
        const ok = await proc.started.then(
          () => true,
          () => false,
        );
        if (ok) {
          const current = this.pod(worker);
          if (current) this.events.record(current, 'Normal', 'Started', `Started container ${container.name}`, this.kubeletSource, fieldPath);
          this.setContainerStatus(worker, container.name, (cs, status) => {
            cs.state = { running: { startedAt } };
            cs.ready = true;
            cs.started = true;
            cs.containerID = containerID;
            cs.imageID = `${container.image.split(':')[0]}@sha256:${'0'.repeat(64)}`;
            if (status.phase === 'Pending') status.phase = 'Running';
          });
          if (current) this.armRunningFaults(worker, current, container, instance);
        }
        exit = await proc.exited;
        worker.running.delete(container.name);
      }
      await this.drain(log);
      const killed = worker.killReason.get(`${container.name}/${instance}`);
      const reason = exit.startError ? 'StartError' : killed === 'OOMKilled' ? killed : exit.exitCode === 0 ? 'Completed' : 'Error';
      const message = exit.startError ?? this.terminationMessage(container, terminationFile, exit.exitCode, log);
      const terminated = { exitCode: exit.exitCode, reason, ...(message ? { message } : {}), startedAt, finishedAt: nowRfc3339(), containerID };
      const restart = !worker.ending && !worker.stopped && this.shouldRestart(worker, pod, container, instance, exit.exitCode);
      if (exit.startError) {
        const current = this.pod(worker);
        if (current) this.events.record(current, 'Warning', 'Failed', `Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${exit.startError}: unknown`, this.kubeletSource, fieldPath);
      }
      this.setContainerStatus(worker, container.name, (cs) => {
        cs.ready = false;
        cs.started = false;
        if (restart) {
          cs.lastState = { terminated };
          cs.restartCount += 1;
          cs.state = { waiting: { reason: 'ContainerCreating' } };
        } else cs.state = { terminated };
      });
      if (!restart) return;
      if (killed !== 'FaultRestart') {
        // A container that keeps failing waits longer each time (CrashLoopBackOff), as the kubelet's back-off does.
        const delay = Math.min(this.options.backOffMs * 2 ** instance, this.options.backOffMs * 16);
        const current = this.pod(worker);
        if (current) this.events.record(current, 'Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${worker.name}_${worker.namespace}(${worker.uid})`, this.kubeletSource, fieldPath);
        this.setContainerStatus(worker, container.name, (cs) => (cs.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delay}ms restarting failed container=${container.name} pod=${worker.name}_${worker.namespace}(${worker.uid})` } }));
        await sleep(delay);
      }
      instance += 1;
    }
  }

  private shouldRestart(worker: PodWorker, pod: KubeObject, container: Container, instance: number, exitCode: number): boolean {
    if (worker.killReason.get(`${container.name}/${instance}`) === 'FaultRestart') return true;
    const policy = (pod.spec as PodSpec).restartPolicy;
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0 && !worker.stopped);
  }

  private armRunningFaults(worker: PodWorker, pod: KubeObject, container: Container, instance: number): void {
    const key = `${container.name}/${instance}`;
    const oom = this.faults.podFault('oom', pod);
    if (oom) {
      worker.timers.push(
        setTimeout(() => {
          const proc = worker.running.get(container.name);
          if (!proc) return;
          worker.killReason.set(key, 'OOMKilled');
          signalGroup(proc.child, 'SIGKILL');
        }, oom.afterMs),
      );
    }
    const restart = this.faults.podFault('restart', pod);
    if (restart && instance === 0) {
      worker.timers.push(
        setTimeout(() => {
          const proc = worker.running.get(container.name);
          if (!proc) return;
          worker.killReason.set(key, 'FaultRestart');
          signalGroup(proc.child, 'SIGKILL');
        }, restart.afterMs),
      );
    }
    const evict = this.faults.podFault('evict', pod);
    if (evict) worker.timers.push(setTimeout(() => void this.endPod(worker, 'Evicted', evict.message, 'Evicted', true), evict.afterMs));
  }

  /** Waits for the process's pipes to flush into the log, then ends the log instance. */
  private async drain(log: ContainerLog): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    log.end();
  }

  private terminationMessage(container: Container, file: string, exitCode: number, log: ContainerLog): string {
    let message = '';
    try {
      message = readFileSync(file, 'utf8');
    } catch {
      // no message written
    }
    if (!message && exitCode !== 0 && container.terminationMessagePolicy === 'FallbackToLogsOnError') {
      // The kubelet's fallback: the last 80 lines, at most 2048 bytes.
      const tail = log.lines.slice(-80).map((l) => l.text).join('');
      message = Buffer.from(tail).subarray(Math.max(0, Buffer.byteLength(tail) - 2048)).toString('utf8');
    }
    return Buffer.from(message).subarray(0, MAX_TERMINATION_MESSAGE).toString('utf8');
  }

  private finishPod(worker: PodWorker): void {
    for (const t of worker.timers) clearTimeout(t);
    if (worker.stopped) return;
    const pod = this.mutateStatus(worker, (status) => {
      const list = (status.containerStatuses ?? []) as ContainerStatus[];
      const failed = list.some((c) => (c.state.terminated?.exitCode ?? 1) !== 0);
      const phase = worker.ending ? 'Failed' : failed ? 'Failed' : list.every((c) => c.state.terminated) ? 'Succeeded' : 'Failed';
      status.phase = phase;
      if (worker.ending?.reason) status.reason = worker.ending.reason;
      if (worker.ending?.message) status.message = worker.ending.message;
      this.setCondition(status, 'PodReadyToStartContainers', false);
      this.setCondition(status, 'Ready', false, phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed');
      this.setCondition(status, 'ContainersReady', false, phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed');
    });
    if (pod) this.workers.delete(`${worker.namespace}/${worker.name}`);
  }

  /** Ends a running pod as the kubelet does for a deadline or an eviction: kill, then Failed with `reason`. */
  private async endPod(worker: PodWorker, reason: string, message: string, eventReason: string, disruption = false): Promise<void> {
    if (worker.ending || worker.stopped) return;
    worker.ending = { phase: 'Failed', reason, message };
    const pod = this.pod(worker);
    if (!pod) return;
    this.events.record(pod, 'Warning', eventReason, message, this.kubeletSource);
    if (disruption) this.mutateStatus(worker, (status) => this.setCondition(status, 'DisruptionTarget', true, 'TerminationByKubelet', message));
    await this.killContainers(worker, pod, (pod.spec as PodSpec).terminationGracePeriodSeconds ?? 30);
    // A pod still pulling or unscheduled has no process to wait for: finish it here.
    if (worker.running.size === 0) setTimeout(() => this.workers.has(`${worker.namespace}/${worker.name}`) && this.finishPod(worker), 50);
  }

  private async killContainers(worker: PodWorker, pod: KubeObject, graceSeconds: number): Promise<void> {
    const procs = [...worker.running.entries()];
    for (const [name, proc] of procs) {
      this.events.record(pod, 'Normal', 'Killing', `Stopping container ${name}`, this.kubeletSource, `spec.containers{${name}}`);
      signalGroup(proc.child, graceSeconds > 0 ? 'SIGTERM' : 'SIGKILL');
    }
    const killer = graceSeconds > 0 ? setTimeout(() => procs.forEach(([, p]) => signalGroup(p.child, 'SIGKILL')), graceSeconds * 1000) : undefined;
    await Promise.all(procs.map(([, p]) => p.exited));
    clearTimeout(killer);
    for (const [, p] of procs) signalGroup(p.child, 'SIGKILL');
  }

  private failPod(pod: KubeObject, message: string): void {
    this.store.mutate(PODS, pod.metadata.namespace, pod.metadata.name!, (p) => {
      const status = (p.status ??= {}) as Record<string, unknown>;
      status.phase = 'Failed';
      status.message = message;
    });
  }

  /**
   * Deletes a pod as the API server and kubelet do together: a pod with running containers gets a
   * deletionTimestamp, its containers are stopped (SIGTERM, SIGKILL after the grace period), then the
   * object goes; a pod with nothing running goes at once. Returns the object as the DELETE answers it.
   */
  deletePod(namespace: string, name: string, graceSeconds?: number): KubeObject | undefined {
    const pod = this.store.get(PODS, namespace, name);
    if (!pod) return undefined;
    const worker = this.workers.get(`${namespace}/${name}`);
    const grace = graceSeconds ?? (pod.spec as PodSpec).terminationGracePeriodSeconds ?? 30;
    if (!worker || worker.running.size === 0) {
      if (worker) this.forget(worker);
      return this.store.remove(PODS, namespace, name);
    }
    const marked = this.store.mutate(PODS, namespace, name, (p) => {
      p.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      p.metadata.deletionGracePeriodSeconds = grace;
    });
    worker.ending = { phase: 'Failed' };
    void this.killContainers(worker, pod, grace).then(() => {
      this.forget(worker);
      this.store.remove(PODS, namespace, name);
    });
    return marked;
  }

  private forget(worker: PodWorker): void {
    worker.stopped = true;
    for (const t of worker.timers) clearTimeout(t);
    this.workers.delete(`${worker.namespace}/${worker.name}`);
    this.logs.forget(worker.uid);
    rmSync(worker.dir, { recursive: true, force: true });
  }

  /** Kills every pod process (SIGKILL) and waits for them. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    const waits: Promise<unknown>[] = [];
    for (const worker of this.workers.values()) {
      worker.stopped = true;
      for (const t of worker.timers) clearTimeout(t);
      for (const proc of worker.running.values()) {
        signalGroup(proc.child, 'SIGKILL');
        waits.push(proc.exited);
      }
    }
    await Promise.all(waits);
    this.workers.clear();
  }

  /** The directory where a running container instance keeps its files (tests may read its termination file). */
  containerDir(podUid: string, container: string, instance = 0): string {
    return join(this.options.rootDir, 'pods', podUid, 'containers', container, String(instance));
  }
}

