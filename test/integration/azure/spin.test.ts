// `spin` of a step whose origin run is on the Azure datastore (Azurite over https with OAuth): the inputs
// are read from Blob, the spun tasks run apart from the origin run, which is left as it was.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { finish, writeFlow } from '../runtime/harness';
import { type AzureRunSetup, azureRunSetup, execAzurePython } from './azureRunHarness';

const FLOW = `from metaflow import FlowSpec, step


class AzureSpinFlow(FlowSpec):
    @step
    def start(self):
        self.items = ["a", "b"]
        self.payload = bytes(range(256)) * 4096
        self.next(self.each, foreach="items")

    @step
    def each(self):
        self.word = self.input * 2
        self.size = len(self.payload)
        print("each got", self.input, self.size)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.words = sorted(i.word for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AzureSpinFlow()
`;

const READ_SPIN = String.raw`
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(sys.argv[1])
print(json.dumps({"steps": sorted(s.id for s in run), "words": sorted(t.data.word for t in run["each"]),
                  "sizes": sorted(t.data.size for t in run["each"])}))
`;

describe('spin with an origin run on the Azure datastore (Azurite, https, OAuth)', () => {
  let az: AzureRunSetup;
  let originRun: string;

  before(async () => {
    az = await azureRunSetup('mf-spin');
    writeFlow(az.ws, 'azure_spin_flow.py', FLOW);
    const runner = await az.runner();
    const { result } = await finish(runner.run({ flowFile: az.ws.flow('azure_spin_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    originRun = result.runId!;
  });
  after(async () => {
    await az?.dispose();
  });

  async function originBlobs(): Promise<string[]> {
    return (await az.storage().listRecursive(`AzureSpinFlow/${originRun}`)).map((o) => `${o.key} ${o.size} ${o.lastModified}`).sort();
  }

  it('runs a foreach step again with its inputs read from Blob, leaving the origin run as it was', async () => {
    const before = await originBlobs();
    const runner = await az.runner();
    const { result, events } = await finish(runner.spin({ flowFile: az.ws.flow('azure_spin_flow.py'), step: 'each', originRunId: originRun }));
    assert.equal(result.status, 'succeeded', result.error);
    const started = events[0];
    assert.ok(started.event === 'run_started' && started.kind === 'spin' && started.origin_run_id === originRun);
    assert.equal(events.filter((e) => e.event === 'task_started').length, 2);
    assert.ok(events.some((e) => e.event === 'log' && e.line === `each got a ${256 * 4096}`));
    assert.deepEqual(await originBlobs(), before);

    // The spun run is read back by the Client from the spin datastore (a sysroot whose .metaflow is it).
    const shim = fs.mkdtempSync(path.join(az.ws.dir, 'shim-'));
    fs.symlinkSync(path.join(az.ws.dir, '.metaflow_spin'), path.join(shim, '.metaflow'));
    const read = JSON.parse(await execAzurePython(['-c', READ_SPIN, `AzureSpinFlow/${result.runId}`], { ...az.env(), METAFLOW_DATASTORE_SYSROOT_LOCAL: shim }, az.ws.dir)) as Record<string, unknown>;
    assert.deepEqual(read, { steps: ['each'], words: ['aa', 'bb'], sizes: [256 * 4096, 256 * 4096] });
  });

  it('picks the newest Azure run that reached the step when no origin is given', async () => {
    const runner = await az.runner();
    const { result, events } = await finish(runner.spin({ flowFile: az.ws.flow('azure_spin_flow.py'), step: 'join' }));
    assert.equal(result.status, 'succeeded', result.error);
    const started = events[0];
    assert.ok(started.event === 'run_started' && started.origin_run_id === originRun);
    assert.equal(events.filter((e) => e.event === 'task_started').length, 1);
  });
});
