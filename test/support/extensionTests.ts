// Runs mocha suites inside the real extension host of code-server: the workbench URL `payload` carries
// `extensionDevelopmentPath` and `extensionTestsPath` (code-server's CLI refuses them), the workbench
// reports the exit code through `window.codeAutomationExit` and the host's console through
// `window.codeAutomationLog`. A Chromium page is needed: the extension host starts only when a
// workbench connects.
import { format } from 'node:util';
import { launchBrowser } from './browser';
import { startCodeServer, type CodeServerOptions } from './codeServer';

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

/** Returns the exit code the workbench reported (0 when every test passed). */
export async function runExtensionTests(run: ExtensionTestRun): Promise<number> {
  const server = await startCodeServer(run.server);
  const browser = await launchBrowser().catch(async (err) => {
    await server.stop();
    throw err;
  });
  try {
    const { page } = browser;
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => {
      exited = resolve;
    });
    await page.exposeFunction('codeAutomationLog', (_level: unknown, args: unknown[]) => {
      run.onLog?.(format(...(Array.isArray(args) ? args : [args])));
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => exited(code));
    const payload: Array<[string, string]> = [
      ['extensionDevelopmentPath', server.remoteUri(run.extensionDevelopmentPath)],
      ['extensionTestsPath', server.remoteUri(run.extensionTestsPath)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    await page.goto(server.url(run.workspace, payload));
    const timeoutMs = run.timeoutMs ?? 300_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<number>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the extension tests did not finish within ${timeoutMs} ms\n${server.output()}`)), timeoutMs);
    });
    try {
      return await Promise.race([exit, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}
