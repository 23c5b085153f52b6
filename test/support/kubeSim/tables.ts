// `as=Table` answers for kubectl's `get`: the columns the real server prints for pods and jobs, name and
// age for the rest.
import type { KubeObject } from './objectStore';
import type { ResourceType } from './resources';

type Column = { name: string; type: string; format: string; description: string; priority: number };

function age(timestamp: string | undefined): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 3600 * 2) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

function col(name: string, type = 'string', format = '', priority = 0): Column {
  return { name, type, format, description: name, priority };
}

function podCells(pod: KubeObject): unknown[] {
  const status = (pod.status ?? {}) as { phase?: string; reason?: string; containerStatuses?: { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[]; podIP?: string };
  const spec = (pod.spec ?? {}) as { containers?: unknown[]; nodeName?: string };
  const statuses = status.containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  let shown = status.reason ?? status.phase ?? 'Pending';
  for (const s of statuses) {
    const r = s.state?.waiting?.reason ?? s.state?.terminated?.reason;
    if (r && !status.reason && !(s.state?.terminated && status.phase === 'Running')) shown = r;
  }
  if (pod.metadata.deletionTimestamp) shown = 'Terminating';
  return [pod.metadata.name, `${ready}/${spec.containers?.length ?? 0}`, shown, restarts, age(pod.metadata.creationTimestamp), status.podIP ?? '<none>', spec.nodeName ?? '<none>', '<none>', '<none>'];
}

function jobCells(job: KubeObject): unknown[] {
  const status = (job.status ?? {}) as { succeeded?: number; conditions?: { type: string; status: string }[]; startTime?: string; completionTime?: string };
  const spec = (job.spec ?? {}) as { completions?: number; template?: { spec?: { containers?: { name: string; image: string }[] } }; selector?: { matchLabels?: Record<string, string> } };
  const cond = (type: string) => status.conditions?.some((c) => c.type === type && c.status === 'True');
  const state = job.metadata.deletionTimestamp ? 'Terminating' : cond('Complete') ? 'Complete' : cond('Failed') ? 'Failed' : 'Running';
  const duration = status.startTime ? age(new Date(Date.now() - ((status.completionTime ? Date.parse(status.completionTime) : Date.now()) - Date.parse(status.startTime))).toISOString()) : '';
  const containers = spec.template?.spec?.containers ?? [];
  const selector = Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  return [job.metadata.name, state, `${status.succeeded ?? 0}/${spec.completions ?? 1}`, duration, age(job.metadata.creationTimestamp), containers.map((c) => c.name).join(','), containers.map((c) => c.image).join(','), selector];
}

export function toTable(type: ResourceType, items: KubeObject[], resourceVersion: string): object {
  let columns: Column[];
  let cells: (o: KubeObject) => unknown[];
  if (type.kind === 'Pod') {
    columns = [col('Name', 'string', 'name'), col('Ready'), col('Status'), col('Restarts', 'string'), col('Age'), col('IP', 'string', '', 1), col('Node', 'string', '', 1), col('Nominated Node', 'string', '', 1), col('Readiness Gates', 'string', '', 1)];
    cells = podCells;
  } else if (type.kind === 'Job') {
    columns = [col('Name', 'string', 'name'), col('Status'), col('Completions'), col('Duration'), col('Age'), col('Containers', 'string', '', 1), col('Images', 'string', '', 1), col('Selector', 'string', '', 1)];
    cells = jobCells;
  } else if (type.kind === 'Event') {
    columns = [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')];
    cells = (e) => {
      const inv = e.involvedObject as { kind: string; name: string };
      return [age(e.lastTimestamp as string), e.type, e.reason, `${inv.kind.toLowerCase()}/${inv.name}`, e.message];
    };
  } else {
    columns = [col('Name', 'string', 'name'), col('Age')];
    cells = (o) => [o.metadata.name, age(o.metadata.creationTimestamp)];
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns,
    rows: items.map((o) => ({
      cells: cells(o),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept.split(',')[0] ?? '');
}

