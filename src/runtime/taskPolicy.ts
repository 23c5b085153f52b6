// What a step's decorators ask of the scheduler: retries (@retry, @catch), the retry delay and @timeout.
import type { DecoratorInfo, LiteralValue, StepInfo } from '../flow/types';
import { MAX_ATTEMPTS } from '../datastore/localLayout';

export interface TaskPolicy {
  /** `@retry(times=)`: attempts of user code beyond the first. */
  userCodeRetries: number;
  /** `@catch` adds fallback attempts for tasks that die without an exception (killed, timed out). */
  errorRetries: number;
  /** `@retry(minutes_between_retries=)`: only where the task runs on remote compute; a local retry starts at once, as in Metaflow. */
  retryDelayMs: number;
  /** 0 when there is no `@timeout`. */
  timeoutMs: number;
}

const CATCH_FALLBACK_RETRIES = 3;
/** Step decorators that implement an unbounded foreach (Metaflow's test one is all the embedded runtime has). */
const UNBOUNDED_FOREACH_DECORATORS = new Set(['unbounded_test_foreach_internal']);

function numberAttr(step: string, deco: DecoratorInfo, name: string, fallback: number): number {
  const raw: LiteralValue | undefined = deco.attributes[name];
  if (raw === undefined || raw === null) return fallback;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) {
    const shown = typeof raw === 'object' && raw !== null && '$expr' in raw ? raw.$expr : JSON.stringify(raw);
    throw new Error(`@${deco.name}(${name}=${shown}) on step *${step}*: ${name} must be a non-negative number written as a literal`);
  }
  return n;
}

/** Where the step's tasks run: Metaflow waits between attempts only in its remote-compute launchers (Kubernetes, Batch). */
export type ComputePlacement = 'local' | 'remote';

export function taskPolicy(step: StepInfo, placement: ComputePlacement = 'local'): TaskPolicy {
  let userCodeRetries = 0;
  let errorRetries = 0;
  let retryDelayMs = 0;
  let timeoutMs = 0;
  for (const deco of step.decorators) {
    if (deco.name === 'retry') {
      const times = Math.floor(numberAttr(step.name, deco, 'times', 3));
      if (times + 2 > MAX_ATTEMPTS) {
        throw new Error(`@retry(times=${times}) on step *${step.name}*: the most retries allowed is @retry(times=${MAX_ATTEMPTS - 2})`);
      }
      userCodeRetries = Math.max(userCodeRetries, times);
      const minutes = numberAttr(step.name, deco, 'minutes_between_retries', 2);
      retryDelayMs = placement === 'remote' ? minutes * 60_000 : 0;
    } else if (deco.name === 'catch') {
      errorRetries = Math.max(errorRetries, CATCH_FALLBACK_RETRIES);
    } else if (deco.name === 'timeout') {
      const seconds = numberAttr(step.name, deco, 'seconds', 0) + numberAttr(step.name, deco, 'minutes', 0) * 60 + numberAttr(step.name, deco, 'hours', 0) * 3600;
      // Metaflow refuses the flow ("Specify a duration for @timeout.") rather than running it without a limit.
      if (seconds <= 0) throw new Error(`@timeout on step *${step.name}* has no duration: give seconds=, minutes= or hours= (e.g. @timeout(minutes=10))`);
      timeoutMs = seconds * 1000;
    }
  }
  // An unbounded foreach's decorator wants no retries, whatever other decorators say (Metaflow's runtime honours that).
  if (step.decorators.some((d) => UNBOUNDED_FOREACH_DECORATORS.has(d.name))) return { userCodeRetries: 0, errorRetries: 0, retryDelayMs: 0, timeoutMs };
  // Metaflow caps the total number of attempts at MAX_ATTEMPTS.
  errorRetries = Math.min(errorRetries, MAX_ATTEMPTS - 1 - userCodeRetries);
  return { userCodeRetries, errorRetries, retryDelayMs, timeoutMs };
}

/** A step's decorators after the flow's mutators ran, as the `_parameters` task reports them. */
export type EffectiveDecorators = Record<string, Array<{ name: string; attributes: Record<string, unknown> }>>;

/**
 * Each step's policy from the decorators it has once mutators ran: a mutator that adds `@retry`, `@catch`
 * or `@timeout` takes effect exactly as if the decorator were written in the source. Steps the report
 * leaves out keep their static policy. The graph's shape stays `src/flow`'s: only policies change here.
 * `placementOf` says where each step's tasks run (all local by default).
 */
export function effectivePolicies(
  steps: StepInfo[],
  effective: EffectiveDecorators,
  placementOf: (step: string) => ComputePlacement = () => 'local',
): Map<string, TaskPolicy> {
  const out = new Map<string, TaskPolicy>();
  for (const step of steps) {
    const placement = placementOf(step.name);
    const decorators = effective[step.name];
    if (!decorators) {
      out.set(step.name, taskPolicy(step, placement));
      continue;
    }
    const mutated: StepInfo = {
      ...step,
      decorators: decorators.map((d) => ({ name: d.name, attributes: d.attributes as Record<string, LiteralValue>, args: [], range: step.range })),
    };
    try {
      out.set(step.name, taskPolicy(mutated, placement));
    } catch (err) {
      throw new Error(`${(err as Error).message} (as the flow's mutators left the step's decorators)`);
    }
  }
  return out;
}
