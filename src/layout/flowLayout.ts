// Lays a flow out for the DAG panel with elkjs (layered, top to bottom) and overlays lint errors and run
// state. Positions depend only on the graph's structure, so they are cached by a structural key: a run
// status update or an edit that does not change the graph re-uses them without calling elkjs.
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api';
import type { FlowInfo, StepInfo } from '../flow/types';
import { flowEdges, type FlowEdge } from './flowEdges';
import { EDGE_LABEL, edgeLabelWidth, nodeSize } from './nodeMetrics';
import type { Point, PositionedEdge, PositionedGraph, PositionedNode, StepRunState } from './types';

/** The part of elkjs' API the layout uses; injectable so one ELK instance can be shared or replaced. */
export interface ElkLayoutEngine {
  layout(graph: ElkNode): Promise<ElkNode>;
}

export interface FlowLayoutOptions {
  /** The elkjs instance to use; when absent, one bundled (in-thread) ELK is loaded on the first layout. */
  elk?: ElkLayoutEngine;
  /** How many distinct graph structures to keep positions for. */
  cacheSize?: number;
  /** elkjs options layered over the defaults (spacing, strategies). */
  layoutOptions?: LayoutOptions;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Geometry {
  width: number;
  height: number;
  boxes: Map<string, Box>;
  edges: PositionedEdge[];
}

export interface FlowLayoutStats {
  /** Layouts computed by elkjs. */
  computed: number;
  /** Layouts served from the structural cache. */
  reused: number;
}

const LAYOUT_OPTIONS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.padding': '[top=32,left=32,bottom=32,right=32]',
  'elk.spacing.nodeNode': '36',
  'elk.layered.spacing.nodeNodeBetweenLayers': '52',
  'elk.spacing.edgeNode': '18',
  'elk.spacing.edgeEdge': '14',
  'elk.layered.spacing.edgeNodeBetweenLayers': '22',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '12',
  'elk.spacing.edgeLabel': '4',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.edgeLabels.inline': 'true',
  // Metaflow's sorted order decides left-to-right and which edge of a cycle is the back edge.
  // Steps sit as close to the start as their longest path allows, so the branches of a split begin side by side.
  'elk.layered.layering.strategy': 'LONGEST_PATH_SOURCE',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.crossingMinimization.forceNodeModelOrder': 'false',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
  'elk.layered.nodePlacement.favorStraightEdges': 'true',
  'elk.layered.mergeEdges': 'false',
  'elk.layered.unnecessaryBendpoints': 'false',
  'elk.separateConnectedComponents': 'false',
};

/** Decorator names shown on a step's card, once each, in source order. */
export function stepBadges(step: StepInfo): string[] {
  return [...new Set(step.decorators.map((d) => d.name))];
}

