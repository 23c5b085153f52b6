// `dump` and `logs`: read a run's tasks from the local datastore (a spin run's from the spin datastore); tasks
// whose data is in Azure Blob (only `_meta` is local) are read from there by the embedded package.
import * as os from 'node:os';
import { DATASTORE_DIR, findLocalRoot, SPIN_DATASTORE_DIR } from '../config/datastoreRoot';
import { MetaflowConfig } from '../config/metaflowConfig';
import { resolveInterpreter } from '../config/pythonInterpreter';
import { pythonSetting } from '../config/runtimeSettings';
import { dumpTasks } from '../datastore/artifactDump';
import { LocalLayout } from '../datastore/localLayout';
import { mergeMflogs, type MflogLine } from '../datastore/mflog';
import { latestAttempt, PathspecError, readStoredTaskLogs, readTaskLog, resolveTasks, type TaskRef } from '../datastore/taskFiles';
import { consoleTimestamp } from './consoleFormat';
import { locateEmbeddedPython } from './embeddedPython';
import { workerEnv } from './workers/workerPool';

export interface InspectIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

function locate(io: InspectIO, pathspec: string): { layout: LocalLayout; tasks: TaskRef[]; config: MetaflowConfig } {
  const config = MetaflowConfig.load({ env: io.env, startDir: io.cwd, homeDir: os.homedir() });
  const sysroot = config.getString('METAFLOW_DATASTORE_SYSROOT_LOCAL');
  const roots = [findLocalRoot(io.cwd, sysroot, DATASTORE_DIR), findLocalRoot(io.cwd, sysroot, SPIN_DATASTORE_DIR)].filter((r): r is string => !!r);
  if (roots.length === 0) throw new PathspecError(`no ${DATASTORE_DIR} datastore found in ${io.cwd} or above (set METAFLOW_DATASTORE_SYSROOT_LOCAL to its parent directory)`);
  let first: Error | undefined;
  for (const root of roots) {
    const layout = new LocalLayout(root);
    try {
      return { layout, tasks: resolveTasks(layout, pathspec), config };
    } catch (err) {
      first = first ?? (err as Error);
    }
  }
  throw first!;
}

/** `locate`, with its error printed for the user instead of thrown. */
function locateOrReport(io: InspectIO, pathspec: string): ReturnType<typeof locate> | undefined {
  try {
    return locate(io, pathspec);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return undefined;
  }
}

export async function dumpArtifacts(
  options: { pathspec: string; includePrivate: boolean; maxValueSize: number; include?: string[]; json: boolean },
  io: InspectIO,
): Promise<number> {
  const found = locateOrReport(io, options.pathspec);
  if (!found) return 1;
  const python = resolveInterpreter(pythonSetting(found.config).python, io.env, io.cwd, process.platform).executable;
  const dumped = await dumpTasks(
    python,
    {
      root: found.layout.root,
      flow: found.tasks[0].flow,
      tasks: found.tasks.map((t) => ({ path: `${t.flow}/${t.run}/${t.step}/${t.task}`, dir: t.dir })),
      max_value_size: options.maxValueSize,
      include: options.include,
      private: options.includePrivate,
    },
    workerEnv({ pythonPath: locateEmbeddedPython(), env: io.env }),
  );
  if (options.json) {
    io.stdout(`${JSON.stringify(dumped, null, 2)}\n`);
    return dumped.some((t) => t.error) ? 1 : 0;
  }
  let failed = false;
  for (const task of dumped) {
    if (task.error) {
      io.stderr(`${task.path}: ${task.error}\n`);
      failed = true;
      continue;
    }
    const lines = [`${task.path} (attempt ${task.attempt}):`];
    if (task.artifacts.length === 0) lines.push('  (no artifacts)');
    for (const a of task.artifacts) {
      const head = `  ${a.name}  ${a.type}  ${a.size} bytes`;
      lines.push(a.value !== undefined ? `${head}\n    ${a.value.replace(/\n/g, '\n    ')}` : a.error ? `${head}\n    (${a.error})` : head);
    }
    io.stdout(`${lines.join('\n')}\n`);
  }
  return failed ? 1 : 0;
}

type LogReader = (stream: 'stdout' | 'stderr') => MflogLine[];

/** Each task's attempt and log reader: local files directly, others (Azure runs) through the inspector. */
async function taskLogReaders(
  found: ReturnType<typeof locate>,
  options: { streams: Array<'stdout' | 'stderr'>; attempt?: number },
  io: InspectIO,
): Promise<Array<{ task: TaskRef; attempt?: number; read: LogReader }>> {
  // Each task's folder is looked at once: no local attempt means its data is in the datastore.
  const latest = found.tasks.map((t) => latestAttempt(t.dir));
  const remote = found.tasks.filter((_, i) => latest[i] === undefined);
  const stored = new Map<string, { attempt?: number; read: LogReader }>();
  if (remote.length > 0) {
    const python = resolveInterpreter(pythonSetting(found.config).python, io.env, io.cwd, process.platform).executable;
    const answers = await readStoredTaskLogs(
      python,
      {
        root: found.layout.root,
        flow: remote[0].flow,
        tasks: remote.map((t) => ({ path: pathOf(t), dir: t.dir })),
        streams: options.streams,
        attempt: options.attempt,
      },
      workerEnv({ pythonPath: locateEmbeddedPython(), env: io.env }),
    );
    for (const a of answers) stored.set(a.path, { attempt: a.attempt ?? undefined, read: (stream) => mergeMflogs(a.sources[stream] ?? []) });
  }
  return found.tasks.map((task, i) => {
    const fromStore = stored.get(pathOf(task));
    if (fromStore) return { task, ...fromStore };
    const attempt = options.attempt ?? latest[i];
    return { task, attempt, read: (stream) => (attempt === undefined ? [] : readTaskLog(task.dir, attempt, stream)) };
  });
}

function pathOf(t: TaskRef): string {
  return `${t.flow}/${t.run}/${t.step}/${t.task}`;
}

export async function showLogs(
  options: { pathspec: string; streams: Array<'stdout' | 'stderr'>; timestamps: boolean; attempt?: number },
  io: InspectIO,
): Promise<number> {
  const found = locateOrReport(io, options.pathspec);
  if (!found) return 1;
  let readers;
  try {
    readers = await taskLogReaders(found, options, io);
  } catch (err) {
    io.stderr(`${(err as Error).message}\n`);
    return 1;
  }
  const many = found.tasks.length > 1;
  for (const { task: t, attempt, read } of readers) {
    if (attempt === undefined) {
      io.stderr(`${pathOf(t)}: no attempt has started, so there are no logs\n`);
      continue;
    }
    for (const stream of options.streams) {
      const lines = read(stream);
      if (lines.length === 0) continue;
      const text = lines.map((l) => (options.timestamps && Number.isFinite(l.ts) ? `${consoleTimestamp(l.ts)} ${l.text}` : l.text)).join('\n');
      const header = many ? `--- ${pathOf(t)} attempt ${attempt} ${stream} ---\n` : '';
      if (stream === 'stderr' && !many) io.stderr(`${header}${text}\n`);
      else io.stdout(`${header}${text}\n`);
    }
  }
  return 0;
}
