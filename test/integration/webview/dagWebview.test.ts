import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import type { FileAnalysis, FlowInfo } from '../../../src/flow/types';
import { createDagSnapshot } from '../../../src/protocol/dagSnapshot';
import { FlowLayout } from '../../../src/layout/flowLayout';
import type { StepRunState } from '../../../src/layout/types';
import type { DagSnapshot } from '../../../src/protocol/dagPanel';
import { buildWebview, launchChromium, openDagPage, type DagPage } from './dagPage';
import type { ThemeClass } from './themes';
import { TRAIN_FLOW_SOURCE } from './trainFlowSource';

const FILE = join(tmpdir(), 'flows', 'train_flow.py');
const PARSE_EXPORT = `(svg) => {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  return {
    error: doc.querySelector('parsererror')?.textContent ?? null,
    root: doc.documentElement.localName,
    viewBox: doc.documentElement.getAttribute('viewBox'),
    steps: [...doc.querySelectorAll('g[data-step]')].map((n) => n.getAttribute('data-step')),
    cardStyle: doc.querySelector('g[data-step="start"] rect')?.getAttribute('style') ?? '',
    usesVariables: svg.includes('var(--'),
  };
}`;
let browser: Browser;
let assets: Awaited<ReturnType<typeof buildWebview>>;
const layout = new FlowLayout();
let analysis: FileAnalysis;

function trainFlow(): FlowInfo {
  const flow = analysis.flows.find((f) => f.name === 'TrainFlow');
  assert.ok(flow, 'the analyzer finds TrainFlow');
  return flow;
}

before(async () => {
  analysis = (await createFlowAnalyzer()).analyze(FILE, TRAIN_FLOW_SOURCE);
  assets = await buildWebview();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  assets?.dispose();
});

async function snapshotOf(run?: Record<string, StepRunState>): Promise<DagSnapshot> {
  const flow = trainFlow();
  return createDagSnapshot({ file: FILE, analysis, flow, graph: await layout.layout(flow, run) });
}

async function withPage(fn: (p: DagPage) => Promise<void>, options: Parameters<typeof openDagPage>[2] = {}): Promise<void> {
  const p = await openDagPage(browser, assets, options);
  try {
    await fn(p);
    assert.deepEqual(await p.problems(), [], 'no CSP violations or page errors');
  } finally {
    await p.close();
  }
}

async function drawn(p: DagPage, snapshot: DagSnapshot): Promise<void> {
  await p.send({ type: 'snapshot', snapshot });
  await p.waitFor(`document.querySelectorAll('svg g.node').length === ${snapshot.graph.nodes.length}`);
}

test('says ready on load and shows an empty state until a snapshot arrives', async () => {
  await withPage(async (p) => {
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    await p.send({ type: 'empty', message: 'No flow in the active editor. Open a Python file that defines a FlowSpec subclass.' });
    await p.page.getByText('No flow in the active editor').waitFor();
    assert.equal(await p.page.locator('g.node').count(), 0);
    assert.equal(await p.page.getByRole('button', { name: 'Zoom in' }).isVisible(), false, 'no graph controls without a graph');
  });
});

test('draws one node per step with its type, badges and lint marking, and one edge per transition', async () => {
  const flow = trainFlow();
  const snapshot = await snapshotOf();
  await withPage(async (p) => {
    await drawn(p, snapshot);
    assert.equal(await p.page.locator('svg.dag').count(), 1, 'one drawing of the graph');
    for (const step of flow.steps) {
      const node = p.page.locator(`svg g.node[data-step="${step.name}"]`);
      assert.equal(await node.count(), 1, step.name);
      assert.equal(await node.getAttribute('data-type'), step.type);
      assert.equal(await node.getAttribute('data-status'), 'idle');
      assert.equal(await node.locator('text.name').textContent(), step.name);
    }
    for (const edge of snapshot.graph.edges) {
      assert.equal(await p.page.locator(`svg g.edge[data-from="${edge.from}"][data-to="${edge.to}"]`).count(), 1, edge.id);
    }
    assert.equal(await p.page.locator('svg g.edge').count(), snapshot.graph.edges.length);
    assert.deepEqual(await p.page.locator('g.node[data-step="train"] .badge text').allTextContents(), ['@kubernetes', '@retry', '@timeout', '@catch', '@resources']);
    const report = p.page.locator('g.node[data-step="report"]');
    assert.equal(await report.getAttribute('data-error'), 'true');
    assert.match((await report.locator('title').textContent()) ?? '', /takes an 'inputs' argument/);
    const marked = await p.page.locator('g.node[data-error="true"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-step')));
    assert.deepEqual(marked.sort(), [...new Set(flow.errors.flatMap((e) => e.steps))].sort(), 'exactly the steps with lint errors are marked');
    assert.equal(await p.page.locator('g.edge[data-from="fan_out"] .edge-label text').textContent(), 'shards');
    assert.equal(await p.page.locator('g.edge[data-from="choose"][data-to="deploy"] .edge-label text').textContent(), 'good');
    assert.equal(await p.page.locator('g.edge[data-from="choose"][data-to="choose"]').getAttribute('data-kind'), 'loop');
    assert.equal(await p.page.locator('g.node[data-step="fan_out"] .subtitle').textContent(), 'foreach shards');
    assert.equal(await p.page.locator('header .flow-title').textContent(), 'TrainFlow');
  });
});

