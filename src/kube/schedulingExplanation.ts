// The scheduler's FailedScheduling text ("0/3 nodes are available: 3 Insufficient memory. preemption: ...") turned
// into what does not fit and what to change.
import type { V1Pod } from '@kubernetes/client-node';
import { formatResource, parseQuantity } from './quantity';

const SUMMARY = /^(\d+)\/(\d+) nodes are available:\s*(.*)$/s;

/** What the pod asks for of one resource, over its containers (requests, or limits where a request is absent). */
export function podRequest(pod: V1Pod, resource: string): number | undefined {
  let total: number | undefined;
  for (const c of pod.spec?.containers ?? []) {
    const amount = parseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]);
    if (amount !== undefined) total = (total ?? 0) + amount;
  }
  return total;
}

function selectorText(pod: V1Pod): string {
  const selector = pod.spec?.nodeSelector ?? {};
  const pairs = Object.entries(selector).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? ` (${pairs.join(', ')})` : '';
}

/** One reason of the summary, e.g. `3 Insufficient memory`, explained. */
function explainReason(pod: V1Pod, reason: string, available: string, total: string): string {
  const insufficient = /^(?:\d+ )?Insufficient (\S+)$/.exec(reason);
  if (insufficient) {
    const resource = insufficient[1]!;
    const amount = podRequest(pod, resource);
    const need = amount !== undefined ? `needs ${formatResource(resource, amount)}` : `needs more ${resource}`;
    return `${need}; ${available}/${total} nodes have that free`;
  }
  if (/didn't match Pod's node affinity\/selector|didn't match node selector/.test(reason)) {
    return `no node matches the pod's node selector${selectorText(pod)}: fix @kubernetes(node_selector=...) or METAFLOW_KUBERNETES_NODE_SELECTOR, or add a node pool with those labels`;
  }
  const taint = /untolerated taint(?:s)? (\{.*?\})/.exec(reason);
  if (taint) return `the nodes have a taint the pod does not tolerate ${taint[1]}: add it to @kubernetes(tolerations=...) or METAFLOW_KUBERNETES_TOLERATIONS`;
  const pvc = /persistentvolumeclaim "([^"]+)" not found/.exec(reason);
  if (pvc) return `the persistent volume claim "${pvc[1]}" does not exist in namespace ${pod.metadata?.namespace ?? ''}: create it or fix @kubernetes(persistent_volume_claims=...)`;
  return reason;
}

/**
 * A short explanation of a FailedScheduling event. Resource shortages come first: they are the usual cause
 * and the one the user can change in the flow.
 */
export function explainFailedScheduling(pod: V1Pod, message: string): string {
  const text = message.split(/\.?\s*preemption:/)[0]!.trim().replace(/\.$/, '');
  const m = SUMMARY.exec(text);
  if (!m) return `the pod cannot be scheduled: ${text}`;
  const [, available, total, rest] = m;
  const reasons = rest!
    .split(/,\s*(?=\d+ )|\.\s+/)
    .map((r) => r.trim().replace(/\.$/, ''))
    .filter((r) => r !== '');
  const ordered = [...reasons.filter((r) => /Insufficient/.test(r)), ...reasons.filter((r) => !/Insufficient/.test(r))];
  const explained = [...new Set(ordered.map((r) => explainReason(pod, r, available!, total!)))];
  const resourceHint = ordered.some((r) => /Insufficient/.test(r))
    ? ' Lower @kubernetes/@resources (cpu, memory, disk, gpu) or add nodes that large to the cluster.'
    : '';
  return `the pod cannot be scheduled: ${explained.join('; ')}.${resourceHint}`;
}
