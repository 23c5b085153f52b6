// "Compare runs": two runs of one flow side by side in a read-only Markdown document (parameters,
// artifacts whose values changed per step, step durations). Artifacts are compared by content hash;
// parameter values are decoded by the embedded package only in a trusted workspace.
import * as vscode from 'vscode';
import type { PythonProcess } from '../client/artifactPreview';
import { artifactValues } from '../client/artifactPreview';
import type { DatastoreClient } from '../client/datastoreClient';
import { compareRuns, renderComparison } from '../client/runComparison';

export const COMPARE_SCHEME = 'metaflow-compare';

export interface RunCompareDeps {
  python: (root: string) => Promise<PythonProcess>;
  isTrusted: () => boolean;
}

export class RunCompareDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();

  constructor(private readonly deps: RunCompareDeps) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? 'This comparison is no longer available; compare the runs again from the Artifact Explorer.';
  }

  async build(client: DatastoreClient, flow: string, runA: string, runB: string): Promise<string> {
    const comparison = compareRuns(client, flow, runA, runB);
    const values: Record<string, string> = {};
    let note: string | undefined;
    if (comparison.parameters.length && this.deps.isTrusted()) {
      try {
        const proc = await this.deps.python(client.root);
        const shas: Record<string, string> = {};
        for (const p of comparison.parameters) {
          if (p.a) shas[`a:${p.name}`] = p.a;
          if (p.b) shas[`b:${p.name}`] = p.b;
        }
        Object.assign(values, await artifactValues(proc, client.root, flow, shas));
      } catch (err) {
        note = `Parameter values could not be decoded (${(err as Error).message}); their content hashes are shown.`;
      }
    } else if (comparison.parameters.length) {
      note = 'Parameter values are decoded with Python only in a trusted workspace; their content hashes are shown.';
    }
    return renderComparison(comparison, values, note);
  }

  async open(client: DatastoreClient, flow: string, runA: string, runB: string): Promise<vscode.TextDocument> {
    const text = await this.build(client, flow, runA, runB);
    const uri = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/${flow} ${runA} vs ${runB}.md` });
    this.texts.set(uri.toString(), text);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }
}
