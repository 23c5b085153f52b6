// Draws a positioned flow graph as SVG: edges (with case/foreach labels) under step cards. Geometry comes
// from the layout; offsets inside a card come from the shared node metrics so that text fits as sized.
import { NODE, describeStep, edgeLabelWidth, layoutBadges, smallTextWidth, titleWidth, EDGE_LABEL } from '../src/layout/nodeMetrics';
import type { EdgeKind, PositionedEdge, PositionedGraph, PositionedNode, StepRunState } from '../src/layout/types';
import { formatDuration } from '../src/runs/formatDuration';
import { roundedPath } from './edgePath';
import { kindIcon, statusIcon } from './icons';
import { svgEl } from './svg';

const EDGE_KINDS: EdgeKind[] = ['normal', 'foreach', 'parallel', 'switch', 'loop', 'join'];
const TEXT_X = NODE.paddingX + NODE.iconSize + NODE.iconGap;

export interface RenderedGraph {
  nodes: Map<string, SVGGElement>;
  edges: SVGGElement[];
}

function arrowMarker(id: string, cls: string): SVGMarkerElement {
  return svgEl(
    'marker',
    { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
    svgEl('path', { d: 'M1 1.2L9 5L1 8.8z', class: `arrowhead ${cls}` }),
  );
}

export function renderDefs(): SVGDefsElement {
  return svgEl('defs', {}, ...EDGE_KINDS.map((k) => arrowMarker(`arrow-${k}`, `arrowhead-${k}`)), arrowMarker('arrow-related', 'arrowhead-related'));
}

function truncate(text: string, width: number, charWidth: (t: string) => number): string {
  if (charWidth(text) <= width) return text;
  let cut = text.length;
  while (cut > 1 && charWidth(`${text.slice(0, cut)}…`) > width) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

/** On the card: done/total for a step of several tasks, else its duration once done; retries after. */
export function runInfoText(run: StepRunState): string {
  const parts: string[] = [];
  if (run.tasksTotal !== undefined && run.tasksTotal > 0) parts.push(`${run.tasksDone ?? 0}/${run.tasksTotal}`);
  else if (run.durationMs !== undefined) parts.push(formatDuration(run.durationMs));
  if (run.retries) parts.push(`↻${run.retries}`);
  return parts.join(' ');
}

type TaskCountState = 'succeeded' | 'failed' | 'running' | 'retrying' | 'pending';

/** Tasks of a step of several tasks per state, in the order the progress bar draws them; undefined for a step of one task. */
export function taskCounts(run: StepRunState): Array<{ state: TaskCountState; count: number }> | undefined {
  if (run.tasksTotal === undefined || run.tasksTotal <= 1) return undefined;
  const failed = run.tasksFailed ?? 0;
  const running = run.tasksRunning ?? 0;
  const retrying = run.tasksRetrying ?? 0;
  const succeeded = Math.max(0, (run.tasksDone ?? 0) - failed);
  const pending = Math.max(0, run.tasksTotal - succeeded - failed - running - retrying);
  return [
    { state: 'succeeded', count: succeeded },
    { state: 'failed', count: failed },
    { state: 'running', count: running },
    { state: 'retrying', count: retrying },
    { state: 'pending', count: pending },
  ];
}

function runDetails(run: StepRunState): string {
  const counts = taskCounts(run);
  const details: string[] = [run.status];
  if (counts) details.push(`${run.tasksDone ?? 0} of ${run.tasksTotal} tasks done (${counts.filter((c) => c.count > 0).map((c) => `${c.count} ${c.state}`).join(', ')})`);
  if (run.durationMs !== undefined) details.push(`took ${formatDuration(run.durationMs)}`);
  if (run.retries) details.push(`${run.retries} ${run.retries === 1 ? 'retry' : 'retries'}`);
  return details.join(', ');
}

function tooltip(node: PositionedNode): string {
  const lines = [`${node.step} — ${describeStep(node)}`];
  if (node.doc) lines.push(node.doc.trim());
  if (node.badges.length) lines.push(node.badges.map((b) => `@${b}`).join(' '));
  if (node.run.status !== 'idle') {
    lines.push(`Run: ${runDetails(node.run)}`);
    if (node.run.message) lines.push(node.run.message);
  }
  for (const error of node.errors) lines.push(`⚠ ${error}`);
  return lines.join('\n');
}

function ariaLabel(node: PositionedNode): string {
  const parts = [`Step ${node.step}`, describeStep(node)];
  if (node.run.status !== 'idle') parts.push(runDetails(node.run));
  if (node.run.message) parts.push(node.run.message);
  if (node.errors.length) parts.push(`${node.errors.length} lint error${node.errors.length > 1 ? 's' : ''}: ${node.errors.join(' ')}`);
  return parts.filter(Boolean).join(', ');
}

/** Re-draws the run-dependent parts of a card (status attribute, glyph, progress text, tooltip). */
export function applyRunState(g: SVGGElement, node: PositionedNode): void {
  g.setAttribute('data-status', node.run.status);
  g.setAttribute('aria-label', ariaLabel(node));
  const title = g.querySelector('title');
  if (title) title.textContent = tooltip(node);
  g.querySelector('.run-slot')?.remove();
  const slot = svgEl('g', { class: 'run-slot' });
  const info = runInfoText(node.run);
  const right = node.width - NODE.paddingX;
  if (info) slot.append(svgEl('text', { class: 'run-info', x: right, y: NODE.subtitleBaseline, 'text-anchor': 'end' }, info));
  const icon = statusIcon(node.run.status, right - (info ? smallTextWidth(info) + 4 : 0) - 13, NODE.subtitleBaseline - 11, 13);
  if (icon) slot.append(icon);
  const counts = taskCounts(node.run);
  if (counts) slot.append(progressBar(counts, node));
  g.append(slot);
}

/** A thin bar along the card's foot, one segment per task state, so a fan-out's progress reads at a glance. */
function progressBar(counts: NonNullable<ReturnType<typeof taskCounts>>, node: PositionedNode): SVGGElement {
  const total = counts.reduce((n, c) => n + c.count, 0);
  const inset = 8;
  const width = node.width - 2 * inset;
  const bar = svgEl('g', { class: 'task-progress', transform: `translate(${inset} ${node.height - 5})`, 'aria-hidden': 'true' });
  bar.append(svgEl('rect', { class: 'progress-track', width, height: 3, rx: 1.5 }));
  let x = 0;
  for (const { state, count } of counts) {
    const w = total > 0 ? (width * count) / total : 0;
    bar.append(svgEl('rect', { class: 'progress-seg', 'data-state': state, 'data-count': count, x, width: w, height: 3 }));
    x += w;
  }
  return bar;
}

function edgeTarget(edge: PositionedEdge): string {
  if (edge.kind === 'foreach' && edge.label) return `${edge.to}, for each item of ${edge.label}`;
  if ((edge.kind === 'switch' || edge.kind === 'loop') && edge.label) return `${edge.to} when ${edge.label}`;
  return edge.to;
}

/** The edges in words, per step: they are drawn, not focusable, so a screen reader learns them from the step. */
function connections(graph: PositionedGraph): Map<string, string> {
  const after = new Map<string, string[]>();
  const next = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (!after.has(edge.to)) after.set(edge.to, []);
    if (!next.has(edge.from)) next.set(edge.from, []);
    after.get(edge.to)!.push(edge.from);
    next.get(edge.from)!.push(edgeTarget(edge));
  }
  const out = new Map<string, string>();
  for (const { step } of graph.nodes) {
    const a = after.get(step) ?? [];
    const n = next.get(step) ?? [];
    out.set(step, [a.length ? `After: ${a.join(', ')}.` : '', n.length ? `Next: ${n.join(', ')}.` : ''].filter(Boolean).join(' '));
  }
  return out;
}

function renderNode(node: PositionedNode, description: string): SVGGElement {
  const pill = node.terminal !== undefined;
  const rx = pill ? Math.min(node.height / 2, 25) : 6;
  const g = svgEl('g', {
    class: 'node',
    'data-step': node.step,
    'data-type': node.type,
    'data-status': node.run.status,
    transform: `translate(${node.x} ${node.y})`,
    tabindex: 0,
    role: 'button',
  });
  if (node.errors.length) g.setAttribute('data-error', 'true');
  // An aria-description replaces the <title> tooltip as the description, so it carries the tooltip's doc and decorators too.
  const described = [description, node.doc?.trim() ?? '', node.badges.map((b) => `@${b}`).join(' ')].filter(Boolean).join(' ');
  if (described) g.setAttribute('aria-description', described);
  if (node.terminal) g.setAttribute('data-terminal', node.terminal);
  g.append(svgEl('title'));
  if (node.type === 'split-foreach' || node.type === 'split-parallel') {
    // A fan-out reads as a stack of cards: the tasks it will start.
    g.append(svgEl('rect', { class: 'stack', x: 6, y: 6, width: node.width, height: node.height, rx }));
    g.append(svgEl('rect', { class: 'stack', x: 3, y: 3, width: node.width, height: node.height, rx }));
  }
  g.append(svgEl('rect', { class: 'card', width: node.width, height: node.height, rx }));
  g.append(svgEl('rect', { class: 'tint', width: node.width, height: node.height, rx }));
  g.append(kindIcon(node.terminal ?? node.type, NODE.paddingX, NODE.titleBaseline - 13));
  const textRoom = node.width - TEXT_X - NODE.paddingX;
  g.append(svgEl('text', { class: 'name', x: TEXT_X, y: NODE.titleBaseline }, truncate(node.step, textRoom, titleWidth)));
  g.append(svgEl('text', { class: 'subtitle', x: TEXT_X, y: NODE.subtitleBaseline }, truncate(describeStep(node), textRoom - NODE.runInfoWidth, smallTextWidth)));
  for (const badge of layoutBadges(node.badges, node.width)) {
    g.append(
      svgEl(
        'g',
        { class: 'badge', 'data-badge': badge.name, transform: `translate(${badge.x} ${badge.y})` },
        svgEl('rect', { width: badge.width, height: NODE.badgeHeight, rx: NODE.badgeHeight / 2 }),
        svgEl('text', { x: badge.width / 2, y: NODE.badgeHeight / 2 + 4, 'text-anchor': 'middle' }, badge.text),
      ),
    );
  }
  if (node.errors.length) {
    g.append(
      svgEl(
        'g',
        { class: 'error-mark', transform: `translate(${node.width - 2} 2)`, 'aria-hidden': 'true' },
        svgEl('circle', { r: 8 }),
        svgEl('path', { d: 'M0 -4.2V1.2M0 3.6v.2' }),
      ),
    );
  }
  applyRunState(g, node);
  return g;
}

function edgeTitle(edge: PositionedEdge): string {
  const arrow = `${edge.from} → ${edge.to}`;
  switch (edge.kind) {
    case 'foreach':
      return `${arrow}: one task per item of ${edge.label ?? 'the foreach'}`;
    case 'parallel':
      return `${arrow}: parallel tasks ${edge.label ?? ''}`.trim();
    case 'switch':
      return edge.label ? `${arrow} when the switch picks "${edge.label}"` : arrow;
    case 'loop':
      return edge.label ? `${edge.from} runs again when the switch picks "${edge.label}"` : `${edge.from} runs again`;
    default:
      return arrow;
  }
}

function renderEdge(edge: PositionedEdge): SVGGElement {
  const g = svgEl('g', { class: 'edge', 'data-from': edge.from, 'data-to': edge.to, 'data-kind': edge.kind }, svgEl('title', {}, edgeTitle(edge)));
  g.append(svgEl('path', { class: 'edge-line', d: roundedPath(edge.points), 'marker-end': `url(#arrow-${edge.kind})` }));
  if (edge.label !== undefined && edge.labelPosition) {
    const width = edgeLabelWidth(edge.label);
    g.append(
      svgEl(
        'g',
        { class: 'edge-label', transform: `translate(${edge.labelPosition.x} ${edge.labelPosition.y})` },
        svgEl('rect', { x: -width / 2, y: -EDGE_LABEL.height / 2, width, height: EDGE_LABEL.height, rx: 4 }),
        svgEl('text', { x: 0, y: 4, 'text-anchor': 'middle' }, edge.label),
      ),
    );
  }
  return g;
}

/** Fills `layer` with the graph's edges and nodes (nodes last, so cards sit on top of edges). */
export function renderGraph(layer: SVGGElement, graph: PositionedGraph): RenderedGraph {
  const edgeLayer = svgEl('g', { class: 'edges' });
  const nodeLayer = svgEl('g', { class: 'nodes' });
  const edges = graph.edges.filter((e) => e.points.length >= 2).map(renderEdge);
  edgeLayer.append(...edges);
  const nodes = new Map<string, SVGGElement>();
  const descriptions = connections(graph);
  for (const node of graph.nodes) {
    const g = renderNode(node, descriptions.get(node.step) ?? '');
    nodes.set(node.step, g);
    nodeLayer.append(g);
  }
  layer.replaceChildren(edgeLayer, nodeLayer);
  return { nodes, edges };
}
