// Turns an orthogonal polyline into an SVG path with softly rounded corners.
import type { Point } from '../src/layout/types';

const RADIUS = 7;

export function roundedPath(points: readonly Point[]): string {
  if (points.length === 0) return '';
  const parts = [`M${points[0].x} ${points[0].y}`];
  for (let i = 1; i < points.length - 1; i += 1) {
    const prev = points[i - 1];
    const at = points[i];
    const next = points[i + 1];
    const inLen = Math.hypot(at.x - prev.x, at.y - prev.y);
    const outLen = Math.hypot(next.x - at.x, next.y - at.y);
    const r = Math.min(RADIUS, inLen / 2, outLen / 2);
    if (r < 0.5) {
      parts.push(`L${at.x} ${at.y}`);
      continue;
    }
    const ax = at.x - ((at.x - prev.x) / inLen) * r;
    const ay = at.y - ((at.y - prev.y) / inLen) * r;
    const bx = at.x + ((next.x - at.x) / outLen) * r;
    const by = at.y + ((next.y - at.y) / outLen) * r;
    parts.push(`L${round(ax)} ${round(ay)}`, `Q${at.x} ${at.y} ${round(bx)} ${round(by)}`);
  }
  const last = points[points.length - 1];
  parts.push(`L${last.x} ${last.y}`);
  return parts.join('');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
