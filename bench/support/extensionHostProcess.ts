// Checks a process is one of code-server's extension hosts and reads its memory from /proc (Linux).
// code-server runs as the leader of its own process group (test/support/processGroup.ts), and its
// extension hosts are the group members started with `--type=extensionHost`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const PROC = '/proc';

export interface ProcessMemory {
  pid: number;
  /** Resident set size, bytes. */
  rss: number;
  /** Proportional set size (shared pages split among their users), bytes; undefined when the kernel does not say. */
  pss?: number;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended while we looked
  }
}

function commandLine(pid: number): string[] {
  return (readOrUndefined(join(PROC, String(pid), 'cmdline')) ?? '').split('\0').filter(Boolean);
}

/** The process group id (5th field of /proc/PID/stat; the command name in field 2 may hold spaces). */
function processGroup(pid: number): number | undefined {
  const stat = readOrUndefined(join(PROC, String(pid), 'stat'));
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[2]);
}

function pids(): number[] {
  return readdirSync(PROC).filter((name) => /^\d+$/.test(name)).map(Number);
}

function kilobytes(text: string | undefined, field: string): number | undefined {
  const match = text?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) * 1024 : undefined;
}

export function canReadProcesses(): boolean {
  return existsSync(join(PROC, 'self', 'stat'));
}

/** The process group of the code-server whose command line names `marker` (e.g. its run folder). */
export function codeServerGroup(marker: string): number {
  const leaders = pids().filter((pid) => processGroup(pid) === pid && commandLine(pid).some((arg) => arg.includes(marker)));
  if (leaders.length !== 1) throw new Error(`expected one code-server process group whose command line names ${marker}, found ${leaders.length}`);
  return leaders[0];
}

/** The extension hosts in a code-server's process group: usually one, but there can be more, so callers pick theirs by pid. */
export function extensionHostsOf(group: number): number[] {
  return pids().filter((pid) => processGroup(pid) === group && commandLine(pid).includes('--type=extensionHost'));
}

export function processMemory(pid: number): ProcessMemory {
  const rss = kilobytes(readOrUndefined(join(PROC, String(pid), 'status')), 'VmRSS');
  if (rss === undefined) throw new Error(`cannot read the memory of process ${pid} (it has ended?)`);
  return { pid, rss, pss: kilobytes(readOrUndefined(join(PROC, String(pid), 'smaps_rollup')), 'Pss') };
}
