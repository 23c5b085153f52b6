// The timeline journey: run a flow whose fan-out step fails once and is retried, open the DAG panel's
// timeline, count its bars against the attempts the run wrote to the datastore, and screenshot it in a
// dark and then a light theme (switched through the user settings file, as VS Code reads it live).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JourneyContext } from './harness';
import { runOptions, showDag, waitForAllNodes } from './runJourneys';

export const DARK_THEME = 'Default Dark Modern';
const LIGHT_THEME = 'Default Light Modern';

export const timelineOptions = runOptions(true, { 'workbench.colorTheme': DARK_THEME });

/** Attempts of the run's tasks as written to the datastore (`<attempt>.attempt.json`), without the parameters task. */
function attemptsOnDisk(context: JourneyContext, flow: string, runId: string): { tasks: number; attempts: number } {
  const runDir = join(context.workspace, '.metaflow', flow, runId);
  let tasks = 0;
  let attempts = 0;
  for (const step of readdirSync(runDir).filter((d) => !d.startsWith('_'))) {
    for (const task of readdirSync(join(runDir, step))) {
      tasks += 1;
      attempts += readdirSync(join(runDir, step, task)).filter((f) => /^\d+\.attempt\.json$/.test(f)).length;
    }
  }
  return { tasks, attempts };
}

async function succeededBarFill(context: JourneyContext): Promise<string> {
  const bar = context.workbench.dagFrame().locator('svg.timeline rect.tl-bar[data-status="succeeded"]').first();
  // The page's own types (no DOM lib in this project's Node-side tsconfig).
  type InPage = { ownerDocument: { defaultView: { getComputedStyle(el: unknown): { fill: string } } } };
  return bar.evaluate((el) => (el as unknown as InPage).ownerDocument.defaultView.getComputedStyle(el).fill);
}

function setTheme(context: JourneyContext, theme: string): void {
  const file = join(context.server.userDataDir, 'User', 'settings.json');
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...settings, 'workbench.colorTheme': theme }, null, 2));
}

export async function timelineJourney(context: JourneyContext): Promise<void> {
  const { workbench, shots } = context;
  const page = workbench.page;
  await context.openWorkspace('retry_flow.py');
  await page.locator('.monaco-workbench.vs-dark').waitFor();
  await workbench.openFile('retry_flow.py', 'class RetryFlow');
  await showDag(workbench, 'retry_flow.py');
  await workbench.codeLens('Run flow').click();
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

  const darkFill = await succeededBarFill(context);
  await workbench.screenshot(shots, 'timeline-dark');

  setTheme(context, LIGHT_THEME);
  await page.locator('.monaco-workbench.vs').waitFor();
  await dag.locator('body.vscode-light').waitFor();
  const deadline = Date.now() + 10_000;
  let lightFill = await succeededBarFill(context);
  // The webview restyles after its body class changes; give the new theme's variables a moment to apply.
  while (lightFill === darkFill && Date.now() < deadline) {
    await page.waitForTimeout(100);
    lightFill = await succeededBarFill(context);
  }
  await workbench.screenshot(shots, 'timeline-light');
  assert.notEqual(lightFill, darkFill, `succeeded bars are filled ${darkFill} in the dark theme and ${lightFill} in the light one`);
  await workbench.waitForCount(bars, attempts, 'timeline bars after the theme change');
}
