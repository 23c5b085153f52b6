// The DAG webview's HTML page. Pure (no vscode import) so that its Content Security Policy is unit-tested:
// nothing runs or styles the page except the bundled script and stylesheet, both bound to a fresh nonce.
import { randomBytes } from 'node:crypto';

export interface DagHtmlInput {
  /** `webview.cspSource`: the origin local resources are served from. */
  cspSource: string;
  /** `asWebviewUri` of dist/webview/main.js and dist/webview/dag.css. */
  scriptUri: string;
  styleUri: string;
  nonce: string;
  title: string;
}

/** A new nonce for each render: 128 random bits, base64 (a valid CSP nonce-source). */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `img-src ${cspSource} data:`, `style-src ${cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderDagHtml(input: DagHtmlInput): string {
  const nonce = escapeAttribute(input.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(input.cspSource, input.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${escapeAttribute(input.styleUri)}">
<title>${escapeAttribute(input.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${escapeAttribute(input.scriptUri)}"></script>
</body>
</html>
`;
}
