// Which datastores the Artifact Explorer shows: for each workspace folder the root a run started there
// would use (METAFLOW_DATASTORE_SYSROOT_LOCAL from env or config, else the nearest `.metaflow` at or
// above the folder), every `.metaflow` inside the folder (flows in sub-directories keep their runs
// beside them), and the roots of runs started in this window.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DATASTORE_DIR, findLocalRoot } from '../config/datastoreRoot';
import { MetaflowConfig } from '../config/metaflowConfig';

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
