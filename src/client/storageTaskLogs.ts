// A task's logs from a remote datastore (Azure Blob): the same log files as a local task folder, found
// by listing the task's key and read in parallel, laid out as the local logs are.
import { mergeMflogs } from '../datastore/mflog';
import { joinKey, type DatastoreStorage } from '../datastore/storage/types';
import { taskLogFileNames } from '../datastore/taskFiles';
import { formatTaskLogs, startedAttempts, taskPathspecParts } from './taskLogText';

export async function storageTaskLogText(storage: DatastoreStorage, pathspec: string): Promise<string> {
  const taskKey = joinKey(...taskPathspecParts(pathspec));
  const names = new Set((await storage.listChildren(taskKey)).filter((e) => !e.isDirectory).map((e) => e.name));
  if (names.size === 0) throw new Error(`no task ${pathspec} in ${storage.describe(taskKey)}`);
  const read = async (attempt: number, stream: 'stdout' | 'stderr') => {
    const present = taskLogFileNames(attempt, stream).filter((n) => names.has(n));
    const contents = await Promise.all(present.map(async (n) => (await storage.read(joinKey(taskKey, n))).toString('utf8')));
    return mergeMflogs(contents);
  };
  const attempts = startedAttempts(names).map((attempt) =>
    Promise.all([read(attempt, 'stdout'), read(attempt, 'stderr')]).then(([stdout, stderr]) => ({ attempt, stdout, stderr })),
  );
  return formatTaskLogs(pathspec, storage.describe(taskKey), await Promise.all(attempts));
}
