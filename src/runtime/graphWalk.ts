// The scheduler's decisions as a pure function of the graph and finished tasks (Metaflow's
// `runtime.py _queue_tasks`): which tasks a finished task enables, with which inputs, at which
// pathspec index (`step[foreach indices][iteration indices]`, the key resume clones by).
import type { FlowInfo, StepInfo } from '../flow/types';

export interface ForeachFrameRef {
  /** The split step that opened the frame. */
  step: string;
  index: number;
  numSplits: number;
}

export interface WalkPosition {
  foreach: ForeachFrameRef[];
  iteration: number[];
}

export interface WalkTask extends WalkPosition {
  step: string;
  /** `run/step/task`. */
  path: string;
  /** Set when the task was the control task of an unbounded foreach (its launch's `ubf`). */
  ubfControl?: UbfControl;
  /**
   * The control task of a `num_parallel` group that ran @catch's fallback: it alone goes on to the join,
   * for the whole group (Metaflow's fallback reports the control task as the group's only task).
   */
  parallelAlone?: boolean;
}

/** The control task of an unbounded foreach: the split it follows and the inputs its mapper tasks get too. */
export interface UbfControl {
  split: string;
  inputPaths: string[];
}

export interface Launch extends WalkPosition {
  step: string;
  inputPaths: string[];
  splitIndex?: number;
  index: string;
  /** Set on every node of a `num_parallel` fan-out; node 0 is the control task. */
  parallel?: { nodeIndex: number; numNodes: number };
  /**
   * Unbounded foreach, as Metaflow runs it: one control task (no split index) follows the split; once it
   * reports how many items there are, a mapper task per item, with task id `<control task id>-<i>`.
   */
  ubf?: ({ role: 'control' } & UbfControl) | { role: 'mapper'; controlTaskId: string };
}

export interface TransitionResult {
  next: string[];
  /** A foreach over an unbounded input: one control task follows (see `Launch.ubf`). */
  unbounded_foreach?: boolean;
  foreach_var?: string | null;
  num_splits?: number | null;
  switch_value?: string | null;
}

export interface WalkOutcome {
  launches: Launch[];
  error?: string;
}

export function pathspecIndex(step: string, position: WalkPosition): string {
  return `${step}[${position.foreach.map((f) => f.index).join(',')}][${position.iteration.join(',')}]`;
}

type LoopMode = 'none' | 'entering' | 'looping' | 'exiting';

interface JoinWait {
  expected: number;
  arrivals: Array<{ order: number; task: WalkTask }>;
  /** `order|step` of every arrival, so a duplicate is found without scanning (joins can be 1000 wide). */
  seen: Set<string>;
}

export class GraphWalker {
  private readonly steps = new Map<string, StepInfo>();
  private readonly joins = new Map<string, JoinWait>();
  /** Joins a `parallelAlone` control task closed: later inputs of its group are not the join's. */
  private readonly closedJoins = new Set<string>();
  private readonly scheduled = new Set<string>();

  constructor(
    private readonly flow: FlowInfo,
    private readonly maxNumSplits: number,
  ) {
    for (const s of flow.steps) this.steps.set(s.name, s);
  }

  get startStep(): string {
    return this.flow.start ?? 'start';
  }

  step(name: string): StepInfo | undefined {
    return this.steps.get(name);
  }

  /** The start task, fed by the `_parameters` task. */
  start(paramsPath: string): Launch {
    const position = this.childIteration({ foreach: [], iteration: [] }, this.startStep, 'none');
    const launch: Launch = { step: this.startStep, inputPaths: [paramsPath], ...position, index: '' };
    launch.index = pathspecIndex(launch.step, launch);
    this.scheduled.add(launch.index);
    return launch;
  }

  private isLoopSwitch(step: StepInfo): boolean {
    return step.type === 'split-switch' && step.next.includes(step.name);
  }

  private childIteration(parent: WalkPosition, next: string, mode: LoopMode): WalkPosition {
    let iteration = [...parent.iteration];
    const nextStep = this.steps.get(next);
    if (mode === 'none' && nextStep && this.isLoopSwitch(nextStep)) mode = 'entering';
    if (mode === 'entering') iteration.push(0);
    else if (mode === 'exiting') iteration = iteration.slice(0, -1);
    else if (mode === 'looping') iteration[iteration.length - 1] = (iteration[iteration.length - 1] ?? -1) + 1;
    return { foreach: parent.foreach, iteration };
  }

