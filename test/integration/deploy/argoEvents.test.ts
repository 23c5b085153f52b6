// Argo Events between deployed flows: an upstream flow deployed with a webhook runs through argoSim and the
// Kubernetes simulator; each succeeded step publishes Metaflow's event to a webhook on 127.0.0.1, and the `.end`
// one carries every field the Sensor of a @trigger_on_finish downstream flow filters on. The downstream run the
// Sensor would submit (that payload as its event parameter) sees the upstream run in `current.trigger`.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sanitizedEventName } from '../../../src/deploy/argo/triggers';
import { ArgoHarness, OWNER } from './argoRunHarness';

const CONTAINER = 'argo-events';
const UPSTREAM = `from metaflow import FlowSpec, project, step


@project(name="shop")
class ArgoEventsUpstream(FlowSpec):
    @step
    def start(self):
        self.rows = 3
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ArgoEventsUpstream()
`;
const DOWNSTREAM = `from metaflow import FlowSpec, current, step, trigger_on_finish


@trigger_on_finish(flow={"name": "ArgoEventsUpstream", "project": "shop", "branch": "user.${OWNER}"})
class ArgoEventsDownstream(FlowSpec):
    @step
    def start(self):
        event = current.trigger.event
        self.seen = [event.name, event.id, event.type, len(current.trigger.events)]
        self.next(self.end)

    @step
    def end(self):
        self.seen_in_end = current.trigger.event.name


if __name__ == "__main__":
    ArgoEventsDownstream()
`;
const SENSOR_SETTINGS = { METAFLOW_ARGO_EVENTS_EVENT: 'metaflow-event', METAFLOW_ARGO_EVENTS_EVENT_SOURCE: 'argo-events-webhook', METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT: 'operate-workflow-sa' };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: { name: string; payload: Record<string, unknown> };
}

async function startWebhook(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/metaflow-event`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Whether the payload passes one Sensor dependency's filters (`name == 'x'`, `field == 'x'`, `true == true` over one path each). */
function passes(dependency: { filters: { exprs: Array<{ expr: string; fields: Array<{ name: string; path: string }> }> } }, body: Received['body']): string[] {
  const failures: string[] = [];
  for (const { expr, fields } of dependency.filters.exprs) {
    const [field] = fields;
    const key = field!.path.replace(/^body\.payload\./, '');
    const value = body.payload[key];
    const m = /^(\w+) == '(.*)'$/.exec(expr);
    if (m) {
      if (String(value) !== m[2]) failures.push(`${field!.path}: ${JSON.stringify(value)} != '${m[2]}'`);
    } else if (expr !== 'true == true' || value === undefined) failures.push(`${expr} on ${field!.path}`);
  }
  return failures;
}

describe('Argo Events from deployed runs', { timeout: 900_000 }, () => {
  let h: ArgoHarness;
  let hook: Awaited<ReturnType<typeof startWebhook>>;

  before(async () => {
    hook = await startWebhook();
    h = await ArgoHarness.start(CONTAINER, { 'upstream_flow.py': UPSTREAM, 'downstream_flow.py': DOWNSTREAM });
  });

  after(async () => {
    await h?.dispose();
    await hook?.close();
  });

  it("the upstream's steps publish Metaflow's events; the .end one passes the downstream Sensor's filters and starts a run that sees it in current.trigger", async () => {
    const up = await h.deploy(h.setup.ws.flow('upstream_flow.py'), { METAFLOW_ARGO_EVENTS_WEBHOOK_URL: hook.url });
    const upRun = await h.runDeployed(up.manifests, {});
    assert.equal(upRun.phase, 'Succeeded', h.failureReport(upRun));
    const runId = `argo-${upRun.name}`;
    const prefix = `metaflow.shop.user.${OWNER}.ArgoEventsUpstream`;
    assert.deepEqual(hook.received.map((r) => r.body.name), [`${prefix}.start`, `${prefix}.end`]);
    const end = hook.received[1]!;
    assert.equal(end.headers['content-type'], 'application/json');
    const meta = await h.metadata('ArgoEventsUpstream', runId, `production:${up.productionToken}`);
    const [endTaskId] = Object.keys(meta.tasks.end!);
    const p = end.body.payload;
    assert.equal(p.id, `ArgoEventsUpstream/${runId}/end/${endTaskId}`);
    assert.deepEqual(
      [p.name, p.pathspec, p.flow_name, p.run_id, p.step_name, p.task_id, p.project_name, p.branch_name, p.project_flow_name, p['auto-generated-by-metaflow'], p['generated-by-metaflow']],
      [`${prefix}.end`, p.id, 'ArgoEventsUpstream', runId, 'end', endTaskId, 'shop', `user.${OWNER}`, `shop.user.${OWNER}.ArgoEventsUpstream`, 'True', true],
    );
    assert.deepEqual(Object.values(meta.tasks.start!).map((fields) => fields['auto-emit-argo-events']), [1 as unknown as string]);

    const down = await h.deploy(h.setup.ws.flow('downstream_flow.py'), SENSOR_SETTINGS);
    const sensorSpec = down.manifests.sensor!.spec as unknown as { dependencies: Array<{ name: string; filters: { exprs: Array<{ expr: string; fields: Array<{ name: string; path: string }> }> } }> };
    const [dependency] = sensorSpec.dependencies;
    assert.equal(dependency!.name, sanitizedEventName(`${prefix}.end`));
    assert.deepEqual(passes(dependency!, end.body), []);
    assert.ok(passes(dependency!, hook.received[0]!.body).length > 0, 'the start event must not pass the filters');
    // What the Sensor's trigger submits: the whole payload as the event's parameter.
    const downRun = await h.runDeployed(down.manifests, { [dependency!.name]: JSON.stringify(p) });
    assert.equal(downRun.phase, 'Succeeded', h.failureReport(downRun));
    const artifacts = await h.artifacts('ArgoEventsDownstream', `argo-${downRun.name}`);
    const seen = [`${prefix}.end`, p.id, 'run', 1];
    assert.deepEqual(artifacts.start, [{ seen }]);
    assert.deepEqual(artifacts.end, [{ seen, seen_in_end: `${prefix}.end` }]);
    const downMeta = await h.metadata('ArgoEventsDownstream', `argo-${downRun.name}`, `production:${down.productionToken}`);
    const [startFields] = Object.values(downMeta.tasks.start!);
    assert.deepEqual(JSON.parse(startFields!['execution-triggers']!), [{ timestamp: p.timestamp, id: p.id, name: `${prefix}.end`, type: 'run' }]);
    // The downstream has no webhook configured: its steps published nothing.
    assert.equal(hook.received.length, 2);
  });
});
