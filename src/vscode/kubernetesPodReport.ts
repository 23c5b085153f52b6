// "Show Pod" of a task that ran on Kubernetes: the pod, its containers' states, its Events (as `kubectl
// describe` lists them) and the last lines of its log, as one plain-text document. Pure, unit-tested.
import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export interface PodReportInput {
  pathspec: string;
  attempt?: number;
  context: string;
  namespace: string;
  job?: string;
  /** The pod's name when the pod itself could not be read. */
  podName: string;
  pod?: V1Pod;
  /** Why the pod could not be read (it is gone after the Job's TTL, the cluster is unreachable, ...). */
  podError?: string;
  events: CoreV1Event[];
  eventsError?: string;
  container?: string;
  logLines: string[];
  logError?: string;
  now: number;
}

function toMs(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `kubectl`'s short ages: 45s, 3m, 2h, 4d. */
export function age(fromMs: number | undefined, now: number): string {
  if (fromMs === undefined) return '?';
  const s = Math.max(0, Math.round((now - fromMs) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function containerState(status: V1ContainerStatus): string {
  const { running, waiting, terminated } = status.state ?? {};
  if (running) return 'Running';
  if (waiting) return `Waiting: ${waiting.reason ?? ''}${waiting.message ? ` (${waiting.message})` : ''}`;
  if (terminated) return `Terminated: ${terminated.reason ?? ''}, exit code ${terminated.exitCode}${terminated.signal ? `, signal ${terminated.signal}` : ''}${terminated.message ? `\n      message: ${terminated.message.split('\n')[0].slice(0, 200)}` : ''}`;
  return 'unknown';
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('   ').trimEnd());
}

export function renderPodReport(input: PodReportInput): string {
  const pod = input.pod;
  const lines: string[] = [`Pod ${pod?.metadata?.name ?? input.podName}`, ''];
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') lines.push(`${`${name}:`.padEnd(17)}${value}`);
  };
  field('Task', input.attempt !== undefined ? `${input.pathspec} (attempt ${input.attempt})` : input.pathspec);
  field('Context', input.context);
  field('Namespace', input.namespace);
  field('Job', input.job);
  if (pod) {
    field('Phase', pod.status?.phase);
    if (pod.status?.reason || pod.status?.message) field('Reason', [pod.status.reason, pod.status.message].filter(Boolean).join(': '));
    field('Node', pod.spec?.nodeName);
    field('Service account', pod.spec?.serviceAccountName);
    field('Started', pod.status?.startTime ? new Date(toMs(pod.status.startTime) ?? 0).toISOString() : undefined);
    const statuses = pod.status?.containerStatuses ?? [];
    if (statuses.length > 0) {
      lines.push('Containers:');
      for (const s of statuses) lines.push(`  ${s.name} (${s.image}): ${containerState(s)}${s.restartCount ? `, restarts ${s.restartCount}` : ''}`);
    }
    for (const c of pod.spec?.containers ?? []) {
      const limits = c.resources?.limits ?? {};
      const requests = c.resources?.requests ?? {};
      const show = (r: Record<string, unknown>) => Object.entries(r).map(([k, v]) => `${k}=${String(v)}`).join(', ');
      if (Object.keys(requests).length || Object.keys(limits).length) lines.push(`  ${c.name} requests: ${show(requests) || '-'}; limits: ${show(limits) || '-'}`);
    }
  } else {
    field('Pod', `not readable: ${input.podError ?? 'unknown reason'}`);
  }
  lines.push('', 'Events:');
  if (input.eventsError) lines.push(`  (not readable: ${input.eventsError})`);
  else if (input.events.length === 0) lines.push('  <none>');
  else {
    const sorted = [...input.events].sort((a, b) => (eventTime(a) ?? 0) - (eventTime(b) ?? 0));
    const rows = [['Type', 'Reason', 'Age', 'From', 'Message']];
    for (const e of sorted) {
      const count = e.count && e.count > 1 ? ` (x${e.count})` : '';
      rows.push([e.type ?? '', e.reason ?? '', age(eventTime(e), input.now) + count, e.source?.component ?? e.reportingComponent ?? '', (e.message ?? '').replace(/\s+/g, ' ').trim()]);
    }
    lines.push(...table(rows).map((r) => `  ${r}`));
  }
  lines.push('', `Last log lines${input.container ? ` (container ${input.container})` : ''}:`);
  if (input.logError) lines.push(`  (not readable: ${input.logError})`);
  else if (input.logLines.length === 0) lines.push('  <none>');
  else lines.push(...input.logLines.map((l) => `  ${l}`));
  lines.push('');
  return lines.join('\n');
}

function eventTime(e: CoreV1Event): number | undefined {
  return toMs(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp);
}
