import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { compileArgo } from '../../../../src/deploy/argo/compileArgo';
import type { ArgoManifests, Manifest } from '../../../../src/deploy/argo/types';
import { flowFromFile, flowFromSource, flowSource, options, REPO, schemas } from './argoFixtures';

// Manifests are read as untyped JSON: each assertion names the field it expects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyObj = Record<string, any>;

async function compile(file: string, extra = {}): Promise<ArgoManifests> {
  const flow = await flowFromFile(file);
  const r = compileArgo(flow, options(extra));
  assert.deepEqual(r.problems, [], `${file} should compile`);
  return r as ArgoManifests;
}

const fixture = (name: string) => path.join(REPO, 'test', 'fixtures', 'flows', name);
const runtimeFlow = (name: string) => path.join(REPO, 'test', 'integration', 'runtime', 'flows', name);
const templates = (m: ArgoManifests) => (m.workflowTemplate.spec as AnyObj).templates as AnyObj[];
const template = (m: ArgoManifests, name: string) => {
  const t = templates(m).find((x) => x.name === name);
  assert.ok(t, `template ${name} in ${templates(m).map((x) => x.name).join(', ')}`);
  return t;
};
const task = (dag: AnyObj, name: string) => {
  const t = (dag.dag.tasks as AnyObj[]).find((x) => x.name === name);
  assert.ok(t, `task ${name} in ${dag.name}`);
  return t;
};
const arg = (t: AnyObj, name: string) => (t.arguments.parameters as AnyObj[]).find((p) => p.name === name)?.value;

function validate(m: ArgoManifests): void {
  schemas().check('argo', 'io.argoproj.workflow.v1alpha1.WorkflowTemplate', m.workflowTemplate, 'WorkflowTemplate', 'argoproj.io');
  for (const t of templates(m).filter((x) => x.container)) {
    schemas().check('kubernetes', 'io.k8s.api.core.v1.Container', t.container, 'Container', '');
    for (const v of t.volumes ?? []) schemas().check('kubernetes', 'io.k8s.api.core.v1.Volume', v, 'Volume', '');
  }
  if (m.cronWorkflow) schemas().check('argo', 'io.argoproj.workflow.v1alpha1.CronWorkflow', m.cronWorkflow, 'CronWorkflow', 'argoproj.io');
  if (m.sensor) {
    // The schema describes Argo Events objects by their protobuf form: no apiVersion/kind, and the trigger's
    // resource as opaque bytes. The resource is the Workflow the trigger submits: validated as one.
    const { apiVersion, kind, ...sensor } = structuredClone(m.sensor) as AnyObj;
    assert.deepEqual([apiVersion, kind], ['argoproj.io/v1alpha1', 'Sensor']);
    const source = sensor.spec.triggers[0].template.k8s.source;
    const workflow = source.resource as Manifest;
    delete source.resource;
    schemas().check('argo', 'github.com.argoproj.argo_events.pkg.apis.events.v1alpha1.Sensor', sensor, 'Sensor', 'argoproj.io');
    schemas().check('argo', 'io.argoproj.workflow.v1alpha1.Workflow', workflow, 'Workflow', 'argoproj.io');
  }
}

describe('Argo compiler: every graph shape', () => {
  const valid = [
    ...fs.readdirSync(path.join(REPO, 'test', 'fixtures', 'flows')).filter((f) => f.endsWith('.py') && !/^(broken|lint|not_a_flow|parallel|foreach_num_parallel|decorators|parameters|foreach_from_start)/.test(f)).map(fixture),
    ...['branch_flow.py', 'nested_foreach_flow.py', 'switch_in_foreach_flow.py', 'switch_loop_flow.py', 'wide_foreach_flow.py'].map(runtimeFlow),
  ];
  for (const file of valid) {
    it(`${path.basename(file)} compiles into a WorkflowTemplate that validates against the Argo and Kubernetes schemas`, async () => {
      const m = await compile(file);
      validate(m);
      const flow = await flowFromFile(file);
      // One container template per step, and the entry DAG named after the flow.
      assert.equal(templates(m).filter((t) => t.container).length, flow.steps.length);
      assert.equal((m.workflowTemplate.spec as AnyObj).entrypoint, flow.name);
      assert.ok(template(m, flow.name).dag.failFast);
    });
  }
});

