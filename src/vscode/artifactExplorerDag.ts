// "Show this run in the DAG": the run's state read from the datastore, drawn by the DAG panel for the
// flow file that defines the flow (found by name through the workspace index). Runs in a remote
// datastore (Azure) are read through its storage client, never as a folder.
import * as vscode from 'vscode';
import { loadRunState, loadStoredRunState } from '../client/runStateLoader';
import type { StorageDatastoreClient } from '../client/storageClient';
import type { RunState } from '../runs/types';
import type { WorkspaceFlowIndex } from './workspaceIndex';

export interface RunDagTarget {
  index: Pick<WorkspaceFlowIndex, 'flows'>;
  panel: { showRun(file: string, state: RunState): Promise<void> };
  /** The storage client of a remote datastore root (an `azure://` explorer node); other roots are folders. */
  remote?: (root: string) => StorageDatastoreClient | undefined;
}

export async function showRunInDag(target: RunDagTarget, root: string, flow: string, runId: string): Promise<void> {
  const files = (await target.index.flows()).filter((f) => f.name === flow);
  if (files.length === 0) {
    void vscode.window.showErrorMessage(`No Python file in this workspace defines ${flow}, so its run ${runId} cannot be drawn; open the folder that holds the flow.`);
    return;
  }
  let state: RunState;
  try {
    const client = target.remote?.(root);
    if (!client && /^[a-z][a-z0-9+.-]*:\/\//i.test(root)) throw new Error('that datastore is not open in the Artifact Explorer; refresh it, then try again');
    state = client ? await loadStoredRunState(client, root, flow, runId) : loadRunState(root, flow, runId);
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot read run ${flow}/${runId} in ${root}: ${(err as Error).message}`);
    return;
  }
  await target.panel.showRun(files[0].uri.toString(), state);
}
