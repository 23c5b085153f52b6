// One task's state from its files alone (no unpickling, no process): the newest started attempt, whether
// it finished and succeeded, its times, foreach position and clone origin. Works on runs written by
// Metaflow itself: only files both runtimes write are relied on, with fallbacks in Metaflow's order.
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { MAX_ATTEMPTS } from '../datastore/localLayout';
import { LOCAL_VIEW, type FileView } from './fileView';
import { TaskMetadata } from './taskMetadata';
import type { ClientTaskStatus, TaskSummary } from './types';

export interface TaskFiles {
  names: Set<string>;
  /** Newest attempt with any attempt file. */
  latest?: number;
}

const ATTEMPT_FILES = ['attempt.json', 'data.json', 'DONE.lock', 'runtime', 'runtime_stdout.log', 'task_stdout.log'];

export function taskFiles(taskDir: string, view: FileView = LOCAL_VIEW): TaskFiles {
  const names = new Set(view.names(taskDir));
  for (let a = MAX_ATTEMPTS - 1; a >= 0; a--) {
    if (ATTEMPT_FILES.some((f) => names.has(`${a}.${f}`))) return { names, latest: a };
  }
  return { names };
}

function readJson(file: string, view: FileView): unknown {
  return JSON.parse(view.read(file).toString('utf8'));
}

/** Pickled `True`/`False` at any protocol ≥ 2 is `\x80 <proto> \x88|\x89 .`; recognised without unpickling. */
export function pickledBool(bytes: Buffer): boolean | undefined {
  if (bytes.length === 4 && bytes[0] === 0x80 && bytes[3] === 0x2e) {
    if (bytes[2] === 0x88) return true;
    if (bytes[2] === 0x89) return false;
  }
  return undefined;
}

/** `_task_ok` of a done attempt read from the content store: the last resort when no metadata says. */
function taskOkFromData(root: string, flow: string, taskDir: string, attempt: number, view: FileView): boolean | undefined {
  try {
    const data = readJson(path.join(taskDir, `${attempt}.data.json`), view) as { objects?: Record<string, string> };
    const sha = data.objects?._task_ok;
    if (!sha) return undefined;
    const blob = view.read(path.join(root, flow, 'data', sha.slice(0, 2), sha));
    return pickledBool(blob[0] === 0x1f && blob[1] === 0x8b ? zlib.gunzipSync(blob) : blob);
  } catch {
    return undefined;
  }
}

function readRuntime(taskDir: string, files: TaskFiles, attempt: number, view: FileView): { success?: unknown } | undefined {
  if (!files.names.has(`${attempt}.runtime`)) return undefined;
  try {
    return readJson(path.join(taskDir, `${attempt}.runtime`), view) as { success?: unknown };
  } catch {
    return undefined;
  }
}

function statusOfAttempt(root: string, flow: string, taskDir: string, files: TaskFiles, meta: () => TaskMetadata, attempt: number, view: FileView): ClientTaskStatus {
  if (!files.names.has(`${attempt}.DONE.lock`)) {
    // The runtime writes `<attempt>.runtime` when the task process ends; without DONE.lock it was killed or crashed.
    const runtime = readRuntime(taskDir, files, attempt, view);
    if (runtime) return runtime.success === true ? 'succeeded' : 'failed';
    return 'running';
  }
  const ok = meta().string('attempt_ok', attempt);
  if (ok === 'True') return 'succeeded';
  if (ok === 'False') return 'failed';
  const runtime = readRuntime(taskDir, files, attempt, view);
  if (runtime && typeof runtime.success === 'boolean') return runtime.success ? 'succeeded' : 'failed';
  const taskOk = taskOkFromData(root, flow, taskDir, attempt, view);
  return taskOk === undefined ? 'unknown' : taskOk ? 'succeeded' : 'failed';
}

function attemptStart(taskDir: string, files: TaskFiles, attempt: number, view: FileView): number | undefined {
  const file = path.join(taskDir, `${attempt}.attempt.json`);
  if (!files.names.has(`${attempt}.attempt.json`)) return undefined;
  try {
    const t = (readJson(file, view) as { time?: unknown }).time;
    if (typeof t === 'number') return t * 1000;
  } catch {
    // fall back to the file's own time
  }
  return view.mtime(file);
}

