// The DAG journey: open a flow, "Show DAG" from its CodeLens, see one node per step with its type,
// edit the flow and see the graph follow, click a node and land on that step in the editor.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JourneyContext } from './harness';

const EXPECTED_NODES: Array<[string, string]> = [
  ['start', 'split-static'],
  ['train_small', 'linear'],
  ['train_large', 'linear'],
  ['pick', 'join'],
  ['end', 'end'],
];

async function nodeTypes(context: JourneyContext): Promise<Array<[string, string]>> {
  const nodes = context.workbench.dagFrame().locator('svg g.node');
  const out: Array<[string, string]> = [];
  for (const node of await nodes.all()) out.push([(await node.getAttribute('data-step')) ?? '', (await node.getAttribute('data-type')) ?? '']);
  return out.sort();
}

export async function dagJourney(context: JourneyContext): Promise<void> {
  const { workbench, shots } = context;
  const page = workbench.page;
  await context.openWorkspace('train_flow.py');
  await workbench.openFile('train_flow.py', 'class TrainFlow');

  const lens = workbench.codeLens('Show DAG');
  await lens.waitFor();
  await workbench.waitForCount(lens, 1, 'Show DAG lens (one per flow class)');
  await workbench.screenshot(shots, '01-codelens');

  await lens.click();
  const dag = workbench.dagFrame();
  const nodes = dag.locator('svg g.node');
  await nodes.nth(EXPECTED_NODES.length - 1).waitFor();
  assert.deepEqual(await nodeTypes(context), [...EXPECTED_NODES].sort());
  await workbench.screenshot(shots, '02-dag');

  // Insert a step after train_large (re-pointing its self.next) and watch the graph grow.
  await page.locator('.tabs-container .tab[data-resource-name="train_flow.py"]').click();
  const lines = readFileSync(join(context.workspace, 'train_flow.py'), 'utf8').split('\n');
  const lineOf = (test: (line: string, index: number) => boolean) => lines.findIndex(test) + 1;
  const trainLarge = lineOf((l) => l.includes('def train_large'));
  const nextLine = lineOf((l, i) => i > trainLarge && l.includes('self.next(self.pick)'));
  const pickDecorator = lineOf((l, i) => l.trim() === '@step' && (lines[i + 1] ?? '').includes('def pick'));
  const trainSmallLine = lineOf((l) => l.includes('def train_small'));
  assert.ok(trainSmallLine > 0 && trainLarge > trainSmallLine && nextLine > trainLarge && pickDecorator > nextLine, 'the fixture has the lines this journey edits');
  await workbench.goToLine(nextLine);
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Control+Shift+ArrowLeft');
  await page.keyboard.insertText('evaluate');
  await workbench.goToLine(pickDecorator);
  await page.keyboard.insertText('    @step\n    def evaluate(self):\n        self.next(self.pick)\n\n');
  await workbench.editorLines().filter({ hasText: 'def evaluate(self):' }).waitFor();
  const evaluate = dag.locator('svg g.node[data-step="evaluate"]');
  await evaluate.waitFor();
  assert.equal(await evaluate.getAttribute('data-type'), 'linear');
  assert.equal(await nodes.count(), EXPECTED_NODES.length + 1);
  await dag.locator('svg g.edge[data-from="train_large"][data-to="evaluate"]').waitFor({ state: 'attached' });
  await dag.locator('svg g.edge[data-from="evaluate"][data-to="pick"]').waitFor({ state: 'attached' });
  assert.equal(await dag.locator('svg g.edge[data-from="train_large"][data-to="pick"]').count(), 0, 'the old edge is gone');
  await workbench.screenshot(shots, '03-edited');

  // Clicking a node reveals its step in the editor (train_small is above the edits, so its line is unchanged).
  await dag.locator('svg g.node[data-step="train_small"]').click();
  const status = await workbench.cursorLine(trainSmallLine);
  assert.match(status, new RegExp(`^Ln ${trainSmallLine}, Col \\d+ \\(${'train_small'.length} selected\\)`), 'the step name is selected');
  await workbench.screenshot(shots, '04-revealed');
}

/** A broken flow shows its lint error in the Problems panel, named by Metaflow's check. */
export async function problemsJourney(context: JourneyContext): Promise<void> {
  const { workbench, shots } = context;
  await context.openWorkspace('broken_flow.py');
  await workbench.openFile('broken_flow.py', 'class BrokenFlow');
  const panel = await workbench.showProblems();
  const row = panel.locator('.monaco-list-row', { hasText: "unknown step 'missing'" });
  await row.waitFor();
  const rowText = (await row.innerText()).replace(/\u00a0/g, ' ');
  assert.match(rowText, /Metaflow/);
  assert.match(rowText, /check_unknown_transitions/);
  assert.match(rowText, /\[Ln 7, Col 19\]/);
  await workbench.screenshot(shots, '05-problems');
}
