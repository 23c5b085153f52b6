// The flow graph with Metaflow's semantics (metaflow/graph.py FlowGraph): start/end, in_funcs,
// split_parents, split_branches, matching_join, sorted_nodes, is_inside_foreach, graph_structure.
import type { RawStep } from './classModel';
import type { GraphStructure, StepType } from './types';
import type { NodeKind } from './transitions';

export interface GraphNode {
  name: string;
  type: NodeKind;
  outFuncs: string[];
  numArgs: number;
  hasTailNext: boolean;
  invalidTailNext: boolean;
  isStartStep: boolean;
  isEndStep: boolean;
  parallelStep: boolean;
  parallelForeach: boolean;
  inFuncs: string[];
  splitParents: string[];
  splitBranches: string[];
  matchingJoin?: string;
  isInsideForeach: boolean;
}

export interface FlowGraph {
  /** graph_structure, computed once per graph. */
  structure?: GraphStructure;
  /** In `dir(flow_class)` order (sorted by name), as Metaflow iterates them. */
  nodes: Map<string, GraphNode>;
  sortedNodes: string[];
  startStep?: string;
  endStep?: string;
}

/** Nodes touched by a traversal, in the order of their last visit, with the last values written. */
interface Effects {
  touches: string[];
  attrs: Map<string, { splitParents: string[]; splitBranches: string[] }>;
  joins: Map<string, string>;
}

/** What the graph depends on: a body edit that keeps it the same can reuse the graph built before. */
export function graphSignature(steps: RawStep[]): string {
  return steps
    .map((s) => [s.name, s.tail.kind, s.tail.outFuncs.join(','), s.numArgs, s.tail.hasTailNext, s.tail.invalidTailNext, s.startAnnotation, s.endAnnotation, s.parallelDecoratorRange !== undefined, s.tail.parallelForeach].join('|'))
    .sort()
    .join('\n');
}

/** Recently built graphs by signature (a few per document). Graphs are never mutated once built. */
export class GraphCache {
  private readonly graphs = new Map<string, FlowGraph>();

  constructor(private readonly capacity = 8) {}

  get(steps: RawStep[]): FlowGraph {
    const signature = graphSignature(steps);
    const hit = this.graphs.get(signature);
    if (hit) {
      this.graphs.delete(signature);
      this.graphs.set(signature, hit);
      return hit;
    }
    const graph = buildGraph(steps);
    this.graphs.set(signature, graph);
    if (this.graphs.size > this.capacity) this.graphs.delete(this.graphs.keys().next().value as string);
    return graph;
  }
}

export function buildGraph(steps: RawStep[]): FlowGraph {
  const nodes = new Map<string, GraphNode>();
  for (const s of [...steps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    nodes.set(s.name, {
      name: s.name,
      type: s.tail.kind,
      outFuncs: [...s.tail.outFuncs],
      numArgs: s.numArgs,
      hasTailNext: s.tail.hasTailNext,
      invalidTailNext: s.tail.invalidTailNext,
      isStartStep: s.startAnnotation,
      isEndStep: s.endAnnotation,
      parallelStep: s.parallelDecoratorRange !== undefined,
      parallelForeach: s.tail.parallelForeach,
      inFuncs: [],
      splitParents: [],
      splitBranches: [],
      isInsideForeach: false,
    });
  }
  const graph: FlowGraph = { nodes, sortedNodes: [] };
  identifyStartEnd(graph);
  traverse(graph);
  postprocess(graph);
  return graph;
}

function identifyStartEnd(graph: FlowGraph): void {
  const resolve = (annotated: string[], fallback: string): string | undefined => {
    if (annotated.length === 1) return annotated[0];
    if (annotated.length === 0) return graph.nodes.has(fallback) ? fallback : undefined;
    return undefined;
  };
  const all = [...graph.nodes.values()];
  graph.startStep = resolve(all.filter((n) => n.isStartStep).map((n) => n.name), 'start');
  graph.endStep = resolve(all.filter((n) => n.isEndStep).map((n) => n.name), 'end');
  if (graph.nodes.size === 1) {
    const only = all[0].name;
    graph.startStep = only;
    graph.endStep = only;
  }
  if (graph.startStep && graph.startStep === graph.endStep) {
    graph.nodes.get(graph.startStep)!.type = 'end';
    return;
  }
  if (graph.startStep) {
    const node = graph.nodes.get(graph.startStep)!;
    if (node.type === null || node.type === 'linear') node.type = 'start';
  }
  if (graph.endStep) graph.nodes.get(graph.endStep)!.type = 'end';
}

/**
 * Steps that lie on a cycle (strongly connected components with more than one step, or a step
 * that is its own successor) when following `successors` (Tarjan's algorithm).
 */
export function cycleMembers(graph: FlowGraph, successors: (node: GraphNode) => string[]): Set<string> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out = new Set<string>();
  let counter = 0;
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    const succ = successors(graph.nodes.get(v)!);
    for (const w of succ) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || succ.includes(v)) for (const c of component) out.add(c);
    }
  };
  for (const name of graph.nodes.keys()) if (!index.has(name)) strong(name);
  return out;
}

