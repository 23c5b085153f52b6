// The job controller and the garbage collector's part for Jobs: one Pod per Job (named `<job>-<5 chars>`,
// labelled and owned as the real controller does), a replacement after a failure while backoffLimit allows,
// Complete/Failed conditions, activeDeadlineSeconds, ttlSecondsAfterFinished, and deletion with
// Foreground/Background/Orphan propagation.
import type { EventRecorder } from './eventRecorder';
import type { Kubelet } from './kubelet';
import { PODS, SERVICE_ACCOUNTS } from './kubelet';
import { type Change, type KubeObject, nowRfc3339, type ObjectStore } from './objectStore';
import { randomSuffix } from './defaults';
import { ApiError } from './status';

export const JOBS = 'batch/jobs';

type JobSpec = { backoffLimit: number; completions: number; activeDeadlineSeconds?: number; ttlSecondsAfterFinished?: number; suspend?: boolean; template: { metadata?: KubeObject['metadata']; spec: Record<string, unknown> & { serviceAccountName?: string } } };
type JobStatus = { startTime?: string; completionTime?: string; active?: number; succeeded?: number; failed?: number; ready?: number; terminating?: number; conditions?: object[]; uncountedTerminatedPods?: object };

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

const SOURCE = { component: 'job-controller' };