/** Everything that changes positions; nothing else (run state, docs, lint messages, ranges) may be in it. */
function structureKey(flow: FlowInfo, edges: FlowEdge[]): string {
  return JSON.stringify([
    flow.steps.map((s) => [s.name, s.type, s.foreach ?? '', s.condition ?? '', String(s.numParallel ?? ''), stepBadges(s)]),
    edges.map((e) => [e.from, e.to, e.kind, e.label ?? '']),
  ]);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function edgePoints(edge: ElkExtendedEdge): Point[] {
  const points: Point[] = [];
  for (const section of edge.sections ?? []) {
    for (const p of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
      const last = points[points.length - 1];
      if (!last || last.x !== p.x || last.y !== p.y) points.push({ x: round(p.x), y: round(p.y) });
    }
  }
  return points;
}

export class FlowLayout {
  /** Loaded on first use: elkjs is large, and extension activation should not pay for it. */
  private elk?: Promise<ElkLayoutEngine>;
  private readonly cacheSize: number;
  private readonly layoutOptions: LayoutOptions;
  /** Insertion-ordered: the first key is the least recently used. */
  private readonly cache = new Map<string, Promise<Geometry>>();
  private readonly counters: FlowLayoutStats = { computed: 0, reused: 0 };

  constructor(options: FlowLayoutOptions = {}) {
    if (options.elk) this.elk = Promise.resolve(options.elk);
    this.cacheSize = Math.max(1, options.cacheSize ?? 32);
    this.layoutOptions = { ...LAYOUT_OPTIONS, ...options.layoutOptions };
  }

  get stats(): FlowLayoutStats {
    return { ...this.counters };
  }

  async layout(flow: FlowInfo, run?: Record<string, StepRunState>): Promise<PositionedGraph> {
    const edges = flowEdges(flow);
    const key = structureKey(flow, edges);
    let geometry = this.cache.get(key);
    if (geometry) {
      this.counters.reused += 1;
      this.cache.delete(key);
    } else {
      this.counters.computed += 1;
      geometry = this.compute(flow, edges);
      // A failed layout must not poison the cache for the next attempt.
      geometry.catch(() => this.cache.delete(key));
    }
    this.cache.set(key, geometry);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return decorate(flow, await geometry, run);
  }

  private async compute(flow: FlowInfo, edges: FlowEdge[]): Promise<Geometry> {
    const graph: ElkNode = {
      id: '__flow__',
      layoutOptions: this.layoutOptions,
      children: flow.steps.map((step) => ({ id: step.name, ...nodeSize(step, stepBadges(step)) })),
      edges: edges.map((e) => ({
        id: e.id,
        sources: [e.from],
        targets: [e.to],
        ...(e.label ? { labels: [{ id: `${e.id}#label`, text: e.label, width: edgeLabelWidth(e.label), height: EDGE_LABEL.height }] } : {}),
      })),
    };
    this.elk ??= import('elkjs/lib/elk.bundled.js').then((m) => new m.default());
    const result = await (await this.elk).layout(graph);
    const boxes = new Map<string, Box>();
    for (const child of result.children ?? []) {
      boxes.set(child.id, { x: round(child.x ?? 0), y: round(child.y ?? 0), width: child.width ?? 0, height: child.height ?? 0 });
    }
    const laidEdges = new Map((result.edges ?? []).map((e) => [e.id, e]));
    const positioned: PositionedEdge[] = edges.map((e) => {
      const laid = laidEdges.get(e.id);
      const label = laid?.labels?.[0];
      return {
        id: e.id,
        from: e.from,
        to: e.to,
        kind: e.kind,
        ...(e.label !== undefined ? { label: e.label } : {}),
        ...(label && e.label !== undefined ? { labelPosition: { x: round((label.x ?? 0) + (label.width ?? 0) / 2), y: round((label.y ?? 0) + (label.height ?? 0) / 2) } } : {}),
        points: laid ? edgePoints(laid) : [],
      };
    });
    return { width: Math.ceil(result.width ?? 0), height: Math.ceil(result.height ?? 0), boxes, edges: positioned };
  }
}

function terminalOf(flow: FlowInfo, step: StepInfo): 'start' | 'end' | undefined {
  if (step.name === (flow.start ?? 'start') || step.type === 'start') return 'start';
  if (step.name === (flow.end ?? 'end') || step.type === 'end') return 'end';
  return undefined;
}

function decorate(flow: FlowInfo, geometry: Geometry, run: Record<string, StepRunState> | undefined): PositionedGraph {
  const errorsByStep = new Map<string, string[]>();
  for (const error of flow.errors) {
    for (const step of error.steps) errorsByStep.set(step, [...(errorsByStep.get(step) ?? []), error.message]);
  }
  const nodes: PositionedNode[] = flow.steps.map((step) => {
    const box = geometry.boxes.get(step.name) ?? { x: 0, y: 0, width: 0, height: 0 };
    return {
      step: step.name,
      type: step.type,
      ...box,
      badges: stepBadges(step),
      ...(terminalOf(flow, step) ? { terminal: terminalOf(flow, step) } : {}),
      ...(step.doc ? { doc: step.doc } : {}),
      errors: errorsByStep.get(step.name) ?? [],
      ...(step.foreach ? { foreach: step.foreach } : {}),
      ...(step.condition ? { condition: step.condition } : {}),
      ...(step.numParallel !== undefined ? { numParallel: step.numParallel } : {}),
      run: run?.[step.name] ? { ...run[step.name] } : { status: 'idle' },
    };
  });
  return {
    flow: flow.name,
    width: geometry.width,
    height: geometry.height,
    nodes,
    edges: geometry.edges.map((e) => ({ ...e, points: e.points.map((p) => ({ ...p })), ...(e.labelPosition ? { labelPosition: { ...e.labelPosition } } : {}) })),
  };
}
