// The `_meta/_self.json` object files of flows, runs and steps (reference §2.5).
import * as path from 'node:path';
import { LOCAL_VIEW, type FileView } from './fileView';

export interface SelfFile {
  ts_epoch?: number;
  user_name?: string;
  tags?: string[];
  system_tags?: string[];
}

export function readSelf(dir: string, view: FileView = LOCAL_VIEW): SelfFile {
  const file = path.join(dir, '_meta', '_self.json');
  let text: string;
  try {
    text = view.read(file).toString('utf8');
  } catch (err) {
    throw new Error(`${file} is missing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const parsed = JSON.parse(text) as SelfFile;
    if (!parsed || typeof parsed !== 'object') throw new Error('not a JSON object');
    return parsed;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/**
 * When an object was registered: its `_self.json` `ts_epoch`, else the file's (or directory's) mtime. File times
 * alone do not survive a copy or a checkout of a datastore, so the recorded time comes first.
 */
export function registeredAt(dir: string, view: FileView = LOCAL_VIEW): number {
  try {
    const ts = readSelf(dir, view).ts_epoch;
    if (typeof ts === 'number' && Number.isFinite(ts)) return ts;
  } catch {
    // Unreadable metadata: fall back to what the file system says.
  }
  for (const p of [path.join(dir, '_meta', '_self.json'), dir]) {
    const mtime = view.mtime(p);
    if (mtime !== undefined) return mtime;
  }
  return 0;
}