/** The effects of running `parts` one after the other: later visits and writes win. */
function concatEffects(parts: Effects[]): Effects {
  if (parts.length === 1) return parts[0];
  const seen = new Set<string>();
  const reversed: string[] = [];
  const attrs = new Map<string, { splitParents: string[]; splitBranches: string[] }>();
  const joins = new Map<string, string>();
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    for (let k = p.touches.length - 1; k >= 0; k--) {
      const t = p.touches[k];
      if (!seen.has(t)) {
        seen.add(t);
        reversed.push(t);
      }
    }
    for (const [k, v] of p.attrs) if (!attrs.has(k)) attrs.set(k, v);
    for (const [k, v] of p.joins) if (!joins.has(k)) joins.set(k, v);
  }
  return { touches: reversed.reverse(), attrs, joins };
}

/**
 * Metaflow's `_traverse_graph` follows every path from start, so later visits overwrite earlier
 * ones; that is exponential in the number of consecutive splits. The walk from a step depends only
 * on (step, split parents, split branches, visited steps that lie on cycles), so its effects are
 * computed once per such state and replayed, which gives the same result in polynomial time.
 *
 * In a valid flow every join pops the branch its split pushed, so the states stay few. A step that
 * both joins and splits (a lint error) never pops, and its branch lists double at every such step;
 * past a budget the walk is redone keyed by step alone (the first path to a step decides its
 * split parents), which keeps a half-typed flow responsive instead of exhausting memory.
 */
function traverse(graph: FlowGraph): void {
  if (!graph.startStep || !graph.nodes.has(graph.startStep)) return;
  const joinThatSplits = [...graph.nodes.values()].some((n) => n.type === 'join' && n.outFuncs.length > 1);
  if (joinThatSplits) {
    traverseFrom(graph, graph.startStep, true);
    return;
  }
  try {
    traverseFrom(graph, graph.startStep, false);
  } catch (err) {
    if (!(err instanceof StateBudgetExceeded)) throw err;
    traverseFrom(graph, graph.startStep, true);
  }
}

class StateBudgetExceeded extends Error {}

function traverseFrom(graph: FlowGraph, startStep: string, perStepOnly: boolean): void {
  const cyclic = cycleMembers(graph, (n) => n.outFuncs.filter((o) => graph.nodes.has(o)));
  const memo = new Map<string, Effects>();
  const budget = 4 * graph.nodes.size + 256;
  // Every state's walk is computed once, so each edge it follows is recorded once, here.
  const inFuncs = new Map<string, Set<string>>();

  // Only steps on a cycle can be met twice on one path, so `seen` holds just those.
  const visit = (name: string, seen: string[], splitParents: string[], splitBranches: string[]): Effects => {
    const sortedSeen = [...seen].sort().join(',');
    const key = perStepOnly ? `${name}|${sortedSeen}` : `${name}|${splitParents.join(',')}|${splitBranches.join(',')}|${sortedSeen}`;
    const cached = memo.get(key);
    if (cached) return cached;
    if (!perStepOnly && memo.size > budget) throw new StateBudgetExceeded();
    const node = graph.nodes.get(name)!;
    const own: Effects = { touches: [name], attrs: new Map(), joins: new Map() };
    let addSplitBranch = false;
    let parents = splitParents;
    let branches = splitBranches;
    if (node.type === 'split' || node.type === 'foreach') {
      own.attrs.set(name, { splitParents: parents, splitBranches: branches });
      addSplitBranch = true;
      parents = [...parents, name];
    } else if (node.type === 'join') {
      if (parents.length > 0) {
        own.joins.set(parents[parents.length - 1], name);
        own.attrs.set(name, { splitParents: parents, splitBranches: branches.slice(0, -1) });
        parents = parents.slice(0, -1);
        branches = branches.slice(0, -1);
      }
    } else {
      own.attrs.set(name, { splitParents: parents, splitBranches: branches });
    }
    const parts: Effects[] = [own];
    for (const next of node.outFuncs) {
      if (seen.includes(next) || !graph.nodes.has(next)) continue;
      if (!inFuncs.has(next)) inFuncs.set(next, new Set());
      inFuncs.get(next)!.add(name);
      parts.push(visit(next, cyclic.has(next) ? [...seen, next] : seen, parents, addSplitBranch ? [...branches, next] : branches));
    }
    const effects = concatEffects(parts);
    memo.set(key, effects);
    return effects;
  };

  const effects = visit(startStep, [], [], []);
  graph.sortedNodes = effects.touches;
  for (const [name, a] of effects.attrs) {
    const node = graph.nodes.get(name)!;
    node.splitParents = a.splitParents;
    node.splitBranches = a.splitBranches;
  }
  for (const [split, join] of effects.joins) graph.nodes.get(split)!.matchingJoin = join;
  for (const [child, set] of inFuncs) graph.nodes.get(child)!.inFuncs = [...set].sort();
}

