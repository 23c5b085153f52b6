// The fallback: a fresh interpreter per task (`--mode single`), for platforms without fork or by setting.
import type { TaskSpec, TaskResult } from '../workerProtocol';
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

interface Running {
  channel: WorkerChannel;
  finished: boolean;
  result: TaskResult | null;
  exitCode: number | null;
  signal: string | null;
  stderr: string[];
}

export class ProcessPerTaskPool implements WorkerPool {
  private listener?: WorkerPoolListener;
  private readonly running = new Map<string, Running>();
  private readonly exits = new Set<Promise<void>>();

  constructor(
    private readonly options: WorkerLaunchOptions,
    private readonly killer: ProcessTreeKiller,
  ) {}

  /** Imports the flow once in a throwaway process so a broken flow file stops the run before any task. */
  start(listener: WorkerPoolListener): Promise<WorkerReady> {
    this.listener = listener;
    return new Promise<WorkerReady>((resolve, reject) => {
      const stderr: string[] = [];
      let version = '';
      const channel = new WorkerChannel(this.options, 'single', {
        messages: (messages) => {
          for (const m of messages) {
            if (m.op === 'ready') {
              version = m.python_version;
              channel.send({ op: 'shutdown' });
              channel.endInput();
            } else if (m.op === 'init_error') reject(new FlowImportError(m.error));
          }
        },
        stderr: (lines) => stderr.push(...lines),
        spawnError: (err) => reject(err.code === 'ENOENT' || err.code === 'EACCES' ? pythonNotFound(this.options, err.code) : err),
        exit: (code, signal) => {
          if (version) resolve({ pythonVersion: version });
          else reject(new FlowImportError(stderr.join('\n').trim() || `the Python worker exited (${signal ?? `code ${code}`}) before it was ready`));
        },
      });
    });
  }

  submit(key: string, task: TaskSpec): void {
    const listener = this.listener!;
    let done: () => void = () => undefined;
    const exited = new Promise<void>((r) => (done = r));
    this.exits.add(exited);
    const state: Running = { channel: undefined as unknown as WorkerChannel, finished: false, result: null, exitCode: null, signal: null, stderr: [] };
    state.channel = new WorkerChannel(this.options, 'single', {
      messages: (messages) => {
        for (const m of messages) {
          if (m.op === 'ready') continue;
          if (m.op === 'started') listener.started(key, state.channel.pid ?? m.pid);
          else if (m.op === 'log') listener.log(key, m.stream, m.line, m.ts);
          else if (m.op === 'finished') {
            state.finished = true;
            state.result = m.result;
            state.exitCode = m.exit_code;
            state.signal = m.signal;
            state.channel.endInput();
          } else if (m.op === 'init_error') state.stderr.push(m.error);
        }
      },
      stderr: (lines) => {
        for (const line of lines) listener.log(key, 'stderr', line, Date.now());
      },
      spawnError: (err) => {
        state.stderr.push(String(pythonNotFound(this.options, err.code ?? err.message).message));
      },
      exit: (code, signal) => {
        this.running.delete(key);
        this.exits.delete(exited);
        done();
        for (const line of state.stderr) listener.log(key, 'stderr', line, Date.now());
        if (state.finished) listener.finished(key, state.exitCode ?? code, state.signal ?? signal, state.result);
        else listener.finished(key, code, signal, null);
      },
    });
    // The request waits in the pipe while the interpreter starts.
    state.channel.send({ op: 'task', key, task });
    this.running.set(key, state);
  }

  kill(key: string): void {
    const pid = this.running.get(key)?.channel.pid;
    if (pid) this.killer.killTree(pid);
  }

  async shutdown(): Promise<void> {
    for (const key of [...this.running.keys()]) this.kill(key);
    const timer = new Promise<void>((r) => setTimeout(r, 2000).unref());
    await Promise.race([Promise.all([...this.exits]), timer]);
  }
}
