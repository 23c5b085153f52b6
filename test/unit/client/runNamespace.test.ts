// A run's namespace in the Artifact Explorer: a deployment's runs (system tag `production:<token>`) name
// their namespace and runtime in the run's line and tooltip; a user's own runs keep their usual line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localTime } from '../../../src/client/formatting';
import { runDescription, runNamespace, runNamespaceNote } from '../../../src/client/runNamespace';
import type { RunSummary } from '../../../src/client/types';

const STARTED = Date.UTC(2026, 11, 6, 22, 40, 0);

function run(systemTags: string[], extra: Partial<RunSummary> = {}): RunSummary {
  return { flow: 'TrainFlow', runId: 'argo-trainflow-x7k2p', pathspec: 'TrainFlow/argo-trainflow-x7k2p', status: 'succeeded', startedAt: STARTED, tags: [], systemTags, endStep: 'end', ...extra };
}

const DEPLOYED = ['runtime:argo-workflows', 'production:trainflow-0-abcd', 'metaflow_version:2.19.38+studio', 'python_version:3.11.7'];
const LOCAL = ['runtime:dev', 'user:alice', 'metaflow_version:2.19.38+studio', 'python_version:3.11.7'];

test("a deployment's run is in production:<token>, run by its scheduler", () => {
  assert.deepEqual(runNamespace(DEPLOYED), { namespace: 'production:trainflow-0-abcd', production: true, runtime: 'argo-workflows' });
  assert.deepEqual(runNamespace(LOCAL), { namespace: 'user:alice', production: false, runtime: 'dev' });
  assert.equal(runNamespace(['metaflow_version:2.19.38']), undefined);
});

test("the run's line names a deployment's namespace and runtime, between its duration and its tags", () => {
  const text = runDescription(run(DEPLOYED, { durationMs: 61_000, tags: ['nightly'] }));
  assert.equal(text, `succeeded · ${localTime(STARTED)} · 1 min 1 s · production:trainflow-0-abcd (argo-workflows) · #nightly`);
});

test("a user's own run keeps its line without a namespace", () => {
  assert.equal(runDescription(run(LOCAL, { tags: ['exp'], originRunId: '17' })), `succeeded · ${localTime(STARTED)} · #exp · resumed from 17`);
});

test('a production run without a runtime tag (written by another scheduler) still shows its namespace', () => {
  const text = runDescription(run(['production:trainflow-3-wxyz']));
  assert.equal(text, `succeeded · ${localTime(STARTED)} · production:trainflow-3-wxyz`);
});

test('the tooltip says how the Client finds the run', () => {
  assert.equal(runNamespaceNote(run(DEPLOYED)), 'Namespace production:trainflow-0-abcd: a deployment\'s run (run by argo-workflows); the Client finds it with namespace("production:trainflow-0-abcd")');
  assert.equal(runNamespaceNote(run(LOCAL)), 'Namespace user:alice');
  assert.equal(runNamespaceNote(run([])), undefined);
});
