// Metaflow's 20 graph checks (metaflow/lint.py), with its check names and semantics. Metaflow stops
// at the first failure; here every check runs and reports every problem it finds, so each check
// guards against the broken shapes that an earlier failing check would have stopped Metaflow on.
import type { RawStep } from './classModel';
import { type FlowGraph, type GraphNode, cycleMembers } from './graph';
import type { LintError, SourceRange } from './types';

export interface LintOptions {
  /** Also run `check_nested_foreach` (Metaflow runs it only when a caller requires non-nested foreaches). */
  requireNonNestedForeach?: boolean;
}

export interface LintSubject {
  graph: FlowGraph;
  steps: Map<string, RawStep>;
  flowName: string;
  flowLine: number;
  flowNameRange: SourceRange;
}

export const RESERVED_STEP_NAMES = new Set(['name', 'next', 'input', 'index', 'cmd']);

type Check = (s: LintSubject, report: Reporter) => void;
type Reporter = (check: string, message: string, at: { line: number; range: SourceRange }, steps: string[]) => void;

const at = (s: LintSubject, step: string, where: 'name' | 'next' | 'params' | 'stepDecorator' | 'parallel' = 'name') => {
  const raw = s.steps.get(step);
  if (!raw) return { line: s.flowLine, range: s.flowNameRange };
  switch (where) {
    case 'next':
      return raw.tail.range ? { line: raw.tail.line, range: raw.tail.range } : { line: raw.line, range: raw.nameRange };
    case 'params':
      return { line: raw.line, range: raw.parametersRange };
    case 'stepDecorator':
      return { line: raw.stepDecoratorRange.start.line + 1, range: raw.stepDecoratorRange };
    case 'parallel':
      return raw.parallelDecoratorRange ? { line: raw.parallelDecoratorRange.start.line + 1, range: raw.parallelDecoratorRange } : { line: raw.line, range: raw.nameRange };
    default:
      return { line: raw.line, range: raw.nameRange };
  }
};

/** Metaflow's line for a node-level error is the `def` line even when we underline something more precise. */
const atDefLine = (s: LintSubject, step: string, where: 'next' | 'params' | 'parallel') => {
  const place = at(s, step, where);
  return { line: s.steps.get(step)?.line ?? place.line, range: place.range };
};

const nodesOf = (s: LintSubject) => [...s.graph.nodes.values()];
const known = (s: LintSubject, name: string) => s.graph.nodes.has(name);

const checkReservedWords: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (RESERVED_STEP_NAMES.has(node.name)) {
      report('check_reserved_words', `Step name '${node.name}' is reserved by Metaflow (name, next, input, index and cmd are). Rename the step, and every self.next(self.${node.name}) that points to it.`, at(s, node.name), [node.name]);
    }
  }
};

const checkBasicSteps: Check = (s, report) => {
  const { graph } = s;
  const nodes = nodesOf(s);
  const place = { line: s.flowLine, range: s.flowNameRange };
  if (graph.startStep === undefined) {
    const annotated = nodes.filter((n) => n.isStartStep).map((n) => n.name).sort();
    if (annotated.length > 1) {
      report('check_basic_steps', `Flow ${s.flowName} marks several steps with @step(start=True): ${annotated.join(', ')}. Exactly one step can start the flow; keep start=True on one of them.`, at(s, annotated[0], 'stepDecorator'), annotated);
    } else {
      report('check_basic_steps', `Flow ${s.flowName} has no start step. Name the first step 'start' (def start(self):) or mark it with @step(start=True).`, place, []);
    }
  }
  if (graph.endStep === undefined) {
    const annotated = nodes.filter((n) => n.isEndStep).map((n) => n.name).sort();
    if (annotated.length > 1) {
      report('check_basic_steps', `Flow ${s.flowName} marks several steps with @step(end=True): ${annotated.join(', ')}. Exactly one step can end the flow; keep end=True on one of them.`, at(s, annotated[0], 'stepDecorator'), annotated);
    } else {
      report('check_basic_steps', `Flow ${s.flowName} has no end step. Add a last step named 'end' (def end(self):) or mark it with @step(end=True).`, place, []);
    }
  }
};

