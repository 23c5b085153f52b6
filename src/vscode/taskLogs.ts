// `metaflow.showTaskLogs` ({ root, pathspec }): a task's logs as a read-only virtual document, so Find
// works on them; stdout and stderr lines are marked (`out` / `ERR`, `*` for the runtime's own lines).
import * as vscode from 'vscode';
import { taskLogText } from '../client/taskLogText';

export const TASK_LOGS_SCHEME = 'metaflow-logs';
export const SHOW_TASK_LOGS_COMMAND = 'metaflow.showTaskLogs';

export class TaskLogsProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    const root = new URLSearchParams(uri.query).get('root') ?? '';
    const pathspec = uri.path.replace(/^\//, '').replace(/\.log$/, '');
    try {
      return taskLogText(root, pathspec);
    } catch (err) {
      return `Cannot show the logs of ${pathspec}: ${(err as Error).message}`;
    }
  }

  static uri(root: string, pathspec: string): vscode.Uri {
    // The time makes each request a new document, so logs of a task that is still running are re-read.
    return vscode.Uri.from({ scheme: TASK_LOGS_SCHEME, path: `/${pathspec}.log`, query: new URLSearchParams({ root, t: String(Date.now()) }).toString() });
  }
}

export async function showTaskLogs(args: unknown): Promise<vscode.TextEditor | undefined> {
  const a = args as { root?: unknown; pathspec?: unknown } | undefined;
  if (!a || typeof a.root !== 'string' || typeof a.pathspec !== 'string') {
    void vscode.window.showErrorMessage(`${SHOW_TASK_LOGS_COMMAND} needs { root: string, pathspec: string } (a datastore root and a Flow/run/step/task pathspec).`);
    return undefined;
  }
  const doc = await vscode.workspace.openTextDocument(TaskLogsProvider.uri(a.root, a.pathspec));
  return vscode.window.showTextDocument(doc, { preview: true });
}
