// The API server's defaulting and the semantic checks its validation makes for the kinds the simulator
// runs (pods, jobs, namespaces), so objects read back look like a real cluster's.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from './objectStore';
import type { StatusCause } from './status';

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5 characters the API server appends to `generateName` (and the job controller to pod names). */
export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => NAME_SUFFIX_ALPHABET[b % NAME_SUFFIX_ALPHABET.length]).join('');
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function validateName(name: string, kind: string): StatusCause[] {
  const labelLike = kind === 'Namespace';
  const max = kind === 'Job' ? 63 : labelLike ? 63 : 253;
  const pattern = labelLike ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  const causes: StatusCause[] = [];
  if (!pattern.test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${labelLike ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-'${labelLike ? '' : " or '.'"}, and must start and end with an alphanumeric character`,
    });
  }
  if (name.length > max) causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": must be no more than ${max} characters` });
  return causes;
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: `${field}`,
        message: `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (label ${key}, at most 63 characters)`,
      });
    }
  }
  return causes;
}

type Container = {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  resources?: Record<string, unknown>;
};
type PodSpec = Record<string, unknown> & { containers: Container[]; initContainers?: Container[]; restartPolicy?: string; serviceAccountName?: string; serviceAccount?: string };

function defaultContainer(c: Container): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (!c.imagePullPolicy) {
    const tag = (c.image ?? '').split('/').pop() ?? '';
    c.imagePullPolicy = !tag.includes(':') || tag.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
}

export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount = spec.serviceAccountName;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  // The DefaultTolerationSeconds admission plugin, once per pod (a Job's template is defaulted as well).
  const tolerations = (spec.tolerations ?? []) as { key?: string }[];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => t.key === key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 } as { key: string });
  }
  spec.tolerations = tolerations;
}

export function defaultJob(job: KubeObject): StatusCause[] {
  const spec = job.spec as Record<string, unknown> & { template: { metadata?: KubeObject['metadata']; spec: PodSpec }; selector?: unknown };
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  const uid = job.metadata.uid!;
  const name = job.metadata.name!;
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const template = spec.template;
  template.metadata ??= {};
  template.metadata.labels = {
    ...(template.metadata.labels ?? {}),
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  const podSpec = template.spec;
  const restart = podSpec.restartPolicy;
  defaultPodSpec(podSpec);
  if (restart !== 'Never' && restart !== 'OnFailure') {
    return [
      restart === undefined
        ? { reason: 'FieldValueRequired', field: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' }
        : { reason: 'FieldValueNotSupported', field: 'spec.template.spec.restartPolicy', message: `Unsupported value: "${restart}": supported values: "OnFailure", "Never"` },
    ];
  }
  return [];
}

export function validatePodSpec(spec: PodSpec, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!spec.containers?.length) causes.push({ reason: 'FieldValueRequired', field: `${field}.containers`, message: 'Required value' });
  const seen = new Set<string>();
  (spec.containers ?? []).forEach((c, i) => {
    if (!c.image) causes.push({ reason: 'FieldValueRequired', field: `${field}.containers[${i}].image`, message: 'Required value' });
    if (!DNS1123_LABEL.test(c.name)) causes.push({ reason: 'FieldValueInvalid', field: `${field}.containers[${i}].name`, message: `Invalid value: "${c.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character` });
    if (seen.has(c.name)) causes.push({ reason: 'FieldValueDuplicate', field: `${field}.containers[${i}].name`, message: `Duplicate value: "${c.name}"` });
    seen.add(c.name);
  });
  return causes;
}

export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const resources = spec.containers.map((c) => (c.resources ?? {}) as { requests?: Record<string, unknown>; limits?: Record<string, unknown> });
  const any = resources.some((r) => Object.keys(r.requests ?? {}).length || Object.keys(r.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = resources.every((r) => r.limits?.cpu !== undefined && r.limits?.memory !== undefined && (r.requests?.cpu === undefined || String(r.requests.cpu) === String(r.limits.cpu)) && (r.requests?.memory === undefined || String(r.requests.memory) === String(r.limits.memory)));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
