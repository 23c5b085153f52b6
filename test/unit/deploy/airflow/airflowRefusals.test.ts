// Everything Airflow cannot run is refused with the step (or decorator, parameter) and the reason, and no
// file is produced; checkAirflow gives the same problems without compiling.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAirflow, usesAirflowDecorators } from '../../../../src/deploy/airflow/airflowChecks';
import { compileAirflow } from '../../../../src/deploy/airflow/airflowCompiler';
import { compileInput, flowOf } from './compileHelpers';

const LINEAR = `from metaflow import FlowSpec, step, Parameter, kubernetes, batch, schedule, trigger, trigger_on_finish, exit_hook, parallel, retry
class F(FlowSpec):
    @step
    def start(self):
        self.next(self.middle)

    @step
    def middle(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

async function refusals(source: string, options: Parameters<typeof checkAirflow>[1] = {}, datastore = 'azure') {
  const flow = await flowOf(source);
  const compiled = compileAirflow(compileInput(flow, { datastore: { type: datastore, sysroot: 'c/p' }, options }));
  assert.equal(compiled.source, '', 'nothing is written when the flow is refused');
  assert.ok(compiled.problems.length > 0);
  for (const p of compiled.problems) assert.equal(p.target, 'airflow');
  return { compiled: compiled.problems, checked: checkAirflow(flow, { ...options, datastore }) };
}

function one(problems: Array<{ message: string; step?: string; line?: number }>, pattern: RegExp) {
  const found = problems.filter((p) => pattern.test(p.message));
  assert.equal(found.length, 1, `one problem matching ${pattern}, got: ${problems.map((p) => p.message).join(' | ')}`);
  return found[0];
}

describe('Airflow refusals', () => {
  it('a switch, naming the step and its line', async () => {
    const { compiled, checked } = await refusals(`from metaflow import FlowSpec, step
class F(FlowSpec):
    @step
    def start(self):
        self.k = 'a'
        self.next({'a': self.a, 'b': self.b}, condition='k')

    @step
    def a(self):
        self.next(self.join)

    @step
    def b(self):
        self.next(self.join)

    @step
    def join(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`);
    const p = one(compiled, /switch/);
    assert.equal(p.step, 'start');
    assert.equal(p.line, 4);
    assert.match(p.message, /Step \*start\* is a switch.*Argo Workflows/);
    assert.deepEqual(checked.map((c) => c.message), compiled.map((c) => c.message));
  });

  it('a nested foreach and a foreach body longer than one step', async () => {
    const { compiled } = await refusals(`from metaflow import FlowSpec, step
class F(FlowSpec):
    @step
    def start(self):
        self.xs = [1, 2]
        self.next(self.outer, foreach='xs')

    @step
    def outer(self):
        self.ys = [1, 2]
        self.next(self.inner, foreach='ys')

    @step
    def inner(self):
        self.next(self.inner_join)

    @step
    def inner_join(self, inputs):
        self.next(self.outer_join)

    @step
    def outer_join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
`);
    assert.equal(one(compiled, /foreach inside another foreach/).step, 'outer');
    assert.match(one(compiled, /The foreach of step \*start\*/).message, /runs \*outer\*.*single step.*followed directly by the join/);
  });

  it('@parallel, @batch and the unsupported @kubernetes options', async () => {
    const { compiled } = await refusals(`from metaflow import FlowSpec, step, parallel, batch, kubernetes
class F(FlowSpec):
    @step
    def start(self):
        self.next(self.train, num_parallel=2)

    @parallel
    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @batch(cpu=2)
    @kubernetes(use_tmpfs=True, persistent_volume_claims={'c': '/data'}, image_pull_policy='Always')
    @step
    def end(self):
        pass
`);
    assert.equal(one(compiled, /Step \*start\* uses @parallel/).step, 'start');
    assert.equal(one(compiled, /Step \*train\* uses @parallel/).step, 'train');
    const batch = one(compiled, /AWS Batch/);
    assert.equal(batch.step, 'end');
    assert.equal(batch.line, 16);
    for (const attr of ['use_tmpfs', 'persistent_volume_claims', 'image_pull_policy']) {
      assert.equal(one(compiled, new RegExp(`@kubernetes\\(${attr}=`)).step, 'end');
    }
  });

  it('@trigger, @trigger_on_finish, @exit_hook and @schedule(timezone=)', async () => {
    const { compiled } = await refusals(LINEAR.replace('class F', "@trigger(event='go')\n@trigger_on_finish(flow='Up')\n@exit_hook(on_success=['f'])\n@schedule(daily=True, timezone='Europe/Paris')\nclass F"));
    assert.equal(one(compiled, /@trigger starts/).line, 2);
    assert.equal(one(compiled, /@trigger_on_finish starts/).line, 3);
    assert.equal(one(compiled, /@exit_hook/).line, 4);
    assert.equal(one(compiled, /timezone/).line, 5);
  });

  it('parameters without a default, with a computed default, and twice under different case', async () => {
    const { compiled } = await refusals(LINEAR.replace('class F(FlowSpec):', "class F(FlowSpec):\n    a = Parameter('alpha')\n    b = Parameter('beta', default=compute())\n    c = Parameter('Alpha', default=1)"));
    const missing = one(compiled, /Parameter \*alpha\* has no default/);
    assert.equal(missing.line, 3);
    assert.match(one(compiled, /parameter \*beta\* \(compute\(\)\) is not a literal/).message, /Write it as a literal/);
    assert.match(one(compiled, /\*Alpha\* is specified twice/).message, /case-insensitive/);
  });

  it('a local datastore, a bad --name and bad numbers', async () => {
    const { compiled, checked } = await refusals(LINEAR, { name: 'my dag!', workflowTimeout: -1, maxWorkers: 0 }, 'local');
    assert.match(one(compiled, /'local' datastore/).message, /METAFLOW_DEFAULT_DATASTORE=azure/);
    one(compiled, /--name 'my dag!' is not a valid Airflow dag_id/);
    one(compiled, /--workflow-timeout/);
    one(compiled, /--max-workers/);
    assert.equal(checked.length, compiled.length);
  });

  it('sensor decorators with missing or wrong arguments', async () => {
    const { compiled } = await refusals(
      LINEAR.replace('class F', "@airflow_external_task_sensor(allowed_states=['done'], execution_delta=later())\n@airflow_s3_key_sensor(mode='wait')\nclass F"),
    );
    one(compiled, /external_dag_id is required/);
    one(compiled, /allowed_states has "done"/);
    one(compiled, /execution_delta must be written as timedelta/);
    one(compiled, /bucket_key is required/);
    one(compiled, /mode must be 'poke' or 'reschedule'/);
  });

  it('a flow with lint errors is refused with them', async () => {
    const { compiled } = await refusals(LINEAR.replace('self.next(self.end)', 'self.next(self.nowhere)'));
    assert.match(one(compiled, /nowhere/).message, /fix the flow first/);
  });

  it('the Airflow decorators mark a flow as meant for Airflow; a valid flow has no problems', async () => {
    const plain = await flowOf(LINEAR);
    assert.equal(usesAirflowDecorators(plain), false);
    assert.deepEqual(checkAirflow(plain, { datastore: 'azure' }), []);
    assert.equal(usesAirflowDecorators(await flowOf(LINEAR.replace('class F', "@airflow_s3_key_sensor(bucket_key='k')\nclass F"))), true);
  });
});
