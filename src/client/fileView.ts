// The few file operations the datastore reader needs, so the same reading rules serve the local
// `.metaflow` folder (plain fs, the fast path) and remote datastores (a snapshot filled from storage).
import * as fs from 'node:fs';

export interface ViewEntry {
  name: string;
  isDirectory: boolean;
}

export interface FileView {
  /** Entries of a directory; throws (ENOENT) when it does not exist. */
  list(dir: string): ViewEntry[];
  /** Names only: cheaper where types are not needed. */
  names(dir: string): string[];
  /** Whole file; throws (ENOENT) when it does not exist. */
  read(file: string): Buffer;
  exists(p: string): boolean;
  /** Modification time in ms, undefined when unknown or missing. */
  mtime(p: string): number | undefined;
}

export const LOCAL_VIEW: FileView = {
  list(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, isDirectory: e.isDirectory() }));
  },
  names(dir) {
    return fs.readdirSync(dir);
  },
  read(file) {
    return fs.readFileSync(file);
  },
  exists(p) {
    return fs.existsSync(p);
  },
  mtime(p) {
    try {
      return fs.statSync(p).mtimeMs;
    } catch {
      return undefined;
    }
  },
};
