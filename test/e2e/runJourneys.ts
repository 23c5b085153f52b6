// Journeys of running flows in a real VS Code: "Run flow" from its CodeLens (answering the run form),
// "Run step" on a middle step, and a flow whose middle step raises. Each watches what a user sees: the
// Output panel, the DAG panel's node states, the Artifact Explorer and its preview, the Problems panel.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JourneyContext, VsCodeOptions } from './harness';
import type { Workbench } from './workbench';

/** Runs need a user name; code-server's environment may have none (e.g. as root in CI). */
const RUN_ENV = { METAFLOW_USER: process.env.METAFLOW_USER || 'e2e-tester' };

/** How code-server starts for these journeys; `skipForm` turns the run form off through its setting. */
export function runOptions(skipForm: boolean, settings: Record<string, unknown> = {}): VsCodeOptions {
  return { server: { env: RUN_ENV, settings: { ...(skipForm ? { 'metaflow.run.promptForParameters': false } : {}), ...settings } } };
}

/** 1-based line of the first line of `file` (in the journey's workspace) that contains `text`. */
export function lineOf(context: JourneyContext, file: string, text: string): number {
  const lines = readFileSync(join(context.workspace, file), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes(text));
  assert.ok(at >= 0, `${file} has a line with "${text}"`);
  return at + 1;
}

/** Run ids of `flow` in the workspace's local datastore (`dir` is `.metaflow` or `.metaflow_spin`). */
export function runIds(context: JourneyContext, flow: string, dir = '.metaflow'): string[] {
  const flowDir = join(context.workspace, dir, flow);
  if (!existsSync(flowDir)) return [];
  return readdirSync(flowDir).filter((name) => /^\d+$/.test(name));
}

/** Opens the DAG panel from the "Show DAG" lens, then brings the flow's editor back to the front. */
export async function showDag(workbench: Workbench, file: string): Promise<void> {
  await workbench.codeLens('Show DAG').click();
  await workbench.dagFrame().locator('svg g.node').first().waitFor();
  await workbench.page.locator(`.tabs-container .tab[data-resource-name="${file}"]`).click();
  await workbench.codeLens('Run flow').waitFor();
}

/** Waits until every node of the DAG panel has `status`; returns the steps drawn. */
export async function waitForAllNodes(workbench: Workbench, steps: string[], status: string): Promise<void> {
  const dag = workbench.dagFrame();
  await workbench.waitForCount(dag.locator('svg g.node'), steps.length, 'nodes in the DAG panel');
  await workbench.waitForCount(dag.locator(`svg g.node[data-status="${status}"]`), steps.length, `${status} nodes`);
  for (const step of steps) assert.equal(await dag.locator(`svg g.node[data-step="${step}"]`).getAttribute('data-status'), status, step);
}

/** The pathspec of the run started last, from its `=== Running Flow/id` line in the Output panel. */
function startedRun(text: string, flow: string): string {
  const all = [...text.matchAll(new RegExp(`^=== (?:Running|Running one step \\(spin[^)]*\\) as) (${flow}/\\d+)`, 'gm'))];
  assert.ok(all.length > 0, `no run start line for ${flow} in Output:\n${text}`);
  return all[all.length - 1][1];
}