describe('Argo compiler: structure per shape', () => {
  it('static split: the join depends on every branch with &&, and gets both task paths', async () => {
    const m = await compile(runtimeFlow('branch_flow.py'));
    const flow = await flowFromFile(runtimeFlow('branch_flow.py'));
    const join = flow.steps.find((s) => s.type === 'join')!;
    const t = task(template(m, flow.name), join.name.replace(/_/g, '-'));
    assert.equal(t.depends, join.inFuncs.map((p) => `${p.replace(/_/g, '-')}.Succeeded`).join(' && '));
    const paths = arg(t, 'input-paths') as string;
    assert.ok(paths.startsWith('argo-{{workflow.name}}/:'), paths);
    for (const p of join.inFuncs) assert.ok(paths.includes(`${p}/{{tasks.${p.replace(/_/g, '-')}.outputs.parameters.task-id}}`), paths);
  });

  it('foreach: a withParam fan-out over a nested DAG, and a join given the split path and its cardinality', async () => {
    const m = await compile(fixture('nested_foreach.py'));
    const top = template(m, 'NestedForeachFlow');
    const fan = task(top, 'start-foreach-regions');
    assert.equal(fan.withParam, '{{tasks.start.outputs.parameters.num-splits}}');
    assert.equal(fan.depends, 'start.Succeeded');
    assert.equal(arg(fan, 'split-index'), '{{item}}');
    const join = task(top, 'join-regions');
    assert.equal(join.depends, 'start-foreach-regions.Succeeded');
    assert.equal(arg(join, 'split-cardinality'), '{{tasks.start.outputs.parameters.split-cardinality}}');
    // The nested foreach nests a template; its last step passes the item's index and root path to the outer join.
    const outerBody = template(m, 'start-foreach-regions');
    assert.equal(task(outerBody, 'region-foreach-stores').withParam, '{{tasks.region.outputs.parameters.num-splits}}');
    const innerJoin = task(outerBody, 'join-stores');
    assert.equal(arg(innerJoin, 'root-input-path'), '{{inputs.parameters.input-paths}}');
    assert.equal(arg(innerJoin, 'split-index'), '{{inputs.parameters.split-index}}');
    const innerBody = template(m, 'region-foreach-stores');
    assert.equal(arg(task(innerBody, 'store'), 'split-index'), '{{inputs.parameters.split-index}}');
    // The split's container reports the splits; the join's reads the cardinality.
    const split = template(m, 'start');
    assert.deepEqual(split.outputs.parameters.map((p: AnyObj) => [p.name, p.valueFrom.path]), [
      ['task-id', '/mnt/out/task_id'],
      ['num-splits', '/mnt/out/splits'],
      ['split-cardinality', '/mnt/out/split_cardinality'],
    ]);
    const joinCommand = template(m, 'join-regions').container.args as string[];
    assert.equal(joinCommand[joinCommand.indexOf('--split-cardinality') + 1], '{{inputs.parameters.split-cardinality}}');
  });

  it('switch: branches run when the switch chose them, and the merge step depends on either with ||', async () => {
    const m = await compile(fixture('switch_reconverge.py'));
    const top = template(m, 'ReconvergeFlow');
    const big = task(top, 'big');
    assert.equal(big.depends, 'start.Succeeded');
    assert.equal(big.when, "({{=(tasks['start'].status == 'Succeeded' ? tasks['start'].outputs.parameters['switch-step'] : nil) == 'big'}})");
    const after = task(top, 'after');
    assert.equal(after.depends, '(big.Succeeded || small.Succeeded)');
    assert.equal(after.when, undefined);
    assert.deepEqual(template(m, 'start').outputs.parameters.map((p: AnyObj) => p.name), ['task-id', 'switch-step']);
  });

  it('a switch that loops to itself becomes a recursive steps template around the step container', async () => {
    const m = await compile(fixture('switch_loop.py'));
    const loop = template(m, 'poll');
    assert.equal(loop.steps[0][0].template, 'recursive-poll');
    assert.equal(loop.steps[1][0].template, 'poll');
    assert.equal(loop.steps[1][0].when, '{{steps.poll-internal.outputs.parameters.switch-step}}==poll');
    assert.equal(loop.steps[1][0].arguments.parameters[0].value, 'argo-{{workflow.name}}/poll/{{steps.poll-internal.outputs.parameters.task-id}}');
    assert.ok(template(m, 'recursive-poll').container);
    assert.equal(task(template(m, 'LoopFlow'), 'end').when, "({{=(tasks['poll'].status == 'Succeeded' ? tasks['poll'].outputs.parameters['switch-step'] : nil) == 'end'}})");
  });

  it('retries, backoff and deadlines come from @retry, @catch and @timeout', async () => {
    const flow = await flowFromSource(
      flowSource(`    @retry(times=2, minutes_between_retries=1)
    @step
    def start(self):
        self.next(self.caught)

    @catch(var="e")
    @step
    def caught(self):
        self.next(self.slow)

    @timeout(minutes=5)
    @step
    def slow(self):
        self.next(self.end)

    @step
    def end(self):
        pass`),
    );
    const r = compileArgo(flow, options());
    assert.deepEqual(r.problems, []);
    const m = r as ArgoManifests;
    validate(m);
    assert.deepEqual(template(m, 'start').retryStrategy, { retryPolicy: 'Always', limit: 2, backoff: { duration: '1m' } });
    assert.deepEqual(template(m, 'caught').retryStrategy, { retryPolicy: 'Always', limit: 3, backoff: { duration: '2m' } });
    assert.equal(template(m, 'slow').retryStrategy, undefined);
    assert.equal(template(m, 'slow').activeDeadlineSeconds, 300);
    assert.equal(template(m, 'end').activeDeadlineSeconds, 432000);
    const cmd = template(m, 'start').container.args as string[];
    assert.equal(cmd[cmd.indexOf('--retry-count') + 1], '{{retries}}');
    assert.equal(cmd[cmd.indexOf('--max-user-code-retries') + 1], '2');
    const endCmd = template(m, 'end').container.args as string[];
    assert.equal(endCmd[endCmd.indexOf('--retry-count') + 1], '0');
  });

  it('the container command is the pod contract argv, with no shell, and the start step carries the parameters', async () => {
    const flow = await flowFromSource(
      flowSource(`    alpha = Parameter("alpha", default=0.5, help="Weight")
    name = Parameter("name", default="x")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass`),
    );
    const m = compileArgo(flow, options({ tags: ['nightly'] })) as ArgoManifests;
    validate(m);
    const defaults = (m.workflowTemplate.spec as AnyObj).templateDefaults.container as AnyObj;
    assert.deepEqual(defaults.command, ['python3', '-c', 'import sys  # pod loader']);
    assert.equal(template(m, 'start').container.command, undefined, 'the loader is given once, in templateDefaults');
    const cmd = template(m, 'start').container.args as string[];
    assert.equal(cmd[0], 'argo');
    assert.ok(!cmd.includes('bash') && !cmd.includes('sh'));
    assert.deepEqual(cmd.slice(cmd.indexOf('--param'), cmd.indexOf('--param') + 4), ['--param', 'alpha={{workflow.parameters.alpha}}', '--param', 'name={{workflow.parameters.name}}']);
    assert.equal(cmd[cmd.indexOf('--run-id') + 1], 'argo-{{workflow.name}}');
    assert.equal(cmd[cmd.indexOf('--tag') + 1], 'nightly');
    assert.deepEqual(cmd.slice(-2), ['--outputs', '/mnt/out']);
    assert.ok(!(template(m, 'end').container.args as string[]).includes('--param'));
    const env = Object.fromEntries((template(m, 'start').container.env as AnyObj[]).filter((e) => 'value' in e).map((e) => [e.name, e.value]));
    assert.equal(env.METAFLOW_USER, 'argo-workflows');
    assert.equal(env.METAFLOW_OWNER, 'alice');
    assert.equal(env.METAFLOW_PRODUCTION_TOKEN, 'flow-0-abcd');
    assert.ok(env.METAFLOW_FLOW_FILENAME, 'the pod is told which file holds the flow');
    assert.equal(env.METAFLOW_RUNTIME_NAME, 'argo-workflows');
    assert.equal(env.METAFLOW_CODE_SHA, 'a'.repeat(40));
    assert.equal(env.METAFLOW_DATASTORE_SYSROOT_AZURE, 'flows/prod');
    assert.ok((template(m, 'start').container.env as AnyObj[]).some((e) => e.name === 'METAFLOW_KUBERNETES_POD_NAME' && e.valueFrom));
    const spec = m.workflowTemplate.spec as AnyObj;
    assert.deepEqual(spec.arguments.parameters, [
      { name: 'alpha', value: '0.5', description: 'Weight' },
      { name: 'name', value: '"x"' },
    ]);
    assert.equal(spec.parallelism, 100);
    const ann = (m.workflowTemplate.metadata as AnyObj).annotations;
    assert.equal(ann['metaflow/production_token'], 'flow-0-abcd');
    assert.deepEqual(JSON.parse(ann['metaflow/dag']), { graph_structure: ['start', 'end'] });
    assert.equal(JSON.parse(ann['metaflow/parameters']).alpha.value, '0.5');
    assert.equal((m.workflowTemplate.metadata as AnyObj).name, 'testflow');
    assert.equal((m.workflowTemplate.metadata as AnyObj).namespace, 'mf');
  });

  it('workflow options: name, namespace, max workers, timeout and priority', async () => {
    const m = await compile(fixture('linear.py'), { name: 'my.flow-1', namespace: 'team', maxWorkers: 7, workflowTimeout: 3600, workflowPriority: 5 });
    const spec = m.workflowTemplate.spec as AnyObj;
    assert.equal((m.workflowTemplate.metadata as AnyObj).name, 'my.flow-1');
    assert.equal((m.workflowTemplate.metadata as AnyObj).namespace, 'team');
    assert.equal(spec.parallelism, 7);
    assert.equal(spec.activeDeadlineSeconds, 3600);
    assert.equal(spec.priority, 5);
  });
});

