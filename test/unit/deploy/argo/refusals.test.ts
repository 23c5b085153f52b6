import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkArgo } from '../../../../src/deploy/argo/checkArgo';
import { compileArgo } from '../../../../src/deploy/argo/compileArgo';
import { AZURE_CONFIG, flowFromSource, flowSource, options } from './argoFixtures';

const linear = `    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass`;

async function problems(source: string, config: Record<string, string | undefined> = AZURE_CONFIG, extra = {}) {
  const flow = await flowFromSource(source);
  const found = checkArgo(flow, { config, ...extra });
  // compileArgo refuses with exactly what checkArgo finds, and emits nothing.
  const compiled = compileArgo(flow, options({ config, ...extra }));
  assert.deepEqual(compiled.problems, found);
  assert.equal('workflowTemplate' in compiled, found.length === 0);
  return found;
}

function only(found: Awaited<ReturnType<typeof problems>>, pattern: RegExp) {
  const hits = found.filter((p) => pattern.test(p.message));
  assert.equal(hits.length, 1, JSON.stringify(found, null, 1));
  assert.equal(hits[0].target, 'argo-workflows');
  return hits[0];
}

describe('Argo compiler refusals', () => {
  it('a local datastore: pods cannot read this machine', async () => {
    const p = only(await problems(flowSource(linear), { METAFLOW_DEFAULT_DATASTORE: 'local' }), /needs a cloud datastore, but the datastore is 'local'/);
    assert.match(p.message, /METAFLOW_DEFAULT_DATASTORE=azure/);
    assert.equal(p.line, 4);
  });

  it('an Azure datastore without a root', async () => {
    only(await problems(flowSource(linear), { METAFLOW_DEFAULT_DATASTORE: 'azure' }), /set METAFLOW_DATASTORE_SYSROOT_AZURE/);
  });

  it("the reserved parameter name 'script'", async () => {
    const p = only(await problems(flowSource(`    script = Parameter("script", default="a")\n${linear}`)), /'script' is reserved/);
    assert.equal(p.line, 5);
  });

  it('parameter names equal when case is ignored', async () => {
    only(await problems(flowSource(`    a = Parameter("alpha", default=1)\n    b = Parameter("ALPHA", default=2)\n${linear}`)), /'ALPHA' has the same name as 'alpha'/);
  });

  it('a --name over the 45-character limit, and a flow name over it', async () => {
    only(await problems(flowSource(linear), AZURE_CONFIG, { name: 'a'.repeat(46) }), /is 46 characters long; .* at most 45\. Give a shorter one with --name/);
    only(await problems(flowSource(linear), AZURE_CONFIG, { name: 'Bad_Name' }), /--name 'Bad_Name' contains characters Argo does not allow/);
  });

  it('an event name with illegal characters', async () => {
    const p = only(await problems(flowSource(linear, '@trigger(event="data ready!")')), /Invalid event name 'data ready!' in @trigger/);
    assert.equal(p.line, 3);
  });

  it('a required parameter without a default on a scheduled flow', async () => {
    only(await problems(flowSource(`    alpha = Parameter("alpha", required=True)\n${linear}`, '@schedule(daily=True)')), /'alpha' is required and has no default, but the flow is scheduled/);
  });

  it('the same required parameter is fine without a schedule', async () => {
    assert.deepEqual(await problems(flowSource(`    alpha = Parameter("alpha", required=True)\n${linear}`)), []);
  });

  it('unsupported step decorators, @batch included', async () => {
    const p = only(await problems(flowSource(linear.replace('    @step\n    def end', '    @batch(cpu=2)\n    @step\n    def end'))), /@batch runs the step on AWS Batch/);
    assert.equal(p.step, 'end');
  });

  it('@parallel, saying why', async () => {
    const found = await problems(
      flowSource(`    @step
    def start(self):
        self.next(self.train, num_parallel=2)

    @parallel
    @step
    def train(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass`),
    );
    const hits = found.filter((p) => /JobSet of gang-scheduled pods/.test(p.message));
    assert.deepEqual(hits.map((h) => h.step).sort(), ['start', 'train']);
  });

  it('@trigger and @trigger_on_finish together', async () => {
    only(await problems(flowSource(linear, '@trigger(event="a")\n@trigger_on_finish(flow="B")')), /@trigger and @trigger_on_finish cannot be used together/);
  });

  it('a trigger without the Argo Events settings names them', async () => {
    const config = { ...AZURE_CONFIG, METAFLOW_ARGO_EVENTS_EVENT: undefined, METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT: undefined };
    only(await problems(flowSource(linear, '@trigger(event="a")'), config), /set METAFLOW_ARGO_EVENTS_EVENT, METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT\./);
  });

  it('a lint error makes the flow undeployable, with the check named', async () => {
    const p = only(await problems(flowSource(`    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def lonely(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass`)), /check_for_orphans/);
    assert.equal(p.step, 'lonely');
  });
});
