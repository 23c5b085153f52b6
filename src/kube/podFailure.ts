// A task pod's state from its status and its Events, with the cause of a failure in words that say what to
// change. Pure: the caller fetches the pod and its Events and decides what to do with a verdict.
import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isAzureContainerRegistry } from './imageReference';
import { explainFailedScheduling } from './schedulingExplanation';

export interface PodVerdict {
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  /** The pod will not make progress (succeeded, failed, or stuck past its deadline): stop waiting for it. */
  terminal: boolean;
  /** Kubernetes' reason (`FailedScheduling`, `ErrImagePull`, `OOMKilled`, `DeadlineExceeded`, ...). */
  reason?: string;
  message?: string;
  /** Another attempt could succeed (a task failure); false for configuration problems no retry can fix. */
  retryable: boolean;
}

export interface PodFailurePolicy {
  /** How long a pod may stay unschedulable (or keep failing to pull its image) before the attempt fails. */
  pendingDeadlineMs: number;
  /** How long to wait after the cluster autoscaler starts adding a node. */
  autoscalerGraceMs: number;
  /** The memory the step asked for, as the user wrote it, for the out-of-memory message. */
  memoryLimit?: string;
}

type Time = Date | string | undefined | null;

function ms(t: Time): number | undefined {
  if (t === undefined || t === null) return undefined;
  const v = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
}

/** When an event last happened (watch objects carry strings, typed reads Dates). */
function eventTimeMs(e: CoreV1Event): number | undefined {
  const raw = e as unknown as { lastTimestamp?: Time; eventTime?: Time; firstTimestamp?: Time; metadata?: { creationTimestamp?: Time } };
  return ms(raw.lastTimestamp) ?? ms(raw.eventTime) ?? ms(raw.firstTimestamp) ?? ms(raw.metadata?.creationTimestamp);
}

function firstTimeMs(e: CoreV1Event): number | undefined {
  const raw = e as unknown as { firstTimestamp?: Time; eventTime?: Time };
  return ms(raw.firstTimestamp) ?? ms(raw.eventTime) ?? eventTimeMs(e);
}

function byTime(events: CoreV1Event[]): CoreV1Event[] {
  return [...events].sort((a, b) => (eventTimeMs(a) ?? 0) - (eventTimeMs(b) ?? 0));
}

const PERMANENT_PULL_FAILURE = /not found|manifest unknown|unauthorized|authentication required|denied|forbidden|\b401\b|\b403\b|invalid reference|does not exist|no such host/i;

function pullHint(image: string): string {
  if (isAzureContainerRegistry(image)) {
    const registry = image.split('/')[0]!.split('.')[0];
    return `If the image exists, let the cluster pull from the registry: az aks update --name <cluster> --resource-group <group> --attach-acr ${registry}, or set @kubernetes(image_pull_secrets=[...]) / METAFLOW_KUBERNETES_IMAGE_PULL_SECRETS.`;
  }
  return 'Check that the image and tag exist; for a private registry set @kubernetes(image_pull_secrets=[...]) or METAFLOW_KUBERNETES_IMAGE_PULL_SECRETS.';
}

function imageOf(pod: V1Pod, status: V1ContainerStatus): string {
  return pod.spec?.containers.find((c) => c.name === status.name)?.image ?? status.image ?? '';
}

