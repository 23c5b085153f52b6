// A task's `_meta` folder as the local metadata provider writes it (reference §2.5): one
// `sysmeta_<field>_<ts_ms>.json` per datum and `<attempt>_artifact_<name>.json` per artifact. The
// field and its time are in the file name, so most questions are answered by one readdir.
import * as path from 'node:path';
import { LOCAL_VIEW, type FileView } from './fileView';

export interface MetaFile {
  field: string;
  ts: number;
  file: string;
}

const SYSMETA = /^sysmeta_(.+)_(\d+)\.json$/;

export class TaskMetadata {
  private constructor(
    readonly dir: string,
    private readonly byField: Map<string, MetaFile[]>,
    readonly artifactFiles: string[],
    private readonly view: FileView,
  ) {}

  /** An absent `_meta` folder is an empty one: tasks written by other tools may have none. */
  static read(taskDir: string, view: FileView = LOCAL_VIEW): TaskMetadata {
    const dir = path.join(taskDir, '_meta');
    let names: string[] = [];
    try {
      names = view.names(dir);
    } catch {
      names = [];
    }
    const byField = new Map<string, MetaFile[]>();
    const artifactFiles: string[] = [];
    for (const name of names) {
      const m = SYSMETA.exec(name);
      if (m) {
        const list = byField.get(m[1]) ?? [];
        list.push({ field: m[1], ts: Number(m[2]), file: path.join(dir, name) });
        byField.set(m[1], list);
      } else if (/^\d+_artifact_.+\.json$/.test(name)) {
        artifactFiles.push(name);
      }
    }
    for (const list of byField.values()) list.sort((a, b) => b.ts - a.ts);
    return new TaskMetadata(dir, byField, artifactFiles, view);
  }

  has(field: string): boolean {
    return this.byField.has(field);
  }

  /** Newest write time of a field (from its file name), for the given attempt when the datum is tagged with one. */
  time(field: string): number | undefined {
    return this.byField.get(field)?.[0]?.ts;
  }

  /**
   * The value of the newest datum of `field` written for `attempt` (tag `attempt_id:<n>`); data without
   * an attempt tag count for every attempt. Unreadable files are skipped: the caller falls back.
   */
  value(field: string, attempt?: number): unknown {
    for (const entry of this.byField.get(field) ?? []) {
      try {
        const datum = JSON.parse(this.view.read(entry.file).toString('utf8')) as { value?: unknown; tags?: unknown };
        const tags = Array.isArray(datum.tags) ? (datum.tags as unknown[]).map(String) : [];
        const tagged = tags.find((t) => t.startsWith('attempt_id:'));
        if (attempt === undefined || tagged === undefined || tagged === `attempt_id:${attempt}`) return datum.value;
      } catch {
        // a half-copied or corrupt datum: an older one, or the caller's fallback, answers instead
      }
    }
    return undefined;
  }

  string(field: string, attempt?: number): string | undefined {
    const v = this.value(field, attempt);
    return v === undefined || v === null ? undefined : String(v);
  }
}
