// Where each step's DAG task lives: the flow's own DAG template, or the nested DAG template of the
// innermost foreach whose body holds it (a foreach's split step and its join belong to the outer scope).
import type { FlowInfo, StepInfo } from '../../flow/types';
import { argoStepName } from '../names';

export const TOP = '';

function isForeachSplit(step: StepInfo | undefined): boolean {
  return step?.type === 'split-foreach' || step?.type === 'split-parallel';
}

export class Scopes {
  readonly byName: Map<string, StepInfo>;
  private readonly scopeOf = new Map<string, string>();

  constructor(readonly flow: FlowInfo) {
    this.byName = new Map(flow.steps.map((s) => [s.name, s]));
    for (const step of flow.steps) {
      const enclosing = step.splitParents.filter((p) => isForeachSplit(this.byName.get(p)) && this.byName.get(p)?.matchingJoin !== step.name);
      this.scopeOf.set(step.name, enclosing.at(-1) ?? TOP);
    }
  }

  step(name: string): StepInfo {
    const s = this.byName.get(name);
    if (!s) throw new Error(`step ${name} is not in the flow graph`);
    return s;
  }

  /** The foreach split whose body holds the step, or TOP. */
  scope(step: string): string {
    return this.scopeOf.get(step) ?? TOP;
  }

  stepsIn(scope: string): StepInfo[] {
    return this.flow.steps.filter((s) => this.scope(s.name) === scope);
  }

  /** The foreach split this step is the first body step of. */
  bodyEntryOf(step: StepInfo): string | undefined {
    const parent = step.inFuncs.find((p) => isForeachSplit(this.byName.get(p)));
    return parent !== undefined && this.scope(step.name) === parent ? parent : undefined;
  }

  /** The foreach split whose join this step is. */
  foreachJoinOf(step: StepInfo): string | undefined {
    if (step.type !== 'join') return undefined;
    return this.flow.steps.find((s) => isForeachSplit(s) && s.matchingJoin === step.name)?.name;
  }

  /** The step hands over to the join of the foreach it is in: the join derives its task id from the item's index. */
  isLastInBody(step: StepInfo): boolean {
    const scope = this.scope(step.name);
    if (scope === TOP) return false;
    const join = this.byName.get(scope)?.matchingJoin;
    return join !== undefined && step.next.includes(join);
  }

  /** Name of the nested DAG template (and of the DAG task that fans out over it). */
  foreachTemplateName(split: StepInfo): string {
    const suffix = split.type === 'split-parallel' ? 'parallel' : (split.foreach ?? 'items');
    return `${argoStepName(split.name)}-foreach-${suffix}`.toLowerCase().replace(/_/g, '-');
  }

  isRecursive(step: StepInfo): boolean {
    return step.type === 'split-switch' && step.next.includes(step.name);
  }
}
