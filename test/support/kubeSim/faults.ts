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

  /** Closes every open watch connection (mid-stream, as a load balancer does); returns how many. */
  dropWatches(options: { expireHistory?: boolean } = {}): number {
    if (options.expireHistory) this.watchControl.compact();
    return this.watchControl.dropWatches();
  }

  clear(): void {
    this.podFaults.clear();
    this.apiFaults.clear();
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
