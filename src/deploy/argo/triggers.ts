// @trigger / @trigger_on_finish as events (reference §5.3): the event name, its payload-to-parameter
// mapping, the filters, and the dependency name Metaflow gives each in the Sensor.
import type { DecoratorInfo, FlowInfo, LiteralValue } from '../../flow/types';
import type { ProjectNaming } from '../names';
import { sha1Base32 } from '../names';

export interface FlowEvent {
  name: string;
  /** Dependency name in the Sensor and the workflow parameter carrying the payload. */
  sanitizedName: string;
  /** flow parameter (lower case) -> payload key. */
  parameters: Record<string, string>;
  /** payload field -> required value (trigger_on_finish). */
  filters: Record<string, string>;
  type: 'event' | 'run';
  line: number;
}

export const EVENT_NAME = /^[A-Za-z0-9_.-]+$/;
export const PAYLOAD_KEY = /^[A-Za-z0-9_]+$/;

export function sanitizedEventName(name: string): string {
  return `${name.replace(/[.\-@+]/g, '')}_${sha1Base32(name).slice(0, 4).toLowerCase()}`;
}

const isRecord = (v: LiteralValue | undefined): v is Record<string, LiteralValue> => typeof v === 'object' && v !== null && !Array.isArray(v) && !('$expr' in v);
const line = (d: DecoratorInfo) => d.range.start.line + 1;

/** Events of the flow's @trigger or @trigger_on_finish, and what is wrong with them (messages without the decorator's position). */
export function flowEvents(flow: FlowInfo, project: ProjectNaming | undefined): { events: FlowEvent[]; problems: Array<{ line: number; message: string }> } {
  const events: FlowEvent[] = [];
  const problems: Array<{ line: number; message: string }> = [];
  const paramNames = new Set(flow.parameters.filter((p) => p.kind !== 'Config').map((p) => p.name.toLowerCase()));
  const trigger = flow.decorators.find((d) => d.name === 'trigger');
  const onFinish = flow.decorators.find((d) => d.name === 'trigger_on_finish');
  if (trigger) {
    const specs: LiteralValue[] = [];
    if (trigger.attributes.event !== undefined && trigger.attributes.event !== null) specs.push(trigger.attributes.event);
    const list = trigger.attributes.events;
    if (Array.isArray(list)) specs.push(...list);
    if (specs.length === 0) problems.push({ line: line(trigger), message: '@trigger needs an event: @trigger(event="name") or @trigger(events=["a", "b"]).' });
    const seen = new Set<string>();
    for (const spec of specs) {
      const name = typeof spec === 'string' ? spec : isRecord(spec) && typeof spec.name === 'string' ? spec.name : undefined;
      if (name === undefined) {
        problems.push({ line: line(trigger), message: '@trigger event must be a literal name or {"name": ..., "parameters": {...}} so it can be deployed.' });
        continue;
      }
      if (!EVENT_NAME.test(name)) {
        problems.push({ line: line(trigger), message: `Invalid event name '${name}' in @trigger: only letters, digits, '_', '-' and '.' are allowed.` });
        continue;
      }
      const parameters: Record<string, string> = {};
      const given = isRecord(spec) ? spec.parameters : undefined;
      const pairs: Array<[string, LiteralValue]> = Array.isArray(given) ? given.map((p) => [String(p), p]) : isRecord(given) ? Object.entries(given) : [];
      for (const [param, key] of pairs) {
        if (typeof key !== 'string' || !PAYLOAD_KEY.test(key)) {
          problems.push({ line: line(trigger), message: `Invalid payload key ${JSON.stringify(key)} for event '${name}' in @trigger: only letters, digits and '_' are allowed.` });
          continue;
        }
        if (!paramNames.has(param.toLowerCase())) problems.push({ line: line(trigger), message: `@trigger maps event '${name}' to parameter '${param}', which the flow does not define.` });
        else if (seen.has(param.toLowerCase())) problems.push({ line: line(trigger), message: `@trigger maps parameter '${param}' more than once.` });
        seen.add(param.toLowerCase());
        parameters[param.toLowerCase()] = key;
      }
      events.push({ name, sanitizedName: sanitizedEventName(name), parameters, filters: {}, type: 'event', line: line(trigger) });
    }
    // One event without a mapping fills every parameter from the payload field of the same name.
    if (events.length === 1 && Object.keys(events[0].parameters).length === 0) events[0].parameters = Object.fromEntries([...paramNames].map((p) => [p, p]));
  }
  if (onFinish) {
    const specs: LiteralValue[] = [];
    if (onFinish.attributes.flow !== undefined && onFinish.attributes.flow !== null) specs.push(onFinish.attributes.flow);
    if (Array.isArray(onFinish.attributes.flows)) specs.push(...onFinish.attributes.flows);
    if (specs.length === 0) problems.push({ line: line(onFinish), message: '@trigger_on_finish needs a flow: @trigger_on_finish(flow="UpstreamFlow").' });
    for (const spec of specs) {
      const upstream = typeof spec === 'string' ? spec : isRecord(spec) && typeof spec.name === 'string' ? spec.name : undefined;
      if (upstream === undefined) {
        problems.push({ line: line(onFinish), message: '@trigger_on_finish flow must be a literal flow name or {"name": ..., "project": ..., "branch": ...}.' });
        continue;
      }
      const proj = isRecord(spec) && typeof spec.project === 'string' ? spec.project : project?.project;
      const branch = isRecord(spec) && typeof spec.branch === 'string' ? spec.branch : project?.branch;
      if (Boolean(proj) !== Boolean(branch)) {
        problems.push({ line: line(onFinish), message: `@trigger_on_finish for '${upstream}' names a project without a branch (or the reverse): give both, or use @project.` });
        continue;
      }
      const name = `metaflow.${[proj, branch, upstream].filter(Boolean).join('.')}.end`;
      if (!EVENT_NAME.test(name)) {
        problems.push({ line: line(onFinish), message: `Invalid flow name '${upstream}' in @trigger_on_finish: the event '${name}' may hold only letters, digits, '_', '-' and '.'.` });
        continue;
      }
      const filters: Record<string, string> = { 'auto-generated-by-metaflow': 'True' };
      if (proj) filters.project_name = proj;
      if (branch) filters.branch_name = branch;
      events.push({ name, sanitizedName: sanitizedEventName(name), parameters: {}, filters, type: 'run', line: line(onFinish) });
    }
  }
  return { events, problems };
}
