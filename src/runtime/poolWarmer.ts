// Starts the fork-server (interpreter start + flow import, the slowest part of a short run) before the
// flow has been analysed, so both happen at once. The runner takes the pool only if the analysed run
// launches exactly the same worker; otherwise, or when the run is refused, the warm pool is shut down.
import * as path from 'node:path';
import type { WorkerMode } from '../config/runtimeSettings';
import { type LaunchDeps, launchOptionsFor, runtimeSettingsFor } from './launchSettings';
import { ForkServerPool } from './workers/forkServerPool';
import { platformTreeKiller } from './workers/processTree';
import { type WorkerLaunchOptions, type WorkerPool, workerEnv } from './workers/workerPool';

interface Warmed {
  pool: WorkerPool;
  launch: WorkerLaunchOptions;
  taken: boolean;
}

function sameWorker(warm: WorkerLaunchOptions, wanted: WorkerLaunchOptions): boolean {
  // A worker started without a flow name imports the file's one flow; tasks name their flow anyway.
  if (warm.flowName !== undefined && warm.flowName !== wanted.flowName) return false;
  return (
    warm.python === wanted.python &&
    warm.pythonPath === wanted.pythonPath &&
    path.resolve(warm.flowFile) === path.resolve(wanted.flowFile) &&
    JSON.stringify(workerEnv(warm)) === JSON.stringify(workerEnv(wanted))
  );
}

export class PoolWarmer {
  private warmed?: Warmed;

  constructor(private readonly deps: LaunchDeps) {}

  /** Never throws: a config problem is reported later, in order, by the run itself. */
  warm(flowFile: string, flowName?: string): void {
    if (this.warmed) return;
    try {
      const file = path.resolve(flowFile);
      const settings = runtimeSettingsFor(this.deps, path.dirname(file));
      if (settings.workerMode !== 'fork-server') return;
      const launch = launchOptionsFor(this.deps, settings, file, flowName);
      const pool = new ForkServerPool(launch, platformTreeKiller(this.deps.platform ?? process.platform));
      pool.warm();
      this.warmed = { pool, launch, taken: false };
    } catch {
      this.warmed = undefined;
    }
  }

  /** The warm pool, if it runs the worker the run needs; each pool is handed out once. */
  take(launch: WorkerLaunchOptions, mode: WorkerMode): WorkerPool | undefined {
    const w = this.warmed;
    if (!w || w.taken || mode !== 'fork-server' || !sameWorker(w.launch, launch)) return undefined;
    w.taken = true;
    return w.pool;
  }

  /** Shuts down a pool nobody took (a refused run); a taken pool belongs to its run. */
  async dispose(): Promise<void> {
    const w = this.warmed;
    if (!w || w.taken) return;
    w.taken = true;
    await w.pool.shutdown();
  }
}
