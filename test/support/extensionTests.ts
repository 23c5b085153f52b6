// Runs mocha suites (or any `run()` module) inside the real extension host of code-server: the
// workbench URL `payload` carries `extensionDevelopmentPath` and `extensionTestsPath` (code-server's CLI
// refuses them), the workbench reports the exit code through `window.codeAutomationExit` and the host's
// console through `window.codeAutomationLog`. A Chromium page is needed: the extension host starts only
// when a workbench connects.
import { format } from 'node:util';
import type { Page } from 'playwright-core';
import { type Browser, launchBrowser } from './browser';
import { type CodeServer, type CodeServerOptions, startCodeServer } from './codeServer';

export interface ExtensionTestRun {
  /** The extension under development (its package.json folder). */
  extensionDevelopmentPath: string;
  /** The bundled module exporting `run(): Promise<void>`. */
  extensionTestsPath: string;
  /** Folder opened in the workbench. */
  workspace: string;
  server?: CodeServerOptions;
  /** Called with every line the extension host logs. */
  onLog?: (line: string) => void;
  timeoutMs?: number;
}

/** A workbench running the tests module; its page stays reachable (to watch webviews) until `close()`. */
export interface ExtensionTestSession {
  server: CodeServer;
  page: Page;
  /** The exit code the workbench reports once `run()` has settled (0 = it resolved). */
  exited: Promise<number>;
  /** Stops Chromium and code-server's whole process group. */
  close(): Promise<void>;
}

export async function startExtensionTestSession(run: Omit<ExtensionTestRun, 'timeoutMs'>): Promise<ExtensionTestSession> {
  const server = await startCodeServer(run.server);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const { page } = browser;
    let report: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => {
      report = resolve;
    });
    await page.exposeFunction('codeAutomationLog', (_level: unknown, args: unknown) => {
      run.onLog?.(format(...(Array.isArray(args) ? args : [args])));
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => report(code));
    const payload: Array<[string, string]> = [
      ['extensionDevelopmentPath', server.remoteUri(run.extensionDevelopmentPath)],
      ['extensionTestsPath', server.remoteUri(run.extensionTestsPath)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    await page.goto(server.url(run.workspace, payload));
    const opened = browser;
    return {
      server,
      page,
      exited,
      async close() {
        await opened.close();
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.stop();
    throw err;
  }
}

/** Returns the exit code the workbench reported (0 when every test passed). */
export async function runExtensionTests(run: ExtensionTestRun): Promise<number> {
  const session = await startExtensionTestSession(run);
  const timeoutMs = run.timeoutMs ?? 300_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<number>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the extension tests did not finish within ${timeoutMs} ms\n${session.server.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([session.exited, timedOut]);
  } finally {
    clearTimeout(timer);
    await session.close();
  }
}
