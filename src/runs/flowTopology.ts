// The edges of src/flow's graph that the fold needs to predict task counts: who feeds each step,
// and which split each join closes. Read from FlowInfo only; never re-derived from source text.
import type { FlowInfo, StepInfo } from '../flow/types';

export interface StepTopology {
  step: StepInfo;
  /** Steps whose `self.next` names this one, in graph order (a self-looping switch lists itself). */
  predecessors: StepInfo[];
  /** For a join: the split whose branches (or foreach tasks) it gathers. */
  matchingSplit?: StepInfo;
}

export function isFanOut(step: StepInfo): boolean {
  return step.type === 'split-foreach' || step.type === 'split-parallel';
}

export class FlowTopology {
  private readonly byName = new Map<string, StepTopology>();

  constructor(readonly flow: FlowInfo) {
    for (const step of flow.steps) this.byName.set(step.name, { step, predecessors: [] });
    for (const step of flow.steps) {
      for (const next of new Set(step.next)) this.byName.get(next)?.predecessors.push(step);
    }
    for (const entry of this.byName.values()) {
      if (entry.step.type === 'join') entry.matchingSplit = this.matchingSplit(entry.step);
    }
  }

  get(name: string): StepTopology | undefined {
    return this.byName.get(name);
  }

  get startStep(): string {
    return this.flow.start ?? 'start';
  }

  /** As the scheduler's walk decides it: the split naming this join as its match, else the join's innermost split parent. */
  private matchingSplit(join: StepInfo): StepInfo | undefined {
    const byJoin = this.flow.steps.find((s) => s.matchingJoin === join.name && s.type.startsWith('split'));
    if (byJoin) return byJoin;
    const last = join.splitParents[join.splitParents.length - 1];
    return last ? this.byName.get(last)?.step : undefined;
  }
}