const checkAnnotationNameConflict: Check = (s, report) => {
  const { graph } = s;
  if (graph.startStep !== undefined && graph.startStep !== 'start' && graph.nodes.has('start')) {
    report('check_annotation_name_conflict', `Ambiguous start step: '${graph.startStep}' is marked @step(start=True) but a step named 'start' also exists. Rename the 'start' step or remove start=True.`, at(s, graph.startStep, 'stepDecorator'), [graph.startStep, 'start']);
  }
  if (graph.endStep !== undefined && graph.endStep !== 'end' && graph.nodes.has('end')) {
    report('check_annotation_name_conflict', `Ambiguous end step: '${graph.endStep}' is marked @step(end=True) but a step named 'end' also exists. Rename the 'end' step or remove end=True.`, at(s, graph.endStep, 'stepDecorator'), [graph.endStep, 'end']);
  }
};

const checkStartEndDegree: Check = (s, report) => {
  const { graph } = s;
  if (graph.startStep === undefined || graph.endStep === undefined) return;
  const start = graph.nodes.get(graph.startStep)!;
  if (start.inFuncs.length > 0) {
    report('check_start_end_degree', `The start step '${start.name}' is the target of self.next() in ${start.inFuncs.join(', ')}. Nothing may lead back to the start step; point those transitions at another step.`, at(s, start.name), [start.name, ...start.inFuncs]);
  }
  const end = graph.nodes.get(graph.endStep)!;
  if (end.outFuncs.length > 0) {
    report('check_start_end_degree', `The end step '${end.name}' has outgoing transitions. The end step must not call self.next(); remove it.`, atDefLine(s, end.name, 'next'), [end.name]);
  }
};

const checkThatEndIsEnd: Check = (s, report) => {
  const { graph } = s;
  if (graph.endStep === undefined) return;
  const node = graph.nodes.get(graph.endStep)!;
  const raw = s.steps.get(node.name);
  if (node.hasTailNext || node.invalidTailNext) {
    report('check_that_end_is_end', `The end step '${node.name}' should not call self.next(): the flow stops there. Remove the self.next() call.`, at(s, node.name, 'next'), [node.name]);
  }
  if (node.numArgs > 1) {
    report('check_that_end_is_end', `The end step '${node.name}' takes an extra argument, which makes it a join. The end step cannot be a join: add a join step before it and make end take only self.`, { line: raw?.tail.line || raw?.line || s.flowLine, range: at(s, node.name, 'params').range }, [node.name]);
  }
};

const checkStepNames: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (/[^a-z0-9_]/.test(node.name) || node.name.startsWith('_')) {
      const suggestion = node.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^_+/, '');
      report('check_step_names', `Step '${node.name}' has an invalid name: step names may only use lowercase letters a-z, digits and underscores, and cannot start with an underscore${suggestion && suggestion !== node.name ? ` (for example '${suggestion}')` : ''}.`, at(s, node.name), [node.name]);
    }
  }
};

const checkNumArgs: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    const place = atDefLine(s, node.name, 'params');
    if (node.numArgs > 2) {
      report('check_num_args', `Step '${node.name}' takes too many arguments. A step takes only 'self'; a join step takes 'self' and 'inputs'.`, place, [node.name]);
    } else if (node.numArgs === 2 && node.type !== 'join') {
      report('check_num_args', `Step '${node.name}' takes an 'inputs' argument, which makes it a join, but it does not go to exactly one next step. A step cannot both join and split: add a separate step after the join for the split (or remove 'inputs' if this step is not a join).`, place, [node.name]);
    } else if (node.numArgs === 0) {
      report('check_num_args', `Step '${node.name}' is missing the 'self' argument: write def ${node.name}(self):.`, place, [node.name]);
    }
  }
};

const checkStaticTransitions: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (node.type !== 'end' && !node.hasTailNext) {
      report('check_static_transitions', `Step '${node.name}' does not end with a self.next() call, so the flow does not know where to go after it. Make self.next(self.<next_step>) the last statement of the step.`, at(s, node.name), [node.name]);
    }
  }
};

const VALID_FORMS = 'self.next(self.a) (linear), self.next(self.a, self.b) (static split), self.next(self.a, foreach="items") (foreach), self.next(self.a, num_parallel=4) (parallel) or self.next({"x": self.a, "y": self.b}, condition="var") (switch)';

const checkValidTransitions: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (node.type !== 'end' && node.hasTailNext && node.invalidTailNext) {
      const problem = s.steps.get(node.name)?.tail.problem;
      report('check_valid_transitions', `Step '${node.name}' has an invalid self.next() transition${problem ? `: ${problem}` : ''}. Use one of ${VALID_FORMS}.`, at(s, node.name, 'next'), [node.name]);
    }
  }
};

