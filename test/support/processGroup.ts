// Child processes started in their own process group, so that teardown can stop every descendant
// (code-server forks a file watcher and an extension host that would otherwise be orphaned), also
// when a test fails or the runner is interrupted.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // A caller with its own handler stops its processes itself (and may clean up first).
      if (process.listenerCount(signal) > 1) return;
      for (const child of live) killGroup(child, 'SIGKILL');
      process.exit(130);
    });
  }
}

/** Spawns `command args` as the leader of a new process group (argv array, never a shell string). */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  installExitHooks();
  const child = spawn(command, args, { ...options, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGTERM to the whole group, SIGKILL after `graceMs` if the leader has not exited. */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL'); // the leader is gone; its children may not be
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  // Descendants may outlive the leader by a moment; make sure none survives.
  killGroup(child, 'SIGKILL');
  if (late) await exited;
  live.delete(child);
}
