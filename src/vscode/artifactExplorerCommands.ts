// The Artifact Explorer's commands: preview, load more, refresh, task logs, copy pathspec / Client API
// snippet, resume from / re-run a step (owned by the run commands, which find the flow file by name),
// show a run in the DAG panel, delete a run, compare two runs; switch between the local and the Azure
// datastore. Artifacts in Azure are copied (size-capped) into a temporary local store to be previewed.
import * as vscode from 'vscode';
import { DEFAULT_LIMITS } from '../client/artifactPreview';
import { stageArtifacts } from '../client/artifactStaging';
import { artifactSnippet, runSnippet, stepSnippet, taskSnippet } from '../client/clientSnippet';
import { deleteRun } from '../client/runDeletion';
import type { ArtifactExplorer } from './artifactExplorer';
import { type ExplorerNode, LOAD_MORE_COMMAND, PREVIEW_COMMAND } from './artifactExplorerNodes';
import type { ArtifactPreviews } from './artifactPreview';
import type { RunCompareDocuments } from './runCompare';
import { SHOW_TASK_LOGS_COMMAND, showTaskLogs } from './taskLogs';

export const EXPLORER_COMMANDS = {
  refresh: 'metaflow.artifactExplorer.refresh',
  copyPathspec: 'metaflow.artifactExplorer.copyPathspec',
  copySnippet: 'metaflow.artifactExplorer.copyClientSnippet',
  resumeFromStep: 'metaflow.artifactExplorer.resumeFromStep',
  runStep: 'metaflow.artifactExplorer.runStep',
  showRunInDag: 'metaflow.artifactExplorer.showRunInDag',
  deleteRun: 'metaflow.artifactExplorer.deleteRun',
  compareRuns: 'metaflow.artifactExplorer.compareRuns',
  showLogs: 'metaflow.artifactExplorer.showTaskLogs',
  switchDatastore: 'metaflow.artifactExplorer.switchDatastore',
} as const;

/** The setting the datastore picker writes (METAFLOW_DEFAULT_DATASTORE below env and config files). */
export const DATASTORE_SETTING = 'metaflow.datastore';

export interface ExplorerCommandDeps {
  explorer: ArtifactExplorer;
  previews: ArtifactPreviews;
  compare: RunCompareDocuments;
  /** Draws a past run in the DAG panel (finds the flow file by flow name). */
  showRunInDag: (root: string, flow: string, runId: string) => Promise<void>;
}

function pathspecOf(node: ExplorerNode): string | undefined {
  switch (node.kind) {
    case 'run':
      return node.run.pathspec;
    case 'step':
      return node.step.pathspec;
    case 'task':
      return node.task.pathspec;
    case 'artifact':
      return node.artifact.pathspec;
    default:
      return undefined;
  }
}

function snippetOf(node: ExplorerNode): string | undefined {
  switch (node.kind) {
    case 'run':
      return runSnippet(node.run.pathspec);
    case 'step':
      return stepSnippet(node.step.pathspec);
    case 'task':
      return taskSnippet(node.task.pathspec);
    case 'artifact':
      return artifactSnippet(node.artifact.taskPathspec, node.artifact.name);
    default:
      return undefined;
  }
}

/** Flow, step and run of a step or task node. */
function stepTarget(node: ExplorerNode): { flow: string; step: string; runId: string } | undefined {
  if (node.kind === 'step') return { flow: node.step.flow, step: node.step.name, runId: node.step.runId };
  if (node.kind === 'task') return { flow: node.task.flow, step: node.task.step, runId: node.task.runId };
  return undefined;
}

function isNode(v: unknown): v is ExplorerNode {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}

export class ArtifactExplorerCommands {
  constructor(private readonly deps: ExplorerCommandDeps) {}

  register(): vscode.Disposable[] {
    const { explorer } = this.deps;
    const on = (id: string, fn: (node: ExplorerNode, selection?: ExplorerNode[]) => unknown) =>
      vscode.commands.registerCommand(id, (node?: unknown, selection?: unknown) => {
        if (!isNode(node)) {
          void vscode.window.showInformationMessage('Pick an item in the Metaflow Artifact Explorer first.');
          return undefined;
        }
        return fn(node, Array.isArray(selection) ? selection.filter(isNode) : undefined);
      });
    return [
      vscode.commands.registerCommand(EXPLORER_COMMANDS.refresh, () => explorer.refresh()),
      vscode.commands.registerCommand(SHOW_TASK_LOGS_COMMAND, (args?: unknown) => showTaskLogs(args)),
      on(LOAD_MORE_COMMAND, (node) => explorer.loadMore(node)),
      on(PREVIEW_COMMAND, (node) => (node.kind === 'artifact' ? this.preview(node) : undefined)),
      vscode.commands.registerCommand(EXPLORER_COMMANDS.switchDatastore, () => this.switchDatastore()),
      on(EXPLORER_COMMANDS.showLogs, (node) => (node.kind === 'task' ? showTaskLogs({ root: node.root, pathspec: node.task.pathspec }) : undefined)),
      on(EXPLORER_COMMANDS.copyPathspec, async (node) => {
        const p = pathspecOf(node);
        if (p) await vscode.env.clipboard.writeText(p);
      }),
      on(EXPLORER_COMMANDS.copySnippet, async (node) => {
        const s = snippetOf(node);
        if (s) await vscode.env.clipboard.writeText(s);
      }),
      on(EXPLORER_COMMANDS.resumeFromStep, (node) => {
        const t = stepTarget(node);
        return t && vscode.commands.executeCommand('metaflow.resumeFromStep', undefined, t.flow, t.step, t.runId);
      }),
      on(EXPLORER_COMMANDS.runStep, (node) => {
        const t = stepTarget(node);
        return t && vscode.commands.executeCommand('metaflow.runStep', undefined, t.flow, t.step, t.runId);
      }),
      on(EXPLORER_COMMANDS.showRunInDag, (node) => (node.kind === 'run' ? this.deps.showRunInDag(node.root, node.run.flow, node.run.runId) : undefined)),
      on(EXPLORER_COMMANDS.deleteRun, (node) => this.deleteRun(node)),
      on(EXPLORER_COMMANDS.compareRuns, (node, selection) => this.compare(node, selection)),
    ];
  }

