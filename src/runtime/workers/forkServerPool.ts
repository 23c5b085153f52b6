// The fast path: one warm Python process that imported the flow once and forks a child per task.
import type { TaskSpec } from '../workerProtocol';
import type { ProcessTreeKiller } from './processTree';
import { WorkerChannel } from './workerChannel';
import {
  FlowImportError,
  pythonNotFound,
  type WorkerLaunchOptions,
  type WorkerPool,
  type WorkerPoolListener,
  type WorkerReady,
} from './workerPool';

const STDERR_TAIL = 200;

export class ForkServerPool implements WorkerPool {
  private channel?: WorkerChannel;
  private listener?: WorkerPoolListener;
  private readonly pids = new Map<string, number>();
  private readonly inflight = new Set<string>();
  private readonly killRequested = new Set<string>();
  private readonly stderrTail: string[] = [];
  private exitPromise?: Promise<void>;
  private ready?: Promise<WorkerReady>;
  /** Set when the server died under a run: later tasks fail at once instead of waiting forever. */
  private deadReason?: string;

  constructor(
    private readonly options: WorkerLaunchOptions,
    private readonly killer: ProcessTreeKiller,
  ) {}

  /** Starts the interpreter and the flow import now, before a listener exists (e.g. while the flow is analysed). */
  warm(): void {
    void this.boot();
  }

  start(listener: WorkerPoolListener): Promise<WorkerReady> {
    this.listener = listener;
    return this.boot();
  }

  private boot(): Promise<WorkerReady> {
    if (this.ready) return this.ready;
    let isReady = false;
    let exitResolve: () => void = () => undefined;
    this.exitPromise = new Promise<void>((r) => (exitResolve = r));
    this.ready = new Promise<WorkerReady>((resolve, reject) => {
      this.channel = new WorkerChannel(this.options, 'fork-server', {
        messages: (messages) => {
          for (const m of messages) {
            switch (m.op) {
              case 'ready':
                isReady = true;
                resolve({ pythonVersion: m.python_version });
                break;
              case 'init_error':
                reject(new FlowImportError(m.error));
                break;
              case 'started':
                this.pids.set(m.key, m.pid);
                if (this.killRequested.has(m.key)) this.killer.killTree(m.pid);
                this.listener?.started(m.key, m.pid);
                break;
              case 'log':
                this.listener?.log(m.key, m.stream, m.line, m.ts);
                break;
              case 'finished':
                this.inflight.delete(m.key);
                this.pids.delete(m.key);
                this.killRequested.delete(m.key);
                this.listener?.finished(m.key, m.exit_code, m.signal, m.result);
                break;
            }
          }
        },
        stderr: (lines) => {
          this.stderrTail.push(...lines);
          if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.splice(0, this.stderrTail.length - STDERR_TAIL);
        },
        spawnError: (err) => {
          reject(err.code === 'ENOENT' || err.code === 'EACCES' ? pythonNotFound(this.options, err.code) : err);
          exitResolve();
        },
        exit: (code, signal) => {
          exitResolve();
          if (!isReady) {
            const tail = this.stderrTail.join('\n').trim();
            reject(new FlowImportError(tail || `the Python worker exited (${signal ?? `code ${code}`}) before it was ready`));
            return;
          }
          // The server died under its tasks: each of them is lost, and so is every later one.
          this.deadReason = `the Python fork-server exited (${signal ?? `code ${code}`})${this.stderrTail.length ? `; its last output: ${this.stderrTail.slice(-5).join(' | ')}` : ''}`;
          const lost = [...this.inflight];
          this.inflight.clear();
          for (const key of lost) this.failLost(key);
        },
      });
    });
    // A warmed pool may be dropped unused (the run was refused): its failure is reported by start() or not at all.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  private failLost(key: string): void {
    const pid = this.pids.get(key);
    if (pid) this.killer.killTree(pid);
    this.pids.delete(key);
    this.listener?.log(key, 'stderr', this.deadReason ?? 'the Python fork-server exited', Date.now());
    this.listener?.finished(key, null, null, null);
  }

  submit(key: string, task: TaskSpec): void {
    if (this.deadReason) {
      setImmediate(() => this.failLost(key));
      return;
    }
    this.inflight.add(key);
    this.channel?.send({ op: 'task', key, task });
  }

  kill(key: string): void {
    const pid = this.pids.get(key);
    if (pid) this.killer.killTree(pid);
    else if (this.inflight.has(key)) this.killRequested.add(key);
  }

  async shutdown(): Promise<void> {
    for (const pid of this.pids.values()) this.killer.killTree(pid);
    const channel = this.channel;
    if (!channel || !channel.alive) return;
    channel.send({ op: 'shutdown' });
    channel.endInput();
    const timer = new Promise<void>((r) => setTimeout(r, 2000).unref());
    await Promise.race([this.exitPromise, timer]);
    if (channel.alive && channel.pid) this.killer.killTree(channel.pid);
  }
}