test('a runState message changes the status, progress and retry count of the steps', async () => {
  const snapshot = await snapshotOf();
  await withPage(async (p) => {
    await drawn(p, snapshot);
    await p.send({
      type: 'runState',
      runId: '1700000000',
      status: 'running',
      steps: { start: { status: 'succeeded' }, train: { status: 'running', tasksDone: 37, tasksTotal: 100, retries: 2 }, load_data: { status: 'failed' } },
    });
    const train = p.page.locator('g.node[data-step="train"]');
    await p.waitFor(`document.querySelector('g.node[data-step="train"]')?.getAttribute('data-status') === 'running'`);
    assert.equal(await p.page.locator('g.node[data-step="start"]').getAttribute('data-status'), 'succeeded');
    assert.equal(await p.page.locator('g.node[data-step="load_data"]').getAttribute('data-status'), 'failed');
    assert.equal(await p.page.locator('g.node[data-step="end"]').getAttribute('data-status'), 'idle');
    assert.equal(await train.locator('.run-info').textContent(), '37/100 ↻2');
    assert.match((await p.page.locator('.run-status').textContent()) ?? '', /1700000000 · running/);
    await p.send({ type: 'runState', runId: '1700000000', status: 'succeeded', steps: { train: { status: 'succeeded', tasksDone: 100, tasksTotal: 100 } } });
    await p.waitFor(`document.querySelector('g.node[data-step="train"]')?.getAttribute('data-status') === 'succeeded'`);
    assert.equal(await train.locator('.run-info').textContent(), '100/100');
  });
});

test('clicking a node and pressing Enter on a focused node post revealStep; arrow keys follow edges', async () => {
  const snapshot = await snapshotOf();
  await withPage(async (p) => {
    await drawn(p, snapshot);
    await p.page.locator('g.node[data-step="join_inputs"] .card').click();
    const reveal = (step: string) => ({ type: 'revealStep', file: FILE, flow: 'TrainFlow', step });
    assert.deepEqual((await p.posted()).at(-1), reveal('join_inputs'));

    await p.page.locator('g.node[data-step="start"]').focus();
    const focused = () => p.value<string | null>(`document.activeElement?.getAttribute('data-step') ?? null`);
    await p.page.keyboard.press('ArrowDown');
    const firstChild = await focused();
    assert.ok(firstChild === 'load_data' || firstChild === 'load_config', `ArrowDown from start went to ${firstChild}`);
    await p.page.keyboard.press(firstChild === 'load_data' ? 'ArrowRight' : 'ArrowLeft');
    assert.equal(await focused(), firstChild === 'load_data' ? 'load_config' : 'load_data', 'left/right move within a layer');
    await p.page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'join_inputs');
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'train');
    await p.page.keyboard.press('ArrowUp');
    assert.equal(await focused(), 'fan_out');
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), reveal('fan_out'));
    assert.equal(await p.page.locator('g.edge.related').count(), 2, 'edges of the focused step are highlighted');
    await p.page.keyboard.press('Tab');
    assert.equal(await focused(), 'train', 'Tab moves to the next step in Metaflow order');
  });
});

