// A mixed run's pool: each task goes to the local worker pool or to the Kubernetes pool, by placement.
// One scheduler, one run id, one datastore and one event stream for both.
import type { TaskSpec } from '../workerProtocol';
import type { WorkerPool, WorkerPoolListener, WorkerReady } from './workerPool';

export type RouteOf = (task: TaskSpec) => 'local' | 'remote';

export class RoutingPool implements WorkerPool {
  private readonly owners = new Map<string, WorkerPool>();

  /**
   * `startRemote` runs once the local pool is ready (it learns the launcher's Python version from it: the
   * default image is `python:<major.minor>`); a remote start that fails refuses the run.
   */
  constructor(
    private readonly local: WorkerPool,
    private readonly remote: WorkerPool & { setLauncherPython?(version: string): void },
    private readonly route: RouteOf,
  ) {}

  warm(): void {
    this.local.warm?.();
  }

  async start(listener: WorkerPoolListener): Promise<WorkerReady> {
    const routed: WorkerPoolListener = {
      started: (key, pid, executor) => listener.started(key, pid, executor),
      log: (key, stream, line, ts) => listener.log(key, stream, line, ts),
      finished: (key, exitCode, signal, result, details) => {
        this.owners.delete(key);
        listener.finished(key, exitCode, signal, result, details);
      },
    };
    const ready = await this.local.start(routed);
    this.remote.setLauncherPython?.(ready.pythonVersion);
    await this.remote.start(routed);
    return ready;
  }

  submit(key: string, task: TaskSpec): void {
    const pool = this.route(task) === 'remote' ? this.remote : this.local;
    this.owners.set(key, pool);
    pool.submit(key, task);
  }

  kill(key: string): void {
    this.owners.get(key)?.kill(key);
  }

  async shutdown(): Promise<void> {
    const results = await Promise.allSettled([this.remote.shutdown(), this.local.shutdown()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
