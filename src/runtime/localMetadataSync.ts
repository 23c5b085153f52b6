// The launcher's half of a remote task's metadata hand-over (the pod's half is
// metaflow_studio/pod_metadata_sync.py, whose docstring is the format): the pod leaves its `.metaflow` as a
// gzip tar in the flow's content-addressed store and names it in `<attempt>.local_metadata`; this copies it
// into the run's local `.metaflow`, so the run's metadata is whole as if the task had run here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tar from 'tar';
import { writeFileAtomicSync } from '../datastore/atomicWrite';
import { blobKey, type DatastoreStorage } from '../datastore/storage/types';

const TARBALL_ROOT = '.metaflow';
const ATTEMPT_FILE = 'local_metadata';

export interface PodTaskRef {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  attempt: number;
}

export interface MetadataSyncResult {
  /** False when the pod left no tarball (it ended before the sync). */
  found: boolean;
  copied: string[];
}

/** `.metaflow/<relative path>` -> the relative path; anything else (absolute, `..`, outside) refuses the tarball. */
function localPath(entryPath: string): string {
  const parts = entryPath.replace(/^\.\//, '').split('/').filter((p) => p !== '' && p !== '.');
  if (path.posix.isAbsolute(entryPath) || /^[A-Za-z]:/.test(entryPath) || parts.includes('..') || parts[0] !== TARBALL_ROOT) {
    throw new Error(`its entry '${entryPath}' is outside ${TARBALL_ROOT}/`);
  }
  return parts.slice(1).join('/');
}

async function readTarFiles(gzipped: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let refused: Error | undefined;
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      let rel: string | undefined;
      try {
        if (entry.type === 'SymbolicLink' || entry.type === 'Link') throw new Error(`its entry '${entry.path}' is a link`);
        const inside = localPath(entry.path);
        if ((entry.type === 'File' || entry.type === 'OldFile') && inside !== '') rel = inside;
      } catch (err) {
        refused = refused ?? (err as Error);
      }
      if (rel === undefined) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => files.set(rel, Buffer.concat(chunks)));
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.on('warn', (code: string, message: string) => {
      if (code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT') reject(new Error(message));
    });
    parser.end(gzipped);
  });
  if (refused) throw refused;
  return files;
}

/** Copies the pod's metadata files into `localRoot` (the run's `.metaflow`); files already there are kept. */
export async function syncPodMetadata(storage: DatastoreStorage, task: PodTaskRef, localRoot: string): Promise<MetadataSyncResult> {
  const pointerKey = `${task.flow}/${task.runId}/${task.step}/${task.taskId}/${task.attempt}.${ATTEMPT_FILE}`;
  const pointer = await storage.readIfExists(pointerKey);
  if (!pointer) return { found: false, copied: [] };
  let sha: unknown;
  try {
    sha = JSON.parse(pointer.toString('utf8'));
  } catch {
    sha = undefined;
  }
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
    throw new Error(`${storage.describe(pointerKey)} does not name a metadata tarball (expected a JSON string of a sha1)`);
  }
  const tarKey = blobKey(task.flow, sha);
  const stored = await storage.read(tarKey);
  // Raw CAS blobs are stored as they are; others (Metaflow's default) are gzip'd once more.
  const raw = (await storage.readMeta(tarKey))?.cas_raw === true;
  const files = await readTarFiles(raw ? stored : zlib.gunzipSync(stored)).catch((err: Error) => {
    throw new Error(`the metadata tarball ${storage.describe(tarKey)} of ${task.flow}/${task.runId}/${task.step}/${task.taskId} was refused: ${err.message}`);
  });
  const copied: string[] = [];
  for (const [rel, data] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const target = path.join(localRoot, ...rel.split('/'));
    if (fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeFileAtomicSync(target, data);
    copied.push(rel);
  }
  return { found: true, copied };
}
