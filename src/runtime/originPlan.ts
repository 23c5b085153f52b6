// Plans for resume and spin from a scanned origin run.
import * as fs from 'node:fs';
import type { FlowInfo } from '../flow/types';
import type { LocalLayout } from '../datastore/localLayout';
import { type ScannedTask, scannedIndex } from '../datastore/runScan';
import { GraphWalker, type Launch } from './graphWalk';
import type { OriginTask, ResumeSpec } from './scheduler';

/** The resume step and every step reachable from it (Metaflow's `steps_to_rerun`). */
export function stepsToRerun(flow: FlowInfo, step: string | undefined): Set<string> {
  const rerun = new Set<string>();
  if (!step) return rerun;
  const next = new Map(flow.steps.map((s) => [s.name, s.next]));
  const todo = [step];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (rerun.has(s)) continue;
    rerun.add(s);
    for (const n of next.get(s) ?? []) todo.push(n);
  }
  return rerun;
}

/** Every step `step` depends on (its ancestors), not `step` itself: what `run --until STEP` runs. */
export function stepsBefore(flow: FlowInfo, step: string): Set<string> {
  const parents = new Map<string, string[]>();
  for (const s of flow.steps) for (const n of s.next) parents.set(n, [...(parents.get(n) ?? []), s.name]);
  const seen = new Set<string>();
  const todo = [...(parents.get(step) ?? [])];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    todo.push(...(parents.get(s) ?? []));
  }
  seen.delete(step);
  return seen;
}

export function successfulByIndex(scanned: ScannedTask[]): Map<string, OriginTask> {
  const byIndex = new Map<string, OriginTask>();
  for (const t of scanned) {
    if (!t.done || !t.ok || t.step === '_parameters') continue;
    const index = scannedIndex(t);
    if (byIndex.has(index)) continue;
    byIndex.set(index, { step: t.step, taskId: t.task_id, transition: { next: t.next, foreach_var: t.foreach_var, num_splits: t.num_splits, unbounded_foreach: t.unbounded_foreach } });
  }
  return byIndex;
}

export function buildResumeSpec(flow: FlowInfo, originRunId: string, scanned: ScannedTask[], step: string | undefined): ResumeSpec {
  const params = scanned.find((t) => t.step === '_parameters');
  if (!params || !params.done) {
    throw new Error(`run ${flow.name}/${originRunId} has no finished _parameters task, so there is nothing to resume from; run the flow again`);
  }
  return { originRunId, successful: successfulByIndex(scanned), rerunSteps: stepsToRerun(flow, step) };
}

/**
 * Replays the origin run's walk to find, for every task of `step`, the inputs it had there.
 * Inputs are pathspecs of the origin run (`run/step/task`).
 */
export function planSpin(flow: FlowInfo, originRunId: string, scanned: ScannedTask[], step: string): Launch[] {
  const byIndex = successfulByIndex(scanned);
  // The origin already ran these fan-outs, so no split limit applies to the replay.
  const walker = new GraphWalker(flow, Number.MAX_SAFE_INTEGER);
  const found: Launch[] = [];
  const queue: Launch[] = [walker.start(`${originRunId}/_parameters/0`)];
  while (queue.length > 0) {
    const launch = queue.shift()!;
    if (launch.step === step) found.push(launch);
    const origin = byIndex.get(launch.index);
    if (!origin) continue;
    const outcome = walker.finished({ step: launch.step, path: `${originRunId}/${launch.step}/${origin.taskId}`, foreach: launch.foreach, iteration: launch.iteration }, origin.transition);
    queue.push(...outcome.launches);
  }
  return found;
}

/** Runs of `flow` that have at least one task of one of `steps`, newest first. */
export function runsWithSteps(layout: LocalLayout, flow: string, steps: string[]): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(layout.flowDir(flow));
  } catch {
    return [];
  }
  const runs = entries.filter((e) => e !== 'data' && e !== '_meta' && e !== 'latest_run' && !e.startsWith('.'));
  const reached = runs.filter((run) =>
    steps.some((step) => {
      try {
        return fs.readdirSync(layout.stepDir(flow, run, step)).some((t) => t !== '_meta');
      } catch {
        return false;
      }
    }),
  );
  return reached.sort((a, b) => {
    const na = /^\d+$/.test(a) ? BigInt(a) : -1n;
    const nb = /^\d+$/.test(b) ? BigInt(b) : -1n;
    return nb > na ? 1 : nb < na ? -1 : b.localeCompare(a);
  });
}

/** The steps whose tasks feed `step` (`_parameters` for the start step). */
export function feedingSteps(flow: FlowInfo, step: string): string[] {
  if (step === (flow.start ?? 'start')) return ['_parameters'];
  return flow.steps.filter((s) => s.next.includes(step)).map((s) => s.name);
}