const checkUnknownTransitions: Check = (s, report) => {
  const names = [...s.graph.nodes.keys()];
  for (const node of nodesOf(s)) {
    const raw = s.steps.get(node.name);
    for (const target of new Set(node.outFuncs.filter((n) => !known(s, n)))) {
      const near = closestName(target, names);
      const range = raw?.tail.targetRanges[target] ?? at(s, node.name, 'next').range;
      report('check_unknown_transitions', `Step '${node.name}' goes to an unknown step '${target}'${near ? ` (did you mean '${near}'?)` : ''}. Define a @step named ${target} or fix the self.next() target.`, { line: raw?.tail.line || raw?.line || s.flowLine, range }, [node.name]);
    }
  }
};

/**
 * Metaflow walks every path from every step (in name order) and reports the first step whose
 * successor is already on the path. The same walk is done here, but only through steps that can
 * still reach a loop, which makes it linear; each distinct loop is reported once.
 */
const checkForAcyclicity: Check = (s, report) => {
  const { graph } = s;
  const successors = (n: GraphNode) => n.outFuncs.filter((o) => known(s, o) && !(n.type === 'split-switch' && o === n.name));
  const onCycle = cycleMembers(graph, successors);
  if (onCycle.size === 0) return;
  const canReachCycle = new Set(onCycle);
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of nodesOf(s)) {
      if (!canReachCycle.has(node.name) && successors(node).some((n) => canReachCycle.has(n))) {
        canReachCycle.add(node.name);
        changed = true;
      }
    }
  }
  const reported = new Set<string>();
  for (const root of graph.nodes.keys()) {
    if (!canReachCycle.has(root)) continue;
    const seen: string[] = [];
    let node = graph.nodes.get(root)!;
    for (let guard = 0; guard <= graph.nodes.size + 1; guard++) {
      const next = successors(node).find((n) => canReachCycle.has(n))!;
      if (seen.includes(next)) {
        const loop = [...seen, next];
        const members = loop.slice(loop.indexOf(next));
        const key = [...new Set(members)].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          report('check_for_acyclicity', `There is a loop in your flow: ${loop.join(' -> ')}. Steps may not lead back to an earlier step (only a switch may point to itself); fix the self.next() in '${node.name}'.`, at(s, node.name, 'next'), [...new Set(members)]);
        }
        break;
      }
      seen.push(next);
      node = graph.nodes.get(next)!;
    }
  }
};

export function hasCycle(s: LintSubject): boolean {
  let found = false;
  checkForAcyclicity(s, () => {
    found = true;
  });
  return found;
}

