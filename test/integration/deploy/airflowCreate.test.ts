// `airflow create` end to end: the code package lands in the Azure datastore (Azurite over https with
// OAuth), the DAG file names it and loads against the Airflow stand-ins, the production token is kept and
// reused; refused flows print every problem from the command line and write nothing.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AzureBlobStorage } from '../../../src/datastore/azure/azureBlobStorage';
import type { AzureDatastoreConfig } from '../../../src/datastore/azure/azureConfig';
import { createAirflowDag } from '../../../src/deploy/airflow/airflowDeployment';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import { analyzeFile } from '../../../src/flow/analyzeFile';
import { type Azurite, azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite } from '../../support/azurite';
import { PYTHON_DIR, testEnv, type Workspace, workspace, writeFlow } from '../runtime/harness';
import { cli } from './cliProcess';
import { loadDag, writeStandIns } from '../../unit/deploy/airflow/airflowStandIns';


const FLOW = `from metaflow import FlowSpec, step, Parameter, retry


class NightlyFlow(FlowSpec):
    """Nightly training."""
    rate = Parameter('rate', default=0.1)

    @step
    def start(self):
        self.items = [1, 2, 3]
        self.next(self.work, foreach='items')

    @retry(times=1)
    @step
    def work(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == '__main__':
    NightlyFlow()
`;

const SWITCH = `from metaflow import FlowSpec, step, Parameter


class SwitchFlow(FlowSpec):
    size = Parameter('size')

    @step
    def start(self):
        self.k = 'a'
        self.next({'a': self.a, 'b': self.b}, condition='k')

    @step
    def a(self):
        self.next(self.end)

    @step
    def b(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;


describe('airflow create', () => {
  let azurite: Azurite;
  let ws: Workspace;
  const container = 'airflowdeploy';

  before(async () => {
    azurite = await startAzurite({ https: true, oauth: true });
    await createAzuriteContainer(azurite, container);
    ws = workspace();
  });
  after(async () => {
    await azurite?.stop();
    ws?.cleanup();
  });

  it('uploads the code package, writes a DAG that names it, and keeps the production token', async () => {
    // The DAG goes to its own folder (an Airflow dags folder), outside the package made of the flow's folder.
    fs.mkdirSync(path.join(ws.dir, 'flows'));
    fs.mkdirSync(path.join(ws.dir, 'dags'));
    const flowFile = writeFlow(ws, path.join('flows', 'nightly.py'), FLOW);
    const analyzer = await createFlowAnalyzer();
    const flow = analyzeFile(analyzer, flowFile).flows[0];
    analyzer.dispose();
    const storages: AzureDatastoreConfig[] = [];
    const request = {
      flowFile,
      flow,
      dagFile: path.join(ws.dir, 'dags', 'nightly_dag.py'),
      options: { tags: ['nightly'] },
      env: testEnv(ws, {
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: `${container}/studio`,
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
        METAFLOW_KUBERNETES_CONTAINER_IMAGE: 'myregistry.azurecr.io/flows:1',
        METAFLOW_HOME: path.join(ws.dir, 'mfhome'),
      }),
      homeDir: ws.dir,
      azureStorage: (config: AzureDatastoreConfig) => {
        storages.push(config);
        return AzureBlobStorage.fromConfig(config, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) });
      },
      embeddedPythonDir: PYTHON_DIR,
    };
    const first = await createAirflowDag(request);
    assert.ok(first.ok, JSON.stringify(first));
    assert.equal(first.dagId, 'NightlyFlow');
    assert.equal(first.tokenGenerated, true);
    assert.equal(first.packageUploaded, true);
    assert.match(first.namespace, /^production:nightlyflow-0-[a-z]{4}$/);
    assert.equal(storages[0].sysroot, `${container}/studio`);

    const record = loadDag(request.dagFile, writeStandIns());
    const env = Object.fromEntries((record.tasks.work.kwargs.env_vars ?? []).map((e) => [e.kwargs.name, e.kwargs.value]));
    assert.equal(record.tasks.work.kwargs.image, 'myregistry.azurecr.io/flows:1');
    assert.equal(env.METAFLOW_PRODUCTION_TOKEN, first.namespace.slice('production:'.length));
    assert.equal(env.METAFLOW_FLOW_FILENAME, 'nightly.py');
    // The package the pods download is in the datastore under the URL the DAG gives them.
    const url = String(env.METAFLOW_CODE_URL);
    assert.ok(url.startsWith(`${container}/studio/NightlyFlow/data/`), url);
    const storage = AzureBlobStorage.fromConfig(storages[0], azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) });
    assert.equal(await storage.exists(url.slice(`${container}/studio/`.length)), true);
    assert.ok(url.endsWith(String(env.METAFLOW_CODE_SHA)));

    const second = await createAirflowDag(request);
    assert.ok(second.ok);
    assert.equal(second.namespace, first.namespace, 'a redeploy keeps its token');
    assert.equal(second.packageUploaded, false, 'the same package is not uploaded twice');
    const third = await createAirflowDag({ ...request, generateNewToken: true });
    assert.ok(third.ok);
    assert.match(third.namespace, /^production:nightlyflow-1-[a-z]{4}$/);
  });

  it('prints every refusal with file, line and step, exits 1 and writes nothing', async () => {
    writeFlow(ws, 'switch.py', SWITCH);
    const r = await cli(ws, ['airflow', 'create', 'switch.py', 'switch_dag.py'], { METAFLOW_DEFAULT_DATASTORE: 'local' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /switch\.py:8: step start: Step \*start\* is a switch/);
    assert.match(r.stderr, /switch\.py:5: Parameter \*size\* has no default/);
    assert.match(r.stderr, /'local' datastore/);
    assert.match(r.stderr, /3 problems; nothing was written/);
    assert.equal(fs.existsSync(path.join(ws.dir, 'switch_dag.py')), false);
  });

  it('refuses a missing DAG file argument with the usage', async () => {
    writeFlow(ws, 'nightly.py', FLOW);
    const r = await cli(ws, ['airflow', 'create', 'nightly.py'], {});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing DAG_FILE\.py argument/);
    assert.match(r.stderr, /Usage: metaflow-studio airflow create FLOW\.py DAG_FILE\.py/);
  });
});
