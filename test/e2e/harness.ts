// One fresh VS Code per journey: a temp copy of the fixture workspace, code-server with this
// repository loaded as the extension under development, and a Chromium page on its workbench.
// Teardown stops every process it started, also when the journey fails.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchBrowser, type Browser } from '../support/browser';
import { startCodeServer, type CodeServer, type CodeServerOptions } from '../support/codeServer';
import { Workbench } from './workbench';

/**
 * The journeys type into the editor like a person would; these keep Monaco from re-indenting or
 * completing what they type, so the text that lands is exactly the text typed.
 */
const EDITING_SETTINGS: Record<string, unknown> = {
  'editor.autoIndent': 'none',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoSurround': 'never',
  'editor.formatOnType': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.acceptSuggestionOnEnter': 'off',
  'editor.parameterHints.enabled': false,
};

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface JourneyContext {
  workbench: Workbench;
  server: CodeServer;
  workspace: string;
  /** Where this journey's screenshots go (kept after the run, to be looked at). */
  shots: string;
  /** Opens the workspace in the workbench and waits for `expectFile` in the Explorer. */
  openWorkspace(expectFile: string): Promise<void>;
}

export type Journey = (context: JourneyContext) => Promise<void>;

export interface VsCodeOptions {
  /** How code-server starts; e.g. with a packaged .vsix installed. */
  server?: CodeServerOptions;
  /** Load this repository as the extension under development (default), or rely on installed extensions only. */
  developmentExtension?: boolean;
  fixture?: string;
}

export async function withVsCode(shots: string, journey: Journey, options: VsCodeOptions = {}): Promise<void> {
  const fixture = options.fixture ?? join(__dirname, 'fixtures', 'workspace');
  const development = options.developmentExtension ?? true;
  const work = mkdtempSync(join(tmpdir(), 'metaflow-studio-e2e-'));
  const workspace = join(work, 'workspace');
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    cpSync(fixture, workspace, { recursive: true });
    server = await startCodeServer({ ...options.server, settings: { ...EDITING_SETTINGS, ...options.server?.settings } });
    browser = await launchBrowser();
    const workbench = new Workbench(browser.page);
    const s = server;
    const run = journey({
      workbench,
      server: s,
      workspace,
      shots,
      openWorkspace: (expectFile) =>
        workbench.open(
          s.url(workspace, [
            ...(development ? [['extensionDevelopmentPath', s.remoteUri(REPO_ROOT)] as [string, string]] : []),
            ['skipWelcome', 'true'],
            ['skipReleaseNotes', 'true'],
          ]),
          expectFile,
        ),
    });
    await run.catch(async (err) => {
      await workbench.screenshot(shots, `failed-${journey.name}`).catch(() => undefined);
      throw err;
    });
  } finally {
    await browser?.close();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
