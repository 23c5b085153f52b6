// Reading a run's task directories: which tasks a pathspec names, each task's latest attempt, its logs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalLayout, MAX_ATTEMPTS } from './localLayout';
import { mergeMflogs, type MflogLine } from './mflog';
import { runInspector } from './pythonInspector';

export interface TaskRef {
  flow: string;
  run: string;
  step: string;
  task: string;
  dir: string;
}

export class PathspecError extends Error {}

/** `Flow/run/step[/task]` → the tasks it names, task ids in numeric order. */
export function resolveTasks(layout: LocalLayout, pathspec: string): TaskRef[] {
  const parts = pathspec.split('/').filter(Boolean);
  if (parts.length < 3 || parts.length > 4) throw new PathspecError(`'${pathspec}' is not a pathspec of the form FLOW/RUN/STEP[/TASK]`);
  if (parts.some((p) => p === '.' || p === '..' || p.includes('\\'))) {
    throw new PathspecError(`'${pathspec}' is not a pathspec of the form FLOW/RUN/STEP[/TASK]: its parts are names, never . or ..`);
  }
  const [flow, run, step, task] = parts;
  if (!fs.existsSync(layout.flowDir(flow))) throw new PathspecError(`no flow ${flow} in ${layout.root}`);
  if (!fs.existsSync(layout.runDir(flow, run))) throw new PathspecError(`no run ${flow}/${run} in ${layout.root}`);
  const stepDir = layout.stepDir(flow, run, step);
  if (!fs.existsSync(stepDir)) throw new PathspecError(`run ${flow}/${run} has no step '${step}'`);
  const ids = task ? [task] : fs.readdirSync(stepDir).filter((t) => t !== '_meta' && !t.startsWith('.'));
  ids.sort((a, b) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a.localeCompare(b)));
  const refs = ids.map((t) => ({ flow, run, step, task: t, dir: layout.taskDir(flow, run, step, t) }));
  for (const r of refs) if (!fs.existsSync(r.dir)) throw new PathspecError(`no task ${flow}/${run}/${step}/${r.task}`);
  return refs;
}

/** The newest attempt that started (Metaflow probes attempts 0..5). */
export function latestAttempt(taskDir: string): number | undefined {
  for (let a = MAX_ATTEMPTS - 1; a >= 0; a--) {
    for (const name of ['attempt.json', 'data.json', 'runtime_stdout.log', 'task_stdout.log', 'runtime']) {
      if (fs.existsSync(path.join(taskDir, `${a}.${name}`))) return a;
    }
  }
  return undefined;
}

export interface StoredTaskLogs {
  path: string;
  /** The requested attempt, else the newest one with files; null when none started. */
  attempt: number | null;
  /** Per stream, the raw contents of its runtime and task log files. */
  sources: Partial<Record<'stdout' | 'stderr', string[]>>;
}

/**
 * Logs of tasks whose data is not in their local folder: the embedded package's inspector finds each
 * task's datastore from its local metadata (as `dump` and resume do) and reads the files from there.
 */
export function readStoredTaskLogs(
  python: string,
  request: { root: string; flow: string; tasks: Array<{ path: string; dir: string }>; streams: Array<'stdout' | 'stderr'>; attempt?: number },
  env: NodeJS.ProcessEnv,
): Promise<StoredTaskLogs[]> {
  return runInspector<StoredTaskLogs[]>(python, ['logs', '-'], env, `the logs of ${request.flow}`, JSON.stringify(request));
}

/** The files one stream of one attempt may be written to: the runtime's, the task's own (a pod's), a plain one. */
export function taskLogFileNames(attempt: number, stream: 'stdout' | 'stderr'): string[] {
  return [`${attempt}.runtime_${stream}.log`, `${attempt}.task_${stream}.log`, `${attempt}.${stream}.log`];
}

/** The runtime and task logs of one stream of one attempt, merged by timestamp (`mflog.merge_logs`). */
export function readTaskLog(taskDir: string, attempt: number, stream: 'stdout' | 'stderr'): MflogLine[] {
  const contents: string[] = [];
  for (const name of taskLogFileNames(attempt, stream)) {
    try {
      contents.push(fs.readFileSync(path.join(taskDir, name), 'utf8'));
    } catch {
      // that source was not written for this attempt
    }
  }
  return mergeMflogs(contents);
}
