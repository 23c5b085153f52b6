// "Show this run in the DAG": the run's state read from the datastore, drawn by the DAG panel for the
// flow file that defines the flow (found by name through the workspace index).
import * as vscode from 'vscode';
import { loadRunState } from '../client/runStateLoader';
import type { RunState } from '../runs/types';
import type { WorkspaceFlowIndex } from './workspaceIndex';

export interface RunDagTarget {
  index: Pick<WorkspaceFlowIndex, 'flows'>;
  panel: { showRun(file: string, state: RunState): Promise<void> };
}

export async function showRunInDag(target: RunDagTarget, root: string, flow: string, runId: string): Promise<void> {
  const files = (await target.index.flows()).filter((f) => f.name === flow);
  if (files.length === 0) {
    void vscode.window.showErrorMessage(`No Python file in this workspace defines ${flow}, so its run ${runId} cannot be drawn; open the folder that holds the flow.`);
    return;
  }
  let state: RunState;
  try {
    state = loadRunState(root, flow, runId);
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot read run ${flow}/${runId} in ${root}: ${(err as Error).message}`);
    return;
  }
  await target.panel.showRun(files[0].uri.toString(), state);
}
