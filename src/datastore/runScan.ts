// Reads what resume and spin need from a finished (or crashed) run: each task's done attempt, success,
// foreach/iteration position and transition. Those live in pickled artifacts, so the embedded
// package's inspector reads them; it never imports user code.
import { runInspector } from './pythonInspector';

export interface ScannedTask {
  step: string;
  task_id: string;
  attempt: number;
  done: boolean;
  ok: boolean;
  /** Foreach indices, outermost first (`_foreach_stack[*].index`). */
  foreach: Array<number | null>;
  iteration: number[];
  next: string[];
  foreach_var: string | null;
  num_splits: number | null;
  /** A split over an unbounded foreach input; for its control task, `num_splits` counts the mapper tasks. */
  unbounded_foreach?: boolean;
}

export function scanRun(python: string, root: string, flow: string, run: string, env: NodeJS.ProcessEnv): Promise<ScannedTask[]> {
  return runInspector<ScannedTask[]>(python, ['scan', root, flow, run], env, `run ${flow}/${run} in ${root}`);
}

export function scannedIndex(t: ScannedTask): string {
  return `${t.step}[${t.foreach.map((i) => (i === null ? 'None' : String(i))).join(',')}][${t.iteration.join(',')}]`;
}