const checkForOrphans: Check = (s, report) => {
  const { graph } = s;
  if (graph.startStep === undefined) return;
  const seen = new Set([graph.startStep]);
  const stack = [graph.startStep];
  while (stack.length) {
    const node = graph.nodes.get(stack.pop()!)!;
    for (const n of node.outFuncs) {
      if (!seen.has(n) && known(s, n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  for (const node of nodesOf(s)) {
    if (!seen.has(node.name)) {
      report('check_for_orphans', `Step '${node.name}' can never run: no path from the start step '${graph.startStep}' leads to it. Add self.next(self.${node.name}) in the step that should come before it, or remove the step.`, at(s, node.name), [node.name]);
    }
  }
};

const checkSplitJoinBalance: Check = (s, report) => {
  const { graph } = s;
  if (graph.startStep === undefined || graph.endStep === undefined) return;
  // Metaflow only reaches this check for acyclic graphs; on a loop its walk would not end.
  if (hasCycle(s)) return;
  type Frame = { split: string; roots: string[] };
  const visited = new Set<string>();
  const parentsOf = (n: string): string => {
    const node = graph.nodes.get(n)!;
    return (node.type === 'join' ? node.splitParents.slice(0, -1) : node.splitParents).join(',');
  };
  const walk = (name: string, stack: Frame[]): void => {
    const key = `${name}|${stack.map((f) => f.split).join(',')}`;
    if (visited.has(key)) return;
    visited.add(key);
    const node = graph.nodes.get(name)!;
    let newStack = stack;
    if (node.type === 'split' || node.type === 'foreach') {
      newStack = [...stack, { split: name, roots: node.outFuncs }];
    } else if (node.type === 'split-switch') {
      for (const n of node.outFuncs) if (n !== name && known(s, n)) walk(n, stack);
      return;
    } else if (node.type === 'end') {
      if (stack.length > 0) {
        const open = stack[stack.length - 1];
        report('check_split_join_balance', `The end step '${graph.endStep}' is reached before the split at '${open.split}' (into ${open.roots.join(', ')}) is joined. Add a join step (def join(self, inputs):) before '${graph.endStep}'.`, at(s, name), [name, open.split]);
      }
    } else if (node.type === 'join') {
      if (stack.length > 0) {
        const { split, roots } = stack[stack.length - 1];
        newStack = stack.slice(0, -1);
        const incoming = node.inFuncs.filter((n) => known(s, n)).map((n) => graph.nodes.get(n)!);
        const resolved = new Set(incoming.map((n) => n.splitBranches.at(-1) ?? n.name));
        const expected = new Set(roots);
        const same = resolved.size === expected.size && [...resolved].every((r) => expected.has(r));
        // A parent outside every branch (a foreach straight into its join) cannot be resolved by
        // Metaflow either; check_empty_foreaches names that mistake.
        if (!same && incoming.every((n) => n.splitBranches.length > 0)) {
          report('check_split_join_balance', `Join step '${name}' is reached from ${[...resolved].join(', ') || 'no branch'}, but the split at '${split}' opened ${roots.length} branches (${roots.join(', ')}). Every branch of a split must end in the same join, and a join may only close one split.`, at(s, name), [name, split]);
        }
      } else {
        report('check_split_join_balance', `Step '${name}' takes an 'inputs' argument, which makes it a join, but no split comes before it. Remove 'inputs' (def ${name}(self):) or add a split before it.`, at(s, name), [name]);
      }
      const lineages = new Set(node.inFuncs.filter((n) => known(s, n)).map(parentsOf));
      if (lineages.size > 1) {
        report('check_split_join_balance', `Join step '${name}' joins steps from unrelated splits (${node.inFuncs.join(', ')}). Each split needs its own join: join the inner split first, then the outer one.`, at(s, name), [name, ...node.inFuncs]);
      }
    }
    for (const n of node.outFuncs) if (known(s, n)) walk(n, newStack);
  };
  if (graph.nodes.has(graph.startStep)) walk(graph.startStep, []);
};

const checkSwitchSplits: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (node.type !== 'split-switch') continue;
    const raw = s.steps.get(node.name);
    const place = atDefLine(s, node.name, 'next');
    if (node.outFuncs.length < 2) {
      report('check_switch_splits', `Switch step '${node.name}' has ${node.outFuncs.length} case${node.outFuncs.length === 1 ? '' : 's'}; a switch needs at least 2. Add another case, or use self.next(self.${node.outFuncs[0] ?? 'step'}) for a plain transition.`, place, [node.name]);
    }
    if (!raw?.tail.condition) report('check_switch_splits', `Switch step '${node.name}' has no condition: add condition="<artifact name>" to self.next().`, place, [node.name]);
    if (!raw?.tail.switchCases || Object.keys(raw.tail.switchCases).length === 0) report('check_switch_splits', `Switch step '${node.name}' defines no cases.`, place, [node.name]);
  }
};

const checkEmptyForeaches: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (node.type !== 'foreach') continue;
    const joins = node.outFuncs.filter((n) => s.graph.nodes.get(n)?.type === 'join');
    if (joins.length) {
      report('check_empty_foreaches', `Foreach step '${node.name}' goes straight to the join '${joins[0]}', so nothing runs for each item. Add a step between the foreach and the join that does the per-item work.`, atDefLine(s, node.name, 'next'), [node.name, joins[0]]);
    }
  }
};

const checkParallelStepAfterNext: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (node.parallelForeach && !node.outFuncs.every((n) => s.graph.nodes.get(n)?.parallelStep ?? true)) {
      const targets = node.outFuncs.filter((n) => s.graph.nodes.get(n) && !s.graph.nodes.get(n)!.parallelStep);
      report('check_parallel_step_after_next', `Step '${node.name}' starts ${targets.join(', ')} with self.next(..., num_parallel=...), but ${targets.join(', ')} has no @parallel decorator. Add @parallel above @step on ${targets.join(', ')}.`, atDefLine(s, node.name, 'next'), [node.name, ...targets]);
    }
  }
};

