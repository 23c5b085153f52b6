// One Python worker process speaking the JSON-lines protocol of workerProtocol.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { WorkerMessage, WorkerRequest } from '../workerProtocol';
import { readLines } from './lineReader';
import { readWorkerMessage } from './workerMessages';
import { type WorkerLaunchOptions, workerEnv } from './workerPool';

export interface ChannelHandlers {
  messages(messages: WorkerMessage[]): void;
  /** The worker's own stderr (not a task's): import errors, crashes of the server itself. */
  stderr(lines: string[]): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  spawnError(err: NodeJS.ErrnoException): void;
}

export class WorkerChannel {
  readonly child: ChildProcess;
  private exited = false;

  constructor(options: WorkerLaunchOptions, mode: 'fork-server' | 'single', handlers: ChannelHandlers) {
    const args = ['-u', '-m', 'metaflow_studio.worker', '--mode', mode, '--flow-file', options.flowFile];
    if (options.flowName) args.push('--flow-name', options.flowName);
    this.child = spawn(options.python, args, {
      cwd: path.dirname(options.flowFile),
      env: workerEnv(options),
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a kill of the tree reaches everything the worker started.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    this.child.on('error', (err) => handlers.spawnError(err as NodeJS.ErrnoException));
    this.child.stdin?.on('error', () => undefined);
    readLines(this.child.stdout!, (lines) => {
      const messages: WorkerMessage[] = [];
      const problems: string[] = [];
      for (const line of lines) {
        if (!line) continue;
        const read = readWorkerMessage(line);
        if (read.problem) problems.push(read.problem);
        // A finished task's stand-in must still end it, so problems go out (to the worker's stderr) first.
        if (read.message) messages.push(read.message);
      }
      if (problems.length > 0) handlers.stderr(problems);
      if (messages.length > 0) handlers.messages(messages);
    });
    readLines(this.child.stderr!, (lines) => handlers.stderr(lines));
    this.child.on('close', (code, signal) => {
      this.exited = true;
      handlers.exit(code, signal);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  send(request: WorkerRequest): void {
    if (this.exited || !this.child.stdin || this.child.stdin.destroyed) return;
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
  }

  endInput(): void {
    this.child.stdin?.end();
  }
}
