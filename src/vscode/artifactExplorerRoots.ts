// Which datastores the Artifact Explorer shows: for each workspace folder the root a run started there
// would use (METAFLOW_DATASTORE_SYSROOT_LOCAL from env or config, else the nearest `.metaflow` at or
// above the folder), every `.metaflow` inside the folder (flows in sub-directories keep their runs
// beside them), and the roots of runs started in this window.
import * as os from 'node:os';
import * as path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import * as vscode from 'vscode';
import { DATASTORE_DIR, findLocalRoot } from '../config/datastoreRoot';
import { MetaflowConfig } from '../config/metaflowConfig';
import { AzureBlobStorage } from '../datastore/azure/azureBlobStorage';
import { AZURE_EDITOR_SETTINGS, azureDatastoreConfig, datastoreKind } from '../datastore/azure/azureConfig';
import type { RemoteDatastore } from './artifactExplorer';

const MAX_NESTED = 50;

export async function discoverDatastoreRoots(extra: Iterable<string> = []): Promise<string[]> {
  const roots = new Set<string>();
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const dir = folder.uri.fsPath;
    try {
      const config = MetaflowConfig.load({ env: process.env, startDir: dir, homeDir: os.homedir() });
      const found = findLocalRoot(dir, config.getString('METAFLOW_DATASTORE_SYSROOT_LOCAL'));
      if (found) roots.add(path.resolve(found));
    } catch {
      // an unreadable config: the nested search below still finds the folder's datastores
    }
    const nested = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, `**/${DATASTORE_DIR}/*/latest_run`), '**/node_modules/**', MAX_NESTED);
    for (const uri of nested) roots.add(path.dirname(path.dirname(uri.fsPath)));
  }
  for (const r of extra) roots.add(path.resolve(r));
  return [...roots].sort();
}

/** The `metaflow.*` datastore settings as the Metaflow names they stand for (lowest precedence). */
export function editorDatastoreSettings(): Record<string, string> {
  const config = vscode.workspace.getConfiguration();
  const out: Record<string, string> = {};
  for (const [setting, name] of Object.entries(AZURE_EDITOR_SETTINGS)) {
    const value = config.get<string>(setting);
    if (typeof value === 'string' && value !== '') out[name] = value;
  }
  return out;
}

/**
 * The Azure datastore when runs of the first workspace folder use it (METAFLOW_DEFAULT_DATASTORE or
 * `metaflow.datastore` = azure); its settings are validated with Metaflow's rules and a bad one throws
 * a message naming it. Blob access goes through the signed-in credential.
 */
export function azureDatastoreSource(credential: () => TokenCredential): () => Promise<RemoteDatastore | undefined> {
  return async () => {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
    const dir = folder?.uri.fsPath ?? os.homedir();
    const config = MetaflowConfig.load({ env: process.env, startDir: dir, homeDir: os.homedir(), settings: editorDatastoreSettings() });
    if (datastoreKind(config) !== 'azure') return undefined;
    const azure = azureDatastoreConfig(config);
    const storage = AzureBlobStorage.fromConfig(azure, credential());
    await storage.checkAccess();
    const metadataRoot = findLocalRoot(dir, config.getString('METAFLOW_DATASTORE_SYSROOT_LOCAL'));
    return { id: `azure://${azure.account}/${azure.sysroot}`, storage, metadataRoot };
  };
}
