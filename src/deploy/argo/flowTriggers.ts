// "What starts this flow once deployed", in words, from its decorators: the schedule (@schedule), the events
// (@trigger) with the parameters their payloads fill, and the upstream flows (@trigger_on_finish). The same
// readings the compiler uses, so the DAG panel says what the CronWorkflow and the Sensor will do.
import type { FlowInfo } from '../../flow/types';
import { flowSchedule } from './schedule';
import { flowEvents } from './triggers';

export interface FlowTriggers {
  schedule?: string;
  events: string[];
  upstreamFlows: string[];
}

export function flowTriggers(flow: FlowInfo): FlowTriggers {
  const { schedule } = flowSchedule(flow);
  const { events } = flowEvents(flow, undefined);
  return {
    schedule: schedule ? `cron "${schedule.cron}"${schedule.timezone ? ` in ${schedule.timezone}` : ' (UTC)'}` : undefined,
    events: events
      .filter((e) => e.type === 'event')
      .map((e) => {
        const mapped = Object.entries(e.parameters).map(([param, key]) => (param === key ? param : `${param} from ${key}`));
        return mapped.length ? `${e.name} (payload fills ${mapped.join(', ')})` : e.name;
      }),
    upstreamFlows: events.filter((e) => e.type === 'run').map((e) => e.name.replace(/^metaflow\./, '').replace(/\.end$/, '')),
  };
}

/** One line per trigger, for the DAG panel; empty when only a manual trigger starts the flow. */
export function describeFlowTriggers(t: FlowTriggers): string[] {
  const lines: string[] = [];
  if (t.schedule) lines.push(`Scheduled: ${t.schedule}`);
  for (const e of t.events) lines.push(`On the event ${e}`);
  for (const f of t.upstreamFlows) lines.push(`When a run of ${f} finishes`);
  return lines;
}
