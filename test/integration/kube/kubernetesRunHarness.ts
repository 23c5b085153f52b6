// Shared setup of the Kubernetes run tests: Azurite over https with OAuth as the datastore, a stand-in Entra
// token endpoint, and the Kubernetes simulator whose pods sign in with workload identity (the simulator's
// webhook injects the federated token for the annotated service account) and run the real pod loader with
// /usr/bin/python3 and the Python Azure SDK. The launcher's local tasks sign in through the editor's token
// endpoint, as in the product. The runner reaches the cluster only through the simulator's kubeconfig.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskTokenEndpoint, type TokenGrant } from '../../../src/azure/tokenEndpoint';
import { AzureBlobStorage } from '../../../src/datastore/azure/azureBlobStorage';
import type { AzureDatastoreConfig } from '../../../src/datastore/azure/azureConfig';
import { KubeClient } from '../../../src/kube/kubeClient';
import type { RunEvent, TaskFinishedEvent } from '../../../src/runtime/events';
import { LocalRunner } from '../../../src/runtime/localRunner';
import { AZURE_PYTHON } from '../azure/azureRunHarness';
import { type Azurite, azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite } from '../../support/azurite';
import { type FakeEntra, startFakeEntra } from '../../support/fakeEntra';
import { type KubeSimulator, type KubeSimulatorOptions, startKubeSimulator, WI_CLIENT_ID_ANNOTATION } from '../../support/kubeSim';
import { analyzer, PYTHON_DIR, testEnv, type Workspace, workspace } from '../runtime/harness';

export const NAMESPACE = 'ml';
export const SERVICE_ACCOUNT = 'metaflow-runner';
export const FIXTURES = path.resolve(__dirname, '../../fixtures/flows/kubernetes');

/** The first task_finished event of `step`; fails when the step never finished. */
export function finishedOf(events: RunEvent[], step = 'start'): TaskFinishedEvent {
  const f = events.find((e): e is TaskFinishedEvent => e.event === 'task_finished' && e.step === step);
  assert.ok(f, `a task_finished of ${step}`);
  return f;
}

export interface KubeRunSetup {
  azurite: Azurite;
  entra: FakeEntra;
  sim: KubeSimulator;
  ws: Workspace;
  container: string;
  /** The environment of the launcher (and of its local tasks). */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  storage(): AzureBlobStorage;
  runner(env?: NodeJS.ProcessEnv): Promise<LocalRunner>;
  /** Copies a fixture flow into the workspace; returns its path. */
  flow(name: string): string;
  dispose(): Promise<void>;
}

export async function kubeRunSetup(container: string, simOptions: KubeSimulatorOptions = {}): Promise<KubeRunSetup> {
  const azurite = await startAzurite({ https: true, oauth: true });
  const cleanups: Array<() => Promise<void> | void> = [() => azurite.stop()];
  const dispose = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const entra = await startFakeEntra();
    cleanups.push(() => entra.stop());
    const ws = workspace();
    cleanups.push(() => ws.cleanup());
    // The image's trust store: the emulator's and the token endpoint's self-signed certificates.
    const bundle = path.join(ws.dir, '..', `${path.basename(ws.dir)}-ca.pem`);
    fs.writeFileSync(bundle, `${azurite.caCert ?? ''}\n${entra.caCert}`);
    cleanups.push(() => fs.rmSync(bundle, { force: true }));
    const sim = await startKubeSimulator({
      namespaces: ['default', NAMESPACE],
      serviceAccounts: [{ namespace: NAMESPACE, name: SERVICE_ACCOUNT, annotations: { [WI_CLIENT_ID_ANNOTATION]: entra.clientId } }],
      workloadIdentity: { tenantId: entra.tenantId, authorityHost: entra.authorityHost },
      extraPodEnv: { REQUESTS_CA_BUNDLE: bundle },
      ...simOptions,
    });
    cleanups.push(() => sim.stop());
    // Test setup only: the container is made with the emulator's shared key; product code uses tokens.
    await createAzuriteContainer(azurite, container);
    const endpoint = new TaskTokenEndpoint({ credential: () => azuriteTokenCredential() });
    cleanups.push(() => endpoint.dispose());
    const grant: TokenGrant = await endpoint.grant();
    const sysroot = `${container}/studio`;
    const config: AzureDatastoreConfig = {
      endpoint: azurite.endpoint,
      account: azurite.accountName,
      sysroot,
      root: { container, prefix: 'studio' },
      cardRoot: `${sysroot}/mf.cards`,
      datatoolsRoot: `${sysroot}/data`,
    };
    const env = (extra: NodeJS.ProcessEnv = {}) =>
      testEnv(ws, {
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: sysroot,
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: azurite.endpoint,
        METAFLOW_STUDIO_PYTHON: AZURE_PYTHON,
        METAFLOW_KUBERNETES_NAMESPACE: NAMESPACE,
        METAFLOW_KUBERNETES_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
        REQUESTS_CA_BUNDLE: bundle,
        ...grant.env,
        ...extra,
      });
    const storage = () => AzureBlobStorage.fromConfig(config, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) });
    const runner = async (runEnv = env()) =>
      new LocalRunner({
        analyzer: await analyzer(),
        env: runEnv,
        homeDir: ws.dir,
        embeddedPythonDir: PYTHON_DIR,
        azureStorage: (c: AzureDatastoreConfig) => AzureBlobStorage.fromConfig(c, azuriteTokenCredential(), { requestPolicies: azuriteRequestPolicies(azurite) }),
        kubeClient: (target) => KubeClient.load({ ...target, kubeconfigPath: target.kubeconfigPath ?? sim.kubeconfigPath }),
      });
    const flow = (name: string) => {
      const target = path.join(ws.dir, name);
      fs.copyFileSync(path.join(FIXTURES, name), target);
      return target;
    };
    return { azurite, entra, sim, ws, container, env, storage, runner, flow, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
