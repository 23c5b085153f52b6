// Fault injection: each fault makes the simulator show what a real cluster shows for that failure
// (statuses, Events, messages), so the product's classification is tested against real shapes.
import type { KubeObject } from './objectStore';

export interface PodMatch {
  /** Exact image of any container. */
  image?: string;
  /** Pod name, exact or a pattern. */
  podName?: string | RegExp;
  /** Owning Job's name (the `job-name` label). */
  jobName?: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export interface Fault {
  remove(): void;
}

export type PodFault =
  | { kind: 'imagePull'; match: PodMatch; image: string; message: string }
  | { kind: 'unschedulable'; match: PodMatch; message: string }
  | { kind: 'evict'; match: PodMatch; afterMs: number; message: string }
  | { kind: 'oom'; match: PodMatch; afterMs: number }
  | { kind: 'restart'; match: PodMatch; afterMs: number };

export interface ApiFault {
  method?: string;
  path: string | RegExp;
  status: number;
  remaining: number;
  retryAfterSeconds?: number;
  message?: string;
}

/**
 * A ResourceQuota that refuses what matches it. `resource` names what the quota counts: a compute resource
 * (`requests.memory`, `limits.cpu`, ...), refused when a pod is created, or `count/jobs.batch`, refused when a
 * Job is created. `used` and `limited` are what the quota's status shows.
 */
export interface QuotaFault {
  quota: string;
  resource: string;
  used: string;
  limited: string;
  match: PodMatch;
}

/** What `object`'s creation asks of the quota's resource: one Job, or its containers' requests (or limits) summed. */
function requestedAmount(fault: QuotaFault, object: KubeObject): string {
  if (fault.resource === 'count/jobs.batch') return '1';
  const [kind, name] = fault.resource.includes('.') ? [fault.resource.slice(0, fault.resource.indexOf('.')), fault.resource.slice(fault.resource.indexOf('.') + 1)] : ['requests', fault.resource];
  const containers = (object.spec as { containers?: { resources?: Record<string, Record<string, string> | undefined> }[] } | undefined)?.containers ?? [];
  const values = containers.map((c) => c.resources?.[kind]?.[name]).filter((v): v is string => v !== undefined);
  if (values.length <= 1) return values[0] ?? '0';
  const parsed = values.map((v) => /^(\d+(?:\.\d+)?)(\D*)$/.exec(v));
  if (parsed.every((m) => m && m[2] === parsed[0]![2])) return `${parsed.reduce((n, m) => n + Number(m![1]), 0)}${parsed[0]![2]}`;
  return values.join('+');
}

/** The ResourceQuota admission plugin's refusal, word for word: `pods "x" is forbidden: exceeded quota: ...`. */
export function quotaRefusal(fault: QuotaFault, object: KubeObject): string {
  const what = object.kind === 'Job' ? 'jobs.batch' : 'pods';
  const r = fault.resource;
  return `${what} "${object.metadata.name}" is forbidden: exceeded quota: ${fault.quota}, requested: ${r}=${requestedAmount(fault, object)}, used: ${r}=${fault.used}, limited: ${r}=${fault.limited}`;
}

export const DEFAULT_UNSCHEDULABLE_MESSAGE = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';

export function matchesPod(match: PodMatch, pod: KubeObject): boolean {
  const spec = pod.spec as { containers?: { image?: string }[] } | undefined;
  if (match.image !== undefined && !(spec?.containers ?? []).some((c) => c.image === match.image)) return false;
  const name = pod.metadata.name ?? '';
  if (match.podName !== undefined && (typeof match.podName === 'string' ? match.podName !== name : !match.podName.test(name))) return false;
  if (match.jobName !== undefined && pod.metadata.labels?.['job-name'] !== match.jobName) return false;
  if (match.namespace !== undefined && pod.metadata.namespace !== match.namespace) return false;
  for (const [k, v] of Object.entries(match.labels ?? {})) if (pod.metadata.labels?.[k] !== v) return false;
  return true;
}

export class FaultInjector {
  private readonly podFaults = new Set<PodFault>();
  private readonly apiFaults = new Set<ApiFault>();
  private readonly quotas = new Set<QuotaFault>();

  constructor(private readonly watchControl: { dropWatches(): number; compact(): void }) {}

  private addPod(fault: PodFault): Fault {
    this.podFaults.add(fault);
    return { remove: () => this.podFaults.delete(fault) };
  }

  /**
   * Pulling `image` fails: ErrImagePull, then ImagePullBackOff, with the kubelet's Failed/BackOff Events.
   * `message` is the container runtime's error (default: a registry's 401, as an ACR without pull rights gives).
   */
  imagePullFailure(image: string, options: { message?: string } = {}): Fault {
    const message =
      options.message ??
      `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${image.split('/')[0]}/oauth2/token?scope=repository%3A${encodeURIComponent(image.split('/').slice(1).join('/').split(':')[0])}%3Apull&service=${image.split('/')[0]}: 401 Unauthorized`;
    return this.addPod({ kind: 'imagePull', match: { image }, image, message });
  }