export async function runFlowJourney(context: JourneyContext): Promise<void> {
  const { workbench, shots } = context;
  const page = workbench.page;
  await context.openWorkspace('answer_flow.py');
  await workbench.openFile('answer_flow.py', 'class AnswerFlow');
  await showDag(workbench, 'answer_flow.py');
  const dag = workbench.dagFrame();
  await workbench.waitForCount(dag.locator('svg g.node'), 3, 'nodes in the DAG panel');
  assert.equal(await dag.locator('svg g.node[data-status="succeeded"]').count(), 0, 'no node is succeeded before any run');
  await workbench.screenshot(shots, 'run-01-lenses');

  // The run form asks for the one parameter (prefilled with its default), then tags and max workers.
  await workbench.codeLens('Run flow').click();
  await page.locator('.quick-input-widget .quick-input-title', { hasText: /Run AnswerFlow \(1\/3\): greeting/ }).waitFor();
  assert.equal(await workbench.quickInput().inputValue(), 'hello', 'the parameter is prefilled with its default');
  await workbench.screenshot(shots, 'run-02-form');
  await workbench.answerInput(/\(1\/3\): greeting/, 'bonjour');
  await workbench.answerInput(/\(2\/3\): tags/, 'e2e');
  await workbench.answerInput(/\(3\/3\): max workers/, '');

  await workbench.showOutputChannel('Metaflow');
  const text = await workbench.waitForOutput(/^=== AnswerFlow\/\d+ succeeded/m, 'the end of the run');
  const pathspec = startedRun(text, 'AnswerFlow');
  assert.match(text, new RegExp(`^=== Running ${pathspec} with greeting=bonjour \\(tags: e2e\\)$`, 'm'), 'the answered form reached the run');
  assert.match(text, /^\[start\/\d+\] bonjour from start$/m);
  assert.match(text, /^\[compute\/\d+\] computed the answer 42$/m);
  assert.match(text, /^\[end\/\d+\] the answer is still 42$/m);
  await workbench.screenshot(shots, 'run-03-output');

  await waitForAllNodes(workbench, ['start', 'compute', 'end'], 'succeeded');
  await workbench.screenshot(shots, 'run-04-dag-succeeded');

  // The Artifact Explorer: datastore -> flow -> run -> step -> task -> artifact, and its preview.
  const runId = pathspec.split('/')[1];
  assert.deepEqual(runIds(context, 'AnswerFlow'), [runId], 'the run was written to the workspace datastore');
  const taskId = readdirSync(join(context.workspace, '.metaflow', 'AnswerFlow', runId, 'compute'))[0];
  await workbench.showViewContainer('Metaflow');
  await workbench.expandSidebarRow('AnswerFlow');
  const runRow = await workbench.expandSidebarRow(runId);
  assert.match((await runRow.innerText()).replace(/\u00a0/g, ' '), /succeeded/);
  assert.match(await runRow.innerText(), /#e2e/);
  await workbench.expandSidebarRow('compute');
  await workbench.expandSidebarRow(taskId);
  const artifact = workbench.sidebarRow('answer');
  await artifact.waitFor();
  assert.match(await artifact.innerText(), /int/);
  await workbench.screenshot(shots, 'run-05-explorer');
  await artifact.click();
  await page.locator('.tabs-container .tab[data-resource-name="answer.txt"]').waitFor();
  const preview = page.locator('.editor-group-container.active .monaco-editor .view-lines');
  await preview.filter({ hasText: /\S/ }).waitFor();
  assert.equal((await preview.innerText()).replace(/\u00a0/g, ' ').trim(), '42');
  await workbench.screenshot(shots, 'run-06-preview');
}

export async function runStepJourney(context: JourneyContext): Promise<void> {
  const { workbench, shots } = context;
  await context.openWorkspace('answer_flow.py');
  await workbench.openFile('answer_flow.py', 'class AnswerFlow');
  await workbench.codeLens('Run flow').click();
  await workbench.showOutputChannel('Metaflow');
  const first = startedRun(await workbench.waitForOutput(/^=== AnswerFlow\/\d+ succeeded/m, 'the end of the first run'), 'AnswerFlow');
  await workbench.screenshot(shots, 'step-01-first-run');

  await workbench.clearOutput();
  await (await workbench.codeLensAbove('Run step', 'def compute')).click();
  const text = await workbench.waitForOutput(/^=== AnswerFlow\/\d+ succeeded/m, 'the end of the spin');
  const spin = startedRun(text, 'AnswerFlow');
  assert.notEqual(spin, first);
  assert.match(text, new RegExp(`^=== Running one step \\(spin on the inputs of ${first}\\) as ${spin}$`, 'm'));
  assert.match(text, /^\[compute\/\d+\] computed the answer 42$/m);
  const taskLines = text.split('\n').filter((l) => l.startsWith('['));
  assert.ok(taskLines.length > 0 && taskLines.every((l) => l.startsWith('[compute/')), `only compute printed:\n${text}`);
  await workbench.screenshot(shots, 'step-02-spin-output');

  // The spin wrote a run of that one step, beside the datastore, and no new run in it.
  const spinId = spin.split('/')[1];
  assert.deepEqual(runIds(context, 'AnswerFlow', '.metaflow_spin').includes(spinId), true);
  const spinSteps = readdirSync(join(context.workspace, '.metaflow_spin', 'AnswerFlow', spinId)).filter((d) => !d.startsWith('_'));
  assert.deepEqual(spinSteps, ['compute']);
  assert.deepEqual(runIds(context, 'AnswerFlow'), [first.split('/')[1]]);
}

export async function failingFlowJourney(context: JourneyContext): Promise<void> {
  const { workbench, shots } = context;
  await context.openWorkspace('failing_flow.py');
  await workbench.openFile('failing_flow.py', 'class FailingFlow');
  await showDag(workbench, 'failing_flow.py');
  await workbench.codeLens('Run flow').click();

  await workbench.showOutputChannel('Metaflow');
  const text = await workbench.waitForOutput(/^=== FailingFlow\/\d+ failed/m, 'the failure of the run');
  assert.match(text, /^\[check\/\d+\] checking the limit$/m);
  assert.match(text, /^\[check\/\d+ stderr\] Traceback \(most recent call last\):$/m);
  const raising = lineOf(context, 'failing_flow.py', 'raise ValueError');
  assert.match(text, new RegExp(`^\\[check/\\d+ stderr\\]\\s+File ".*failing_flow\\.py", line ${raising}, in check$`, 'm'));
  assert.match(text, /^\[check\/\d+ stderr\] ValueError: limit 3 is too low$/m);
  await workbench.screenshot(shots, 'fail-01-output');

  const dag = workbench.dagFrame();
  await dag.locator('svg g.node[data-step="check"][data-status="failed"]').waitFor();
  assert.equal(await dag.locator('svg g.node[data-step="start"]').getAttribute('data-status'), 'succeeded');
  assert.notEqual(await dag.locator('svg g.node[data-step="end"]').getAttribute('data-status'), 'succeeded');
  await workbench.screenshot(shots, 'fail-02-dag');

  const panel = await workbench.showProblems();
  const row = panel.locator('.monaco-list-row', { hasText: 'ValueError: limit 3 is too low' });
  await row.waitFor();
  const rowText = (await row.innerText()).replace(/\u00a0/g, ' ');
  assert.match(rowText, /step check/);
  assert.match(rowText, new RegExp(`\\[Ln ${raising}, Col \\d+\\]`));
  await workbench.screenshot(shots, 'fail-03-problems');
}