  private async preview(node: Extract<ExplorerNode, { kind: 'artifact' }>): Promise<unknown> {
    const storage = this.deps.explorer.remoteStorage(node.root);
    if (!storage) return this.deps.previews.open(node.root, node.artifact, node.flow);
    let staged;
    try {
      staged = await stageArtifacts(storage, node.flow, [node.artifact.sha], DEFAULT_LIMITS.maxBytes);
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot preview ${node.artifact.pathspec}: ${(err as Error).message}`);
      return undefined;
    }
    try {
      return await this.deps.previews.open(staged.root, node.artifact, node.flow);
    } finally {
      staged.dispose();
    }
  }

  private async switchDatastore(): Promise<void> {
    const config = vscode.workspace.getConfiguration();
    const current = config.get<string>(DATASTORE_SETTING) ?? 'local';
    const sysroot = config.get<string>('metaflow.azure.datastoreSysroot') || process.env.METAFLOW_DATASTORE_SYSROOT_AZURE;
    const items: Array<vscode.QuickPickItem & { value: string }> = [
      { label: 'Local', description: '.metaflow folders of the workspace', value: 'local' },
      { label: 'Azure Blob', description: sysroot ? sysroot : 'set metaflow.azure.datastoreSysroot and metaflow.azure.blobServiceEndpoint', value: 'azure' },
    ].map((i) => ({ ...i, picked: i.value === current, detail: i.value === current ? 'current' : undefined }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Datastore for runs and the Artifact Explorer' });
    if (!picked || picked.value === current) return;
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await config.update(DATASTORE_SETTING, picked.value, target);
    if (process.env.METAFLOW_DEFAULT_DATASTORE && process.env.METAFLOW_DEFAULT_DATASTORE !== picked.value) {
      void vscode.window.showWarningMessage(`METAFLOW_DEFAULT_DATASTORE=${process.env.METAFLOW_DEFAULT_DATASTORE} in the environment overrides ${DATASTORE_SETTING}.`);
    }
    this.deps.explorer.refresh();
  }

  private async deleteRun(node: ExplorerNode): Promise<void> {
    if (node.kind !== 'run') return;
    if (this.deps.explorer.isRemote(node.root)) {
      void vscode.window.showErrorMessage(`${node.run.pathspec} is in ${node.root}: runs are deleted from local datastores only.`);
      return;
    }
    const { flow, runId, pathspec } = node.run;
    const client = this.deps.explorer.client(node.root);
    const answer = await vscode.window.showWarningMessage(
      `Delete run ${pathspec}?`,
      { modal: true, detail: `Its steps, tasks, logs and metadata are removed from ${node.root}. Artifact values shared with other runs stay.` },
      'Delete Run',
    );
    if (answer !== 'Delete Run') return;
    try {
      deleteRun(client, flow, runId);
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot delete ${pathspec}: ${(err as Error).message}`);
      return;
    }
    await this.deps.explorer.refreshRun(node.root, flow, runId);
  }

  private async compare(node: ExplorerNode, selection?: ExplorerNode[]): Promise<void> {
    if (node.kind !== 'run') return;
    const runs = (selection ?? []).filter((n): n is Extract<ExplorerNode, { kind: 'run' }> => n.kind === 'run');
    const other = runs.find((r) => r !== node);
    if (this.deps.explorer.isRemote(node.root)) {
      void vscode.window.showErrorMessage(`${node.run.pathspec} is in ${node.root}: runs are compared in local datastores only.`);
      return;
    }
    const client = this.deps.explorer.client(node.root);
    if (runs.length > 2) {
      void vscode.window.showErrorMessage('Select exactly two runs to compare.');
      return;
    }
    if (other && (other.run.flow !== node.run.flow || other.root !== node.root)) {
      void vscode.window.showErrorMessage(`Runs of one flow in one datastore can be compared; ${other.run.pathspec} and ${node.run.pathspec} are not.`);
      return;
    }
    let otherId = other?.run.runId;
    if (!otherId) {
      const ids = client.runIds(node.run.flow).filter((id) => id !== node.run.runId);
      if (ids.length === 0) {
        void vscode.window.showInformationMessage(`${node.run.flow} has no other run to compare ${node.run.runId} with.`);
        return;
      }
      otherId = await vscode.window.showQuickPick(ids, { placeHolder: `Compare ${node.run.pathspec} with…` });
      if (!otherId) return;
    }
    const [a, b] = [node.run.runId, otherId].sort();
    await this.deps.compare.open(client, node.run.flow, a, b);
  }
}