function postprocess(graph: FlowGraph): void {
  for (const node of graph.nodes.values()) {
    const foreaches = node.splitParents.filter((p) => graph.nodes.get(p)?.type === 'foreach');
    if (foreaches.some((f) => graph.nodes.get(f)!.matchingJoin !== node.name)) node.isInsideForeach = true;
  }
}

/** `FlowGraph.output_steps` node_to_type. A step without a valid transition has no Metaflow type; it is drawn as linear. */
export function serializedType(node: GraphNode): StepType {
  switch (node.type) {
    case 'start':
    case 'linear':
    case 'join':
    case 'end':
      return node.type;
    case 'split':
      return 'split-static';
    case 'foreach':
      return node.parallelForeach ? 'split-parallel' : 'split-foreach';
    case 'split-switch':
      return 'split-switch';
    default:
      return 'linear';
  }
}

/** Above this many names when written out, graph_structure switches to the compact form below. */
const MAX_STRUCTURE_SIZE = 5000;

/**
 * `output_steps`' nested `graph_structure`. Metaflow computes it only for flows that pass lint;
 * here every walk is bounded so a broken flow still gets a best-effort structure.
 *
 * Metaflow walks each switch branch on to the end of the enclosing block, so every later step is
 * repeated once per branch, and consecutive switches double the size each time. Blocks are
 * memoised (shared) while building; when the written-out structure would exceed
 * MAX_STRUCTURE_SIZE names, switch branches stop where they meet again instead.
 */
export function graphStructure(graph: FlowGraph): GraphStructure {
  const { startStep, endStep } = graph;
  if (!startStep) return [];
  if (startStep === endStep) return [endStep];
  const exact = buildStructure(graph, startStep, endStep, false);
  const structure = structureSize(exact, new Map()) > MAX_STRUCTURE_SIZE ? buildStructure(graph, startStep, endStep, true) : exact;
  return endStep ? [...structure, endStep] : structure;
}

function structureSize(block: GraphStructure, memo: Map<GraphStructure, number>): number {
  const cached = memo.get(block);
  if (cached !== undefined) return cached;
  let size = 0;
  for (const item of block) {
    if (typeof item === 'string') size += 1;
    else for (const branch of item) size += structureSize(branch, memo);
    if (size > MAX_STRUCTURE_SIZE) break;
  }
  memo.set(block, size);
  return size;
}

/** The first step (in walk order) that every branch of a switch reaches: where its paths meet. */
function meetingPoint(graph: FlowGraph, switchName: string, branches: string[]): string | undefined {
  const reach = branches.map((b) => {
    const seen = new Set<string>();
    const stack = [b];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n) || n === switchName || !graph.nodes.has(n)) continue;
      seen.add(n);
      stack.push(...graph.nodes.get(n)!.outFuncs);
    }
    return seen;
  });
  return graph.sortedNodes.find((n) => reach.every((r) => r.has(n)));
}

function buildStructure(graph: FlowGraph, startStep: string, endStep: string | undefined, compact: boolean): GraphStructure {
  const memo = new Map<string, GraphStructure>();
  const active = new Set<string>();
  const block = (startName: string | undefined, endName: string | undefined): GraphStructure => {
    const key = `${startName}|${endName}`;
    const cached = memo.get(key);
    if (cached) return cached;
    const result: GraphStructure = [];
    const local: string[] = [];
    let cur = startName;
    while (cur !== undefined && cur !== endName) {
      const node = graph.nodes.get(cur);
      if (!node || active.has(cur)) break;
      active.add(cur);
      local.push(cur);
      result.push(cur);
      const type = serializedType(node);
      if (type === 'split-static' || type === 'split-foreach') {
        const join = node.matchingJoin;
        result.push(node.outFuncs.map((s) => block(s, join)));
        if (join === undefined) break;
        cur = join;
      } else if (type === 'split-switch') {
        const branches = node.outFuncs.filter((s) => s !== cur);
        const meet = compact ? meetingPoint(graph, cur, branches) : undefined;
        const stop = meet !== undefined && meet !== endName ? meet : endName;
        result.push(branches.map((s) => block(s, stop)));
        cur = stop;
      } else if (node.outFuncs.length > 0 && type !== 'end') {
        cur = node.outFuncs[0];
      } else {
        break;
      }
    }
    for (const n of local) active.delete(n);
    memo.set(key, result);
    return result;
  };
  return block(startStep, endStep);
}