function waitingVerdict(pod: V1Pod, status: V1ContainerStatus, events: CoreV1Event[], nowMs: number, policy: PodFailurePolicy): PodVerdict | undefined {
  const reason = status.state?.waiting?.reason;
  const detail = status.state?.waiting?.message ?? '';
  if (!reason) return undefined;
  const image = imageOf(pod, status);
  if (reason === 'ErrImagePull' || reason === 'ImagePullBackOff') {
    // The kubelet's "Failed to pull image" event carries the registry's answer; "Error: ErrImagePull" and
    // "Back-off pulling image" carry nothing more than the reason.
    const failed = byTime(events).filter((e) => e.reason === 'Failed' && /pull/i.test(e.message ?? ''));
    const informative = (text: string | undefined): boolean => !!text && !/^(Error: (ErrImagePull|ImagePullBackOff)|Back-off pulling image)/.test(text);
    const cause = [...failed].reverse().map((e) => e.message).find(informative) ?? (informative(detail) ? detail : (failed.at(-1)?.message ?? detail));
    const since = firstTimeMs(failed[0] ?? ({} as CoreV1Event)) ?? ms(pod.metadata?.creationTimestamp) ?? nowMs;
    // A registry that answers "not found" or "unauthorized" will answer the same again; anything else may pass.
    const terminal = PERMANENT_PULL_FAILURE.test(cause) || nowMs - since >= policy.pendingDeadlineMs;
    const message = `could not pull image "${image}"${cause ? `: ${cause}` : ''}. ${pullHint(image)}`;
    return { state: terminal ? 'failed' : 'pending', terminal, reason, message, retryable: false };
  }
  if (reason === 'InvalidImageName') {
    return { state: 'failed', terminal: true, reason, message: `image "${image}" is not a valid image name${detail ? ` (${detail})` : ''}: fix @kubernetes(image=...) or METAFLOW_KUBERNETES_CONTAINER_IMAGE`, retryable: false };
  }
  if (reason === 'CreateContainerConfigError') {
    const ns = pod.metadata?.namespace ?? 'default';
    const secret = /secret "([^"]+)" not found/.exec(detail);
    const configMap = /configmap "([^"]+)" not found/i.exec(detail);
    let message = `the container could not be configured: ${detail}`;
    if (secret) {
      message = `the Kubernetes secret "${secret[1]}" does not exist in namespace ${ns}: create it (kubectl create secret generic ${secret[1]} -n ${ns} --from-literal=KEY=VALUE) or remove it from @kubernetes(secrets=...) / METAFLOW_KUBERNETES_SECRETS`;
    } else if (configMap) {
      message = `the config map "${configMap[1]}" does not exist in namespace ${ns}: create it (kubectl create configmap ${configMap[1]} -n ${ns} ...)`;
    }
    return { state: 'failed', terminal: true, reason, message, retryable: false };
  }
  if (reason === 'CreateContainerError' || reason === 'RunContainerError') {
    return { state: 'failed', terminal: true, reason, message: `the container could not be started: ${detail}`, retryable: false };
  }
  return undefined;
}

function schedulingVerdict(pod: V1Pod, events: CoreV1Event[], nowMs: number, policy: PodFailurePolicy): PodVerdict | undefined {
  const sorted = byTime(events);
  const failed = sorted.filter((e) => e.reason === 'FailedScheduling');
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  if (failed.length === 0 && !condition) return undefined;
  const latest = failed.at(-1)?.message ?? condition?.message ?? '';
  const since = (failed[0] && firstTimeMs(failed[0])) ?? ms(condition?.lastTransitionTime as Time) ?? ms(pod.metadata?.creationTimestamp) ?? nowMs;
  let message = explainFailedScheduling(pod, latest);
  let deadline = since + policy.pendingDeadlineMs;
  const autoscaler = sorted.filter((e) => e.reason === 'TriggeredScaleUp' || e.reason === 'NotTriggerScaleUp').at(-1);
  if (autoscaler?.reason === 'TriggeredScaleUp') {
    deadline = Math.max(deadline, (eventTimeMs(autoscaler) ?? nowMs) + policy.autoscalerGraceMs);
    message = `waiting for the cluster autoscaler to add a node (${autoscaler.message ?? 'scale-up triggered'}); meanwhile ${message}`;
  } else if (autoscaler?.reason === 'NotTriggerScaleUp') {
    // "it wouldn't fit if a new node is added": no node pool can ever hold the pod, so there is nothing to wait for.
    if (/wouldn't fit if a new node is added/.test(autoscaler.message ?? '')) deadline = nowMs;
    else deadline = Math.max(deadline, since + policy.autoscalerGraceMs);
    message = `${message} The cluster autoscaler will not add a node: ${autoscaler.message ?? ''}`;
  }
  const terminal = nowMs >= deadline;
  return { state: terminal ? 'failed' : 'pending', terminal, reason: 'FailedScheduling', message, retryable: false };
}

function terminatedVerdict(pod: V1Pod, policy: PodFailurePolicy): PodVerdict {
  const status = pod.status?.containerStatuses?.find((s) => s.state?.terminated) ?? pod.status?.containerStatuses?.[0];
  const terminated = status?.state?.terminated ?? status?.lastState?.terminated;
  const podReason = pod.status?.reason;
  if (podReason === 'DeadlineExceeded') {
    const seconds = pod.spec?.activeDeadlineSeconds;
    return { state: 'failed', terminal: true, reason: podReason, message: `@timeout of ${seconds ?? '?'}s reached: the task ran longer than its time limit (raise @timeout or METAFLOW_DEFAULT_RUNTIME_LIMIT)`, retryable: true };
  }
  if (podReason === 'Evicted') {
    return { state: 'failed', terminal: true, reason: podReason, message: `the pod was evicted from its node: ${pod.status?.message ?? 'no reason given'}. Ask for more memory or disk in @kubernetes/@resources so the node keeps room for it`, retryable: true };
  }
  const exitCode = terminated?.exitCode;
  if (terminated?.reason === 'OOMKilled' || exitCode === 137) {
    const container = pod.spec?.containers.find((c) => c.name === status?.name) ?? pod.spec?.containers[0];
    const limit = policy.memoryLimit ?? container?.resources?.limits?.memory ?? container?.resources?.requests?.memory ?? 'unknown';
    return { state: 'failed', terminal: true, reason: 'OOMKilled', message: `the task ran out of memory (limit ${limit}): raise @kubernetes(memory=...) or @resources(memory=...)`, retryable: true };
  }
  if (exitCode === 139) {
    return { state: 'failed', terminal: true, reason: 'SegmentationFault', message: 'the task crashed with a segmentation fault (exit code 139) in native code it called', retryable: true };
  }
  const reason = terminated?.reason ?? podReason ?? 'Failed';
  const message = exitCode !== undefined ? `the task exited with code ${exitCode}` : `the pod failed: ${pod.status?.message ?? reason}`;
  return { state: 'failed', terminal: true, reason, message, retryable: true };
}

export function classifyPod(pod: V1Pod, events: CoreV1Event[], nowMs: number, policy: PodFailurePolicy): PodVerdict {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return { state: 'succeeded', terminal: true, retryable: false };
  if (phase === 'Failed') return terminatedVerdict(pod, policy);
  if (phase === 'Running') return { state: 'running', terminal: false, retryable: false };
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const verdict = waitingVerdict(pod, status, events, nowMs, policy);
    if (verdict) return verdict;
  }
  if (!pod.spec?.nodeName) {
    const verdict = schedulingVerdict(pod, events, nowMs, policy);
    if (verdict) return verdict;
  }
  return { state: 'pending', terminal: false, retryable: false };
}

