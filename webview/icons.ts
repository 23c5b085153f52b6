// Glyphs drawn in a 16×16 box inside the drawing: one per step kind, one per run status. Stroked unless `filled`.
import type { StepType } from '../src/flow/types';
import type { StepStatus } from '../src/layout/types';
import { svgEl } from './svg';

interface Glyph {
  d: string;
  filled?: boolean;
}

const KIND: Record<StepType, Glyph> = {
  start: { d: 'M5.5 3.2v9.6L13 8z', filled: true },
  end: { d: 'M4 4h8v8H4z', filled: true },
  linear: { d: 'M8 4.75a3.25 3.25 0 1 1 0 6.5a3.25 3.25 0 1 1 0-6.5z' },
  join: { d: 'M3 2.5v2.5a3 3 0 0 0 3 3h4a3 3 0 0 1 3 3v2.5M13 2.5v2.5a3 3 0 0 1-3 3M8 8v5.5' },
  'split-static': { d: 'M8 2.5v5M8 7.5l-4.5 6M8 7.5l4.5 6' },
  'split-foreach': { d: 'M2.5 5.5h8v8h-8zM5.5 5.5v-3h8v8h-3' },
  'split-parallel': { d: 'M4 2.5v11M8 2.5v11M12 2.5v11' },
  'split-switch': { d: 'M8 1.8l6.2 6.2L8 14.2L1.8 8z' },
};

const STATUS: Partial<Record<StepStatus, Glyph>> = {
  pending: { d: 'M8 3.5a4.5 4.5 0 1 1 0 9a4.5 4.5 0 1 1 0-9zM8 5.5V8l1.8 1.2' },
  running: { d: 'M8 3a5 5 0 1 1-5 5' },
  succeeded: { d: 'M3.5 8.5l3 3l6-7' },
  failed: { d: 'M4.5 4.5l7 7M11.5 4.5l-7 7' },
  retrying: { d: 'M12.5 8a4.5 4.5 0 1 1-1.3-3.2M11.5 2.5v2.5H9' },
};

function glyph(g: Glyph, cls: string, x: number, y: number, size: number): SVGGElement {
  const scale = size / 16;
  return svgEl('g', { class: cls, transform: `translate(${x} ${y}) scale(${scale})`, 'aria-hidden': 'true' }, svgEl('path', { d: g.d, class: g.filled ? 'glyph-fill' : 'glyph-stroke' }));
}

export function kindIcon(type: StepType, x: number, y: number, size = 16): SVGGElement {
  return glyph(KIND[type], 'kind-icon', x, y, size);
}

export function statusIcon(status: StepStatus, x: number, y: number, size = 14): SVGGElement | undefined {
  const g = STATUS[status];
  return g ? glyph(g, 'status-icon', x, y, size) : undefined;
}