export class JobController {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>[]>();
  /** Pods already counted as succeeded or failed, by uid. */
  private readonly counted = new Set<string>();
  private unsubscribe?: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly events: EventRecorder,
    private readonly kubelet: Kubelet,
    private readonly podAdmission: (pod: KubeObject) => KubeObject,
    private readonly options: { podRetryDelayMs: number },
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((change: Change) => {
      if (change.resource === JOBS && change.type === 'ADDED') setImmediate(() => this.startJob(change.object));
      if (change.resource === PODS && change.type !== 'ADDED') setImmediate(() => this.podChanged(change));
    });
  }

  stop(): void {
    this.unsubscribe?.();
    for (const list of this.timers.values()) list.forEach((t) => clearTimeout(t));
    this.timers.clear();
  }

  private addTimer(job: KubeObject, timer: ReturnType<typeof setTimeout>): void {
    const uid = job.metadata.uid!;
    this.timers.set(uid, [...(this.timers.get(uid) ?? []), timer]);
  }

  private ownedPods(job: KubeObject): KubeObject[] {
    return this.store.list(PODS, job.metadata.namespace).filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === job.metadata.uid));
  }

  private finished(job: KubeObject): boolean {
    return ((job.status as JobStatus | undefined)?.conditions ?? []).some((c) => ['Complete', 'Failed'].includes((c as { type: string }).type));
  }

  private startJob(job: KubeObject): void {
    const spec = job.spec as JobSpec;
    if (spec.suspend) return;
    this.store.mutate(JOBS, job.metadata.namespace, job.metadata.name!, (j) => {
      const status = (j.status ??= {}) as JobStatus;
      status.startTime = nowRfc3339();
      status.uncountedTerminatedPods = {};
    });
    if (spec.activeDeadlineSeconds !== undefined) {
      this.addTimer(job, setTimeout(() => this.fail(job, 'DeadlineExceeded', 'Job was active longer than specified deadline', true), spec.activeDeadlineSeconds * 1000));
    }
    this.createPod(job);
  }

  private createPod(job: KubeObject): void {
    const current = this.store.get(JOBS, job.metadata.namespace, job.metadata.name!);
    if (!current || current.metadata.deletionTimestamp || this.finished(current)) return;
    const spec = current.spec as JobSpec;
    const name = `${current.metadata.name}-${randomSuffix()}`;
    const template = structuredClone(spec.template);
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...(template.metadata ?? {}),
        name,
        generateName: `${current.metadata.name}-`,
        namespace: current.metadata.namespace,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: current.metadata.name!, uid: current.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: template.spec,
    };
    const sa = template.spec.serviceAccountName ?? 'default';
    if (!this.store.has(SERVICE_ACCOUNTS, current.metadata.namespace, sa)) {
      // The ServiceAccount admission plugin refuses the pod; the controller reports it and tries again.
      this.events.record(current, 'Warning', 'FailedCreate', `Error creating: pods "${current.metadata.name}-" is forbidden: error looking up service account ${current.metadata.namespace}/${sa}: serviceaccount "${sa}" not found`, SOURCE);
      this.addTimer(current, setTimeout(() => this.createPod(current), Math.max(this.options.podRetryDelayMs, 1000)));
      return;
    }
    let created: KubeObject;
    try {
      created = this.podAdmission(pod);
    } catch (error) {
      // An admission refusal (a ResourceQuota, a webhook): reported on the Job, and tried again later.
      if (!(error instanceof ApiError)) throw error;
      this.events.record(current, 'Warning', 'FailedCreate', `Error creating: ${error.message}`, SOURCE);
      this.addTimer(current, setTimeout(() => this.createPod(current), Math.max(this.options.podRetryDelayMs, 1000)));
      return;
    }
    this.events.record(current, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, SOURCE);
    this.store.mutate(JOBS, current.metadata.namespace, current.metadata.name!, (j) => {
      const status = (j.status ??= {}) as JobStatus;
      status.active = (status.active ?? 0) + 1;
      status.ready = 0;
    });
  }

  private podChanged(change: Change): void {
    const pod = change.object;
    const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'Job' && o.controller);
    if (!owner) return;
    const job = this.store.get(JOBS, pod.metadata.namespace, owner.name);
    if (!job || job.metadata.uid !== owner.uid || this.counted.has(pod.metadata.uid!)) return;
    const spec0 = job.spec as JobSpec;
    if (spec0.template.spec.restartPolicy === 'OnFailure' && !this.finished(job)) {
      // With OnFailure the kubelet restarts the container in place; the controller counts the restarts.
      const restarts = ((pod.status as { containerStatuses?: { restartCount?: number }[] } | undefined)?.containerStatuses ?? []).reduce((n, cs) => n + (cs.restartCount ?? 0), 0);
      if (restarts > spec0.backoffLimit) {
        this.counted.add(pod.metadata.uid!);
        this.fail(job, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', true);
        return;
      }
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    // A pod deleted before it ended counts as failed (the controller tracks pods with a finalizer).
    const failed = phase === 'Failed' || (change.type === 'DELETED' && phase !== 'Succeeded');
    if (phase !== 'Succeeded' && !failed) return;
    this.counted.add(pod.metadata.uid!);
    if (this.finished(job) || job.metadata.deletionTimestamp) return;
    const spec = job.spec as JobSpec;
    const updated = this.store.mutate(JOBS, job.metadata.namespace, job.metadata.name!, (j) => {
      const status = (j.status ??= {}) as JobStatus;
      status.active = Math.max(0, (status.active ?? 1) - 1);
      if (status.active === 0) delete status.active;
      if (failed) status.failed = (status.failed ?? 0) + 1;
      else status.succeeded = (status.succeeded ?? 0) + 1;
    })!;
    const status = updated.status as JobStatus;
    if ((status.succeeded ?? 0) >= spec.completions) this.complete(updated);
    else if (failed && (status.failed ?? 0) > spec.backoffLimit) this.fail(updated, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', false);
    else if (failed) this.addTimer(updated, setTimeout(() => this.createPod(updated), this.options.podRetryDelayMs));
  }

  private condition(type: string, reason?: string, message?: string): object {
    const now = nowRfc3339();
    return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  }

  private complete(job: KubeObject): void {
    const done = this.store.mutate(JOBS, job.metadata.namespace, job.metadata.name!, (j) => {
      const status = (j.status ??= {}) as JobStatus;
      status.conditions = [...(status.conditions ?? []), this.condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'), this.condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')];
      status.completionTime = nowRfc3339();
      status.ready = 0;
    });
    if (done) {
      this.events.record(done, 'Normal', 'Completed', 'Job completed', SOURCE);
      this.afterFinish(done);
    }
  }

  private fail(job: KubeObject, reason: string, message: string, killActive: boolean): void {
    const current = this.store.get(JOBS, job.metadata.namespace, job.metadata.name!);
    if (!current || this.finished(current)) return;
    if (killActive) {
      for (const pod of this.ownedPods(current)) {
        const phase = (pod.status as { phase?: string } | undefined)?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        this.counted.add(pod.metadata.uid!);
        this.kubelet.deletePod(pod.metadata.namespace!, pod.metadata.name!, 0);
        this.events.record(current, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, SOURCE);
      }
    }
    const failed = this.store.mutate(JOBS, current.metadata.namespace, current.metadata.name!, (j) => {
      const status = (j.status ??= {}) as JobStatus;
      status.conditions = [...(status.conditions ?? []), this.condition('FailureTarget', reason, message), this.condition('Failed', reason, message)];
      if (killActive) {
        status.failed = (status.failed ?? 0) + (status.active ?? 0);
        delete status.active;
      }
      status.ready = 0;
    });
    for (const t of this.timers.get(current.metadata.uid!) ?? []) clearTimeout(t);
    if (failed) {
      this.events.record(failed, 'Warning', reason, message, SOURCE);
      this.afterFinish(failed);
    }
  }

  private afterFinish(job: KubeObject): void {
    const ttl = (job.spec as JobSpec).ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    this.addTimer(job, setTimeout(() => this.deleteJob(job.metadata.namespace!, job.metadata.name!, 'Background'), ttl * 1000));
  }

  /** DELETE of a Job; returns the object as the API answers it (with deletionTimestamp when Foreground). */
  deleteJob(namespace: string, name: string, policy: PropagationPolicy): KubeObject | undefined {
    const job = this.store.get(JOBS, namespace, name);
    if (!job) return undefined;
    for (const t of this.timers.get(job.metadata.uid!) ?? []) clearTimeout(t);
    this.timers.delete(job.metadata.uid!);
    const pods = this.ownedPods(job);
    if (policy === 'Orphan') {
      for (const pod of pods) {
        this.store.mutate(PODS, namespace, pod.metadata.name!, (p) => {
          p.metadata.ownerReferences = (p.metadata.ownerReferences ?? []).filter((o) => o.uid !== job.metadata.uid);
          if (p.metadata.ownerReferences.length === 0) delete p.metadata.ownerReferences;
        });
      }
      return this.store.remove(JOBS, namespace, name);
    }
    if (policy === 'Background') {
      const removed = this.store.remove(JOBS, namespace, name);
      setImmediate(() => pods.forEach((p) => this.kubelet.deletePod(namespace, p.metadata.name!)));
      return removed;
    }
    // Foreground: the Job stays (deletionTimestamp, foregroundDeletion finalizer) until its pods are gone.
    const marked = this.store.mutate(JOBS, namespace, name, (j) => {
      j.metadata.deletionTimestamp = nowRfc3339();
      j.metadata.deletionGracePeriodSeconds = 0;
      j.metadata.finalizers = [...(j.metadata.finalizers ?? []), 'foregroundDeletion'];
    });
    setImmediate(() => {
      for (const p of pods) this.kubelet.deletePod(namespace, p.metadata.name!);
      const check = () => {
        if (this.ownedPods(job).length === 0) this.store.remove(JOBS, namespace, name);
        else setTimeout(check, 20);
      };
      check();
    });
    return marked;
  }
}

