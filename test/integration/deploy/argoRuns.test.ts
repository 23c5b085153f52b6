// Deployed runs, proven without a cluster (argoRunHarness.ts): a foreach and a switch flow compiled by the Argo
// compiler run through argoSim and the Kubernetes simulator's kubelet, then locally on the same datastore; each
// step's artifacts must be equal, the Argo run's tasks leave Metaflow-format metadata (the pods' tarballs), and
// the run belongs to the deployment's production namespace as Metaflow's would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ArgoHarness, assertArgoMetadata, assertProductionIdentity } from './argoRunHarness';

const CONTAINER = 'argo-runs';

const FOREACH_FLOW = `from metaflow import FlowSpec, Parameter, step


class ArgoForeachFlow(FlowSpec):
    factor = Parameter("factor", default=2)

    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.square, foreach="items")

    @step
    def square(self):
        self.value = self.input * self.input * self.factor
        self.next(self.add_one)

    @step
    def add_one(self):
        self.value += 1
        self.next(self.join)

    @step
    def join(self, inputs):
        self.values = sorted(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        self.total = sum(self.values)
        print("total", self.total)


if __name__ == "__main__":
    ArgoForeachFlow()
`;

const SWITCH_FLOW = `from metaflow import FlowSpec, Parameter, step


class ArgoSwitchFlow(FlowSpec):
    size = Parameter("size", default=5)

    @step
    def start(self):
        self.kind = "big" if self.size > 3 else "small"
        self.next({"big": self.big, "small": self.small}, condition="kind")

    @step
    def big(self):
        self.label = "BIG"
        self.next(self.merge)

    @step
    def small(self):
        self.label = "small"
        self.next(self.merge)

    @step
    def merge(self):
        self.result = "%s:%d" % (self.label, self.size)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ArgoSwitchFlow()
`;

async function listNames(storage: { listChildren(key: string): Promise<Array<{ name: string }>> }, key: string): Promise<string[]> {
  return (await storage.listChildren(key)).map((e) => e.name).sort();
}

describe('deployed Argo runs through argoSim and the Kubernetes simulator', { timeout: 600_000 }, () => {
  let h: ArgoHarness;

  before(async () => {
    h = await ArgoHarness.start(CONTAINER, { 'argo_foreach_flow.py': FOREACH_FLOW, 'argo_switch_flow.py': SWITCH_FLOW });
  });

  after(async () => {
    await h?.dispose();
  });

  it('a foreach flow with a two-step body: same artifacts per step as a local run, task metadata in the datastore', async () => {
    const file = h.setup.ws.flow('argo_foreach_flow.py');
    const { manifests, productionToken, templateName } = await h.deploy(file);
    const run = await h.runDeployed(manifests, { factor: '3' });
    assert.equal(run.phase, 'Succeeded', h.failureReport(run));
    const runId = `argo-${run.name}`;
    // One pod per task: start, three of each body step, join, end.
    const pods = run.nodes.flatMap((n) => n.pods);
    assert.equal(pods.length, 1 + 3 + 3 + 1 + 1, run.nodes.map((n) => n.name).join('\n'));
    const deployed = await h.artifacts('ArgoForeachFlow', runId);
    const local = await h.artifacts('ArgoForeachFlow', await h.localRun(file, ['--factor', '3']));
    assert.deepEqual(deployed, local);
    // square: i*i*3, add_one: +1; the join keeps only what it sets (plus the parameter).
    assert.deepEqual(deployed.end, [{ factor: 3, total: 4 + 13 + 28, values: [4, 13, 28] }]);

    // Deterministic task ids (`t-` + 8 hex), and each task's metadata as the pod synced it: a tarball in the CAS.
    const storage = h.setup.storage();
    const joinTasks = (await listNames(storage, `ArgoForeachFlow/${runId}/add_one`));
    assert.equal(joinTasks.length, 3);
    for (const t of joinTasks) assert.match(t, /^t-[0-9a-f]{8}$/);
    const tasksOf: Record<string, string[]> = {};
    for (const step of ['start', 'square', 'add_one', 'join', 'end']) {
      tasksOf[step] = await listNames(storage, `ArgoForeachFlow/${runId}/${step}`);
      for (const task of tasksOf[step]) {
        const key = await storage.readIfExists(`ArgoForeachFlow/${runId}/${step}/${task}/0.local_metadata`);
        assert.ok(key, `${step}/${task} has no metadata tarball`);
        assert.match(JSON.parse(key.toString('utf8')) as string, /^[0-9a-f]{40}$/);
      }
    }
    assert.deepEqual(Object.values(tasksOf).map((tasks) => tasks.length), [1, 3, 3, 1, 1]);
    // The run's parameters task, made once by the start pod, named after start's task id.
    const start = tasksOf.start;
    const params = (await listNames(storage, `ArgoForeachFlow/${runId}/_parameters`));
    assert.deepEqual(params, [`${start[0]}-params`]);

    // The deployment's namespace: found by the Client under production:<token>, every task tagged and
    // described as run by Argo Workflows; no task of an untriggered run lists execution triggers.
    const meta = await h.metadata('ArgoForeachFlow', runId, `production:${productionToken}`);
    assertProductionIdentity(meta, productionToken, runId);
    assertArgoMetadata(meta, templateName, run.name);
    assert.equal(Object.keys(meta.tasks.square ?? {}).length, 3);
    assert.equal(JSON.stringify(meta.tasks).includes('execution-triggers'), false);
    assert.equal((await h.metadata('ArgoForeachFlow', runId, 'user:alice')).listed, null);
  });

  it('a switch flow: the branch the condition chose runs, the other is skipped, artifacts equal a local run', async () => {
    const file = h.setup.ws.flow('argo_switch_flow.py');
    const { manifests, productionToken, templateName } = await h.deploy(file);
    const run = await h.runDeployed(manifests, { size: '1' });
    assert.equal(run.phase, 'Succeeded', h.failureReport(run));
    const byStep = (s: string) => run.nodes.find((n) => n.name.endsWith(`.${s}`));
    assert.equal(byStep('small')?.phase, 'Succeeded');
    assert.equal(byStep('big')?.phase, 'Skipped');
    const deployed = await h.artifacts('ArgoSwitchFlow', `argo-${run.name}`);
    const local = await h.artifacts('ArgoSwitchFlow', await h.localRun(file, ['--size', '1']));
    assert.deepEqual(deployed, local);
    assert.deepEqual(deployed.merge, [{ kind: 'small', label: 'small', result: 'small:1', size: 1 }]);
    assert.equal(deployed.big, undefined);
    const meta = await h.metadata('ArgoSwitchFlow', `argo-${run.name}`, `production:${productionToken}`);
    assertProductionIdentity(meta, productionToken, `argo-${run.name}`);
    assertArgoMetadata(meta, templateName, run.name);
  });
});
