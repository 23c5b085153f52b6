// Local datastore root discovery (Metaflow's `LocalStorage.get_datastore_root_from_config`), searched
// from the flow's directory rather than the process's cwd so the editor and the CLI agree.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DATASTORE_DIR = '.metaflow';
export const SPIN_DATASTORE_DIR = '.metaflow_spin';

export interface LocalRoot {
  /** Absolute path of the `.metaflow` directory. */
  root: string;
  /** True when the directory did not exist and was created. */
  created: boolean;
}

/** `sysroot` is METAFLOW_DATASTORE_SYSROOT_LOCAL when set (from env or config). */
export function resolveLocalRoot(flowDir: string, sysroot: string | undefined, dirName: string = DATASTORE_DIR): LocalRoot {
  if (sysroot) {
    const root = path.resolve(sysroot, dirName);
    const created = !fs.existsSync(root);
    fs.mkdirSync(root, { recursive: true });
    return { root, created };
  }
  let dir = path.resolve(flowDir);
  for (;;) {
    const candidate = path.join(dir, dirName);
    try {
      if (fs.statSync(candidate).isDirectory()) return { root: candidate, created: false };
    } catch {
      // not here; keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const root = path.join(path.resolve(flowDir), dirName);
  fs.mkdirSync(root, { recursive: true });
  return { root, created: true };
}

/** Finds an existing root without creating one (readers: dump, logs). */
export function findLocalRoot(startDir: string, sysroot: string | undefined, dirName: string = DATASTORE_DIR): string | undefined {
  if (sysroot) {
    const root = path.resolve(sysroot, dirName);
    return fs.existsSync(root) ? root : undefined;
  }
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, dirName);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