describe('Argo compiler: @schedule and triggers', () => {
  const steps = `    alpha = Parameter("alpha", default=1)

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass`;

  for (const [deco, cron] of [
    ['@schedule(hourly=True)', '0 * * * ?'],
    ['@schedule(daily=True)', '0 0 * * ?'],
    ['@schedule(weekly=True)', '0 0 ? * SUN'],
    ['@schedule(cron="*/5 1 * * * *", timezone="Europe/Paris")', '*/5 1 * * *'],
  ]) {
    it(`${deco} -> CronWorkflow '${cron}'`, async () => {
      const m = compileArgo(await flowFromSource(flowSource(steps, deco)), options()) as ArgoManifests;
      validate(m);
      const cw = m.cronWorkflow as AnyObj;
      assert.deepEqual(cw.spec.schedules, [cron]);
      assert.equal(cw.spec.workflowSpec.workflowTemplateRef.name, 'testflow');
      assert.equal(cw.spec.timezone, deco.includes('timezone') ? 'Europe/Paris' : undefined);
      assert.equal(m.sensor, undefined);
    });
  }

  it('@trigger -> a Sensor with one dependency per event, parameter mapping and the payload parameter', async () => {
    const m = compileArgo(await flowFromSource(flowSource(steps, '@trigger(events=[{"name": "data.ready", "parameters": {"alpha": "value"}}, "other-event"])')), options()) as ArgoManifests;
    validate(m);
    const s = m.sensor as AnyObj;
    assert.equal(s.metadata.name, 'testflow');
    const deps = s.spec.dependencies as AnyObj[];
    assert.equal(deps.length, 2);
    assert.match(deps[0].name, /^dataready_[a-z2-7]{4}$/);
    assert.match(deps[1].name, /^otherevent_[a-z2-7]{4}$/);
    assert.equal(deps[0].filters.exprs[0].expr, "name == 'data.ready'");
    assert.equal(deps[0].eventName, 'metaflow-event');
    const params = s.spec.triggers[0].template.k8s.parameters as AnyObj[];
    const alpha = params.find((p) => p.dest === 'spec.arguments.parameters.#(name=alpha).value')!;
    assert.equal(alpha.src.dependencyName, deps[0].name);
    assert.match(alpha.src.dataTemplate, /hasKey \$\.Input\.body\.payload "value"/);
    assert.match(alpha.src.dataTemplate, /use-default-instead/);
    assert.equal(params.filter((p) => p.src.dataKey === 'body.payload').length, 2);
    const wfArgs = ((m.workflowTemplate.spec as AnyObj).arguments.parameters as AnyObj[]).map((p) => p.name);
    assert.deepEqual(wfArgs, ['alpha', deps[0].name, deps[1].name]);
  });

  it('@trigger_on_finish listens for the upstream flow end event from Metaflow', async () => {
    const m = compileArgo(await flowFromSource(flowSource(steps, '@trigger_on_finish(flow="UpstreamFlow")')), options()) as ArgoManifests;
    validate(m);
    const dep = (m.sensor as AnyObj).spec.dependencies[0];
    assert.equal(dep.filters.exprs[0].expr, "name == 'metaflow.UpstreamFlow.end'");
    assert.deepEqual(dep.filters.exprs[1], { expr: "field == 'True'", fields: [{ name: 'field', path: 'body.payload.auto-generated-by-metaflow' }] });
  });
});
