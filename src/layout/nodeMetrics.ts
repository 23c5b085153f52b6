// Geometry of a step card, shared by the layout (which sizes nodes before elkjs places them) and the
// webview (which draws the card's parts at the same offsets). Text is measured by estimate because the
// extension host has no font engine; the estimates err wide so that labels never overflow their card.
import type { StepType } from '../flow/types';

export const NODE = {
  paddingX: 12,
  minWidth: 168,
  maxWidth: 420,
  iconSize: 16,
  /** Gap between the kind icon and the step name. */
  iconGap: 8,
  titleBaseline: 22,
  subtitleBaseline: 39,
  /** Height of a card without badges. */
  baseHeight: 50,
  badgeTop: 50,
  badgeHeight: 18,
  badgeGap: 4,
  badgePaddingX: 6,
  bottomPadding: 8,
  /** Space kept right of the subtitle for run progress ("137/300", "retry 2"). */
  runInfoWidth: 64,
} as const;

export const EDGE_LABEL = { height: 18, paddingX: 7 } as const;

const TITLE_CHAR = 7.9; // 13px semibold UI font, average advance incl. wide glyphs
const SMALL_CHAR = 6.6; // 11px UI font

export function titleWidth(text: string): number {
  return Math.ceil(text.length * TITLE_CHAR);
}

export function smallTextWidth(text: string): number {
  return Math.ceil(text.length * SMALL_CHAR);
}

export function badgeText(name: string): string {
  return `@${name}`;
}

export function badgeWidth(name: string): number {
  return smallTextWidth(badgeText(name)) + 2 * NODE.badgePaddingX;
}

export function edgeLabelWidth(text: string): number {
  return smallTextWidth(text) + 2 * EDGE_LABEL.paddingX;
}

export interface BadgeBox {
  name: string;
  text: string;
  x: number;
  y: number;
  width: number;
}

/** Wraps badges into rows inside a card of `cardWidth`; offsets are relative to the card's top-left corner. */
export function layoutBadges(badges: readonly string[], cardWidth: number): BadgeBox[] {
  const boxes: BadgeBox[] = [];
  const right = cardWidth - NODE.paddingX;
  let x: number = NODE.paddingX;
  let y: number = NODE.badgeTop;
  for (const name of badges) {
    const width = badgeWidth(name);
    if (x > NODE.paddingX && x + width > right) {
      x = NODE.paddingX;
      y += NODE.badgeHeight + NODE.badgeGap;
    }
    boxes.push({ name, text: badgeText(name), x, y, width });
    x += width + NODE.badgeGap;
  }
  return boxes;
}

/** The kind line under the step name: what a reader needs to know about how the step continues. */
export function describeStep(step: { type: StepType; foreach?: string; condition?: string; numParallel?: number | string }): string {
  switch (step.type) {
    case 'start':
      return 'start';
    case 'end':
      return 'end';
    case 'join':
      return 'join';
    case 'linear':
      return 'step';
    case 'split-static':
      return 'branch';
    case 'split-foreach':
      return step.foreach ? `foreach ${step.foreach}` : 'foreach';
    case 'split-parallel':
      return step.numParallel !== undefined ? `parallel × ${step.numParallel}` : 'parallel';
    case 'split-switch':
      return step.condition ? `switch on ${step.condition}` : 'switch';
  }
}

export interface NodeSize {
  width: number;
  height: number;
}

/** Card size from its name, kind line and badges: wide enough for the longest of them, tall enough for every badge row. */
export function nodeSize(step: { name: string; type: StepType; foreach?: string; condition?: string; numParallel?: number | string }, badges: readonly string[]): NodeSize {
  const title = NODE.paddingX + NODE.iconSize + NODE.iconGap + titleWidth(step.name) + NODE.paddingX;
  const subtitle = NODE.paddingX + NODE.iconSize + NODE.iconGap + smallTextWidth(describeStep(step)) + NODE.runInfoWidth + NODE.paddingX;
  const widestBadge = badges.reduce((w, b) => Math.max(w, badgeWidth(b)), 0) + 2 * NODE.paddingX;
  const width = Math.min(NODE.maxWidth, Math.max(NODE.minWidth, title, subtitle, widestBadge));
  const boxes = layoutBadges(badges, width);
  const last = boxes[boxes.length - 1];
  const height = last ? last.y + NODE.badgeHeight + NODE.bottomPadding : NODE.baseHeight;
  return { width: Math.ceil(width), height: Math.ceil(height) };
}