  private push(launches: Launch[], launch: Omit<Launch, 'index'>): void {
    const index = pathspecIndex(launch.step, launch);
    if (this.scheduled.has(index)) return;
    this.scheduled.add(index);
    launches.push({ ...launch, index });
  }

  /** What a successfully finished task enables. */
  finished(task: WalkTask, result: TransitionResult): WalkOutcome {
    const step = this.steps.get(task.step);
    if (!step) return { launches: [], error: `step *${task.step}* is not in the flow's graph` };
    if (step.type === 'end' || step.name === this.flow.end) return { launches: [] };
    const next = result.next ?? [];
    const launches: Launch[] = [];
    if (task.ubfControl) return this.controlFinished(task, task.ubfControl, step, result);

    if (step.type === 'split-switch') {
      if (next.length !== 1 || !step.next.includes(next[0])) {
        const cases = Object.keys(step.switchCases ?? {}).map((k) => JSON.stringify(k)).join(', ');
        const value = result.switch_value != null ? ` (value ${JSON.stringify(result.switch_value)})` : '';
        return {
          launches: [],
          error: `switch step *${step.name}* must go to exactly one of ${step.next.join(', ')}, but went to ${next.join(', ') || 'nothing'}${value}; the condition '${step.condition ?? '?'}' must be one of the cases ${cases}`,
        };
      }
    } else if (next.length !== step.next.length || next.some((n, i) => n !== step.next[i])) {
      return {
        launches: [],
        error: `based on the flow's code, step *${step.name}* was expected to go to *${step.next.join(', ')}*, but self.next() was called with *${next.join(', ') || 'nothing'}*. Make sure there is exactly one unconditional self.next() at the end of the step.`,
      };
    }

    if (next.some((n) => this.steps.get(n)?.type === 'join')) {
      if (next.length > 1) return { launches: [], error: `step *${step.name}* goes to a join and another step; a join must be the only transition` };
      const error = this.arriveAtJoin(task, next[0], launches);
      return { launches, error };
    }

    if (step.type === 'split-foreach' && result.unbounded_foreach) {
      const target = next[0];
      const position = this.childIteration(task, target, 'none');
      const launch: Launch = { step: target, inputPaths: [task.path], ...position, index: '', ubf: { role: 'control', split: step.name, inputPaths: [task.path] } };
      // Metaflow's index of a control task: its split index is None.
      launch.index = `${target}[${[...task.foreach.map((f) => String(f.index)), 'None'].join(',')}][${position.iteration.join(',')}]`;
      if (!this.scheduled.has(launch.index)) {
        this.scheduled.add(launch.index);
        launches.push(launch);
      }
      return { launches };
    }

    if (step.type === 'split-foreach' || step.type === 'split-parallel') {
      const n = result.num_splits;
      const target = next[0];
      const what = step.type === 'split-parallel' ? `num_parallel of step *${step.name}*` : `foreach in step *${step.name}* over '${result.foreach_var ?? step.foreach ?? '?'}'`;
      if (n == null || !Number.isInteger(n)) return { launches: [], error: `${what} did not report how many tasks to start` };
      if (n <= 0) {
        return {
          launches: [],
          error: step.type === 'split-parallel'
            ? `num_parallel of step *${step.name}* must be at least 1, got ${n}`
            : `${what} has nothing to iterate over (an empty list): a foreach needs at least one value`,
        };
      }
      if (step.type === 'split-foreach' && n > this.maxNumSplits) {
        return {
          launches: [],
          error: `foreach in step *${step.name}* yielded ${n} child tasks, which is more than the current maximum of ${this.maxNumSplits}. Raise the maximum with --max-num-splits.`,
        };
      }
      const base = this.childIteration(task, target, 'none');
      for (let i = 0; i < n; i++) {
        const foreach = [...task.foreach, { step: step.name, index: i, numSplits: n }];
        this.push(launches, {
          step: target,
          inputPaths: [task.path],
          splitIndex: i,
          foreach,
          iteration: base.iteration,
          parallel: step.type === 'split-parallel' ? { nodeIndex: i, numNodes: n } : undefined,
        });
      }
      return { launches };
    }

    if (step.type === 'split-switch') {
      const chosen = next[0];
      const recursive = this.isLoopSwitch(step);
      const mode: LoopMode = recursive ? (chosen === step.name ? 'looping' : 'exiting') : 'none';
      const position = this.childIteration(task, chosen, mode);
      this.push(launches, { step: chosen, inputPaths: [task.path], ...position });
      return { launches };
    }

    for (const n of next) {
      const position = this.childIteration(task, n, 'none');
      this.push(launches, { step: n, inputPaths: [task.path], ...position });
    }
    return { launches };
  }

