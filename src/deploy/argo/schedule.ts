// @schedule -> CronWorkflow (reference §5.3): Metaflow's strings for hourly/daily/weekly, the first five
// fields of a cron expression, the timezone.
import type { FlowInfo } from '../../flow/types';
import { ARGO_API_VERSION, type Manifest } from './types';

export interface Schedule {
  cron: string;
  timezone?: string;
  line: number;
}

const truthy = (v: unknown) => v === true || v === 1 || v === 'true' || v === 'True';

export function flowSchedule(flow: FlowInfo): { schedule?: Schedule; problem?: { line: number; message: string } } {
  const deco = flow.decorators.find((d) => d.name === 'schedule');
  if (!deco) return {};
  const line = deco.range.start.line + 1;
  const a = deco.attributes;
  const tz = a.timezone;
  if (tz !== undefined && tz !== null && typeof tz !== 'string') return { problem: { line, message: '@schedule(timezone=...) must be a literal IANA time zone name such as "Europe/Paris".' } };
  const timezone = typeof tz === 'string' ? tz : undefined;
  if (a.cron !== undefined && a.cron !== null) {
    if (typeof a.cron !== 'string') return { problem: { line, message: '@schedule(cron=...) must be a literal cron string such as "0 6 * * *".' } };
    const fields = a.cron.trim().split(/\s+/);
    if (fields.length < 5) return { problem: { line, message: `@schedule(cron="${a.cron}") has ${fields.length} fields; a cron expression needs 5 (minute hour day month weekday).` } };
    return { schedule: { cron: fields.slice(0, 5).join(' '), timezone, line } };
  }
  if (truthy(a.weekly)) return { schedule: { cron: '0 0 ? * SUN', timezone, line } };
  if (truthy(a.hourly)) return { schedule: { cron: '0 * * * ?', timezone, line } };
  if (a.daily === undefined || truthy(a.daily)) return { schedule: { cron: '0 0 * * ?', timezone, line } };
  // Every flag turned off: no schedule, as in Metaflow.
  return {};
}

export function cronWorkflow(input: { name: string; namespace: string; schedule: Schedule; labels: Record<string, string>; annotations: Record<string, string> }): Manifest {
  const spec: Manifest = {
    // `schedules` (a list) is the field since Argo 3.6; the pinned schema no longer has `schedule`.
    schedules: [input.schedule.cron],
    suspend: false,
    startingDeadlineSeconds: 3540,
    failedJobsHistoryLimit: 10000,
    successfulJobsHistoryLimit: 10000,
    workflowSpec: { workflowTemplateRef: { name: input.name } },
  };
  if (input.schedule.timezone) spec.timezone = input.schedule.timezone;
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'CronWorkflow',
    metadata: { name: input.name, namespace: input.namespace, labels: input.labels, annotations: input.annotations },
    spec,
  };
}
