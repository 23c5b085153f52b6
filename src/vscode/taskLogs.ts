// `metaflow.showTaskLogs` ({ root, pathspec }): a task's logs as a read-only virtual document, so Find
// works on them; stdout and stderr lines are marked (`out` / `ERR`, `*` for the runtime's own lines).
// Tasks in a remote datastore (Azure) are read through its storage client.
import * as vscode from 'vscode';
import { storageTaskLogText } from '../client/storageTaskLogs';
import { taskLogText } from '../client/taskLogText';
import type { DatastoreStorage } from '../datastore/storage/types';

export const TASK_LOGS_SCHEME = 'metaflow-logs';
export const SHOW_TASK_LOGS_COMMAND = 'metaflow.showTaskLogs';
/** A remote datastore's root id (`azure://account/container/prefix`): never a folder to read. */
const REMOTE_ROOT = /^[a-z][a-z0-9+.-]*:\/\//i;

export class TaskLogsProvider implements vscode.TextDocumentContentProvider {
  /** `remote` gives the storage of a remote datastore root (an `azure://` node of the explorer); other roots are folders. */
  constructor(private readonly remote: (root: string) => DatastoreStorage | undefined = () => undefined) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const root = new URLSearchParams(uri.query).get('root') ?? '';
    const pathspec = uri.path.replace(/^\//, '').replace(/\.log$/, '');
    try {
      const storage = this.remote(root);
      if (storage) return await storageTaskLogText(storage, pathspec);
      if (REMOTE_ROOT.test(root)) throw new Error(`${root} is not open in the Artifact Explorer; refresh it (or check the Azure datastore settings), then show the logs again`);
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
