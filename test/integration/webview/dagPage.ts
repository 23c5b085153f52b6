// Opens the DAG webview in headless Chromium the way VS Code hosts it: the real page HTML with its CSP and
// nonce, the bundled script and stylesheet served from one origin, theme variables and body class set by
// the host, and an `acquireVsCodeApi` that records what the page posts and keeps its state.
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createNonce, renderDagHtml } from '../../../src/vscode/dagPanelHtml';
import type { HostToWebview, WebviewToHost } from '../../../src/protocol/dagPanel';
import { CHROMIUM_PATH } from '../../support/browser';
import { THEMES, type ThemeClass } from './themes';

const ORIGIN = 'https://dag-webview.test';
const ROOT = resolve(__dirname, '../../..');

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Bundles webview/main.ts exactly as esbuild.mjs does for dist/webview/main.js. */
export async function buildWebview(): Promise<{ dir: string; script: string; style: string; dispose(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'dag-webview-'));
  await build({ entryPoints: [join(ROOT, 'webview/main.ts')], outfile: join(dir, 'main.js'), bundle: true, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'silent' });
  return {
    dir,
    script: readFileSync(join(dir, 'main.js'), 'utf8'),
    style: readFileSync(join(ROOT, 'media/dag.css'), 'utf8'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

const INIT_SCRIPT = `function (options) {
  window.__posted = [];
  window.__state = options.state === null ? undefined : options.state;
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', function (e) { window.__violations.push(e.violatedDirective + ': ' + (e.blockedURI || e.sample)); });
  var acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi may be called only once');
    acquired = true;
    return {
      postMessage: function (m) { window.__posted.push(JSON.parse(JSON.stringify(m))); },
      getState: function () { return window.__state; },
      setState: function (s) { window.__state = JSON.parse(JSON.stringify(s)); },
    };
  };
  document.addEventListener('DOMContentLoaded', function () {
    for (var name in options.vars) document.documentElement.style.setProperty('--vscode-' + name, options.vars[name]);
    document.body.classList.add(options.themeClass);
  });
}`;

export interface DagPage {
  page: Page;
  /** Messages the webview posted to the host, in order. */
  posted(): Promise<WebviewToHost[]>;
  /** Sends a host message to the webview. */
  send(message: HostToWebview): Promise<void>;
  /** Waits until a JavaScript expression is truthy in the page (a string: this project's tests are not typed against the DOM). */
  waitFor(expression: string): Promise<void>;
  /** The value of a JavaScript expression in the page. */
  value<T>(expression: string): Promise<T>;
  /** Content-Security-Policy violations and page errors seen so far. */
  problems(): Promise<string[]>;
  close(): Promise<void>;
}

/** Polls from here: the page's CSP (rightly) forbids the eval that page-side polling would need. */
async function poll(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function openDagPage(browser: Browser, assets: { script: string; style: string }, options: { theme?: ThemeClass; state?: unknown; width?: number; height?: number } = {}): Promise<DagPage> {
  const theme = options.theme ?? 'vscode-dark';
  const context = await browser.newContext({ viewport: { width: options.width ?? 1000, height: options.height ?? 760 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  const html = renderDagHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/main.js`, styleUri: `${ORIGIN}/dag.css`, nonce: createNonce(), title: 'DAG' });
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
    if (path === '/main.js') return route.fulfill({ contentType: 'text/javascript', body: assets.script });
    if (path === '/dag.css') return route.fulfill({ contentType: 'text/css', body: assets.style });
    return route.fulfill({ status: 404, body: '' });
  });
  // A source string, not a function: functions passed to the page would carry the TypeScript loader's helpers.
  await page.addInitScript(`(${INIT_SCRIPT})(${JSON.stringify({ vars: THEMES[theme], themeClass: theme, state: options.state ?? null })});`);
  await page.goto(`${ORIGIN}/index.html`);
  await poll(page, `window.__posted.some((m) => m.type === 'ready')`);
  return {
    page,
    posted: () => page.evaluate<WebviewToHost[]>('window.__posted'),
    send: async (message) => {
      await page.evaluate(`window.postMessage(${JSON.stringify(message)}, '*')`);
    },
    problems: async () => [...pageErrors, ...(await page.evaluate<string[]>('window.__violations'))],
    waitFor: (expression) => poll(page, expression),
    value: (expression) => page.evaluate(expression),
    close: () => context.close(),
  };
}
