// One container instance as a local process: argv from command+args ($(VAR) expanded as the kubelet
// does), the container's environment (never the simulator's own), a per-pod working directory, and, in a
// private mount namespace, the pod's own files over the paths the container writes (termination message,
// volumes). Started as a process-group leader so a kill reaches every descendant.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawnGroup } from '../processGroup';

export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const LAUNCHER = join(__dirname, 'containerLauncher.py');
const LAUNCHER_PYTHON = '/usr/bin/python3';

export type Mount = { source: string; target: string; kind: 'file' | 'dir' };

/** `$(NAME)` -> the variable's value when defined, `$$(` -> a literal `$(`; unknown references stay as written. */
export function expandVariables(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(env, name) ? env[name] : whole;
  });
}

export interface ContainerExit {
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (the runtime's StartError). */
  startError?: string;
}

export interface StartedContainer {
  child: ChildProcess;
  /** Resolves when the command runs (exec succeeded) or rejects with the start error. */
  started: Promise<void>;
  exited: Promise<ContainerExit>;
}

export function startContainerProcess(options: {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  mounts: Mount[];
  mountNamespace: boolean;
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
}): StartedContainer {
  const spec = JSON.stringify({ mounts: options.mountNamespace ? options.mounts.map((m) => [m.source, m.target, m.kind]) : [] });
  const launcherArgs = ['-I', '-S', LAUNCHER, spec, '--', ...options.argv];
  const [command, args] = options.mountNamespace ? ['unshare', ['--mount', '--propagation', 'private', LAUNCHER_PYTHON, ...launcherArgs]] : [LAUNCHER_PYTHON, launcherArgs];
  const child = spawnGroup(command, args as string[], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (t: string) => options.onOutput('stdout', t));
  child.stderr?.on('data', (t: string) => options.onOutput('stderr', t));
  let startError = '';
  const control = child.stdio[3] as NodeJS.ReadableStream | null;
  const started = new Promise<void>((resolve, reject) => {
    if (!control) return resolve();
    control.setEncoding('utf8');
    control.on('data', (t: string) => (startError += t));
    control.on('end', () => (startError ? reject(new Error(startError)) : resolve()));
    child.once('error', reject);
  });
  started.catch(() => undefined);
  const exited = new Promise<ContainerExit>((resolve) => {
    child.once('error', (error) => resolve({ exitCode: 128, signal: null, startError: error.message }));
    child.once('close', (code, signal) => {
      const exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
      resolve({ exitCode, signal, startError: startError || undefined });
    });
  });
  return { child, started, exited };
}

export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
