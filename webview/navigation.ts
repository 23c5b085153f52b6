// Keyboard moves between steps: down/up follow edges to a successor/predecessor, left/right move within a layer.
import type { PositionedGraph, PositionedNode } from '../src/layout/types';

export type Direction = 'up' | 'down' | 'left' | 'right';

function centre(n: PositionedNode): { x: number; y: number } {
  return { x: n.x + n.width / 2, y: n.y + n.height / 2 };
}

function nearestByX(from: PositionedNode, candidates: PositionedNode[]): PositionedNode | undefined {
  const cx = centre(from).x;
  return [...candidates].sort((a, b) => Math.abs(centre(a).x - cx) - Math.abs(centre(b).x - cx) || a.y - b.y)[0];
}

export function neighbour(graph: PositionedGraph, step: string, direction: Direction): string | undefined {
  const byStep = new Map(graph.nodes.map((n) => [n.step, n]));
  const from = byStep.get(step);
  if (!from) return undefined;
  const others = (names: string[]) => names.filter((s) => s !== step).map((s) => byStep.get(s)).filter((n): n is PositionedNode => n !== undefined);
  if (direction === 'down') return nearestByX(from, others(graph.edges.filter((e) => e.from === step).map((e) => e.to)))?.step;
  if (direction === 'up') return nearestByX(from, others(graph.edges.filter((e) => e.to === step).map((e) => e.from)))?.step;
  // Same layer: vertically overlapping cards, the closest one on the requested side.
  const sameRow = graph.nodes.filter((n) => n.step !== step && n.y < from.y + from.height && from.y < n.y + n.height);
  const c = centre(from).x;
  const side = sameRow.filter((n) => (direction === 'left' ? centre(n).x < c : centre(n).x > c));
  return side.sort((a, b) => Math.abs(centre(a).x - c) - Math.abs(centre(b).x - c))[0]?.step;
}
