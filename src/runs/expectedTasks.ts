// How many tasks each step will run, as far as the events so far tell. A step's count follows from its
// inputs: one task per task of a linear predecessor, `num_splits` per finished foreach (or num_parallel)
// task, one join task per task of the split it closes, and for a switch only the branch tasks seen
// starting (which branch a switch task chose is known only when that branch starts). Counts are lower
// bounds that grow as fan-outs report; `known` says no more tasks can be added by what is still running.
import { type FlowTopology, isFanOut } from './flowTopology';

/** What the fold has counted for one step. */
export interface StepFacts {
  /** Distinct tasks started. */
  started: number;
  /** Tasks that ended succeeded or cloned. */
  ok: number;
  /** Tasks that ended (ok, or failed with no retry to come). */
  ended: number;
  /** Sum of `num_splits` over the step's ok tasks (foreach and num_parallel splits). */
  splits: number;
  /** Switch steps: ok tasks whose chosen branch has not started yet. */
  undecided: number;
  /** Branch steps: tasks started per switch step that chose this branch. */
  fromSwitch: ReadonlyMap<string, number>;
}

export interface Prediction {
  count: number;
  known: boolean;
}

export type PredictionMode = 'walk' | 'observed';

/**
 * `walk` predicts from the graph (run, resume); `observed` counts only started tasks and treats them as
 * all there is (spin runs one step; a finished run has nothing more to come).
 */
export function predictTaskCounts(topology: FlowTopology, facts: (step: string) => StepFacts, mode: PredictionMode): Map<string, Prediction> {
  const memo = new Map<string, Prediction>();
  const visiting = new Set<string>();

  const compute = (name: string): Prediction => {
    const done = memo.get(name);
    if (done) return done;
    const f = facts(name);
    // A cycle that does not pass through a switch edge cannot be predicted; count what was seen.
    if (visiting.has(name)) return { count: f.started, known: false };
    visiting.add(name);
    const result = predictOne(name, f);
    visiting.delete(name);
    memo.set(name, result);
    return result;
  };

  const predictOne = (name: string, f: StepFacts): Prediction => {
    if (mode === 'observed') return { count: f.started, known: true };
    const entry = topology.get(name);
    if (!entry) return { count: f.started, known: false };
    if (name === topology.startStep) return { count: Math.max(1, f.started), known: true };
    if (entry.step.type === 'join' && entry.matchingSplit) {
      const split = compute(entry.matchingSplit.name);
      return { count: Math.max(f.started, split.count), known: split.known };
    }
    let sum = 0;
    let known = entry.predecessors.length > 0;
    for (const p of entry.predecessors) {
      const pf = facts(p.name);
      if (p.name === name) {
        // A switch looping to itself: each iteration is one more task of this same step.
        sum += f.fromSwitch.get(name) ?? 0;
        known &&= pf.undecided === 0 && f.ended === f.started;
      } else if (isFanOut(p)) {
        const pp = compute(p.name);
        sum += pf.splits;
        known &&= pp.known && pf.ok >= pp.count;
      } else if (p.type === 'split-switch') {
        const pp = compute(p.name);
        sum += f.fromSwitch.get(p.name) ?? 0;
        known &&= pp.known && pf.ended >= pp.count && pf.undecided === 0;
      } else if (p.type !== 'end') {
        const pp = compute(p.name);
        sum += pp.count;
        known &&= pp.known;
      }
    }
    return { count: Math.max(f.started, sum), known };
  };

  for (const step of topology.flow.steps) compute(step.name);
  return memo;
}
