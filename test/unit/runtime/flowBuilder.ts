// FlowInfo built by hand for the scheduler's unit tests (the shape the language service produces).
import type { DecoratorInfo, FlowInfo, StepInfo, StepType } from '../../../src/flow/types';

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export interface StepSpec {
  type: StepType;
  next?: string[];
  foreach?: string;
  condition?: string;
  switchCases?: Record<string, string>;
  numParallel?: number;
  decorators?: Array<{ name: string; attributes?: DecoratorInfo['attributes'] }>;
}

export function flowOf(name: string, specs: Record<string, StepSpec>): FlowInfo {
  const inFuncs = new Map<string, string[]>();
  for (const [step, s] of Object.entries(specs)) for (const n of s.next ?? []) inFuncs.set(n, [...(inFuncs.get(n) ?? []), step]);
  const steps: StepInfo[] = Object.entries(specs).map(([step, s], i) => ({
    name: step,
    type: s.type,
    line: i + 1,
    range,
    nameRange: range,
    decorators: (s.decorators ?? []).map((d) => ({ name: d.name, attributes: d.attributes ?? {}, args: [], range })),
    startAnnotation: false,
    endAnnotation: false,
    next: s.next ?? [],
    foreach: s.foreach,
    numParallel: s.numParallel,
    condition: s.condition,
    switchCases: s.switchCases,
    inFuncs: inFuncs.get(step) ?? [],
    splitParents: [],
    isInsideForeach: false,
    numArgs: s.type === 'join' ? 2 : 1,
    hasTailNext: (s.next ?? []).length > 0,
    invalidTailNext: false,
    targetRanges: {},
  }));
  // Matching joins and split parents: each split's join is the first join reachable on every branch.
  const byName = new Map(steps.map((s) => [s.name, s]));
  const visit = (name: string, parents: string[], seen: Set<string>) => {
    const s = byName.get(name)!;
    if (seen.has(name)) return;
    seen.add(name);
    let own = parents;
    if (s.type === 'join') {
      s.splitParents = parents;
      const split = byName.get(parents[parents.length - 1]);
      if (split) split.matchingJoin = s.name;
      own = parents.slice(0, -1);
    } else s.splitParents = parents;
    const next = s.type.startsWith('split') && s.type !== 'split-switch' ? [...own, s.name] : own;
    for (const n of s.next) if (n !== name) visit(n, next, seen);
  };
  visit('start', [], new Set());
  return {
    name,
    line: 1,
    range,
    nameRange: range,
    baseClasses: ['FlowSpec'],
    decorators: [],
    parameters: [],
    steps,
    start: 'start',
    end: 'end',
    graphStructure: [],
    errors: [],
  };
}
