// Shared setup of the cluster suites in the real extension host: Azurite over https with OAuth as the Azure
// datastore (serving the certificate the host trusts from its start, see test/support/codeServer.ts), a
// stand-in Entra token endpoint for the pods' workload identity, and the Kubernetes API simulator whose pods
// run the real pod loader with /usr/bin/python3 and the Python Azure SDK. The extension reaches all of it
// only as a user's would: the metaflow.* settings (datastore, kubeconfig, namespace, service account) and
// a signed-in Microsoft account, here a stand-in provider whose tokens Azurite accepts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Azurite, azuriteAccessToken, createAzuriteContainer, startAzurite } from '../support/azurite';
import { TEST_TLS_CERT_ENV, TEST_TLS_KEY_ENV } from '../support/codeServer';
import { type FakeEntra, startFakeEntra } from '../support/fakeEntra';
import { type KubeSimulator, startKubeSimulator, WI_CLIENT_ID_ANNOTATION } from '../support/kubeSim';
import { api, EXTENSION_ID, waitFor } from './helpers';

export const NAMESPACE = 'ml';
export const SERVICE_ACCOUNT = 'metaflow-runner';
/** The interpreter with the Python Azure SDK (Debian's); pods find it first on the image's PATH. */
export const AZURE_PYTHON = '/usr/bin/python3';
const STORAGE_SCOPE = 'https://storage.azure.com/.default';
const TENANT = '33333333-3333-3333-3333-333333333333';

export interface ClusterServices {
  azurite: Azurite;
  entra: FakeEntra;
  sim: KubeSimulator;
  container: string;
  /** `<container>/studio`, the datastore root the settings name. */
  sysroot: string;
  /** A scratch folder outside the workspace for the suite's flow files. */
  dir: string;
  /** Writes a flow file into `dir`; returns its URI. */
  writeFlow(name: string, source: string): vscode.Uri;
  stop(): Promise<void>;
}

/** The settings the suites set (workspace level), all cleared by `clearSettings`. */
const SETTINGS = [
  'metaflow.datastore',
  'metaflow.azure.datastoreSysroot',
  'metaflow.azure.blobServiceEndpoint',
  'metaflow.kubernetes.kubeconfig',
  'metaflow.kubernetes.namespace',
  'metaflow.kubernetes.serviceAccount',
  'metaflow.kubernetes.image',
  'metaflow.run.promptForParameters',
  'metaflow.pythonPath',
];

