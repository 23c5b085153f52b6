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

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget input.input');
  }

  /** Runs a command from the palette (F1) by its title, as a user would. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.quickInput();
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    // Click the exact title: Enter would take the first fuzzy match, which may be another command.
    await this.quickPickRow(title).click();
    // The command ran once the palette closed or gave way to the command's own quick input.
    const deadline = Date.now() + TIMEOUT_MS;
    while ((await input.isVisible()) && (await input.inputValue()).startsWith('>')) {
      if (Date.now() > deadline) throw new Error(`the command palette stayed open after choosing ${title}`);
      await this.page.waitForTimeout(50);
    }
  }

  /** A quick pick row whose label is exactly `label`. */
  quickPickRow(label: string): Locator {
    return this.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
      .first();
  }

  /** Answers the quick input titled like `title` with `value` (replacing what is prefilled) and Enter. */
  async answerInput(title: RegExp, value: string): Promise<void> {
    const titled = this.page.locator('.quick-input-widget .quick-input-title', { hasText: title });
    await titled.waitFor();
    const input = this.quickInput();
    await input.fill(value);
    await this.page.keyboard.press('Enter');
    // VS Code accepts an input box only once the extension host has validated the value: anything opened before
    // that (the command palette, say) replaces the box and the extension sees Escape.
    await titled.waitFor({ state: 'hidden' });
  }

  /** Opens the Output panel on `channel` (View: Show Output Channels…) and returns its text area. */
  async showOutputChannel(channel: string): Promise<Locator> {
    await this.runCommand('Output: Show Output Channels...');
    await this.quickInput().fill(channel);
    await this.quickPickRow(channel).click();
    const view = this.outputView();
    await view.waitFor();
    return view;
  }

  outputView(): Locator {
    return this.page.locator('.part.panel .output-view .monaco-editor .view-lines').first();
  }

  /** The lines of the Output panel on screen (a virtualised editor: keep the logs short). */
  async outputText(): Promise<string> {
    return (await this.outputView().innerText()).replace(/\u00a0/g, ' ');
  }

  /** Waits until the Output panel on screen matches `pattern`; returns its text. */
  async waitForOutput(pattern: RegExp, what: string): Promise<string> {
    const deadline = Date.now() + TIMEOUT_MS;
    let text = await this.outputText();
    while (!pattern.test(text)) {
      if (Date.now() > deadline) throw new Error(`the Output panel never showed ${what} (${pattern}); it shows:\n${text}`);
      await this.page.waitForTimeout(100);
      text = await this.outputText();
    }
    return text;
  }

  async clearOutput(): Promise<void> {
    await this.page.locator('.part.panel .actions-container .action-label[aria-label="Clear Output"]').first().click();
    await this.waitForCount(this.outputView().locator('.view-line').filter({ hasText: /\S/ }), 0, 'non-empty Output lines after Clear Output');
  }

  /** Opens an activity-bar view container (e.g. "Metaflow") in the side bar. */
  async showViewContainer(title: string): Promise<void> {
    await this.page.locator(`.part.activitybar .action-item .action-label[aria-label^="${title}"]`).click();
    await this.page.locator('.part.sidebar .composite.title', { hasText: new RegExp(title, 'i') }).waitFor();
  }

  /** A side-bar tree row whose label is exactly `label`. */
  sidebarRow(label: string): Locator {
    return this.page
      .locator('.part.sidebar .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) })
      .first();
  }

  /** Clicks a collapsed side-bar row and waits until it is expanded. */
  async expandSidebarRow(label: string): Promise<Locator> {
    const row = this.sidebarRow(label);
    await row.waitFor();
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    await this.page.waitForFunction((el) => el?.getAttribute('aria-expanded') === 'true', await row.elementHandle());
    return row;
  }

  /** The CodeLens titled `title` nearest above the first editor line containing `lineText`. */
  async codeLensAbove(title: string, lineText: string): Promise<Locator> {
    const line = this.editorLines().locator('.view-line', { hasText: lineText }).first();
    await line.waitFor();
    const lineTop = (await line.boundingBox())?.y ?? 0;
    const lenses = this.codeLens(title);
    await lenses.first().waitFor();
    let best: Locator | undefined;
    let bestTop = -Infinity;
    for (const lens of await lenses.all()) {
      const top = (await lens.boundingBox())?.y;
      if (top !== undefined && top < lineTop && top > bestTop) {
        best = lens;
        bestTop = top;
      }
    }
    if (!best) throw new Error(`no "${title}" lens above the line with "${lineText}"`);
    return best;
  }

  async screenshot(dir: string, name: string): Promise<string> {
    const path = `${dir}/${name}.png`;
    await this.page.screenshot({ path });
    return path;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
