// The client reads runs our runtime wrote (real python3 tasks), the runs a resume made, a failure and a
// live run; previews are decoded by the embedded package in a short-lived process.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { artifactValues, previewArtifact } from '../../../src/client/artifactPreview';
import { DatastoreClient } from '../../../src/client/datastoreClient';
import { loadRunState } from '../../../src/client/runStateLoader';
import { taskLogText } from '../../../src/client/taskLogText';
import { workerEnv } from '../../../src/runtime/workers/workerPool';
import { finish, PYTHON_DIR, runner, testEnv, workspace, type Workspace, writeFlow } from '../runtime/harness';
import { lettersFlow, runOkAndFailed } from './lettersFlow';

const VALUES_FLOW = lettersFlow('ValuesFlow', [
  'self.count = 3',
  'self.label = "hello " * 3',
  'self.table = {"rows": [1, 2, 3], "ok": True}',
  'self.raw = bytes(range(40))',
  'print("starting with", self.alpha)',
]);

describe('client on runs of the embedded runtime', () => {
  let ws: Workspace;
  let ok: string;
  let bad: string;
  let resumed: string;
  before(async () => {
    ws = workspace();
    let file: string;
    ({ file, ok, bad } = await runOkAndFailed(ws, 'values_flow.py', VALUES_FLOW));
    resumed = (await finish((await runner(ws)).resume({ flowFile: file, step: 'join', originRunId: ok }))).result.runId!;
  });
  after(() => ws.cleanup());

  it('lists the three runs newest first with their status, tags and resume origin', () => {
    const client = new DatastoreClient(ws.root);
    const runs = client.listRuns('ValuesFlow').items;
    assert.deepEqual(runs.map((r) => [r.runId, r.status]), [
      [resumed, 'succeeded'],
      [bad, 'failed'],
      [ok, 'succeeded'],
    ]);
    assert.equal(runs[0].originRunId, ok);
    assert.deepEqual(runs[2].tags, ['first']);
    assert.equal(runs[2].user, 'tester');
    assert.ok(runs[2].durationMs! > 0);
  });

  it('gives foreach tasks their index and value, and the failed task its status', () => {
    const client = new DatastoreClient(ws.root);
    const body = client.listTasks('ValuesFlow', bad, 'body').items;
    const byValue = Object.fromEntries(body.map((t) => [t.foreachValue, [t.foreachIndex, t.status]]));
    assert.deepEqual(byValue, { x: [0, 'succeeded'], y: [1, 'succeeded'], z: [2, 'failed'] });
    const state = loadRunState(ws.root, 'ValuesFlow', bad);
    assert.equal(state.status, 'failed');
    assert.equal(state.steps.get('body')!.failed, 1);
    const resumedState = loadRunState(ws.root, 'ValuesFlow', resumed);
    assert.equal(resumedState.steps.get('start')!.cloned, 1);
    assert.equal(resumedState.steps.get('join')!.succeeded, 1);
  });

  it('previews each kind of value in a Python process and reads parameters for comparison', async () => {
    const client = new DatastoreClient(ws.root);
    const start = client.listTasks('ValuesFlow', ok, 'start').items[0];
    const arts = Object.fromEntries(client.artifacts('ValuesFlow', ok, 'start', start.taskId).artifacts.map((a) => [a.name, a]));
    const proc = { python: 'python3', env: workerEnv({ pythonPath: PYTHON_DIR, env: testEnv(ws) }) };
    const show = (name: string) => previewArtifact(proc, { root: ws.root, flow: 'ValuesFlow', sha: arts[name].sha, type: arts[name].type, size: arts[name].size });
    assert.deepEqual(await show('count'), { kind: 'scalar', class: 'int', text: '3', size: arts.count.size });
    assert.equal(((await show('label')) as { text: string }).text, 'hello hello hello ');
    assert.deepEqual(JSON.parse(((await show('table')) as { text: string }).text), { rows: [1, 2, 3], ok: true });
    const raw = await show('raw');
    assert.equal(raw.kind, 'bytes');
    assert.equal((raw as { hex: string }).hex.slice(0, 8), '00010203');
    const tooBig = await previewArtifact(proc, { root: ws.root, flow: 'ValuesFlow', sha: arts.letters.sha, type: arts.letters.type, size: arts.letters.size }, { maxBytes: 4, timeoutMs: 15_000 });
    assert.equal(tooBig.kind, 'unavailable');
    assert.match((tooBig as { message: string }).message, /<class 'list'> of \d+ bytes is larger than the preview limit of 4 bytes/);
    const values = await artifactValues(proc, ws.root, 'ValuesFlow', { alpha: arts.alpha.sha });
    assert.deepEqual(values, { alpha: '0.5' });
  });

  it('stops a preview that runs past its time limit', async () => {
    // A sitecustomize that sleeps stands in for a slow unpickle: it runs before the preview module.
    const slowDir = fs.mkdtempSync(`${ws.dir}/slow-`);
    fs.writeFileSync(`${slowDir}/sitecustomize.py`, 'import time\ntime.sleep(30)\n');
    const proc = { python: 'python3', env: workerEnv({ pythonPath: `${slowDir}:${PYTHON_DIR}`, env: testEnv(ws) }) };
    const started = Date.now();
    await assert.rejects(previewArtifact(proc, { root: ws.root, flow: 'ValuesFlow', sha: '0'.repeat(40) }, { maxBytes: 1 << 20, timeoutMs: 500 }), /took longer than 1 s and was stopped/);
    assert.ok(Date.now() - started < 10_000);
  });

  it('shows the logs the task printed', () => {
    const client = new DatastoreClient(ws.root);
    const start = client.listTasks('ValuesFlow', ok, 'start').items[0];
    assert.match(taskLogText(ws.root, start.pathspec), /out \| starting with 0\.5/);
    const failed = client.listTasks('ValuesFlow', bad, 'body').items.find((t) => t.status === 'failed')!;
    assert.match(taskLogText(ws.root, failed.pathspec), /ERR.*ValueError: no z today/);
  });

  it('reports a run as running while its task is in progress, then succeeded', async () => {
    const file = writeFlow(ws, 'slow_flow.py', 'import time\nfrom metaflow import FlowSpec, step\n\n\nclass SlowFlow(FlowSpec):\n    @step\n    def start(self):\n        time.sleep(1.5)\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\n\nif __name__ == "__main__":\n    SlowFlow()\n');
    const prepared = await (await runner(ws)).run({ flowFile: file, parameterArgs: [] });
    const seen = new Set<string>();
    let done = false;
    const watching = (async () => {
      while (!done) {
        const client = new DatastoreClient(ws.root);
        if (fs.existsSync(`${ws.root}/SlowFlow`)) for (const r of client.listRuns('SlowFlow').items) seen.add(r.status);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const result = await prepared.handle.done;
    done = true;
    await watching;
    assert.ok(seen.has('running'), `statuses seen: ${[...seen].join(', ')}`);
    assert.equal(new DatastoreClient(ws.root).run('SlowFlow', result.runId!).status, 'succeeded');
  });
});
