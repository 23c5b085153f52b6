// `python3 flow.py <verb>` with the embedded package on PYTHONPATH: the flow file, run as a script,
// drives the real `metaflow-studio` command line (bundled here as the extension bundles it) and the
// runs land in the workspace's `.metaflow` as Metaflow's would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { nodeBundleOptions } from '../../../scripts/node-bundle.mjs';
import { describeRun, PYTHON_DIR, REPO_ROOT, testEnv, type Workspace, workspace, writeFlow } from './harness';

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The layout of the packaged extension: dist/cli.js, its wasm files, and dist/python beside them. */
async function bundleCli(): Promise<{ dir: string; cli: string; python: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-script-dist-'));
  const cli = path.join(dir, 'cli.js');
  await esbuild.build(nodeBundleOptions({ entryPoints: [path.join(REPO_ROOT, 'src', 'cli.ts')], outfile: cli, logLevel: 'silent' }));
  const modules = path.join(REPO_ROOT, 'node_modules');
  fs.copyFileSync(path.join(modules, 'web-tree-sitter', 'tree-sitter.wasm'), path.join(dir, 'tree-sitter.wasm'));
  fs.copyFileSync(path.join(modules, 'tree-sitter-python', 'tree-sitter-python.wasm'), path.join(dir, 'tree-sitter-python.wasm'));
  const python = path.join(dir, 'python');
  fs.cpSync(PYTHON_DIR, python, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  return { dir, cli, python };
}

function script(ws: Workspace, file: string, args: string[], env: NodeJS.ProcessEnv, onStdout?: (text: string, pid: number) => void): Promise<ScriptRun> {
  return new Promise((resolve) => {
    // detached: a process group of its own, as a shell gives a foreground job.
    const child = spawn('python3', [file, ...args], { cwd: ws.dir, env: testEnv(ws, env), detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child.pid ?? 0);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function latestRun(ws: Workspace, flow: string): string {
  return fs.readFileSync(path.join(ws.root, flow, 'latest_run'), 'utf8').trim();
}

const SLOW = `from metaflow import FlowSpec, step
import time


class SlowFlow(FlowSpec):
    @step
    def start(self):
        print("sleeping", flush=True)
        time.sleep(60)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SlowFlow()
`;

describe('python3 flow.py on the embedded runtime', () => {
  let dist: { dir: string; cli: string; python: string };
  let ws: Workspace;
  let flow: string;
  let viaVariables: NodeJS.ProcessEnv;

  before(async () => {
    dist = await bundleCli();
    ws = workspace(path.join(REPO_ROOT, 'examples', 'train_sweep_flow.py'));
    flow = ws.flow('train_sweep_flow.py');
    viaVariables = { PYTHONPATH: PYTHON_DIR, METAFLOW_STUDIO_NODE: process.execPath, METAFLOW_STUDIO_CLI: dist.cli };
  });

  after(() => {
    ws.cleanup();
    fs.rmSync(dist.dir, { recursive: true, force: true });
  });

  it('runs the flow with --max-workers and a parameter, writing the run to .metaflow', async () => {
    const run = await script(ws, flow, ['run', '--max-workers', '2', '--epochs', '3'], viaVariables);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Workflow starting \(run-id \d+\)/);
    const runId = latestRun(ws, 'TrainSweepFlow');
    const described = await describeRun(ws, `TrainSweepFlow/${runId}`);
    assert.equal(described.successful, true);
    assert.equal(described.steps.train.length, 4);
    assert.equal(described.steps.start[0].data.epochs, 3);
    assert.ok(typeof described.steps.end[0].data.best_rate === 'number');
  });

  it('resumes the latest run from a step, cloning what came before', async () => {
    const origin = latestRun(ws, 'TrainSweepFlow');
    const resumed = await script(ws, flow, ['resume', 'pick_best'], viaVariables);
    assert.equal(resumed.code, 0, resumed.stderr);
    const runId = new RegExp(`Resuming run ${origin} as run-id (\\d+)`).exec(resumed.stdout)?.[1];
    assert.ok(runId, resumed.stdout);
    assert.notEqual(runId, origin);
    assert.equal((await describeRun(ws, `TrainSweepFlow/${runId}`)).successful, true);
  });

  it('shows the flow and dumps a step of a run given without the flow name', async () => {
    const show = await script(ws, flow, ['show'], viaVariables);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /Logistic regression trained with several learning rates/);
    assert.match(show.stdout, /Step pick_best/);
    const runId = latestRun(ws, 'TrainSweepFlow');
    const dump = await script(ws, flow, ['dump', `${runId}/end`], viaVariables);
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, new RegExp(`TrainSweepFlow/${runId}/end/\\d+`));
    assert.match(dump.stdout, /best_rate/);
    const logs = await script(ws, flow, ['logs', `${runId}/train`], viaVariables);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /rate=0\.5 accuracy=/);
  });

  it('finds node on PATH and the CLI beside the package when no variable is set', async () => {
    const check = await script(ws, flow, ['--no-pylint', 'check'], { PYTHONPATH: dist.python });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /OK: TrainSweepFlow/);
  });

  it('passes the CLI its exit status for a bad parameter, and refuses Metaflow options it cannot honour', async () => {
    const bad = await script(ws, flow, ['run', '--epochs', 'many'], viaVariables);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /epochs/);
    const refused = await script(ws, flow, ['--datastore', 's3', 'run'], viaVariables);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--datastore s3/);
  });

  it('Ctrl-C cancels the run and exits 130', async () => {
    const slow = writeFlow(ws, 'slow_flow.py', SLOW);
    let sent = false;
    const run = await script(ws, slow, ['run'], viaVariables, (text, pid) => {
      if (!sent && text.includes('sleeping')) {
        sent = true;
        process.kill(-pid, 'SIGINT');
      }
    });
    assert.equal(sent, true);
    assert.equal(run.code, 130, run.stderr);
    const runId = latestRun(ws, 'SlowFlow');
    const described = await describeRun(ws, `SlowFlow/${runId}`);
    assert.equal(described.successful, false);
  });
});
