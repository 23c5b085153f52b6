// A page object for the code-server workbench: the selectors and gestures the journeys need, each
// waiting for what it expects (never a fixed sleep).
import type { FrameLocator, Locator, Page } from 'playwright-core';

export const TIMEOUT_MS = 60_000;

export class Workbench {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(TIMEOUT_MS);
  }

  async open(url: string, expectFile: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor();
    await this.explorerRow(expectFile).waitFor();
  }

  explorerRow(name: string): Locator {
    return this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  }

  /** Opens a file from the Explorer and waits until its text is on screen. */
  async openFile(name: string, expectText: string): Promise<void> {
    await this.explorerRow(name).dblclick();
    await this.page.locator(`.tabs-container .tab[data-resource-name="${name}"]`).waitFor();
    await this.editorLines().filter({ hasText: expectText }).waitFor();
  }

  editorLines(): Locator {
    return this.page.locator('.editor-instance .monaco-editor .view-lines');
  }

  /** Waits until `locator` matches exactly `count` elements (the workbench re-renders in steps). */
  async waitForCount(locator: Locator, count: number, what: string): Promise<void> {
    const deadline = Date.now() + TIMEOUT_MS;
    let seen = await locator.count();
    while (seen !== count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} ${what}, found ${seen}`);
      await this.page.waitForTimeout(100);
      seen = await locator.count();
    }
  }

  codeLens(title: string): Locator {
    return this.page.locator('.monaco-editor .codelens-decoration a', { hasText: title });
  }

  /** The DAG panel's document: the webview's outer iframe, then its active inner frame. */
  dagFrame(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  }

  /** Moves the cursor of the active editor to the start of a 1-based line (Go to Line). */
  async goToLine(line: number): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
    await this.cursorLine(line);
  }

  async focusEditor(): Promise<void> {
    await this.page.locator('.editor-instance .monaco-editor textarea.inputarea, .editor-instance .monaco-editor .native-edit-context').first().focus();
  }

  /** Waits until the status bar shows the cursor on a 1-based line; returns the "Ln X, Col Y" text. */
  async cursorLine(line: number): Promise<string> {
    const item = this.page.locator('#status\\.editor\\.selection');
    const text = item.filter({ hasText: new RegExp(`Ln ${line}, Col \\d+`) });
    await text.waitFor();
    return (await text.innerText()).trim();
  }

  /** The text of the editor lines on screen (monaco renders spaces as no-break spaces). */
  async visibleText(): Promise<string> {
    return (await this.editorLines().innerText()).replace(/\u00a0/g, ' ');
  }

  async showProblems(): Promise<Locator> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+Shift+M');
    const panel = this.page.locator('.markers-panel');
    await panel.waitFor();
    return panel;
  }

  async screenshot(dir: string, name: string): Promise<string> {
    const path = `${dir}/${name}.png`;
    await this.page.screenshot({ path });
    return path;
  }
}
