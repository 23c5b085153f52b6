// One fresh VS Code for the probe: code-server with this repository as the extension under development
// and the probe as its `extensionTestsPath`, and a Chromium page on the workbench, which the bench
// keeps so it can watch the webviews while the probe runs. Whatever happens, `close()` stops Chromium
// and code-server's whole process group.
import { format } from 'node:util';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../../test/support/browser';
import { startCodeServer, type CodeServer } from '../../test/support/codeServer';

export interface ProbeSessionOptions {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  workspace: string;
  /** Reaches the extension host. */
  env: NodeJS.ProcessEnv;
  /** Parent of code-server's run folder. */
  parentDir: string;
  /** Every line the extension host logs. */
  onLog: (line: string) => void;
}

export interface ProbeSession {
  server: CodeServer;
  page: Page;
  /** The exit code the workbench reports once the probe's `run()` has settled (0 = it resolved). */
  exited: Promise<number>;
  close(): Promise<void>;
}

export async function startProbeSession(options: ProbeSessionOptions): Promise<ProbeSession> {
  const server = await startCodeServer({ env: options.env, parentDir: options.parentDir });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const { page } = browser;
    let report: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => {
      report = resolve;
    });
    // The workbench's automation hooks, as for extension tests.
    await page.exposeFunction('codeAutomationLog', (_level: unknown, args: unknown) => options.onLog(format(...(Array.isArray(args) ? args : [args]))));
    await page.exposeFunction('codeAutomationExit', (code: number) => report(code));
    const payload: Array<[string, string]> = [
      ['extensionDevelopmentPath', server.remoteUri(options.extensionDevelopmentPath)],
      ['extensionTestsPath', server.remoteUri(options.extensionTestsPath)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    await page.goto(server.url(options.workspace, payload));
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
