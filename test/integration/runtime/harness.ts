// Shared set-up for the runtime's integration tests: a temp workspace with its own `.metaflow`,
// a LocalRunner over real python3 and the embedded worker, and reads through the embedded Client.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import type { FlowAnalyzer } from '../../../src/flow/types';
import type { RunEvent } from '../../../src/runtime/events';
import { locateEmbeddedPython } from '../../../src/runtime/embeddedPython';
import { LocalRunner, type PreparedRun } from '../../../src/runtime/localRunner';
import type { RunResult } from '../../../src/runtime/scheduler';

export const FLOWS_DIR = path.join(__dirname, 'flows');
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const PYTHON_DIR = locateEmbeddedPython(path.join(REPO_ROOT, 'src', 'runtime'));

export interface Workspace {
  dir: string;
  root: string;
  flow(name: string): string;
  cleanup(): void;
}

/** A temp directory holding copies of the given flow files and an empty `.metaflow`. */
export function workspace(...flowFiles: string[]): Workspace {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-runtime-')));
  const root = path.join(dir, '.metaflow');
  fs.mkdirSync(root);
  for (const f of flowFiles) fs.copyFileSync(path.isAbsolute(f) ? f : path.join(FLOWS_DIR, f), path.join(dir, path.basename(f)));
  return { dir, root, flow: (name) => path.join(dir, name), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function writeFlow(ws: Workspace, name: string, source: string): string {
  const file = path.join(ws.dir, name);
  fs.writeFileSync(file, source);
  return file;
}

/** The environment a test run sees: a plain user, no outside Metaflow config. */
export function testEnv(ws: Workspace, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: ws.dir, USER: 'tester', LANG: 'C.UTF-8', ...extra };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

let analyzerPromise: Promise<FlowAnalyzer> | undefined;
export function analyzer(): Promise<FlowAnalyzer> {
  analyzerPromise = analyzerPromise ?? createFlowAnalyzer();
  return analyzerPromise;
}

export async function runner(ws: Workspace, extraEnv: NodeJS.ProcessEnv = {}): Promise<LocalRunner> {
  return new LocalRunner({ analyzer: await analyzer(), env: testEnv(ws, extraEnv), homeDir: ws.dir, embeddedPythonDir: PYTHON_DIR });
}

export interface Finished {
  result: RunResult;
  events: RunEvent[];
}

export async function finish(prepared: PreparedRun | Promise<PreparedRun>, onEvent?: (e: RunEvent, cancel: () => void) => void): Promise<Finished> {
  const p = await prepared;
  const events: RunEvent[] = [];
  p.handle.events.on((e) => {
    events.push(e);
    onEvent?.(e, () => p.handle.cancel());
  });
  const result = await p.handle.done;
  return { result, events };
}

export interface ClientTask {
  id: string;
  index: number | null;
  successful: boolean;
  stdout: string;
  stderr: string;
  data: Record<string, unknown>;
  metadata: Record<string, string>;
}

export interface ClientRun {
  successful: boolean;
  finished: boolean;
  /** User and system tags, as Metaflow's `Run.tags` gives them. */
  tags: string[];
  userTags: string[];
  systemTags: string[];
  steps: Record<string, ClientTask[]>;
}

const DESCRIBE_RUN = String.raw`
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(sys.argv[1])
out = {"successful": bool(run.successful), "finished": bool(run.finished), "tags": sorted(run.tags), "userTags": sorted(run.user_tags), "systemTags": sorted(run.system_tags), "steps": {}}
for step in run:
    tasks = []
    for task in step:
        data = {}
        try:
            names = list(task.data)
        except Exception:
            names = []
        for name in names:
            try:
                value = getattr(task.data, name)
                json.dumps(value)
            except Exception:
                value = repr(value) if "value" in dir() else "<unreadable>"
            data[name] = value
        tasks.append({"id": task.id, "index": task.index, "successful": bool(task.successful), "stdout": task.stdout or "", "stderr": task.stderr or "",
                      "data": data, "metadata": task.metadata_dict})
    tasks.sort(key=lambda t: (len(t["id"]), t["id"]))
    out["steps"][step.id] = tasks
print(json.dumps(out, default=repr))
`;

/** Reads a run back through the embedded Python Client, as a user's notebook would. */
export function describeRun(ws: Workspace, pathspec: string, root: string = ws.dir): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', DESCRIBE_RUN, pathspec], { env: { ...testEnv(ws), PYTHONPATH: PYTHON_DIR, METAFLOW_DATASTORE_SYSROOT_LOCAL: root }, cwd: ws.dir, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as ClientRun);
    });
  });
}

/** Every file under `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

/** A zombie (killed, not yet reaped by whoever inherited it) counts as gone. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}