test('each step tells assistive technology which steps lead to it and where it goes', async () => {
  const snapshot = await snapshotOf();
  await withPage(async (p) => {
    await drawn(p, snapshot);
    const description = (step: string) => p.page.locator(`g.node[data-step="${step}"]`).getAttribute('aria-description');
    // With the tooltip's docstring and decorators, which a description of its own would otherwise hide.
    assert.equal(await description('start'), 'Next: load_data, load_config. Begin.');
    assert.equal(await description('load_data'), 'After: start. Next: join_inputs. @kubernetes @retry');
    assert.equal(await description('join_inputs'), 'After: load_data, load_config. Next: fan_out.');
    assert.equal(await description('fan_out'), 'After: join_inputs. Next: train, for each item of shards.');
    assert.equal(await description('choose'), 'After: join_models, choose. Next: deploy when good, choose when retrain, report when bad.');
    assert.equal(await description('end'), 'After: deploy, report.');
  });
});

test('a redraw with the same problems and run status leaves the live regions alone, so screen readers do not repeat them', async () => {
  const snapshot: DagSnapshot = { ...(await snapshotOf()), flowErrors: ['Line 4: Flow TrainFlow has no end step.'], run: { runId: '1700000000', status: 'running' } };
  await withPage(async (p) => {
    await drawn(p, snapshot);
    await p.value(`(() => {
      window.__liveChanges = 0;
      const observer = new MutationObserver((records) => { window.__liveChanges += records.length; });
      for (const el of document.querySelectorAll('[role="alert"], [role="status"]')) observer.observe(el, { childList: true, characterData: true, subtree: true });
      return true;
    })()`);
    const zoom = await p.value<string>(`document.querySelector('.zoom-level').textContent`);
    // What a re-analysis after each pause in typing sends: an equal snapshot, as a new object.
    await p.send({ type: 'snapshot', snapshot: JSON.parse(JSON.stringify(snapshot)) as DagSnapshot });
    await p.send({ type: 'snapshot', snapshot: JSON.parse(JSON.stringify(snapshot)) as DagSnapshot });
    await p.send({ type: 'command', command: 'zoomIn' });
    await p.waitFor(`document.querySelector('.zoom-level').textContent !== ${JSON.stringify(zoom)}`);
    assert.equal(await p.value<number>('window.__liveChanges'), 0, 'nothing new to announce');
    await p.send({ type: 'snapshot', snapshot: { ...snapshot, flowErrors: ['Line 9: Flow TrainFlow has no start step.'] } });
    await p.waitFor(`document.querySelector('[role="alert"]').textContent.includes('Line 9')`);
    assert.ok((await p.value<number>('window.__liveChanges')) > 0, 'a new problem is announced');
  });
});

test('zooms with keys and buttons, fits automatically and keeps its view and drawing across a reload', async () => {
  const snapshot = await snapshotOf();
  await withPage(async (p) => {
    await drawn(p, snapshot);
    const scale = async () => {
      const transform = await p.page.locator('[data-layer="viewport"]').getAttribute('transform');
      return Number(/scale\(([\d.]+)\)/.exec(transform ?? '')?.[1]);
    };
    const fitted = await scale();
    const box = await p.page.locator('svg.dag').boundingBox();
    const graphBox = await p.page.locator('[data-layer="viewport"]').boundingBox();
    assert.ok(box && graphBox);
    assert.ok(graphBox.y >= box.y - 1 && graphBox.y + graphBox.height <= box.y + box.height + 1, 'the fitted graph is fully visible');
    await p.page.getByRole('button', { name: 'Zoom in' }).click();
    assert.ok((await scale()) > fitted);
    await p.page.locator('svg.dag').focus();
    await p.page.keyboard.press('-');
    await p.page.keyboard.press('-');
    assert.ok((await scale()) < fitted);
    await p.page.keyboard.press('0');
    assert.equal(await scale(), fitted);
    await p.page.keyboard.press('1');
    assert.equal(await scale(), 1);
    await p.page.mouse.move(box.x + 300, box.y + 300);
    await p.page.mouse.wheel(0, -300);
    assert.ok((await scale()) > 1, 'the wheel zooms');
    const before = await p.page.locator('[data-layer="viewport"]').getAttribute('transform');
    await p.waitFor('window.__state?.view !== undefined');
    await p.page.waitForTimeout(400);
    const state = await p.value<unknown>('window.__state');
    await withPage(async (reloaded) => {
      await reloaded.waitFor(`document.querySelectorAll('g.node').length === ${snapshot.graph.nodes.length}`);
      assert.equal(await reloaded.page.locator('[data-layer="viewport"]').getAttribute('transform'), before, 'the view is restored');
    }, { state });
  });
});

