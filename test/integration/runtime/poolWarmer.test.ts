// The fork-server started while the flow is analysed: a run adopts it only when it would launch the same
// worker, and a warm worker nobody adopted is shut down.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { LocalRunner, RunRefused } from '../../../src/runtime/localRunner';
import { PoolWarmer } from '../../../src/runtime/poolWarmer';
import { PYTHON_DIR, analyzer, finish, testEnv, type Workspace, workspace, writeFlow } from './harness';

const PARENT_FLOW = `import os

from metaflow import FlowSpec, step


class ParentFlow(FlowSpec):
    @step
    def start(self):
        print("server=%d" % os.getppid())
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParentFlow()
`;

const LINT_ERROR_FLOW = `from metaflow import FlowSpec, step


class BrokenFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.missing)

    @step
    def end(self):
        pass
`;

/** Pids of live processes whose command line names `file` (the worker is started with `--flow-file <file>`). */
function workersFor(file: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && cmd.includes('metaflow_studio.worker') && cmd.includes(file)) pids.push(Number(entry));
    } catch {
      // the process ended while being read
    }
  }
  return pids;
}

async function waitUntil(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('pool warmer', () => {
  let ws: Workspace;
  before(() => {
    ws = workspace();
  });
  after(() => ws.cleanup());

  async function runWith(warmEnv: NodeJS.ProcessEnv, file: string): Promise<{ serverPid: number; warmPid: number; ok: boolean }> {
    const env = testEnv(ws);
    const warmer = new PoolWarmer({ env: warmEnv, homeDir: ws.dir, embeddedPythonDir: PYTHON_DIR });
    warmer.warm(file);
    const [warmPid] = workersFor(file);
    try {
      const r = new LocalRunner({ analyzer: await analyzer(), env, homeDir: ws.dir, embeddedPythonDir: PYTHON_DIR, warmPools: warmer });
      const { result, events } = await finish(r.run({ flowFile: file, parameterArgs: [] }));
      const line = events.find((e) => e.event === 'log' && e.line.startsWith('server='));
      const serverPid = line && line.event === 'log' ? Number(line.line.slice('server='.length)) : -1;
      return { serverPid, warmPid, ok: result.status === 'succeeded' };
    } finally {
      await warmer.dispose();
    }
  }

  it('runs the tasks on the worker started before the analysis', async () => {
    const file = writeFlow(ws, 'parent_flow.py', PARENT_FLOW);
    const { serverPid, warmPid, ok } = await runWith(testEnv(ws), file);
    assert.ok(ok);
    assert.ok(warmPid > 0, 'warm() started a worker at once');
    assert.equal(serverPid, warmPid);
    assert.ok(await waitUntil(() => workersFor(file).length === 0), 'the worker exits with the run');
  });

  it('starts a fresh worker when the warm one was launched differently, and shuts the warm one down', async () => {
    const file = writeFlow(ws, 'parent_flow2.py', PARENT_FLOW.replace(/ParentFlow/g, 'ParentTwoFlow'));
    const { serverPid, warmPid, ok } = await runWith(testEnv(ws, { EXTRA_SETTING: '1' }), file);
    assert.ok(ok);
    assert.ok(warmPid > 0);
    assert.notEqual(serverPid, warmPid);
    assert.ok(await waitUntil(() => workersFor(file).length === 0), 'no worker is left behind');
  });

  it('shuts the warm worker down when the run is refused', async () => {
    const file = writeFlow(ws, 'broken_flow.py', LINT_ERROR_FLOW);
    const warmer = new PoolWarmer({ env: testEnv(ws), homeDir: ws.dir, embeddedPythonDir: PYTHON_DIR });
    warmer.warm(file);
    assert.equal(workersFor(file).length, 1);
    const r = new LocalRunner({ analyzer: await analyzer(), env: testEnv(ws), homeDir: ws.dir, embeddedPythonDir: PYTHON_DIR, warmPools: warmer });
    assert.throws(() => r.run({ flowFile: file, parameterArgs: [] }), (e: Error) => e instanceof RunRefused && e.lintErrors.length > 0);
    await warmer.dispose();
    assert.ok(await waitUntil(() => workersFor(file).length === 0), 'the warm worker was shut down');
  });
});
