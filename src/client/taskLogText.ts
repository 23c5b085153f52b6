// A task's logs as one searchable text: every attempt, stdout and stderr merged by time, each line
// marked with its stream, from the same files `metaflow logs` reads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTaskLog } from '../datastore/taskFiles';
import { MAX_ATTEMPTS } from '../datastore/localLayout';
import type { MflogLine } from '../datastore/mflog';

export function taskLogText(root: string, pathspec: string): string {
  const parts = taskPathspecParts(pathspec);
  const taskDir = path.join(root, ...parts);
  if (!fs.existsSync(taskDir)) throw new Error(`no task ${pathspec} in ${root} (${taskDir} does not exist)`);
  const attempts = startedAttempts(fs.readdirSync(taskDir)).map((a) => ({ attempt: a, stdout: readTaskLog(taskDir, a, 'stdout'), stderr: readTaskLog(taskDir, a, 'stderr') }));
  return formatTaskLogs(pathspec, taskDir, attempts);
}

/** The attempts (0..MAX_ATTEMPTS-1, in order) that left any file among a task's `names`. */
export function startedAttempts(names: Iterable<string>): number[] {
  const list = [...names];
  const attempts: number[] = [];
  for (let a = 0; a < MAX_ATTEMPTS; a++) if (list.some((n) => n.startsWith(`${a}.`))) attempts.push(a);
  return attempts;
}

export interface TaskAttemptLogs {
  attempt: number;
  stdout: MflogLine[];
  stderr: MflogLine[];
}

/** Flow/run/step/task, each part a name (never . or ..), or an error saying what a task pathspec is. */
export function taskPathspecParts(pathspec: string): string[] {
  const parts = pathspec.split('/');
  if (parts.length !== 4 || parts.some((p) => !p || p === '.' || p === '..' || p.includes('\\'))) {
    throw new Error(`'${pathspec}' is not a task pathspec (Flow/run/step/task)`);
  }
  return parts;
}

/** The one text layout of a task's logs, wherever they were read from (`where` is shown in its header). */
export function formatTaskLogs(pathspec: string, where: string, attempts: TaskAttemptLogs[]): string {
  const out: string[] = [`# Logs of ${pathspec}`, `# ${where}`, ''];
  if (attempts.length === 0) out.push('(no attempt has started, so there are no logs)');
  for (const { attempt, stdout, stderr } of attempts) {
    out.push(`--- attempt ${attempt} ---`);
    const lines = [...stdout.map((l) => ({ ...l, mark: 'out' })), ...stderr.map((l) => ({ ...l, mark: 'ERR' }))].sort((x, y) =>
      x.tsText < y.tsText ? -1 : x.tsText > y.tsText ? 1 : 0,
    );
    if (lines.length === 0) out.push('(this attempt printed nothing)');
    for (const l of lines) {
      const time = Number.isFinite(l.ts) ? new Date(l.ts).toISOString().slice(11, 23) : '            ';
      out.push(`${time} ${l.mark}${l.source === 'runtime' ? '*' : ' '}| ${l.text}`);
    }
    out.push('');
  }
  return out.join('\n');
}
