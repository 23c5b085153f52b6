// A run written by Metaflow 2.19.38 itself (local datastore and metadata, `real_flow.py` beside it: a
// foreach whose middle task fails once and succeeds on its retry), read by the client and previewed by
// the embedded package.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { previewArtifact } from '../../../src/client/artifactPreview';
import { DatastoreClient } from '../../../src/client/datastoreClient';
import { loadRunState } from '../../../src/client/runStateLoader';
import { taskLogText } from '../../../src/client/taskLogText';
import { workerEnv } from '../../../src/runtime/workers/workerPool';
import { PYTHON_DIR, REPO_ROOT } from '../runtime/harness';

const ROOT = path.join(REPO_ROOT, 'test', 'unit', 'client', 'fixtures', 'metaflow-2.19.38-run');
const RUN = '1796588283838119';

describe('a run written by Metaflow', () => {
  const client = new DatastoreClient(ROOT);

  it('lists the run as succeeded with its tags, user and duration', () => {
    assert.deepEqual(client.listFlows(), [{ name: 'RealFlow', latestRun: RUN }]);
    const [run] = client.listRuns('RealFlow').items;
    assert.equal(run.runId, RUN);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.tags, ['real']);
    assert.equal(run.user, 'anchor');
    assert.ok(run.systemTags.includes('metaflow_version:2.19.38'));
    assert.ok(run.durationMs! > 0 && run.durationMs! < 60_000);
    assert.equal(run.originRunId, undefined);
  });

  it('gives the retried foreach task its latest attempt, index and value', () => {
    assert.deepEqual(client.listSteps('RealFlow', RUN).map((s) => s.name), ['start', 'body', 'join', 'end']);
    const body = client.listTasks('RealFlow', RUN, 'body').items;
    assert.deepEqual(body.map((t) => [t.foreachIndex, t.foreachValue, t.attempt, t.status]), [
      [0, 'ab', 0, 'succeeded'],
      [1, 'cd', 1, 'succeeded'],
      [2, 'ef', 0, 'succeeded'],
    ]);
    const state = loadRunState(ROOT, 'RealFlow', RUN);
    const retried = state.tasks.get(`body/${body[1].taskId}`)!;
    assert.deepEqual(retried.attempts.map((a) => a.status), ['failed', 'succeeded']);
    assert.equal(state.steps.get('body')!.maxAttempt, 1);
  });

  it('lists artifacts of the latest attempt and shows both attempts in the logs', () => {
    const body = client.listTasks('RealFlow', RUN, 'body').items[1];
    const arts = client.artifacts('RealFlow', RUN, 'body', body.taskId);
    assert.equal(arts.attempt, 1);
    assert.deepEqual(arts.artifacts.map((a) => [a.name, a.type]), [
      ['alpha', "<class 'int'>"],
      ['name', "<class 'str'>"],
      ['up', "<class 'str'>"],
      ['words', "<class 'list'>"],
    ]);
    const logs = taskLogText(ROOT, body.pathspec);
    assert.match(logs, /--- attempt 0 ---[\s\S]*ERR\*?\| first try exits[\s\S]*--- attempt 1 ---/);
    assert.match(taskLogText(ROOT, client.listTasks('RealFlow', RUN, 'start').items[0].pathspec), /out\*?\| real start/);
  });

  it('previews the values Metaflow pickled', async () => {
    const body = client.listTasks('RealFlow', RUN, 'body').items[1];
    const arts = Object.fromEntries(client.artifacts('RealFlow', RUN, 'body', body.taskId).artifacts.map((a) => [a.name, a]));
    const proc = { python: 'python3', env: workerEnv({ pythonPath: PYTHON_DIR, env: { PATH: process.env.PATH } }) };
    const up = await previewArtifact(proc, { root: ROOT, flow: 'RealFlow', sha: arts.up.sha, type: arts.up.type, size: arts.up.size });
    assert.deepEqual([up.kind, (up as { text: string }).text], ['text', 'CD']);
    const words = await previewArtifact(proc, { root: ROOT, flow: 'RealFlow', sha: arts.words.sha });
    assert.deepEqual(JSON.parse((words as { text: string }).text), ['ab', 'cd', 'ef']);
  });
});