  /** Matching pods are never scheduled: FailedScheduling Events, PodScheduled=False reason Unschedulable. */
  unschedulable(match: PodMatch = {}, options: { message?: string } = {}): Fault {
    return this.addPod({ kind: 'unschedulable', match, message: options.message ?? DEFAULT_UNSCHEDULABLE_MESSAGE });
  }

  /** A running matching pod is evicted for node memory pressure `afterMs` after it started. */
  evict(match: PodMatch, options: { afterMs?: number; message?: string } = {}): Fault {
    return this.addPod({ kind: 'evict', match, afterMs: options.afterMs ?? 0, message: options.message ?? 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 61240Ki. ' });
  }

  /** A matching container is killed by the kernel's OOM killer `afterMs` after it started (exit 137, OOMKilled). */
  oomKill(match: PodMatch, options: { afterMs?: number } = {}): Fault {
    return this.addPod({ kind: 'oom', match, afterMs: options.afterMs ?? 0 });
  }

  /**
   * The first instance of a matching container dies (SIGKILL, reason Error) `afterMs` after it started and
   * the kubelet starts it again (restartCount 1), so `previous=true` serves the first instance's log.
   */
  restartContainer(match: PodMatch, options: { afterMs?: number } = {}): Fault {
    return this.addPod({ kind: 'restart', match, afterMs: options.afterMs ?? 0 });
  }

  /**
   * The next `count` requests whose method and path match answer `status` with a Status body (429 with
   * Retry-After). `path` matches the URL path (a string must be equal, a RegExp is tested).
   */
  apiError(options: { method?: string; path: string | RegExp; status: number; count?: number; retryAfterSeconds?: number; message?: string }): Fault {
    const fault: ApiFault = { ...options, remaining: options.count ?? 1 };
    this.apiFaults.add(fault);
    return { remove: () => this.apiFaults.delete(fault) };
  }

  /**
   * A ResourceQuota named `quota` refuses matching pods (or, with `resource: 'count/jobs.batch'`, Jobs) with
   * the admission plugin's 403 `exceeded quota: ...`; a Job's pods refused this way leave the job controller's
   * FailedCreate Events on the Job, as a real cluster does.
   */
  exceededQuota(quota: string, options: { resource?: string; used?: string; limited: string; match?: PodMatch }): Fault {
    const fault: QuotaFault = { quota, resource: options.resource ?? 'requests.memory', used: options.used ?? '0', limited: options.limited, match: options.match ?? {} };
    this.quotas.add(fault);
    return { remove: () => this.quotas.delete(fault) };
  }

  /** Closes every open watch connection (mid-stream, as a load balancer does); returns how many. */
  dropWatches(options: { expireHistory?: boolean } = {}): number {
    if (options.expireHistory) this.watchControl.compact();
    return this.watchControl.dropWatches();
  }

  clear(): void {
    this.podFaults.clear();
    this.apiFaults.clear();
    this.quotas.clear();
  }

  /** The quota that refuses creating `object` (a Pod, or a Job when a quota counts Jobs), if any. */
  quotaFault(object: KubeObject): QuotaFault | undefined {
    const job = object.kind === 'Job';
    for (const fault of this.quotas) {
      if ((fault.resource === 'count/jobs.batch') !== job) continue;
      // A Job is matched as its pods would be: its template's containers and labels, its name as job-name.
      const view: KubeObject = job
        ? { ...object, metadata: { ...object.metadata, labels: { ...(object.metadata.labels ?? {}), 'job-name': object.metadata.name! } }, spec: (object.spec as { template?: { spec?: unknown } }).template?.spec as Record<string, unknown> }
        : object;
      if (matchesPod(fault.match, view)) return fault;
    }
    return undefined;
  }

  /** The fault of `kind` that applies to `pod`, if any. */
  podFault<K extends PodFault['kind']>(kind: K, pod: KubeObject): Extract<PodFault, { kind: K }> | undefined {
    for (const fault of this.podFaults) if (fault.kind === kind && matchesPod(fault.match, pod)) return fault as Extract<PodFault, { kind: K }>;
    return undefined;
  }

  /** Consumes one matching API fault for this request. */
  takeApiFault(method: string, path: string): ApiFault | undefined {
    for (const fault of this.apiFaults) {
      if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) continue;
      if (typeof fault.path === 'string' ? fault.path !== path : !fault.path.test(path)) continue;
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.apiFaults.delete(fault);
      return fault;
    }
    return undefined;
  }
}
