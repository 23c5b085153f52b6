// A past run's RunState (src/runs/types.ts) from its files, so the DAG panel can draw any run the
// datastore holds, not only the one it watched. Parameter values are pickles and stay empty here.
import * as path from 'node:path';
import type { StepStatus } from '../layout/types';
import type { FlowInfo } from '../flow/types';
import type { AttemptState, RunState, RunStatus, StepState, TaskState, TaskStatus } from '../runs/types';
import { DatastoreClient } from './datastoreClient';
import type { StorageDatastoreClient } from './storageClient';
import type { TaskDetail } from './taskReader';
import type { ClientRunStatus, ClientTaskStatus, RunSummary } from './types';

function runStatus(s: ClientRunStatus): RunStatus {
  return s === 'incomplete' ? 'cancelled' : s;
}

function taskStatus(t: TaskDetail): TaskStatus {
  if (t.originTaskId !== undefined && t.status === 'succeeded') return 'cloned';
  return t.status === 'unknown' ? 'failed' : t.status;
}

function attemptStatus(s: ClientTaskStatus, cloned: boolean): AttemptState['status'] {
  if (cloned && s === 'succeeded') return 'cloned';
  return s === 'unknown' ? 'failed' : s;
}

function stepStatus(tasks: TaskState[]): StepStatus {
  if (tasks.length === 0) return 'idle';
  if (tasks.some((t) => t.status === 'running')) return 'running';
  if (tasks.some((t) => t.status === 'failed')) return 'failed';
  return 'succeeded';
}

export function loadRunState(root: string, flow: string, runId: string, flowInfo?: FlowInfo, client: DatastoreClient = new DatastoreClient(root)): RunState {
  return runStateOf(path.resolve(root), flow, runId, client.run(flow, runId), client.scan(flow, runId), flowInfo);
}

/** A run in a remote datastore (Azure Blob), read through its storage client; `rootId` names that datastore. */
export async function loadStoredRunState(client: StorageDatastoreClient, rootId: string, flow: string, runId: string, flowInfo?: FlowInfo): Promise<RunState> {
  const [summary, scan] = await Promise.all([client.run(flow, runId), client.scan(flow, runId)]);
  return runStateOf(rootId, flow, runId, summary, scan, flowInfo);
}

function runStateOf(datastoreRoot: string, flow: string, runId: string, summary: RunSummary, scan: ReturnType<DatastoreClient['scan']>, flowInfo?: FlowInfo): RunState {
  const tasks = new Map<string, TaskState>();
  const steps = new Map<string, StepState>();
  const order = [...(flowInfo?.steps.map((s) => s.name) ?? []), ...scan.steps.keys()].filter((s, i, all) => all.indexOf(s) === i);
  let finished = 0;
  for (const name of order) {
    const details = scan.steps.get(name) ?? [];
    const states: TaskState[] = details.map((t) => {
      const cloned = t.originTaskId !== undefined;
      const attempts: AttemptState[] = t.attempts.map((a) => ({
        attempt: a.attempt,
        status: attemptStatus(a.status, cloned),
        startedAt: a.startedAt ?? t.startedAt ?? summary.startedAt,
        finishedAt: a.finishedAt,
        durationMs: a.startedAt !== undefined && a.finishedAt !== undefined ? Math.max(0, a.finishedAt - a.startedAt) : undefined,
      }));
      const state: TaskState = { pathspec: t.pathspec, step: name, taskId: t.taskId, status: taskStatus(t), attempts, logTail: [] };
      if (t.foreachIndex !== undefined) state.foreachIndices = [t.foreachIndex];
      return state;
    });
    for (const s of states) tasks.set(`${name}/${s.taskId}`, s);
    finished += states.filter((s) => s.status !== 'running').length;
    const starts = details.map((t) => t.startedAt).filter((v): v is number => v !== undefined);
    const ends = details.map((t) => t.finishedAt).filter((v): v is number => v !== undefined);
    const step: StepState = {
      name,
      status: stepStatus(states),
      taskIds: details.map((t) => t.taskId),
      succeeded: states.filter((s) => s.status === 'succeeded').length,
      cloned: states.filter((s) => s.status === 'cloned').length,
      failed: states.filter((s) => s.status === 'failed').length,
      running: states.filter((s) => s.status === 'running').length,
      retrying: 0,
      maxAttempt: Math.max(0, ...details.map((t) => t.attempt ?? 0)),
    };
    if (details.length > 0) step.expected = details.length;
    if (starts.length) step.startedAt = Math.min(...starts);
    if (ends.length && step.status !== 'running') step.finishedAt = Math.max(...ends);
    if (step.startedAt !== undefined && step.finishedAt !== undefined) step.durationMs = step.finishedAt - step.startedAt;
    steps.set(name, step);
  }
  const state: RunState = {
    flow,
    runId,
    pathspec: `${flow}/${runId}`,
    kind: summary.originRunId ? 'resume' : 'run',
    status: runStatus(summary.status),
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    durationMs: summary.durationMs,
    datastoreRoot,
    parameters: {},
    tags: summary.tags,
    originRunId: summary.originRunId,
    steps,
    tasks,
    tasksFinished: finished,
    tasksTotal: tasks.size,
    version: 1,
  };
  const errors = [summary.error, ...scan.errors].filter(Boolean);
  if (summary.status === 'failed') errors.unshift(`a task of ${flow}/${runId} failed`);
  if (errors.length) state.error = errors.join('; ');
  return state;
}