function attemptEnd(taskDir: string, files: TaskFiles, meta: () => TaskMetadata, attempt: number, view: FileView): number | undefined {
  if (!files.names.has(`${attempt}.DONE.lock`)) return undefined;
  const doneMeta = meta().time('attempt-done');
  if (doneMeta !== undefined) return doneMeta;
  return view.mtime(path.join(taskDir, `${attempt}.DONE.lock`));
}

export interface AttemptInfo {
  attempt: number;
  status: ClientTaskStatus;
  startedAt?: number;
  finishedAt?: number;
}

export interface TaskDetail extends TaskSummary {
  attempts: AttemptInfo[];
}

/** `status`: only what a run's status needs (status, end time); `attempts`: also every attempt's status and start. */
export type TaskReadDepth = 'status' | 'summary' | 'attempts';

export function readTask(root: string, flow: string, runId: string, step: string, taskId: string, depth: TaskReadDepth = 'summary', view: FileView = LOCAL_VIEW): TaskDetail {
  const pathspec = `${flow}/${runId}/${step}/${taskId}`;
  const taskDir = path.join(root, flow, runId, step, taskId);
  const base: TaskDetail = { flow, runId, step, taskId, pathspec, done: false, status: 'unknown', attempts: [] };
  let files: TaskFiles;
  try {
    files = taskFiles(taskDir, view);
  } catch (err) {
    return { ...base, error: `cannot read ${taskDir}: ${(err as Error).message}` };
  }
  if (files.latest === undefined) return { ...base, error: `no attempt has started: ${taskDir} has no <attempt>.attempt.json` };
  let metaRead: TaskMetadata | undefined;
  const meta = () => (metaRead = metaRead ?? TaskMetadata.read(taskDir, view));
  const attempt = files.latest;
  const status = statusOfAttempt(root, flow, taskDir, files, meta, attempt, view);
  const finishedAt = attemptEnd(taskDir, files, meta, attempt, view);
  const done = files.names.has(`${attempt}.DONE.lock`);
  if (depth === 'status') return { ...base, attempt, done, status, finishedAt };
  const startedAt = attemptStart(taskDir, files, attempt, view);
  const detail: TaskDetail = {
    ...base,
    attempt,
    done,
    status,
    startedAt,
    finishedAt,
    durationMs: startedAt !== undefined && finishedAt !== undefined ? Math.max(0, finishedAt - startedAt) : undefined,
  };
  if (meta().has('foreach-execution-path')) {
    // `step:idx,step:idx`: the innermost entry is this task's own split index.
    const execPath = meta().string('foreach-execution-path', attempt) ?? '';
    const last = execPath.split(',').pop()?.split(':').pop();
    if (last !== undefined && /^\d+$/.test(last)) detail.foreachIndex = Number(last);
    const stack = meta().value('foreach-stack', attempt);
    if (Array.isArray(stack) && stack.length > 0) {
      const top = String(stack[stack.length - 1]);
      const eq = top.indexOf('=');
      detail.foreachValue = eq >= 0 ? top.slice(eq + 1) : top;
    }
  }
  if (meta().has('origin-task-id')) detail.originTaskId = meta().string('origin-task-id');
  if (depth === 'attempts') {
    for (let a = 0; a <= attempt; a++) {
      if (!files.names.has(`${a}.attempt.json`) && a !== attempt) continue;
      const s = a === attempt ? status : statusOfAttempt(root, flow, taskDir, files, meta, a, view);
      detail.attempts.push({ attempt: a, status: s, startedAt: attemptStart(taskDir, files, a, view), finishedAt: a === attempt ? finishedAt : undefined });
    }
  }
  return detail;
}

/** Task ids of a step directory: numeric ids in numeric order, others (orchestrator ids) by creation time. */
export function listTaskIds(stepDir: string, view: FileView = LOCAL_VIEW): string[] {
  const ids = view.list(stepDir).filter((e) => e.isDirectory && e.name !== '_meta' && !e.name.startsWith('.')).map((e) => e.name);
  const numeric = ids.filter((id) => /^\d+$/.test(id)).sort((a, b) => Number(a) - Number(b));
  const other = ids.filter((id) => !/^\d+$/.test(id));
  if (other.length === 0) return numeric;
  const mtime = new Map(other.map((id) => [id, safeMtime(path.join(stepDir, id), view)]));
  other.sort((a, b) => mtime.get(a)! - mtime.get(b)! || a.localeCompare(b));
  return [...numeric, ...other];
}

export function safeMtime(p: string, view: FileView = LOCAL_VIEW): number {
  return view.mtime(p) ?? 0;
}
