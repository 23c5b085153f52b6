import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, createNonce, renderDagHtml } from '../../../src/vscode/dagPanelHtml';

const input = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/main.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/dag.css',
  nonce: 'abc123+/=',
  title: 'DAG: <Train> & "Flow"',
};

test('the policy allows nothing by default and only nonce-bound scripts and styles', () => {
  const csp = contentSecurityPolicy(input.cspSource, 'N0nce');
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'nonce-N0nce'"]);
  assert.deepEqual(directives.get('style-src'), [input.cspSource, "'nonce-N0nce'"]);
  assert.deepEqual(directives.get('img-src'), [input.cspSource, 'data:']);
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
});

test('the page carries the policy, loads only the bundled script and stylesheet with the nonce, and has no inline code', () => {
  const html = renderDagHtml(input);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'nonce-abc123\+\/='/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0][1], /nonce="abc123\+\/="/);
  assert.match(scripts[0][1], /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/main\.js"/);
  assert.equal(scripts[0][2].trim(), '', 'no inline script');
  assert.doesNotMatch(html, /<style\b/, 'no inline style element');
  assert.doesNotMatch(html, /\sstyle=/, 'no style attributes');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  assert.match(html, /<link rel="stylesheet" nonce="abc123\+\/=" href="[^"]+dag\.css">/);
  assert.match(html, /<title>DAG: &lt;Train&gt; &amp; &quot;Flow&quot;<\/title>/, 'the title is escaped');
});

test('nonces are fresh, unguessable and valid CSP base64', () => {
  const nonces = new Set(Array.from({ length: 200 }, () => createNonce()));
  assert.equal(nonces.size, 200);
  for (const nonce of nonces) {
    assert.match(nonce, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(Buffer.from(nonce, 'base64').length, 16);
  }
});