const checkJoinFollowedByParallelStep: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (!node.parallelStep || node.outFuncs.length === 0) continue;
    const next = s.graph.nodes.get(node.outFuncs[0]);
    if (next && next.type !== 'join') {
      report('check_join_followed_by_parallel_step', `Step '${next.name}' comes after the @parallel step '${node.name}' but is not a join step. Make it a join by adding an 'inputs' argument: def ${next.name}(self, inputs):.`, atDefLine(s, node.name, 'next'), [node.name, next.name]);
    }
  }
};

const checkParallelForeachCallsParallelStep: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (!node.parallelStep) continue;
    for (const caller of nodesOf(s)) {
      if (caller.outFuncs.includes(node.name) && !caller.parallelForeach) {
        report('check_parallel_foreach_calls_parallel_step', `Step '${node.name}' has a @parallel decorator, but step '${caller.name}' does not start it with self.next(self.${node.name}, num_parallel=N). Call it with num_parallel, or remove @parallel.`, atDefLine(s, node.name, 'parallel'), [node.name, caller.name]);
      }
    }
  }
};

const checkNestedForeach: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (node.type === 'foreach' && node.splitParents.some((p) => s.graph.nodes.get(p)?.type === 'foreach')) {
      report('check_nested_foreach', `Foreach step '${node.name}' is nested inside another foreach, which this target does not support. Join the outer foreach before starting a new one.`, atDefLine(s, node.name, 'next'), [node.name]);
    }
  }
};

const checkAmbiguousJoins: Check = (s, report) => {
  for (const node of nodesOf(s)) {
    if (node.type !== 'join') continue;
    const parents = node.inFuncs.filter((p) => s.graph.nodes.get(p)?.type === 'split-switch');
    if (parents.length) {
      report('check_ambiguous_joins', `A switch cannot lead directly to the join step '${node.name}' (from ${parents.join(', ')}): the join would not know which branches to wait for. Add an ordinary step on that path between the switch and the join.`, at(s, node.name), [node.name, ...parents]);
    }
  }
};

/** Every check, in Metaflow's order. */
export const CHECKS: Array<{ name: string; run: Check; optional?: boolean }> = [
  { name: 'check_reserved_words', run: checkReservedWords },
  { name: 'check_basic_steps', run: checkBasicSteps },
  { name: 'check_annotation_name_conflict', run: checkAnnotationNameConflict },
  { name: 'check_start_end_degree', run: checkStartEndDegree },
  { name: 'check_that_end_is_end', run: checkThatEndIsEnd },
  { name: 'check_step_names', run: checkStepNames },
  { name: 'check_num_args', run: checkNumArgs },
  { name: 'check_static_transitions', run: checkStaticTransitions },
  { name: 'check_valid_transitions', run: checkValidTransitions },
  { name: 'check_unknown_transitions', run: checkUnknownTransitions },
  { name: 'check_for_acyclicity', run: checkForAcyclicity },
  { name: 'check_for_orphans', run: checkForOrphans },
  { name: 'check_split_join_balance', run: checkSplitJoinBalance },
  { name: 'check_switch_splits', run: checkSwitchSplits },
  { name: 'check_empty_foreaches', run: checkEmptyForeaches },
  { name: 'check_parallel_step_after_next', run: checkParallelStepAfterNext },
  { name: 'check_join_followed_by_parallel_step', run: checkJoinFollowedByParallelStep },
  { name: 'check_parallel_foreach_calls_parallel_step', run: checkParallelForeachCallsParallelStep },
  { name: 'check_nested_foreach', run: checkNestedForeach, optional: true },
  { name: 'check_ambiguous_joins', run: checkAmbiguousJoins },
];

export function lintFlow(subject: LintSubject, options: LintOptions = {}): LintError[] {
  const errors: LintError[] = [];
  const seen = new Set<string>();
  const report: Reporter = (check, message, place, steps) => {
    const key = `${check}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    errors.push({ check, message, line: place.line, range: place.range, steps });
  };
  for (const check of CHECKS) {
    if (check.optional && !options.requireNonNestedForeach) continue;
    check.run(subject, report);
  }
  return errors;
}

function closestName(target: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(target, name);
    if (d < bestDistance) {
      bestDistance = d;
      best = name;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(target.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance: a swap of two neighbouring letters (a common typo) costs 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
