// More graph shapes deployed and compared with a local run (argoRunHarness.ts): a foreach inside a foreach, a
// switch that loops to itself (Argo's recursive template), a static branch and join whose start reads
// parameters given at trigger time (encoded as the Trigger command encodes them), and a run started by an
// event. Each deployed run must produce the local run's artifacts and belong to the deployment's production
// namespace with the Argo runtime tag; the event's run lists its trigger on the start task, as Metaflow does.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeParameter } from '../../../src/deploy/argo/argoLifecycle';
import { sanitizedEventName } from '../../../src/deploy/argo/triggers';
import type { FlowInfo } from '../../../src/flow/types';
import { ArgoHarness, assertArgoMetadata, assertProductionIdentity } from './argoRunHarness';

const CONTAINER = 'argo-shapes';
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'flows', 'argo');
const FILES = ['nested_foreach_flow.py', 'recursive_switch_flow.py', 'branch_params_flow.py', 'triggered_flow.py'];

/** Trigger-time values as `argo-workflows trigger --name value` sends them. */
function encoded(flow: FlowInfo, raw: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, encodeParameter(flow.parameters.find((p) => p.name === name)!, value)]));
}

describe('deployed Argo runs of more graph shapes', { timeout: 900_000 }, () => {
  let h: ArgoHarness;

  before(async () => {
    h = await ArgoHarness.start(CONTAINER, Object.fromEntries(FILES.map((f) => [f, fs.readFileSync(path.join(FIXTURES, f), 'utf8')])));
  });

  after(async () => {
    await h?.dispose();
  });

  it('a nested foreach: each inner join sees its own split, artifacts equal a local run', async () => {
    const file = h.setup.ws.flow('nested_foreach_flow.py');
    const { manifests, productionToken, templateName } = await h.deploy(file);
    const run = await h.runDeployed(manifests, {});
    assert.equal(run.phase, 'Succeeded', h.failureReport(run));
    // start, 2 outer, 4 inner, 2 inner joins, the outer join, end.
    assert.equal(run.nodes.flatMap((n) => n.pods).length, 1 + 2 + 4 + 2 + 1 + 1);
    const runId = `argo-${run.name}`;
    const deployed = await h.artifacts('ArgoNestedForeachFlow', runId);
    assert.deepEqual(deployed, await h.artifacts('ArgoNestedForeachFlow', await h.localRun(file, [])));
    assert.deepEqual(deployed.end, [{ table: [[1, [10, 20]], [2, [20, 40]]] }]);
    const meta = await h.metadata('ArgoNestedForeachFlow', runId, `production:${productionToken}`);
    assertProductionIdentity(meta, productionToken, runId);
    assertArgoMetadata(meta, templateName, run.name);
    assert.equal(Object.keys(meta.tasks.inner ?? {}).length, 4);
  });

  it('a switch that loops to itself: as many loop tasks as the local run, same artifacts', async () => {
    const file = h.setup.ws.flow('recursive_switch_flow.py');
    const { flow, manifests, productionToken, templateName } = await h.deploy(file);
    assert.ok((manifests.workflowTemplate.spec as { templates: Array<{ name: string }> }).templates.some((t) => t.name === 'recursive-loop'));
    const run = await h.runDeployed(manifests, encoded(flow, { limit: '4' }));
    assert.equal(run.phase, 'Succeeded', h.failureReport(run));
    const runId = `argo-${run.name}`;
    const deployed = await h.artifacts('ArgoRecursiveSwitchFlow', runId);
    assert.deepEqual(deployed, await h.artifacts('ArgoRecursiveSwitchFlow', await h.localRun(file, ['--limit', '4'])));
    assert.equal(deployed.loop?.length, 4);
    assert.deepEqual(deployed.finish, [{ count: 4, limit: 4, state: 'done', summary: 'looped 4 times', trail: [1, 2, 3, 4] }]);
    const meta = await h.metadata('ArgoRecursiveSwitchFlow', runId, `production:${productionToken}`);
    assertProductionIdentity(meta, productionToken, runId);
    assertArgoMetadata(meta, templateName, run.name);
  });

  it('a static branch and join whose start reads trigger-time parameters; current.namespace is the production one', async () => {
    const file = h.setup.ws.flow('branch_params_flow.py');
    const { flow, manifests, productionToken, templateName } = await h.deploy(file);
    const given = { greeting: 'good day', times: '2', weights: '{"a": 3, "b": 5}' };
    const run = await h.runDeployed(manifests, encoded(flow, given));
    assert.equal(run.phase, 'Succeeded', h.failureReport(run));
    const runId = `argo-${run.name}`;
    const deployed = await h.artifacts('ArgoBranchParamsFlow', runId);
    const local = await h.artifacts('ArgoBranchParamsFlow', await h.localRun(file, Object.entries(given).flatMap(([k, v]) => [`--${k}`, v])));
    // The one artifact that must differ: the namespace each run's tasks saw.
    const seen = (a: Record<string, Array<Record<string, unknown>>>) => a.start![0]!.namespace_seen;
    assert.equal(seen(deployed), `production:${productionToken}`);
    assert.match(String(seen(local)), /^user:/);
    const without = (a: Record<string, Array<Record<string, unknown>>>) =>
      JSON.stringify(Object.fromEntries(Object.entries(a).map(([s, tasks]) => [s, tasks.map(({ namespace_seen: _, ...rest }) => rest)])));
    assert.equal(without(deployed), without(local));
    assert.deepEqual(deployed.end?.map(({ namespace_seen: _, ...rest }) => rest), [
      { greeting: 'good day', message: 'good day good day', sides: ['left:3', 'right:5'], times: 2, unchanged: 'kept', weights: { a: 3, b: 5 } },
    ]);
    const meta = await h.metadata('ArgoBranchParamsFlow', runId, `production:${productionToken}`);
    assertProductionIdentity(meta, productionToken, runId);
    assertArgoMetadata(meta, templateName, run.name);
  });

  it("a run started by an event: the payload fills the parameter and start's metadata lists the trigger", async () => {
    const file = h.setup.ws.flow('triggered_flow.py');
    const events = { METAFLOW_ARGO_EVENTS_EVENT: 'metaflow-event', METAFLOW_ARGO_EVENTS_EVENT_SOURCE: 'argo-events-webhook', METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT: 'operate-workflow-sa' };
    const { manifests, productionToken, templateName } = await h.deploy(file, events);
    const payload = { name: 'data.ready', id: 'ev-42', timestamp: 1796601600, table: 'sales' };
    // What the Sensor's trigger sets: the parameter from the payload, and the whole payload for the event's parameter.
    const run = await h.runDeployed(manifests, { table: JSON.stringify('sales'), [sanitizedEventName('data.ready')]: JSON.stringify(payload) });
    assert.equal(run.phase, 'Succeeded', h.failureReport(run));
    const runId = `argo-${run.name}`;
    assert.deepEqual((await h.artifacts('ArgoTriggeredFlow', runId)).start, [{ source: 'table sales', table: 'sales' }]);
    const meta = await h.metadata('ArgoTriggeredFlow', runId, `production:${productionToken}`);
    assertProductionIdentity(meta, productionToken, runId);
    assertArgoMetadata(meta, templateName, run.name);
    const [startFields] = Object.values(meta.tasks.start!);
    assert.deepEqual(JSON.parse(startFields!['execution-triggers']!), [{ timestamp: 1796601600, id: 'ev-42', name: 'data.ready', type: 'event' }]);
    const [endFields] = Object.values(meta.tasks.end!);
    assert.equal(endFields!['execution-triggers'], undefined);
  });
});
