// The edges of a flow as the DAG draws them: one per (step, distinct target), classified so that
// foreach fan-outs, switch cases and loops read differently from plain transitions.
import type { FlowInfo, StepInfo } from '../flow/types';
import type { EdgeKind } from './types';

export interface FlowEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

function caseKeysFor(step: StepInfo, target: string): string[] {
  return Object.entries(step.switchCases ?? {})
    .filter(([, to]) => to === target)
    .map(([key]) => key);
}

function classify(step: StepInfo, target: StepInfo): { kind: EdgeKind; label?: string } {
  const cases = step.type === 'split-switch' ? caseKeysFor(step, target.name) : [];
  const caseLabel = cases.length > 0 ? cases.join(' | ') : undefined;
  if (step.name === target.name) return { kind: 'loop', label: caseLabel };
  if (step.type === 'split-switch') return { kind: 'switch', label: caseLabel };
  if (step.type === 'split-foreach') return { kind: 'foreach', label: step.foreach };
  if (step.type === 'split-parallel') return { kind: 'parallel', label: step.numParallel !== undefined ? `× ${step.numParallel}` : undefined };
  if (target.type === 'join') return { kind: 'join' };
  return { kind: 'normal' };
}

/** Edges in step order then `next` order (Metaflow's order), skipping targets that are not steps of the flow (a lint error reports those). */
export function flowEdges(flow: FlowInfo): FlowEdge[] {
  const byName = new Map(flow.steps.map((s) => [s.name, s]));
  const edges: FlowEdge[] = [];
  for (const step of flow.steps) {
    const seen = new Set<string>();
    for (const to of step.next) {
      const target = byName.get(to);
      if (!target || seen.has(to)) continue;
      seen.add(to);
      const { kind, label } = classify(step, target);
      edges.push({ id: `${step.name}->${to}`, from: step.name, to, kind, ...(label !== undefined ? { label } : {}) });
    }
  }
  return edges;
}
