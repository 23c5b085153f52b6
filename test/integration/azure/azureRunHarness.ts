// Shared setup of the Azure run tests: Azurite over https with OAuth, one container, the editor's token
// endpoint granting the tasks their tokens, and a LocalRunner whose scheduler writes through
// @azure/storage-blob with bearer tokens, as in the product. Tasks run with Debian's python3 (Azure SDK).
import { execFile } from 'node:child_process';
import { TaskTokenEndpoint, type TokenGrant } from '../../../src/azure/tokenEndpoint';
import { AzureBlobStorage } from '../../../src/datastore/azure/azureBlobStorage';
import type { AzureDatastoreConfig } from '../../../src/datastore/azure/azureConfig';
import { LocalRunner } from '../../../src/runtime/localRunner';
import { type Azurite, azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite } from '../../support/azurite';
import { analyzer, PYTHON_DIR, testEnv, type Workspace, workspace } from '../runtime/harness';

export const AZURE_PYTHON = '/usr/bin/python3';

/** Runs AZURE_PYTHON with the embedded package on its path (a read-back script); resolves its stdout. */
export function execAzurePython(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(AZURE_PYTHON, args, { env: { ...env, PYTHONPATH: PYTHON_DIR }, cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

export interface AzureRunSetup {
  azurite: Azurite;
  ws: Workspace;
  container: string;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** The blob storage of the sysroot (or another root of the same container), as the scheduler opens it. */
  storage(root?: string): AzureBlobStorage;
  runner(env?: NodeJS.ProcessEnv): Promise<LocalRunner>;
  dispose(): Promise<void>;
}

export async function azureRunSetup(container: string): Promise<AzureRunSetup> {
  const azurite = await startAzurite({ https: true, oauth: true });
  const ws = workspace();
  let endpoint: TaskTokenEndpoint | undefined;
  try {
    // Test setup only: the container is made with the emulator's shared key; product code uses tokens.
    await createAzuriteContainer(azurite, container);
    endpoint = new TaskTokenEndpoint({ credential: () => azuriteTokenCredential() });
    const grant: TokenGrant = await endpoint.grant();
    const env = (extra: NodeJS.ProcessEnv = {}) =>
      testEnv(ws, {
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: `${container}/studio`,
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
        METAFLOW_STUDIO_PYTHON: AZURE_PYTHON,
        // The tasks' Python trusts the emulator's self-signed certificate.
        REQUESTS_CA_BUNDLE: azurite.caCertPath,
        ...grant.env,
        ...extra,
      });
    const storage = (root = `${container}/studio`) => {
      const [c, ...prefix] = root.split('/');
      const config: AzureDatastoreConfig = {
        endpoint: azurite.endpoint,
        account: azurite.accountName,
        sysroot: root,
        root: prefix.length ? { container: c, prefix: prefix.join('/') } : { container: c },
        cardRoot: `${root}/mf.cards`,
        datatoolsRoot: `${root}/data`,
      };
      return AzureBlobStorage.fromConfig(config, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) });
    };
    const runner = async (runEnv = env()) =>
      new LocalRunner({
        analyzer: await analyzer(),
        env: runEnv,
        homeDir: ws.dir,
        embeddedPythonDir: PYTHON_DIR,
        azureStorage: (config: AzureDatastoreConfig) => AzureBlobStorage.fromConfig(config, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) }),
      });
    const opened = endpoint;
    return {
      azurite,
      ws,
      container,
      env,
      storage,
      runner,
      dispose: async () => {
        await opened.dispose();
        await azurite.stop();
        ws.cleanup();
      },
    };
  } catch (err) {
    await endpoint?.dispose();
    await azurite.stop();
    ws.cleanup();
    throw err;
  }
}
