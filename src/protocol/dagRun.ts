// The run part of the DAG panel's messages, built from the folded run state (src/runs): each step's status,
// progress and error for the nodes, and the timeline of task attempts. Pure, so both are unit-tested.
import type { StepRunState } from '../layout/types';
import { buildTimeline } from '../runs/timeline';
import type { RunState, StepState } from '../runs/types';
import type { RunMode, RunStateMessage } from './dagPanel';

/** The error of the step's latest failed attempt, if any: a failed node says why in its tooltip. */
function failure(state: RunState, step: StepState): string | undefined {
  let latest: { at: number; error: string } | undefined;
  for (const id of step.taskIds) {
    const task = state.tasks.get(`${step.name}/${id}`);
    for (const attempt of task?.attempts ?? []) {
      if (attempt.status !== 'failed') continue;
      const at = attempt.finishedAt ?? attempt.startedAt;
      const error = attempt.error ?? (attempt.exitCode !== undefined && attempt.exitCode !== null ? `exited with code ${attempt.exitCode}` : 'failed');
      if (!latest || at >= latest.at) latest = { at, error: `Task ${task!.pathspec}: ${error}` };
    }
  }
  return latest?.error;
}

export function stepRunState(state: RunState, step: StepState): StepRunState {
  const out: StepRunState = { status: step.status };
  const total = Math.max(step.expected ?? 0, step.taskIds.length);
  // Counts matter where a step has several tasks (foreach bodies, parallel steps); one task is its status alone.
  if (total > 1) {
    out.tasksTotal = total;
    out.tasksDone = step.succeeded + step.cloned + step.failed;
    if (step.failed) out.tasksFailed = step.failed;
    if (step.running) out.tasksRunning = step.running;
    if (step.retrying) out.tasksRetrying = step.retrying;
  }
  if (step.maxAttempt > 0) out.retries = step.maxAttempt;
  if ((step.status === 'succeeded' || step.status === 'failed') && step.durationMs !== undefined) out.durationMs = step.durationMs;
  if (step.status === 'failed' || step.status === 'retrying' || step.failed > 0) {
    const message = failure(state, step);
    if (message) out.message = message;
  }
  return out;
}

export function stepRunStates(state: RunState): Record<string, StepRunState> {
  const out: Record<string, StepRunState> = {};
  for (const step of state.steps.values()) out[step.name] = stepRunState(state, step);
  return out;
}

/** Steps of which some task attempt ran on Kubernetes, in graph order. */
export function podSteps(state: RunState): string[] {
  const remote = new Set<string>();
  for (const task of state.tasks.values()) if (task.attempts.some((a) => a.executor?.kind === 'kubernetes')) remote.add(task.step);
  return [...state.steps.keys()].filter((s) => remote.has(s));
}

/** The full `runState` message of `state` at `now` (running attempts are drawn up to now). */
export function runStateMessage(state: RunState, mode: RunMode, now: number): RunStateMessage {
  const pods = podSteps(state);
  return { type: 'runState', runId: state.runId, status: state.status, mode, steps: stepRunStates(state), timeline: buildTimeline(state, now), ...(pods.length > 0 ? { podSteps: pods } : {}) };
}
