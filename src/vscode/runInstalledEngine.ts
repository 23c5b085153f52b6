// `metaflow.engine: installed`: the flow runs with the selected interpreter's own Metaflow, as a task in
// the integrated terminal (`python flow.py run ...`). A ProcessExecution passes an argv array, so no shell
// parses the user's parameter values; nothing of the embedded runtime is involved.
import * as path from 'node:path';
import * as vscode from 'vscode';

export const TASK_TYPE = 'metaflow';

export interface InstalledRun {
  python: string;
  flowFile: vscode.Uri;
  verb: 'run' | 'resume' | 'spin';
  step?: string;
  originRunId?: string;
  parameterArgs: string[];
  tags: string[];
  maxWorkers?: number;
}

export function installedArgv(run: InstalledRun): string[] {
  const argv = [run.flowFile.fsPath, run.verb];
  if (run.verb !== 'run' && run.step) argv.push(run.step);
  if (run.originRunId) argv.push('--origin-run-id', run.originRunId);
  if (run.verb === 'run') argv.push(...run.parameterArgs);
  for (const tag of run.tags) argv.push('--tag', tag);
  if (run.maxWorkers !== undefined) argv.push('--max-workers', String(run.maxWorkers));
  return argv;
}

export async function runWithInstalledMetaflow(run: InstalledRun): Promise<vscode.TaskExecution> {
  const folder = vscode.workspace.getWorkspaceFolder(run.flowFile) ?? vscode.TaskScope.Workspace;
  const argv = installedArgv(run);
  const task = new vscode.Task(
    { type: TASK_TYPE, flowFile: run.flowFile.fsPath, verb: run.verb },
    folder,
    `${run.verb} ${path.basename(run.flowFile.fsPath)}`,
    'Metaflow',
    new vscode.ProcessExecution(run.python, argv, { cwd: path.dirname(run.flowFile.fsPath) }),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  return vscode.tasks.executeTask(task);
}
