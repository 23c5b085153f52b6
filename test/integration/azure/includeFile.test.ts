// IncludeFile in runs on the Azure datastore (Azurite over https with OAuth): the file goes gzip'd to
// METAFLOW_DATATOOLS_AZUREROOT (default `<sysroot>/data`) as Metaflow's Azure uploader stores it (its
// client is rooted at the container, so the blob is named by the whole `<container>/<path>` key), the
// artifact's url is `azure://<root>/<Flow>/<sha1>`, and steps and the Client read the content back.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { finish, writeFlow } from '../runtime/harness';
import { type AzureRunSetup, azureRunSetup, execAzurePython } from './azureRunHarness';

const CONTAINER = 'mf-include';
const CONTENT = 'id,name\n1,ada\n2,grace\n';

const FLOW = `from metaflow import FlowSpec, IncludeFile, step


class AzureIncludeFlow(FlowSpec):
    table = IncludeFile("table", default="table.csv")

    @step
    def start(self):
        self.rows = self.table.strip().split("\\n")
        print("rows", len(self.rows))
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AzureIncludeFlow()
`;

const READ_BACK = String.raw`
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(sys.argv[1])
print(json.dumps({"rows": run["start"].task.data.rows, "decoded": run["_parameters"].task.data.table}))
`;

describe('IncludeFile in runs on the Azure datastore (Azurite, https, OAuth)', () => {
  let az: AzureRunSetup;
  const sha = crypto.createHash('sha1').update(CONTENT).digest('hex');

  before(async () => {
    az = await azureRunSetup(CONTAINER);
    writeFlow(az.ws, 'azure_include_flow.py', FLOW);
    fs.writeFileSync(path.join(az.ws.dir, 'table.csv'), CONTENT);
  });
  after(async () => {
    await az?.dispose();
  });

  async function run(env: NodeJS.ProcessEnv): Promise<string> {
    const runner = await az.runner(env);
    const { result } = await finish(runner.run({ flowFile: az.ws.flow('azure_include_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    return result.runId!;
  }

  it('uploads the file under <sysroot>/data as Metaflow does and reads it back in steps and the Client', async () => {
    const env = az.env();
    const runId = await run(env);
    // The container-rooted store: the blob's name starts with the container, as Metaflow's uploader names it.
    const container = az.storage(CONTAINER);
    const key = `${CONTAINER}/studio/data/AzureIncludeFlow/${sha}`;
    assert.equal(zlib.gunzipSync(await container.read(key)).toString('utf8'), CONTENT);
    assert.equal(fs.existsSync(path.join(az.ws.root, 'data')), false, 'nothing is uploaded locally');

    const read = JSON.parse(await execAzurePython(['-c', READ_BACK, `AzureIncludeFlow/${runId}`], { ...env, METAFLOW_DATASTORE_SYSROOT_LOCAL: az.ws.dir }, az.ws.dir)) as { rows: string[]; decoded: string };
    assert.deepEqual(read.rows, ['id,name', '1,ada', '2,grace']);

    // The Client decodes the IncludedFile artifact from its azure:// url, as Metaflow's does.
    assert.equal(read.decoded, CONTENT);
  });

  it('uses METAFLOW_DATATOOLS_AZUREROOT when it is set', async () => {
    await run(az.env({ METAFLOW_DATATOOLS_AZUREROOT: `${CONTAINER}/tools` }));
    assert.ok(await az.storage(CONTAINER).exists(`${CONTAINER}/tools/AzureIncludeFlow/${sha}`));
  });

  it('refuses an invalid METAFLOW_DATATOOLS_AZUREROOT before anything runs, naming it and the rule', async () => {
    const runner = await az.runner(az.env({ METAFLOW_DATATOOLS_AZUREROOT: `${CONTAINER}//tools` }));
    assert.throws(() => runner.run({ flowFile: az.ws.flow('azure_include_flow.py'), parameterArgs: [] }), /METAFLOW_DATATOOLS_AZUREROOT.*"mf-include\/\/tools".*contains "\/\/"/);
  });
});
