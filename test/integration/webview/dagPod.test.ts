// The DAG panel's links to Kubernetes: "Show pod" in a node's menu is enabled only on steps whose tasks ran on
// Kubernetes in the run shown, and posts the step action; "Run on Kubernetes" in the toolbar posts Run Flow
// with Kubernetes as its target. Real analyzer, real fold, real Chromium.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import type { FileAnalysis, FlowInfo } from '../../../src/flow/types';
import { FlowLayout } from '../../../src/layout/flowLayout';
import { runStateMessage } from '../../../src/protocol/dagRun';
import { createDagSnapshot } from '../../../src/protocol/dagSnapshot';
import { buildWebview, launchChromium, openDagPage } from './dagPage';
import { TRAIN_FLOW_SOURCE } from './trainFlowSource';
import { RUN_T0, trainRun } from './trainRun';

const FILE = join(tmpdir(), 'flows', 'train_flow.py');
let browser: Browser;
let assets: Awaited<ReturnType<typeof buildWebview>>;
let analysis: FileAnalysis;

before(async () => {
  analysis = (await createFlowAnalyzer()).analyze(FILE, TRAIN_FLOW_SOURCE);
  assets = await buildWebview();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  assets?.dispose();
});

test('"Show pod" only where a task ran on Kubernetes; "Run on Kubernetes" runs the flow there', async () => {
  const flow = analysis.flows.find((f) => f.name === 'TrainFlow') as FlowInfo;
  const state = trainRun(flow, { shards: 3, end: true });
  for (const task of state.tasks.values()) {
    if (task.step !== 'train') continue;
    for (const attempt of task.attempts) attempt.executor = { kind: 'kubernetes', context: 'aks-dev', namespace: 'ml', job: `t-${task.taskId}-`, pod: `t-${task.taskId}-abcde` };
  }
  const message = runStateMessage(state, 'live', RUN_T0 + 60_000);
  assert.deepEqual(message.podSteps, ['train']);
  const p = await openDagPage(browser, assets, { width: 1200, height: 900 });
  try {
    const graph = await new FlowLayout().layout(flow, message.steps);
    await p.send({ type: 'snapshot', snapshot: createDagSnapshot({ file: FILE, analysis, flow, graph, run: { runId: message.runId, status: message.status, mode: 'live' } }) });
    await p.waitFor(`document.querySelectorAll('svg.dag g.node').length === ${graph.nodes.length}`);
    await p.send(message);

    await p.page.locator('g.node[data-step="start"] .card').click({ button: 'right' });
    const startMenu = p.page.getByRole('menu', { name: 'Step start' });
    assert.equal(await startMenu.getByRole('menuitem', { name: 'Show pod' }).isDisabled(), true, 'start ran locally');
    await p.page.keyboard.press('Escape');

    await p.page.locator('g.node[data-step="train"] .card').click({ button: 'right' });
    const trainMenu = p.page.getByRole('menu', { name: 'Step train' });
    const showPod = trainMenu.getByRole('menuitem', { name: 'Show pod' });
    assert.equal(await showPod.isDisabled(), false);
    await showPod.click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'stepAction', action: 'showPod', file: FILE, flow: 'TrainFlow', step: 'train' });

    await p.page.getByRole('button', { name: 'Run on Kubernetes' }).click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'runFlow', file: FILE, flow: 'TrainFlow', target: 'kubernetes' });
    assert.deepEqual(await p.problems(), [], 'no CSP violations or page errors');
  } finally {
    await p.close();
  }
});
