// Generated DAG files compile with python3 and, run against stand-ins for Airflow, build the tasks,
// dependencies and mappings of each graph shape.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { before, describe, it } from 'node:test';
import { loadDag, type StandInRecord, writeStandIns } from './airflowStandIns';
import { compileSource, writeTemp } from './compileHelpers';

let standIns: string;

async function dagOf(source: string, options = {}): Promise<{ record: StandInRecord; text: string }> {
  const result = await compileSource(source, { options });
  assert.deepEqual(result.problems, []);
  const file = writeTemp('flow_dag.py', result.source);
  const compiled = spawnSync('python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
  assert.equal(compiled.status, 0, compiled.stderr);
  return { record: loadDag(file, standIns), text: result.source };
}

function argAfter(args: string[] | undefined, flag: string): string | undefined {
  assert.ok(args);
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

const HEAD = 'from metaflow import FlowSpec, step, Parameter, retry, timeout, kubernetes, resources, schedule, environment\n';

const LINEAR = `${HEAD}
class LinearFlow(FlowSpec):
    """A straight line."""
    alpha = Parameter('alpha', default=0.5, help='learning rate')
    n = Parameter('n', type=int, default=3)
    flag = Parameter('flag', default=True)

    @step
    def start(self):
        self.next(self.train)

    @retry(times=2, minutes_between_retries=1)
    @timeout(minutes=10)
    @kubernetes(cpu=2, memory=8000, labels={'team': 'ml'}, node_selector={'pool': 'gpu'})
    @environment(vars={'MODE': 'fast'})
    @step
    def train(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

const BRANCH = `${HEAD}
class BranchFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.a, self.b)

    @step
    def a(self):
        self.next(self.join)

    @resources(memory=16000)
    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

const FOREACH = `${HEAD}
class ForeachFlow(FlowSpec):
    @step
    def start(self):
        self.xs = [1, 2, 3]
        self.next(self.body, foreach='xs')

    @step
    def body(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

const SENSORS = `from metaflow import FlowSpec, step, airflow_external_task_sensor, airflow_s3_key_sensor, schedule
from datetime import timedelta

@airflow_external_task_sensor(name='wait_upstream', external_dag_id='upstream_dag', execution_delta=timedelta(hours=1))
@airflow_s3_key_sensor(bucket_key='s3://bucket/ready')
@schedule(cron='0 6 * * *')
class SensorFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

describe('Airflow DAG files per graph shape', () => {
  before(() => {
    standIns = writeStandIns();
  });

  it('linear: one pod task per step, chained, with parameters, retries, timeout, resources and environment', async () => {
    const { record } = await dagOf(LINEAR, { tags: ['nightly'], maxWorkers: 7, workerPool: 'mf', isPausedUponCreation: true });
    assert.deepEqual(Object.keys(record.tasks).sort(), ['end', 'start', 'train']);
    assert.deepEqual(record.edges, [['start', 'train'], ['train', 'end']]);
    assert.deepEqual(record.expands, []);
    const [dag] = record.dags;
    assert.equal(dag.dag_id, 'LinearFlow');
    assert.equal(dag.schedule, null);
    assert.equal(dag.kwargs.description, 'A straight line.');
    assert.equal(dag.kwargs.max_active_tasks, 7);
    assert.equal(dag.kwargs.is_paused_upon_creation, true);
    assert.deepEqual(dag.kwargs.tags, ['nightly']);
    assert.equal(dag.default_args.pool, 'mf');
    assert.equal(dag.default_args.owner, 'alice');
    assert.deepEqual(dag.filters, ['json_dump', 'run_id_creator']);
    assert.deepEqual(dag.params.alpha.kwargs, { default: 0.5, type: 'number', description: 'learning rate' });
    assert.deepEqual(dag.params.n.kwargs, { default: 3, type: 'integer' });
    assert.deepEqual(dag.params.flag.kwargs, { default: true, type: 'boolean' });

    const train = record.tasks.train;
    assert.ok(train.bases.includes('KubernetesPodOperator'));
    assert.deepEqual(train.kwargs.cmds?.slice(0, 2), ['python3', '-c']);
    assert.equal(train.kwargs.cmds?.[4], 'argo');
    assert.equal(train.kwargs.retries, 2);
    assert.deepEqual(train.kwargs.retry_delay, { timedelta_seconds: 60 });
    assert.deepEqual(train.kwargs.execution_timeout, { timedelta_seconds: 600 });
    assert.equal(train.kwargs.do_xcom_push, true);
    assert.equal(train.kwargs.on_finish_action, 'delete_pod');
    assert.equal(train.kwargs.name, 'train');
    assert.equal(train.kwargs.image, 'python:3.11');
    assert.deepEqual(train.kwargs.node_selector, { pool: 'gpu' });
    assert.equal(train.kwargs.labels?.team, 'ml');
    assert.equal(train.kwargs.annotations?.['metaflow/production_token'], 'trainflow-0-abcd');
    assert.deepEqual((train.kwargs.container_resources?.kwargs.requests as Record<string, string>).cpu, '2');
    assert.deepEqual((train.kwargs.container_resources?.kwargs.requests as Record<string, string>).memory, '8000M');
    const env = Object.fromEntries((train.kwargs.env_vars ?? []).map((e) => [e.kwargs.name, e.kwargs.value ?? e.kwargs.value_from]));
    assert.equal(env.MODE, 'fast');
    assert.equal(env.METAFLOW_FLOW_NAME, 'LinearFlow');
    assert.equal(env.METAFLOW_STEP_NAME, 'train');
    assert.equal(env.METAFLOW_DEFAULT_DATASTORE, 'azure');
    assert.equal(env.METAFLOW_DATASTORE_SYSROOT_AZURE, 'studio/flows');
    assert.equal(env.METAFLOW_PRODUCTION_TOKEN, 'trainflow-0-abcd');
    assert.ok(env.METAFLOW_KUBERNETES_POD_NAME, 'downward API variables are set');

    const args = train.kwargs.arguments;
    assert.equal(argAfter(args, '--step'), 'train');
    assert.equal(argAfter(args, '--run-id'), 'airflow-{{ [run_id, dag_run.dag_id] | run_id_creator }}');
    assert.equal(argAfter(args, '--input-paths'), "airflow-{{ [run_id, dag_run.dag_id] | run_id_creator }}/start/{{ task_instance.xcom_pull(task_ids='start', key='metaflow_task_id') }}");
    assert.equal(argAfter(args, '--retry-count'), '{{ task_instance.try_number - 1 }}');
    assert.equal(argAfter(args, '--max-user-code-retries'), '2');
    assert.deepEqual(args?.filter((_, i) => args[i - 1] === '--tag'), ['nightly']);
    assert.equal(args?.includes('--param'), false, 'only start takes parameters');

    const start = record.tasks.start.kwargs.arguments;
    assert.deepEqual(start?.filter((_, i) => start[i - 1] === '--param'), ["alpha={{ params['alpha'] | json_dump }}", "n={{ params['n'] | json_dump }}", "flag={{ params['flag'] | json_dump }}"]);
    assert.equal(record.tasks.end.kwargs.retries, 0);
    assert.equal(record.tasks.end.kwargs.retry_delay, undefined);
  });

  it('branch: both branches after start, the join after both with the compressed input paths, resources max-merged', async () => {
    const { record } = await dagOf(BRANCH);
    assert.deepEqual(
      [...record.edges].sort(),
      [['a', 'join'], ['b', 'join'], ['join', 'end'], ['start', 'a'], ['start', 'b']],
    );
    const join = record.tasks.join.kwargs.arguments;
    assert.equal(
      argAfter(join, '--input-paths'),
      "airflow-{{ [run_id, dag_run.dag_id] | run_id_creator }}/:a/{{ task_instance.xcom_pull(task_ids='a', key='metaflow_task_id') }},b/{{ task_instance.xcom_pull(task_ids='b', key='metaflow_task_id') }}",
    );
    assert.equal((record.tasks.b.kwargs.container_resources?.kwargs.requests as Record<string, string>).memory, '16000M');
  });

  it('foreach: the body is mapped over the split with expand, gets the map index, and the join gets the cardinality', async () => {
    const { record, text } = await dagOf(FOREACH);
    assert.deepEqual(record.expands, [{ task: 'body', argument: 'mapper_arr', over: 'start' }]);
    assert.equal(record.tasks.body.mapped, true);
    assert.deepEqual([...record.edges].sort(), [['body', 'join'], ['join', 'end']]);
    const body = record.tasks.body.kwargs.arguments;
    assert.equal(argAfter(body, '--split-index'), '{{ ti.map_index }}');
    assert.equal(argAfter(body, '--input-paths'), "airflow-{{ [run_id, dag_run.dag_id] | run_id_creator }}/start/{{ task_instance.xcom_pull(task_ids='start', key='metaflow_task_id') }}");
    const join = record.tasks.join.kwargs.arguments;
    assert.equal(argAfter(join, '--split-cardinality'), "{{ task_instance.xcom_pull(task_ids='start') | length }}");
    assert.match(text, /"contains_foreach": True/);
    assert.match(text, /"graph_structure": \[\n\s+"start",\n\s+\[\n\s+\[\n\s+"body"/);
  });

  it('sensors run before start; @schedule becomes the schedule', async () => {
    const { record } = await dagOf(SENSORS, { workflowTimeout: 3600 });
    assert.equal(record.dags[0].schedule, '0 6 * * *');
    assert.deepEqual(record.dags[0].kwargs.dagrun_timeout, { timedelta_seconds: 3600 });
    const sensors = Object.entries(record.tasks).filter(([, t]) => t.class.endsWith('Sensor'));
    assert.equal(sensors.length, 2);
    const external = record.tasks.wait_upstream;
    assert.equal(external.class, 'ExternalTaskSensor');
    assert.equal(external.kwargs.external_dag_id, 'upstream_dag');
    assert.deepEqual(external.kwargs.execution_delta, { timedelta_seconds: 3600 });
    assert.deepEqual(external.kwargs.allowed_states, ['success']);
    assert.equal(external.kwargs.mode, 'reschedule');
    const [s3Name, s3] = sensors.find(([, t]) => t.class === 'S3KeySensor') ?? [];
    assert.match(String(s3Name), /^S3KeySensor-[0-9a-f]{8}$/);
    assert.equal(s3?.kwargs.bucket_key, 's3://bucket/ready');
    assert.deepEqual(
      record.edges.filter(([, to]) => to === 'start').map(([from]) => from).sort(),
      [String(s3Name), 'wait_upstream'].sort(),
    );
  });

  it('@schedule presets: daily by default, hourly and weekly', async () => {
    for (const [args, expected] of [['', '@daily'], ['hourly=True', '@hourly'], ['weekly=True', '@weekly']]) {
      const { record } = await dagOf(LINEAR.replace('class LinearFlow', `@schedule(${args})\nclass LinearFlow`));
      assert.equal(record.dags[0].schedule, expected);
    }
  });

  it('the whole pod loader travels base64 in the command, decoded by the shim', async () => {
    const { record } = await dagOf(FOREACH);
    const cmds = record.tasks.start.kwargs.cmds ?? [];
    const loader = Buffer.from(cmds[3], 'base64').toString('utf8');
    assert.equal(loader, fs.readFileSync('src/runtime/python/metaflow_studio/pod_loader.py', 'utf8'));
    assert.doesNotMatch(cmds[2], /\{\{|\{%|\{#/, 'the shim is rendered by Jinja and must hold no template syntax');
  });
});