export async function startClusterServices(container: string): Promise<ClusterServices> {
  const cert = process.env[TEST_TLS_CERT_ENV];
  const key = process.env[TEST_TLS_KEY_ENV];
  if (!cert || !key) throw new Error(`${TEST_TLS_CERT_ENV} / ${TEST_TLS_KEY_ENV} are not set: start code-server with tlsCertificate (scripts/run-vscode-tests.mjs does) so the extension host trusts Azurite's certificate`);
  // The simulator's kubelet runs each container through a launcher script beside its module; the suites are
  // bundled into one file each, so the script is put beside the bundle.
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  fs.copyFileSync(path.join(root, 'test', 'support', 'kubeSim', 'containerLauncher.py'), path.join(__dirname, 'containerLauncher.py'));
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `metaflow-studio-${container}-`));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const azurite = await startAzurite({ https: true, oauth: true, certificate: { cert, key } });
    cleanups.push(() => azurite.stop());
    const entra = await startFakeEntra();
    cleanups.push(() => entra.stop());
    // The image's trust store: the emulator's and the token endpoint's certificates.
    const bundle = path.join(dir, 'ca-bundle.pem');
    fs.writeFileSync(bundle, `${azurite.caCert ?? ''}\n${entra.caCert}`);
    // Tasks run on this machine (the parameters task) are Python processes of the extension host: its trust store too.
    const savedBundle = process.env.REQUESTS_CA_BUNDLE;
    process.env.REQUESTS_CA_BUNDLE = bundle;
    cleanups.push(() => {
      if (savedBundle === undefined) delete process.env.REQUESTS_CA_BUNDLE;
      else process.env.REQUESTS_CA_BUNDLE = savedBundle;
    });
    const sim = await startKubeSimulator({
      namespaces: ['default', NAMESPACE],
      serviceAccounts: [{ namespace: NAMESPACE, name: SERVICE_ACCOUNT, annotations: { [WI_CLIENT_ID_ANNOTATION]: entra.clientId } }],
      workloadIdentity: { tenantId: entra.tenantId, authorityHost: entra.authorityHost },
      extraPodEnv: { REQUESTS_CA_BUNDLE: bundle },
    });
    cleanups.push(() => sim.stop());
    // Test setup only: the container is made with the emulator's shared key; the extension signs in with tokens.
    await createAzuriteContainer(azurite, container);
    const flows = path.join(dir, 'flows');
    fs.mkdirSync(flows);
    const writeFlow = (name: string, source: string) => {
      const file = path.join(flows, name);
      fs.writeFileSync(file, source);
      return vscode.Uri.file(file);
    };
    return { azurite, entra, sim, container, sysroot: `${container}/studio`, dir, writeFlow, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Points the editor at the services: the Azure datastore on Azurite and the simulator's kubeconfig. */
export async function applyClusterSettings(services: ClusterServices, extra: Record<string, unknown> = {}): Promise<void> {
  const values: Record<string, unknown> = {
    'metaflow.datastore': 'azure',
    'metaflow.azure.datastoreSysroot': services.sysroot,
    'metaflow.azure.blobServiceEndpoint': services.azurite.endpoint,
    'metaflow.kubernetes.kubeconfig': services.sim.kubeconfigPath,
    'metaflow.kubernetes.namespace': NAMESPACE,
    'metaflow.kubernetes.serviceAccount': SERVICE_ACCOUNT,
    'metaflow.run.promptForParameters': false,
    'metaflow.pythonPath': AZURE_PYTHON,
    ...extra,
  };
  for (const [name, value] of Object.entries(values)) await vscode.workspace.getConfiguration().update(name, value, vscode.ConfigurationTarget.Workspace);
}

export async function clearClusterSettings(): Promise<void> {
  for (const name of SETTINGS) await vscode.workspace.getConfiguration().update(name, undefined, vscode.ConfigurationTarget.Workspace);
}

/**
 * VS Code's Microsoft provider as it is offline with nobody signed in: no sessions. Registered while a suite
 * runs so that the extension's silent session requests do not start VS Code's own Microsoft sign-in extension,
 * which, once started, keeps the provider id for the rest of the window (a later suite registers its own).
 */
class SignedOutMicrosoftProvider implements vscode.AuthenticationProvider {
  private readonly changed = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changed.event;
  /** How many times the extension asked for a session. */
  asked = 0;

  async getSessions(): Promise<vscode.AuthenticationSession[]> {
    this.asked++;
    return [];
  }

  async createSession(): Promise<vscode.AuthenticationSession> {
    throw new Error('no Microsoft sign-in in this test window');
  }

  async removeSession(): Promise<void> {}

  dispose(): void {
    this.changed.dispose();
  }
}

/**
 * Signs the extension in to Azurite as a user who ran `az login`: the editor holds no Microsoft account, so the
 * extension's credential chain falls through to the Azure CLI, here a stand-in `az` first on the extension host's
 * PATH answering `az account get-access-token` with a token Azurite's OAuth mode accepts. AZURE_TOKEN_CREDENTIALS
 * keeps DefaultAzureCredential to that one source (no managed identity probe); changing metaflow.azure.tenant
 * makes the extension build its chain again with that environment. The returned function undoes it all.
 */
export async function signInWithAzureCli(dir: string): Promise<() => Promise<void>> {
  const azure = (await api()).azure;
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const expiresOn = Math.floor(Date.now() / 1000) + 3600;
  const answer = {
    accessToken: azuriteAccessToken({ tenantId: TENANT }),
    expiresOn: new Date(expiresOn * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '.000000'),
    expires_on: expiresOn,
    subscription: '22222222-2222-2222-2222-222222222222',
    tenant: TENANT,
    tokenType: 'Bearer',
  };
  fs.writeFileSync(path.join(bin, 'az'), `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(answer)}\nEOF\n`, { mode: 0o755 });
  const saved = { PATH: process.env.PATH, AZURE_TOKEN_CREDENTIALS: process.env.AZURE_TOKEN_CREDENTIALS };
  let placeholder: vscode.Disposable | undefined;
  const provider = new SignedOutMicrosoftProvider();
  try {
    placeholder = vscode.authentication.registerAuthenticationProvider('microsoft', 'Microsoft (signed out)', provider);
  } catch {
    // VS Code's own provider already started in this window: it has no account offline either.
  }
  process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
  process.env.AZURE_TOKEN_CREDENTIALS = 'AzureCliCredential';
  const tenant = () => vscode.workspace.getConfiguration('metaflow.azure');
  await tenant().update('tenant', TENANT, vscode.ConfigurationTarget.Workspace);
  const undo = async () => {
    const asked = provider.asked;
    await tenant().update('tenant', undefined, vscode.ConfigurationTarget.Workspace);
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    // The chain built for the cleared tenant asks the editor's provider once more: that request must reach the
    // placeholder, not start VS Code's own provider once the placeholder is gone.
    if (placeholder) await waitFor('the extension to ask for a session again', () => provider.asked > asked, 10_000);
    assert(azure.account === undefined, 'no account is left signed in');
    placeholder?.dispose();
    provider.dispose();
  };
  try {
    await waitFor('a token from the Azure CLI', async () => (await azure.getToken([STORAGE_SCOPE])).token === answer.accessToken, 20_000);
    return undo;
  } catch (err) {
    await undo().catch(() => undefined);
    throw err;
  }
}

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}