/** A ResourceQuota refusal ("exceeded quota: ...") explained; undefined when the text is not one. */
export function quotaExceededMessage(text: string): string | undefined {
  const m = /exceeded quota: ([^,]+),\s*(.*)$/s.exec(text);
  if (!m) return undefined;
  const detail = m[2]!.trim();
  // A quota on object counts (count/jobs.batch, pods) is met by fewer objects, not smaller requests.
  if (/requested: (count\/|pods=)/.test(detail)) {
    return `the namespace's ResourceQuota "${m[1]}" allows no more of these objects (${detail}): delete finished Jobs (or let METAFLOW_KUBERNETES_JOB_TTL_SECONDS_AFTER_FINISHED remove them sooner), run fewer tasks at once (--max-workers), or ask the cluster administrator to raise the quota`;
  }
  return `the namespace's ResourceQuota "${m[1]}" does not allow this pod (${detail}): lower the step's @kubernetes/@resources requests, or ask the cluster administrator to raise the quota`;
}

/**
 * A Job whose pod was never created: the Job controller's FailedCreate events (a quota, a missing service
 * account, an admission webhook). Undefined while nothing is wrong.
 */
export function classifyJobEvents(events: CoreV1Event[]): PodVerdict | undefined {
  const failed = byTime(events).filter((e) => e.reason === 'FailedCreate').at(-1);
  if (!failed) return undefined;
  const text = failed.message ?? '';
  const quota = quotaExceededMessage(text);
  if (quota) return { state: 'failed', terminal: true, reason: 'ExceededQuota', message: quota, retryable: false };
  const sa = /serviceaccount "([^"]+)" not found/.exec(text);
  if (sa) {
    const ns = failed.involvedObject?.namespace ?? failed.metadata?.namespace ?? 'default';
    return { state: 'failed', terminal: true, reason: 'FailedCreate', message: `the service account "${sa[1]}" does not exist in namespace ${ns}: kubectl create serviceaccount ${sa[1]} -n ${ns}, or fix @kubernetes(service_account=...) / METAFLOW_KUBERNETES_SERVICE_ACCOUNT`, retryable: false };
  }
  return { state: 'failed', terminal: true, reason: 'FailedCreate', message: `Kubernetes could not create the pod: ${text}`, retryable: false };
}
