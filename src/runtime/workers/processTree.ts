// Ending a task's whole process tree: a process group on POSIX, `taskkill /T /F` on Windows.
import { spawn } from 'node:child_process';

export interface ProcessTreeKiller {
  /** Kills `pid` and everything it started. Never throws for a process that is already gone. */
  killTree(pid: number): void;
}

export class PosixGroupKiller implements ProcessTreeKiller {
  killTree(pid: number): void {
    try {
      // A negative pid addresses the process group led by `pid` (each task starts its own session).
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export class WindowsTreeKiller implements ProcessTreeKiller {
  killTree(pid: number): void {
    const child = spawn('taskkill', ['/T', '/F', '/PID', String(pid)], { stdio: 'ignore', windowsHide: true });
    child.on('error', () => undefined);
  }
}

export function platformTreeKiller(platform: NodeJS.Platform): ProcessTreeKiller {
  return platform === 'win32' ? new WindowsTreeKiller() : new PosixGroupKiller();
}

