// Paths of Metaflow's local datastore layout (reference §2.2).
import * as path from 'node:path';

export class LocalLayout {
  constructor(readonly root: string) {}

  flowDir(flow: string): string {
    return path.join(this.root, flow);
  }
  runDir(flow: string, run: string): string {
    return path.join(this.root, flow, run);
  }
  stepDir(flow: string, run: string, step: string): string {
    return path.join(this.root, flow, run, step);
  }
  taskDir(flow: string, run: string, step: string, task: string): string {
    return path.join(this.root, flow, run, step, task);
  }
  latestRunFile(flow: string): string {
    return path.join(this.root, flow, 'latest_run');
  }
  blobPath(flow: string, sha: string): string {
    return path.join(this.root, flow, 'data', sha.slice(0, 2), sha);
  }
  /** `<attempt>.<name>` inside a task directory (`TaskDataStore.metadata_name_for_attempt`). */
  attemptFile(flow: string, run: string, step: string, task: string, attempt: number, name: string): string {
    return path.join(this.taskDir(flow, run, step, task), `${attempt}.${name}`);
  }
}

/** Metaflow keeps at most 6 attempts (ids 0..5). */
export const MAX_ATTEMPTS = 6;
