// The local runtime as a user meets it: `node dist/cli.js run FLOW.py` as a whole process, median of 3.
// Cases mirror the Metaflow 2.19 anchor measured on the same machine (reference §9).
// Prints JSON lines: wall time, per-task overhead, the scheduler's peak RSS, files written per task.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
const RUNS = 3;
// The datastore lives beside the repo (git-ignored): file creation there is what a user's project disk
// costs, while a shared temp dir can be several times slower per file and would dominate the figures.
const RESULTS = path.join(REPO, 'bench', 'results');

const FLOWS: Record<string, string> = {
  'linear.py': `from metaflow import FlowSpec, step


class LinearBenchFlow(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.middle)

    @step
    def middle(self):
        self.x += 1
        self.next(self.end)

    @step
    def end(self):
        print(self.x)


if __name__ == "__main__":
    LinearBenchFlow()
`,
  'foreach.py': `from metaflow import FlowSpec, Parameter, step


class ForeachBenchFlow(FlowSpec):
    n = Parameter("n", type=int, default=100)

    @step
    def start(self):
        self.items = list(range(self.n))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.value = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        print(self.total)


if __name__ == "__main__":
    ForeachBenchFlow()
`,
  'bigartifact.py': `import os

from metaflow import FlowSpec, step


class BigArtifactBenchFlow(FlowSpec):
    @step
    def start(self):
        self.blob = os.urandom(100 * 1024 * 1024)
        self.next(self.read)

    @step
    def read(self):
        self.size = len(self.blob)
        self.next(self.end)

    @step
    def end(self):
        print(self.size)


if __name__ == "__main__":
    BigArtifactBenchFlow()
`,
};

interface Measured {
  ms: number;
  peakRssKb: number;
  /** CPU time of the scheduler process itself (its threads, not its Python children). */
  cpuMs: number;
  code: number | null;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of the process from /proc/<pid>/stat, in ms. */
function ownCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function runCli(dir: string, args: string[]): Promise<Measured> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, 'run', ...args], { cwd: dir, env: { ...process.env, METAFLOW_USER: 'bench' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peak = 0;
    let cpu = 0;
    // VmHWM is the high-water mark and CPU time only grows, so the last samples before exit are the totals.
    const timer = setInterval(() => {
      peak = Math.max(peak, peakRss(child.pid!));
      cpu = Math.max(cpu, ownCpuMs(child.pid!));
    }, 20);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 0) process.stderr.write(stderr);
      resolve({ ms: performance.now() - started, peakRssKb: peak, cpuMs: cpu, code });
    });
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  return n;
}

function latestRunDir(root: string, flow: string): string {
  const run = fs.readFileSync(path.join(root, flow, 'latest_run'), 'utf8').trim();
  return path.join(root, flow, run);
}

/** `anchorMs`: Metaflow 2.19 on this machine (reference §9); null where no such case was measured. */
async function bench(name: string, flow: string, file: string, args: string[], tasks: number, anchorMs: number | null, targetMs: number, dirs: string[]): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(RESULTS, 'runtime-'));
  dirs.push(dir);
  const root = path.join(dir, '.metaflow');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(dir, file), FLOWS[file]);
  const runs: Measured[] = [];
  for (let i = 0; i < RUNS; i++) {
    const m = await runCli(dir, [file, ...args]);
    if (m.code !== 0) throw new Error(`${name}: run ${i + 1} exited with ${m.code}`);
    runs.push(m);
  }
  const ms = median(runs.map((r) => r.ms));
  const runFiles = countFiles(latestRunDir(root, flow));
  const blobFiles = countFiles(path.join(root, flow, 'data'));
  const line = (bench: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
    console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
  line(`runtime.${name}.wall`, ms, 'ms', { runs: runs.map((r) => Math.round(r.ms)), tasks, metaflow_2_19_ms: anchorMs, target_ms: targetMs, datastore: path.relative(REPO, root), note: 'datastore on the repo disk (git-ignored bench/results), not the temp dir' });
  line(`runtime.${name}.per_task`, ms / tasks, 'ms', { tasks });
  line(`runtime.${name}.scheduler_cpu_per_task`, median(runs.map((r) => r.cpuMs)) / tasks, 'ms', { note: 'CPU of the node process itself, Python excluded' });
  line(`runtime.${name}.scheduler_peak_rss`, Math.max(...runs.map((r) => r.peakRssKb)) / 1024, 'MB');
  line(`runtime.${name}.files_per_task`, runFiles / tasks, 'files', { run_files: runFiles, blob_files_all_runs: blobFiles });
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('build failed; the bench runs dist/cli.js');
  // Tasks include `_parameters`, as Metaflow counts them.
  // Datastores are removed only after the last case: ext4 may pass over recently freed inodes one by one
  // when it allocates new ones, so creating files soon after deleting tens of thousands costs ~1 ms each.
  const dirs: string[] = [];
  try {
    await bench('linear_3_steps', 'LinearBenchFlow', 'linear.py', [], 4, 1870, 400, dirs);
    await bench('foreach_100', 'ForeachBenchFlow', 'foreach.py', ['--n', '100'], 104, 41_400, 2000, dirs);
    await bench('foreach_1000', 'ForeachBenchFlow', 'foreach.py', ['--n', '1000', '--max-num-splits', '1000'], 1004, null, 10_000, dirs);
    await bench('artifact_100mb', 'BigArtifactBenchFlow', 'bigartifact.py', [], 4, 6830, 1500, dirs);
  } finally {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