test('pans by dragging the background without revealing a step', async () => {
  const snapshot = await snapshotOf();
  await withPage(async (p) => {
    await drawn(p, snapshot);
    const before = await p.page.locator('[data-layer="viewport"]').getAttribute('transform');
    const node = await p.page.locator('g.node[data-step="end"] .card').boundingBox();
    assert.ok(node);
    await p.page.mouse.move(node.x + 10, node.y + 10);
    await p.page.mouse.down();
    await p.page.mouse.move(node.x + 80, node.y - 60, { steps: 5 });
    await p.page.mouse.up();
    assert.notEqual(await p.page.locator('[data-layer="viewport"]').getAttribute('transform'), before);
    assert.equal((await p.posted()).filter((m) => m.type === 'revealStep').length, 0, 'a drag is not a click');
  });
});

test('exports the drawing as a standalone SVG with its colours inlined, from the button or a host command', async () => {
  const snapshot = await snapshotOf();
  await withPage(async (p) => {
    await drawn(p, snapshot);
    await p.page.getByRole('button', { name: 'Export as SVG' }).click();
    const message = (await p.posted()).find((m) => m.type === 'exportSvg');
    assert.ok(message && message.type === 'exportSvg');
    assert.equal(message.flow, 'TrainFlow');
    // Parsed in a page of its own: the webview's CSP (rightly) refuses the style attributes of a file meant for elsewhere.
    const viewer = await p.page.context().newPage();
    const parsed = await viewer.evaluate<{ error: string | null; root: string; viewBox: string | null; steps: string[]; cardStyle: string; usesVariables: boolean }>(`(${PARSE_EXPORT})(${JSON.stringify(message.svg)})`);
    await viewer.close();
    assert.equal(parsed.error, null);
    assert.equal(parsed.root, 'svg');
    assert.equal(parsed.viewBox, `0 0 ${snapshot.graph.width} ${snapshot.graph.height}`);
    assert.deepEqual(parsed.steps, snapshot.graph.nodes.map((n) => n.step));
    assert.match(parsed.cardStyle, /fill: rgb\(37, 37, 38\)/, 'the card colour is resolved from the theme');
    assert.equal(parsed.usesVariables, false);

    await p.send({ type: 'command', command: 'exportSvg' });
    await p.waitFor(`window.__posted.filter((m) => m.type === 'exportSvg').length === 2`);
  });
});

test('offers a flow picker for files with several flows and posts selectFlow', async () => {
  const snapshot = await snapshotOf();
  assert.deepEqual(snapshot.flows, ['TrainFlow', 'OtherFlow']);
  await withPage(async (p) => {
    await drawn(p, snapshot);
    const picker = p.page.getByRole('combobox', { name: 'Flow to draw' });
    assert.equal(await picker.inputValue(), 'TrainFlow');
    await picker.selectOption('OtherFlow');
    assert.deepEqual((await p.posted()).at(-1), { type: 'selectFlow', file: FILE, flow: 'OtherFlow' });
  });
});

test('looks right in each theme (screenshots for review)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dag-screens-'));
  const run: Record<string, StepRunState> = {
    start: { status: 'succeeded' },
    load_data: { status: 'succeeded', retries: 1 },
    load_config: { status: 'succeeded' },
    join_inputs: { status: 'succeeded' },
    fan_out: { status: 'succeeded' },
    train: { status: 'running', tasksDone: 37, tasksTotal: 100 },
    join_models: { status: 'pending' },
    choose: { status: 'retrying', retries: 2 },
  };
  const snapshot = await snapshotOf(run);
  snapshot.run = { runId: '1700000000', status: 'running' };
  for (const theme of ['vscode-dark', 'vscode-light', 'vscode-high-contrast'] as ThemeClass[]) {
    await withPage(async (p) => {
      await drawn(p, snapshot);
      await p.page.locator('g.node[data-step="deploy"]').focus();
      const path = join(dir, `${theme}.png`);
      await p.page.screenshot({ path });
      const background = await p.value<string>(`getComputedStyle(document.querySelector('svg.dag')).backgroundColor`);
      assert.notEqual(background, 'rgba(0, 0, 0, 0)', 'the canvas takes the editor background');
    }, { theme, width: 900, height: 1100 });
  }
  if (process.env.DAG_SCREENSHOTS) console.log(`screenshots in ${dir}`);
});
