// Artifact previews. Text-like values (scalars, strings, lists/dicts as JSON, bytes as a hex head, a
// DataFrame's first rows as an aligned table, other reprs) open as read-only virtual documents: Find,
// copy, folding and JSON colouring come with the editor, and nothing is scripted. Images need pixels,
// so they open in a small webview without scripts whose CSP allows only the inline image and its nonce'd
// style. Values are decoded in a short-lived Python process; never in an untrusted workspace, since
// unpickling can run code.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { DEFAULT_LIMITS, type Preview, previewArtifact, type PythonProcess } from '../client/artifactPreview';
import { artifactSnippet } from '../client/clientSnippet';
import { formatBytes } from '../client/formatting';
import type { ArtifactSummary } from '../client/types';

export const PREVIEW_SCHEME = 'metaflow-artifact';
export const COPY_SNIPPET = 'Copy Client API snippet';

export interface ArtifactPreviewDeps {
  python: (root: string) => Promise<PythonProcess>;
  isTrusted: () => boolean;
}

export function renderTable(p: Extract<Preview, { kind: 'table' }>): string {
  const header = ['', ...p.columns];
  const rows = p.rows.map((r, i) => [p.index[i] ?? '', ...r]);
  const widths = header.map((h, c) => Math.min(40, Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length))));
  const fmt = (cells: string[]) => cells.map((v, c) => (v.length > widths[c] ? `${v.slice(0, widths[c] - 1)}…` : v.padEnd(widths[c]))).join(' │ ');
  const lines = [fmt(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...rows.map(fmt)];
  const [nRows, nCols] = p.shape;
  lines.push('', `${p.class}: ${nRows} rows × ${nCols} columns${nRows > p.rows.length ? `, first ${p.rows.length} shown` : ''}`);
  return lines.join('\n');
}

/** The document text of a preview; undefined for kinds that are not shown as text. */
export function previewText(p: Preview): string | undefined {
  switch (p.kind) {
    case 'scalar':
      return p.text;
    case 'text':
    case 'json':
    case 'repr':
      return p.truncated ? `${p.text}\n\n… truncated (${p.kind === 'text' ? `${p.length} characters` : p.kind === 'json' ? `${p.length} items` : 'long repr'})` : p.text;
    case 'bytes': {
      const hex = p.hex.match(/.{1,32}/g) ?? [];
      const lines = hex.map((h, i) => `${(i * 16).toString(16).padStart(8, '0')}  ${h.match(/../g)!.join(' ')}`);
      return [`${p.class}, ${formatBytes(p.size)}${p.truncated ? ` (first ${p.hex.length / 2} bytes shown)` : ''}`, '', ...lines].join('\n');
    }
    case 'table':
      return renderTable(p);
    default:
      return undefined;
  }
}

export class ArtifactPreviews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly deps: ArtifactPreviewDeps) {}

  dispose(): void {
    this.emitter.dispose();
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? `This preview is no longer available; open the artifact again from the Artifact Explorer.`;
  }

  /** Decodes the artifact and shows it; returns what was shown (for tests and callers). */
  async open(root: string, artifact: ArtifactSummary, flow: string): Promise<Preview | undefined> {
    if (!this.deps.isTrusted()) {
      void vscode.window.showWarningMessage(`Artifact previews decode pickled values with Python, which can run code: trust this workspace to preview ${artifact.pathspec}.`);
      return undefined;
    }
    let preview: Preview;
    try {
      const proc = await this.deps.python(root);
      preview = await vscode.window.withProgress({ location: { viewId: 'metaflow.artifactExplorer' } }, () =>
        previewArtifact(proc, { root, flow, sha: artifact.sha, type: artifact.type, size: artifact.size }, DEFAULT_LIMITS),
      );
    } catch (err) {
      void this.offerSnippet(`${artifact.pathspec}: ${(err as Error).message}`, artifact, 'error');
      return undefined;
    }
    if (preview.kind === 'unavailable') {
      void this.offerSnippet(`${artifact.pathspec}: ${preview.message}`, artifact, 'info');
      return preview;
    }
    if (preview.kind === 'image') {
      this.showImage(artifact, preview);
      return preview;
    }
    const uri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${artifact.pathspec}${preview.kind === 'json' ? '.json' : '.txt'}`, query: `sha=${artifact.sha}` });
    this.texts.set(uri.toString(), previewText(preview) ?? '');
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
    return preview;
  }

  private async offerSnippet(message: string, artifact: ArtifactSummary, level: 'info' | 'error'): Promise<void> {
    const show = level === 'error' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
    const picked = await show(message, COPY_SNIPPET);
    if (picked === COPY_SNIPPET) await vscode.env.clipboard.writeText(artifactSnippet(artifact.taskPathspec, artifact.name));
  }

  private showImage(artifact: ArtifactSummary, p: Extract<Preview, { kind: 'image' }>): void {
    const panel = vscode.window.createWebviewPanel('metaflow.artifactImage', `${artifact.name} (${artifact.taskPathspec})`, vscode.ViewColumn.Active, {
      enableScripts: false,
      localResourceRoots: [],
    });
    const nonce = crypto.randomBytes(16).toString('base64');
    const csp = `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'`;
    panel.webview.html = `<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${nonce}">body{margin:12px;font-family:var(--vscode-font-family);color:var(--vscode-foreground)}img{max-width:100%;image-rendering:auto}</style></head>
<body><p>${escapeHtml(artifact.pathspec)} · ${p.mime} · ${escapeHtml(formatBytes(p.size))}</p><img alt="${escapeHtml(artifact.name)}" src="data:${p.mime};base64,${p.base64}"></body></html>`;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
