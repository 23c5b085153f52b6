// ClassModels -> FlowInfo: decides which classes are flows, resolves inheritance within the file
// (as `dir(flow_class)` sees it), then builds the graph and runs the checks.
import type { ClassModel, RawStep } from './classModel';
import { GraphCache, graphStructure, serializedType } from './graph';
import { type LintOptions, lintFlow } from './lint';
import { checkSecretSources } from './secretSources';
import type { DecoratorInfo, FlowInfo, ParameterInfo, StepInfo } from './types';

export interface ResolvedFlow {
  model: ClassModel;
  /** Steps by name after inheritance (a subclass's definition replaces the base's). */
  steps: RawStep[];
  parameters: ParameterInfo[];
  decorators: DecoratorInfo[];
}

/** Method resolution order restricted to classes of this file (C3, falling back to depth-first). */
function mro(model: ClassModel, byName: Map<string, ClassModel>, visiting: Set<string> = new Set()): ClassModel[] {
  if (visiting.has(model.name)) return [model];
  visiting.add(model.name);
  const baseModels = model.bases.map((b) => (b.localName ? byName.get(b.localName) : undefined)).filter((b): b is ClassModel => b !== undefined && b !== model);
  const sequences = [...baseModels.map((b) => mro(b, byName, new Set(visiting))), baseModels];
  const result: ClassModel[] = [model];
  for (;;) {
    const nonEmpty = sequences.filter((s) => s.length > 0);
    if (nonEmpty.length === 0) return result;
    const head = nonEmpty.map((s) => s[0]).find((h) => nonEmpty.every((s) => !s.slice(1).includes(h)));
    if (!head) {
      // Inconsistent hierarchy (Python would refuse the class): keep a depth-first order.
      for (const s of nonEmpty) for (const c of s) if (!result.includes(c)) result.push(c);
      return result;
    }
    result.push(head);
    for (const s of nonEmpty) if (s[0] === head) s.shift();
  }
}

export function resolveFlows(models: ClassModel[]): ResolvedFlow[] {
  const byName = new Map<string, ClassModel>();
  for (const m of models) byName.set(m.name, m);
  const flowMemo = new Map<ClassModel, boolean>();
  const isFlow = (m: ClassModel, visiting: Set<ClassModel>): boolean => {
    const cached = flowMemo.get(m);
    if (cached !== undefined) return cached;
    if (visiting.has(m)) return false;
    visiting.add(m);
    const result = m.bases.some((b) => {
      if (b.isFlowSpec) return true;
      const base = b.localName ? byName.get(b.localName) : undefined;
      return base !== undefined && base !== m && isFlow(base, visiting);
    });
    flowMemo.set(m, result);
    return result;
  };
  const flows: ResolvedFlow[] = [];
  for (const model of models) {
    if (!isFlow(model, new Set())) continue;
    const order = mro(model, byName).filter((c) => c === model || isFlow(c, new Set()));
    const steps = new Map<string, RawStep>();
    const parameters = new Map<string, ParameterInfo>();
    const hidden = new Set<string>();
    for (const cls of order) {
      for (const step of cls.steps) if (!hidden.has(step.name) && !steps.has(step.name)) steps.set(step.name, step);
      for (const p of cls.parameters) if (!hidden.has(p.attribute) && !parameters.has(p.attribute)) parameters.set(p.attribute, p);
      for (const member of cls.members) hidden.add(member);
    }
    const decorators: DecoratorInfo[] = [];
    for (const cls of [...order].reverse()) decorators.push(...cls.decorators);
    const sourceOrder = (a: { range: { start: { line: number; character: number } } }, b: typeof a) =>
      a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
    flows.push({
      model,
      steps: [...steps.values()].sort(sourceOrder),
      parameters: [...parameters.values()].sort(sourceOrder),
      decorators,
    });
  }
  return flows;
}

export function buildFlowInfo(flow: ResolvedFlow, options: LintOptions = {}, graphs: GraphCache = new GraphCache(1)): FlowInfo {
  const graph = graphs.get(flow.steps);
  graph.structure ??= graphStructure(graph);
  const byName = new Map(flow.steps.map((s) => [s.name, s]));
  const errors = [
    ...lintFlow({ graph, steps: byName, flowName: flow.model.name, flowLine: flow.model.line, flowNameRange: flow.model.nameRange }, options),
    ...checkSecretSources(flow.steps),
  ];
  const sorted = new Set(graph.sortedNodes);
  const ordered = [...graph.sortedNodes.map((n) => byName.get(n)!), ...flow.steps.filter((s) => !sorted.has(s.name))];
  const steps: StepInfo[] = ordered.map((raw) => {
    const node = graph.nodes.get(raw.name)!;
    const info: StepInfo = {
      name: raw.name,
      type: serializedType(node),
      line: raw.line,
      range: raw.range,
      nameRange: raw.nameRange,
      decorators: raw.decorators,
      startAnnotation: raw.startAnnotation,
      endAnnotation: raw.endAnnotation,
      next: [...node.outFuncs],
      inFuncs: node.inFuncs,
      splitParents: node.splitParents,
      isInsideForeach: node.isInsideForeach,
      numArgs: raw.numArgs,
      hasTailNext: raw.tail.hasTailNext,
      invalidTailNext: raw.tail.invalidTailNext,
      targetRanges: raw.tail.targetRanges,
    };
    if (raw.doc !== undefined) info.doc = raw.doc;
    if (raw.tail.range) info.nextRange = raw.tail.range;
    // As Metaflow's foreach_param: only a string literal names the artifact.
    if (info.type === 'split-foreach' && raw.tail.foreachParam !== undefined) info.foreach = raw.tail.foreachParam;
    if (info.type === 'split-parallel') info.numParallel = raw.tail.numParallel;
    if (info.type === 'split-switch') {
      info.condition = raw.tail.condition;
      info.switchCases = raw.tail.switchCases;
    }
    if (node.matchingJoin) info.matchingJoin = node.matchingJoin;
    return info;
  });
  const result: FlowInfo = {
    name: flow.model.name,
    line: flow.model.line,
    range: flow.model.range,
    nameRange: flow.model.nameRange,
    baseClasses: flow.model.bases.map((b) => b.text),
    decorators: flow.decorators,
    parameters: flow.parameters,
    steps,
    graphStructure: graph.structure,
    errors,
  };
  if (flow.model.doc !== undefined) result.doc = flow.model.doc;
  if (graph.startStep) result.start = graph.startStep;
  if (graph.endStep) result.end = graph.endStep;
  return result;
}