  /** An unbounded foreach's control task finished: it said how many items there are; start a mapper task per item. */
  private controlFinished(task: WalkTask, control: UbfControl, step: StepInfo, result: TransitionResult): WalkOutcome {
    const n = result.num_splits;
    if (n == null || !Number.isInteger(n) || n <= 0) {
      return {
        launches: [],
        error: `Step *${step.name}* has a control task which didn't specify the artifact *_control_mapper_tasks* for the subsequent *${step.next.join(', ')}* step (the unbounded foreach of *${control.split}* gave no items)`,
      };
    }
    const controlTaskId = task.path.slice(task.path.lastIndexOf('/') + 1);
    const launches: Launch[] = [];
    for (let i = 0; i < n; i++) {
      this.push(launches, {
        step: step.name,
        inputPaths: control.inputPaths,
        splitIndex: i,
        foreach: [...task.foreach, { step: control.split, index: i, numSplits: n }],
        iteration: task.iteration,
        ubf: { role: 'mapper', controlTaskId },
      });
    }
    return { launches };
  }

  /** The split a join closes (Metaflow: the join's last split parent). */
  private matchingSplit(join: StepInfo): StepInfo | undefined {
    const byJoin = this.flow.steps.find((s) => s.matchingJoin === join.name && s.type.startsWith('split'));
    if (byJoin) return byJoin;
    const last = join.splitParents[join.splitParents.length - 1];
    return last ? this.steps.get(last) : undefined;
  }

  private arriveAtJoin(task: WalkTask, joinName: string, launches: Launch[]): string | undefined {
    const join = this.steps.get(joinName)!;
    const split = this.matchingSplit(join);
    if (!split) return `join step *${joinName}* has no matching split step`;
    if (join.inFuncs.length > 0 && !join.inFuncs.includes(task.step)) {
      return `join step *${joinName}* got an input from step *${task.step}*, which is not one of its inputs (${join.inFuncs.join(', ')})`;
    }
    const foreachJoin = split.type === 'split-foreach' || split.type === 'split-parallel';
    let expected: number;
    let order: number;
    let foreach: ForeachFrameRef[];
    if (foreachJoin) {
      const top = task.foreach[task.foreach.length - 1];
      if (!top || top.step !== split.name) {
        return `join step *${joinName}* joins the foreach of *${split.name}*, but the input from *${task.step}* is not inside that foreach`;
      }
      foreach = task.foreach.slice(0, -1);
      expected = top.numSplits;
      order = top.index;
    } else {
      foreach = task.foreach;
      expected = split.next.length;
      order = join.inFuncs.indexOf(task.step);
    }
    const key = `${joinName}|${foreach.map((f) => f.index).join(',')}|${task.iteration.join(',')}`;
    if (this.closedJoins.has(key)) return undefined;
    if (task.parallelAlone && foreachJoin) {
      this.closedJoins.add(key);
      this.joins.set(key, { expected: 1, arrivals: [], seen: new Set() });
    }
    let wait = this.joins.get(key);
    if (!wait) {
      wait = { expected, arrivals: [], seen: new Set() };
      this.joins.set(key, wait);
    }
    if (!foreachJoin && order < 0) order = wait.arrivals.length;
    const seenKey = foreachJoin ? String(order) : `${order}|${task.step}`;
    if (wait.seen.has(seenKey)) {
      return `join step *${joinName}* got two inputs for the same ${foreachJoin ? `foreach index ${order}` : `branch *${task.step}*`}`;
    }
    wait.seen.add(seenKey);
    wait.arrivals.push({ order, task });
    if (wait.arrivals.length < wait.expected) return undefined;
    this.joins.delete(key);
    wait.arrivals.sort((a, b) => a.order - b.order);
    const position = this.childIteration({ foreach, iteration: task.iteration }, joinName, 'none');
    this.push(launches, { step: joinName, inputPaths: wait.arrivals.map((a) => a.task.path), ...position });
    return undefined;
  }

  /** Joins still waiting for inputs when the run ends: a sign of a graph the walk could not close. */
  pendingJoins(): Array<{ join: string; got: number; expected: number }> {
    return [...this.joins.entries()].map(([key, w]) => ({ join: key.split('|')[0], got: w.arrivals.length, expected: w.expected }));
  }
}
