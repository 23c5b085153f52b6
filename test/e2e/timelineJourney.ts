// The timeline journey: run a flow whose fan-out step fails once and is retried, open the DAG panel's
// timeline, count its bars against the attempts the run wrote to the datastore, and screenshot it in a
// dark theme (set in the user settings) and then in a light one (picked with Preferences: Color Theme).
import * as assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JourneyContext } from './harness';
import { runOptions, showDag, waitForAllNodes } from './runJourneys';

export const DARK_THEME = 'Default Dark Modern';

export const timelineOptions = runOptions(true, { 'workbench.colorTheme': DARK_THEME });

/** Attempts of the run's tasks as written to the datastore (`<attempt>.attempt.json`), without the parameters task. */
function attemptsOnDisk(context: JourneyContext, flow: string, runId: string): { tasks: number; attempts: number } {
  const runDir = join(context.workspace, '.metaflow', flow, runId);
  let tasks = 0;
  let attempts = 0;
  for (const step of readdirSync(runDir).filter((d) => !d.startsWith('_'))) {
    for (const task of readdirSync(join(runDir, step)).filter((d) => /^\d+$/.test(d))) {
      tasks += 1;
      attempts += readdirSync(join(runDir, step, task)).filter((f) => /^\d+\.attempt\.json$/.test(f)).length;
    }
  }
  return { tasks, attempts };
}

interface BarColours {
  /** Computed fill of a succeeded bar. */
  fill: string;
  /** Computed stroke of that bar (it separates touching bars, in the editor's background colour). */
  stroke: string;
  /** Computed fill of a row label. */
  label: string;
  /** The theme's own colour for passed tests, which the panel uses for succeeded work. */
  themePassed: string;
}

/** The colours a succeeded timeline bar and its row label are drawn with, read in the webview. */
async function barColours(context: JourneyContext): Promise<BarColours> {
  const timeline = context.workbench.dagFrame().locator('svg.timeline');
  // The page's own types (no DOM lib in this project's Node-side tsconfig).
  type Style = { fill: string; stroke: string; getPropertyValue(name: string): string };
  type InPage = { querySelector(s: string): unknown; ownerDocument: { body: unknown; defaultView: { getComputedStyle(el: unknown): Style } } };
  return timeline.evaluate((svg) => {
    // No named helpers in here: the test runner's transform would wrap them in a function the page lacks.
    const el = svg as unknown as InPage;
    const view = el.ownerDocument.defaultView;
    const bar = view.getComputedStyle(el.querySelector('rect.tl-bar[data-status="succeeded"]'));
    return {
      fill: bar.fill,
      stroke: bar.stroke,
      label: view.getComputedStyle(el.querySelector('text.tl-row-label')).fill,
      themePassed: view.getComputedStyle(el.ownerDocument.body).getPropertyValue('--vscode-testing-iconPassed').trim(),
    };
  });
}

/** `#73c991` (or `#73c991ff`) as the `rgb(115, 201, 145)` getComputedStyle reports. */
function hexToRgb(hex: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})(?:ff)?$/i.exec(hex);
  assert.ok(m, `a 6-digit theme colour, not "${hex}"`);
  return `rgb(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)})`;
}

/** Picks a colour theme as a user would: Preferences: Color Theme, type its name, Enter. */
async function pickTheme(context: JourneyContext, label: string): Promise<void> {
  const { workbench } = context;
  await workbench.runCommand('Preferences: Color Theme');
  await workbench.quickInput().fill(label);
  await workbench.page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: label }).waitFor();
  await workbench.page.keyboard.press('Enter');
  await workbench.quickInput().waitFor({ state: 'hidden' });
}

export async function timelineJourney(context: JourneyContext): Promise<void> {
  const { workbench, shots } = context;
  const page = workbench.page;
  await context.openWorkspace('retry_flow.py');
  await page.locator('.monaco-workbench.vs-dark').waitFor();
  await workbench.openFile('retry_flow.py', 'class RetryFlow');
  await showDag(workbench, 'retry_flow.py');
  await workbench.codeLens('Run flow').click();
  // Give the panel the whole window: close the flow's editor and the side bar.
  await page.locator('.tabs-container .tab[data-resource-name="retry_flow.py"] .tab-actions .action-label').click();
  await workbench.runCommand('View: Toggle Primary Side Bar Visibility');
  await waitForAllNodes(workbench, ['start', 'work', 'flaky', 'join', 'end'], 'succeeded');

  const dag = workbench.dagFrame();
  await dag.locator('button.timeline-toggle').click();
  assert.equal(await dag.locator('button.timeline-toggle').getAttribute('aria-pressed'), 'true');
  const timeline = dag.locator('svg.timeline');
  await timeline.waitFor();
  const runIds = readdirSync(join(context.workspace, '.metaflow', 'RetryFlow')).filter((d) => /^\d+$/.test(d));
  assert.equal(runIds.length, 1);
  const { tasks, attempts } = attemptsOnDisk(context, 'RetryFlow', runIds[0]);
  assert.equal(tasks, 9, 'start, 3 work, 3 flaky, join, end');
  assert.equal(attempts, 12, 'each flaky task ran twice');
  const bars = timeline.locator('rect.tl-bar');
  await workbench.waitForCount(bars, attempts, 'timeline bars (one per attempt)');
  assert.equal(await timeline.getAttribute('data-bars'), String(attempts));
  assert.equal(await timeline.locator('rect.tl-bar[data-status="failed"]').count(), 3, 'the failed first attempts are drawn');
  assert.equal(await timeline.locator('g.tl-row[data-retried="1"]').count(), 3, 'each flaky row shows its retry');

  const dark = await barColours(context);
  assert.equal(dark.fill, hexToRgb(dark.themePassed), 'succeeded bars take the theme\'s colour');
  await workbench.screenshot(shots, 'timeline-dark');

  await pickTheme(context, 'Light Modern');
  await page.locator('.monaco-workbench.vs').waitFor();
  await dag.locator('body.vscode-light').waitFor();
  // The webview restyles when the theme's variables arrive, just after its body class changes.
  const deadline = Date.now() + 10_000;
  let light = await barColours(context);
  while (light.stroke === dark.stroke && Date.now() < deadline) {
    await page.waitForTimeout(100);
    light = await barColours(context);
  }
  await workbench.screenshot(shots, 'timeline-light');
  assert.equal(light.fill, hexToRgb(light.themePassed), 'succeeded bars take the light theme\'s colour');
  assert.notEqual(light.stroke, dark.stroke, `bar outlines follow the editor background: ${dark.stroke} (dark), ${light.stroke} (light)`);
  assert.notEqual(light.label, dark.label, `row labels follow the foreground: ${dark.label} (dark), ${light.label} (light)`);
  console.log(`    timeline colours: dark ${JSON.stringify(dark)}, light ${JSON.stringify(light)}`);
  await workbench.waitForCount(bars, attempts, 'timeline bars after the theme change');
}
