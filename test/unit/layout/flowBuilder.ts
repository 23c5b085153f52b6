// Builds FlowInfo objects by hand for layout and webview tests: only the fields the DAG uses are
// meaningful, the rest are filled consistently (ranges point at the step's `def` line).
import type { FlowInfo, GraphStructure, LintError, SourceRange, StepInfo, StepType } from '../../../src/flow/types';

export interface StepSpec {
  name: string;
  next?: string[];
  type?: StepType;
  foreach?: string;
  condition?: string;
  switchCases?: Record<string, string>;
  numParallel?: number;
  decorators?: string[];
  doc?: string;
}

function range(line: number, from = 4, to = 20): SourceRange {
  return { start: { line, character: from }, end: { line, character: to } };
}

function inferType(spec: StepSpec, joins: Set<string>): StepType {
  if (spec.type) return spec.type;
  if (spec.name === 'start') return spec.foreach ? 'split-foreach' : (spec.next ?? []).length > 1 ? 'split-static' : 'start';
  if (spec.name === 'end') return 'end';
  if (spec.condition) return 'split-switch';
  if (spec.foreach) return 'split-foreach';
  if (spec.numParallel !== undefined) return 'split-parallel';
  if ((spec.next ?? []).length > 1) return 'split-static';
  return joins.has(spec.name) ? 'join' : 'linear';
}

export function buildFlow(name: string, specs: StepSpec[], options: { joins?: string[]; errors?: Array<Omit<LintError, 'range' | 'line'> & { line?: number }> } = {}): FlowInfo {
  const joins = new Set(options.joins ?? []);
  const steps: StepInfo[] = specs.map((spec, i) => {
    const line = 10 + i * 6;
    return {
      name: spec.name,
      type: inferType(spec, joins),
      line: line + 1,
      range: { start: { line: line - 1, character: 4 }, end: { line: line + 4, character: 0 } },
      nameRange: range(line, 8, 8 + spec.name.length),
      ...(spec.doc ? { doc: spec.doc } : {}),
      decorators: (spec.decorators ?? []).map((d) => ({ name: d, attributes: {}, args: [], range: range(line - 1) })),
      startAnnotation: false,
      endAnnotation: false,
      next: spec.switchCases ? Object.values(spec.switchCases) : spec.next ?? [],
      ...(spec.foreach ? { foreach: spec.foreach } : {}),
      ...(spec.numParallel !== undefined ? { numParallel: spec.numParallel } : {}),
      ...(spec.condition ? { condition: spec.condition } : {}),
      ...(spec.switchCases ? { switchCases: spec.switchCases } : {}),
      inFuncs: specs.filter((o) => (o.switchCases ? Object.values(o.switchCases) : o.next ?? []).includes(spec.name)).map((o) => o.name),
      splitParents: [],
      isInsideForeach: false,
      numArgs: joins.has(spec.name) ? 2 : 1,
      hasTailNext: spec.name !== 'end',
      invalidTailNext: false,
      targetRanges: {},
    };
  });
  return {
    name,
    line: 5,
    range: { start: { line: 4, character: 0 }, end: { line: 10 + specs.length * 6, character: 0 } },
    nameRange: range(4, 6, 6 + name.length),
    baseClasses: ['FlowSpec'],
    decorators: [],
    parameters: [],
    steps,
    start: 'start',
    end: 'end',
    graphStructure: steps.map((s) => s.name) as GraphStructure,
    errors: (options.errors ?? []).map((e) => ({ ...e, line: e.line ?? 1, range: range((e.line ?? 1) - 1) })),
  };
}

/** A flow with every kind of step: static branch, foreach, switch with a self-loop, parallel, decorators and a lint error. */
export function showcaseFlow(): FlowInfo {
  return buildFlow(
    'TrainFlow',
    [
      { name: 'start', next: ['load_data', 'load_config'], doc: 'Begin.' },
      { name: 'load_data', next: ['join_inputs'], decorators: ['kubernetes', 'retry'] },
      { name: 'load_config', next: ['join_inputs'] },
      { name: 'join_inputs', next: ['fan_out'] },
      { name: 'fan_out', foreach: 'shards', next: ['train'] },
      { name: 'train', next: ['join_models'], decorators: ['kubernetes', 'retry', 'timeout', 'catch', 'resources'] },
      { name: 'join_models', next: ['choose'] },
      { name: 'choose', condition: 'quality', switchCases: { good: 'deploy', retrain: 'choose', bad: 'report' } },
      { name: 'deploy', next: ['end'], decorators: ['card'] },
      { name: 'report', next: ['end'] },
      { name: 'end' },
    ],
    {
      joins: ['join_inputs', 'join_models'],
      errors: [{ check: 'check_num_args', message: 'Step report has a bad signature.', steps: ['report'] }],
    },
  );
}

/** A synthetic flow of about `steps` steps: static branches, foreaches and looping switches in a chain. */
export function largeFlow(steps: number): FlowInfo {
  const specs: StepSpec[] = [];
  const joins: string[] = [];
  let prev = 'start';
  let i = 0;
  const add = (spec: StepSpec) => specs.push(spec);
  add({ name: 'start', next: [] });
  while (specs.length < steps - 6) {
    const p = specs.find((s) => s.name === prev) as StepSpec;
    const k = i % 3;
    if (k === 0) {
      p.next = [`a${i}`, `b${i}`, `c${i}`];
      add({ name: `a${i}`, next: [`j${i}`], decorators: ['retry'] });
      add({ name: `b${i}`, next: [`j${i}`] });
      add({ name: `c${i}`, next: [`j${i}`], decorators: ['kubernetes'] });
      add({ name: `j${i}`, next: [] });
      joins.push(`j${i}`);
      prev = `j${i}`;
    } else if (k === 1) {
      p.next = [`fan${i}`];
      add({ name: `fan${i}`, foreach: 'items', next: [`body${i}`] });
      add({ name: `body${i}`, next: [`gather${i}`] });
      add({ name: `gather${i}`, next: [] });
      joins.push(`gather${i}`);
      prev = `gather${i}`;
    } else {
      p.next = [`sw${i}`];
      add({ name: `sw${i}`, condition: 'mode', switchCases: { fast: `fast${i}`, slow: `slow${i}`, again: `sw${i}` } });
      add({ name: `fast${i}`, next: [`merge${i}`] });
      add({ name: `slow${i}`, next: [`merge${i}`] });
      add({ name: `merge${i}`, next: [] });
      prev = `merge${i}`;
    }
    i += 1;
  }
  (specs.find((s) => s.name === prev) as StepSpec).next = ['end'];
  add({ name: 'end' });
  return buildFlow('LargeFlow', specs, { joins });
}
