// The editor settings a run, a deploy to the cluster or a cluster command sees, as the Metaflow names they
// stand for (below the environment and config files): the datastore's and the Kubernetes ones.
import * as vscode from 'vscode';
import { editorDatastoreSettings } from './artifactExplorerRoots';
import { kubernetesEditorSettings } from './kubernetesSettings';

/** `scope`: the file whose folder's settings apply (the window's when absent). */
export function editorRunSettings(scope?: vscode.Uri): Record<string, string> {
  const read = vscode.workspace.getConfiguration(undefined, scope);
  return { ...editorDatastoreSettings(), ...kubernetesEditorSettings((s) => read.get(s)) };
}
