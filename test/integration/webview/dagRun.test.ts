// The DAG panel during and after a run: node statuses and fan-out counts from a folded event stream, the
// timeline of task attempts, node actions, and past runs. Real analyzer, real fold, real Chromium.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import type { FileAnalysis, FlowInfo } from '../../../src/flow/types';
import { FlowLayout } from '../../../src/layout/flowLayout';
import type { DagSnapshot, RunMode, RunStateMessage } from '../../../src/protocol/dagPanel';
import { runStateMessage } from '../../../src/protocol/dagRun';
import { createDagSnapshot } from '../../../src/protocol/dagSnapshot';
import { sortTimeline } from '../../../src/runs/timeline';
import type { RunState } from '../../../src/runs/types';
import { buildWebview, launchChromium, openDagPage, type DagPage } from './dagPage';
import type { ThemeClass } from './themes';
import { TRAIN_FLOW_SOURCE } from './trainFlowSource';
import { RUN_ID, RUN_T0, trainRun } from './trainRun';

const FILE = join(tmpdir(), 'flows', 'train_flow.py');
/** Git-ignored, so the screenshots stay for review without entering the repository. */
const SCREENSHOTS = resolve(__dirname, '../../../.test-runs/screenshots');
let browser: Browser;
let assets: Awaited<ReturnType<typeof buildWebview>>;
let analysis: FileAnalysis;
const layout = new FlowLayout();

function trainFlow(): FlowInfo {
  const flow = analysis.flows.find((f) => f.name === 'TrainFlow');
  assert.ok(flow);
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

async function withPage(fn: (p: DagPage) => Promise<void>, options: Parameters<typeof openDagPage>[2] = {}): Promise<void> {
  const p = await openDagPage(browser, assets, { width: 1200, height: 900, ...options });
  try {
    await fn(p);
    assert.deepEqual(await p.problems(), [], 'no CSP violations or page errors');
  } finally {
    await p.close();
  }
}

/** What the host sends for a run: the snapshot drawn with the run's step states, then the full run state. */
async function showRun(p: DagPage, state: RunState, mode: RunMode = 'live'): Promise<{ snapshot: DagSnapshot; message: RunStateMessage }> {
  const flow = trainFlow();
  const message = runStateMessage(state, mode, RUN_T0 + 60_000);
  const graph = await layout.layout(flow, message.steps);
  const snapshot = createDagSnapshot({ file: FILE, analysis, flow, graph, run: { runId: message.runId, status: message.status, mode } });
  await p.send({ type: 'snapshot', snapshot });
  await p.waitFor(`document.querySelectorAll('svg.dag g.node').length === ${graph.nodes.length}`);
  await p.send(message);
  await p.waitFor(`document.querySelector('svg.timeline')?.getAttribute('data-bars') === '${message.timeline?.bars}'`);
  return { snapshot, message };
}

async function openTimeline(p: DagPage): Promise<void> {
  await p.page.getByRole('button', { name: 'Timeline' }).click();
  await p.waitFor(`document.querySelector('.timeline-pane') && !document.querySelector('.timeline-pane').hidden && document.querySelectorAll('rect.tl-bar').length > 0`);
}

test('nodes take their status, fan-out counts, duration and failure from the run state', async () => {
  const state = trainRun(trainFlow(), { shards: 20, finished: 12, running: 5, failShard: 3, retryEvery: 5 });
  await withPage(async (p) => {
    const { message } = await showRun(p, state);
    for (const [step, run] of Object.entries(message.steps)) {
      assert.equal(await p.page.locator(`g.node[data-step="${step}"]`).getAttribute('data-status'), run.status, step);
    }
    assert.equal(await p.page.locator('g.node[data-step="start"]').getAttribute('data-status'), 'succeeded');
    assert.equal(await p.page.locator('g.node[data-step="end"]').getAttribute('data-status'), 'pending');
    const train = p.page.locator('g.node[data-step="train"]');
    assert.equal(await train.getAttribute('data-status'), 'running');
    // 12 finished (11 succeeded, 1 failed for good), 5 running, 3 not started of 20.
    assert.equal(await train.locator('.run-info').textContent(), '12/20 ↻1');
    const counts = await train.locator('.progress-seg').evaluateAll((segs) => Object.fromEntries(segs.map((s) => [s.getAttribute('data-state'), Number(s.getAttribute('data-count'))])));
    assert.deepEqual(counts, { succeeded: 11, failed: 1, running: 5, retrying: 0, pending: 3 });
    const tip = (await train.locator('title').textContent()) ?? '';
    assert.match(tip, /12 of 20 tasks done \(11 succeeded, 1 failed, 5 running, 3 pending\)/);
    assert.match(tip, /ValueError: shard 3 is empty/, 'the failing task says why in the tooltip');
    assert.match((await train.getAttribute('aria-label')) ?? '', /5 running/);
    // A finished single-task step shows how long it took.
    assert.equal(await p.page.locator('g.node[data-step="join_inputs"] .run-info').textContent(), '40 ms');
    assert.equal(await p.page.locator('g.node[data-step="load_data"] .run-info').textContent(), '190 ms ↻1');
  });
});

test('a failed step is marked failed with its error in the tooltip once the run ends', async () => {
  const state = trainRun(trainFlow(), { shards: 4, failShard: 2, end: true });
  await withPage(async (p) => {
    await showRun(p, state);
    const train = p.page.locator('g.node[data-step="train"]');
    assert.equal(await train.getAttribute('data-status'), 'failed');
    assert.match((await train.locator('title').textContent()) ?? '', /TrainFlow\/1700000000\/train\/\d+: ValueError: shard 2 is empty/);
    assert.match((await p.page.locator('.run-status').textContent()) ?? '', /Run 1700000000 · failed/);
  });
});

test('the timeline draws one bar per attempt grouped by step, marks retries, and sorts by start or duration', async () => {
  const state = trainRun(trainFlow(), { shards: 12, failShard: 4, retryEvery: 5, end: true });
  await withPage(async (p) => {
    const { message } = await showRun(p, state);
    const model = message.timeline!;
    assert.equal(await p.page.locator('.timeline-pane').isVisible(), false, 'hidden until asked for');
    await openTimeline(p);
    assert.equal(await p.page.getByRole('button', { name: 'Timeline' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await p.page.locator('rect.tl-bar').count(), model.bars);
    assert.equal(model.tasks, 5 + 12);
    assert.equal(model.bars, 5 + 1 + 12 + 1 + 3, 'load_data, the failing shard and shards 0, 5 and 10 have two attempts');
    // By start time (the default): load_config and load_data start together, and the shorter one ends first.
    assert.deepEqual(await p.page.locator('g.tl-group').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-step'))), ['start', 'load_config', 'load_data', 'join_inputs', 'fan_out', 'train']);
    // Retries: both attempts on the task's row, the later one marked, and a ↻ count by the row.
    const retried = p.page.locator('g.tl-row[data-retried]');
    assert.equal(await retried.count(), 5);
    assert.equal(await p.page.locator('rect.tl-bar.tl-retry').count(), 5);
    const failing = p.page.locator(`g.tl-row[data-status="failed"]`);
    assert.equal(await failing.count(), 1);
    assert.deepEqual(await failing.locator('rect.tl-bar').evaluateAll((bars) => bars.map((b) => [b.getAttribute('data-attempt'), b.getAttribute('data-status')])), [
      ['0', 'failed'],
      ['1', 'failed'],
    ]);
    assert.equal(await failing.locator('.tl-retry-mark').textContent(), '↻1');
    const tip = (await failing.locator('rect.tl-bar[data-attempt="1"] title').textContent()) ?? '';
    assert.match(tip, /^TrainFlow\/1700000000\/train\/\d+ \[4\]\nAttempt 2 of 2: failed\nTook .* after the run started\nValueError: shard 4 is empty/);
    const bars = await failing.locator('rect.tl-bar').evaluateAll((bs) => bs.map((b) => Number(b.getAttribute('x')) + Number(b.getAttribute('width'))));
    const starts = await failing.locator('rect.tl-bar').evaluateAll((bs) => bs.map((b) => Number(b.getAttribute('x'))));
    assert.ok(starts[1] >= bars[0], 'the retry is drawn after the failed attempt, on the same row');

    const trainRows = () => p.page.locator('g.tl-row[data-step="train"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pathspec')));
    const byStart = await trainRows();
    const trainGroup = model.groups.find((g) => g.step === 'train')!;
    assert.deepEqual(byStart, trainGroup.rows.map((r) => r.pathspec));
    await p.page.getByRole('combobox', { name: 'Sort tasks by' }).selectOption('duration');
    await p.waitFor(`document.querySelector('svg.timeline').getAttribute('data-sort') === 'duration'`);
    const byDuration = await trainRows();
    const expected = sortTimeline(model.groups, 'duration').find((g) => g.step === 'train')!.rows.map((r) => r.pathspec);
    assert.deepEqual(byDuration, expected);
    assert.notDeepEqual(byDuration, byStart, 'sorting changed the order');
    const durations = sortTimeline(model.groups, 'duration').find((g) => g.step === 'train')!.rows.map((r) => r.durationMs);
    assert.deepEqual(durations, [...durations].sort((a, b) => b - a));
    assert.equal(await p.page.locator('g.tl-group').first().getAttribute('data-step'), 'train', 'the longest step comes first');
  });
});

test('clicking a bar or pressing Enter on it opens that task’s logs; arrow keys move between bars', async () => {
  const state = trainRun(trainFlow(), { shards: 6, retryEvery: 3, end: true });
  await withPage(async (p) => {
    const { message } = await showRun(p, state);
    await openTimeline(p);
    const row = message.timeline!.groups.find((g) => g.step === 'train')!.rows[2];
    await p.page.locator(`rect.tl-bar[data-pathspec="${row.pathspec}"]`).first().click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'showTaskLogs', pathspec: row.pathspec });
    await p.page.keyboard.press('ArrowDown');
    const focused = () => p.value<string | null>(`document.activeElement?.getAttribute('data-pathspec') ?? null`);
    const next = message.timeline!.groups.find((g) => g.step === 'train')!.rows[3];
    assert.equal(await focused(), next.pathspec);
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'showTaskLogs', pathspec: next.pathspec });
  });
});

test('node actions: a click lists the step’s tasks, the toolbar and the context menu run, resume and reveal', async () => {
  const state = trainRun(trainFlow(), { shards: 3, end: true });
  await withPage(async (p) => {
    await showRun(p, state);
    const action = (a: string, step: string) => ({ type: 'stepAction', action: a, file: FILE, flow: 'TrainFlow', step });
    const runStep = p.page.locator('.run-actions button[data-action="runStep"]');
    assert.equal(await runStep.isDisabled(), true, 'no step selected yet');
    await p.page.getByRole('button', { name: 'Run flow' }).click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'runFlow', file: FILE, flow: 'TrainFlow' });

    await p.page.locator('g.node[data-step="train"] .card').click();
    assert.deepEqual((await p.posted()).at(-1), action('showTasks', 'train'), 'with a run shown, a click lists the tasks');
    assert.equal(await p.page.locator('g.node.selected').getAttribute('data-step'), 'train');
    await p.page.getByRole('button', { name: 'Run step: train' }).click();
    assert.deepEqual((await p.posted()).at(-1), action('runStep', 'train'));
    await p.page.getByRole('button', { name: 'Resume from here: train' }).click();
    assert.deepEqual((await p.posted()).at(-1), action('resumeFromStep', 'train'));

    await p.page.locator('g.node[data-step="choose"] .card').click({ button: 'right' });
    const menu = p.page.getByRole('menu', { name: 'Step choose' });
    assert.equal(await menu.isVisible(), true);
    await menu.getByRole('menuitem', { name: 'Resume from here' }).click();
    assert.deepEqual((await p.posted()).at(-1), action('resumeFromStep', 'choose'));
    assert.equal(await menu.isVisible(), false);

    // Keyboard: Shift+F10 on a focused step opens the menu, arrows move, Enter picks, focus comes back.
    await p.page.locator('g.node[data-step="fan_out"]').focus();
    await p.page.keyboard.press('Shift+F10');
    assert.equal(await p.value<string | null>(`document.activeElement?.textContent ?? null`), 'Go to definition');
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), action('runStep', 'fan_out'));
    assert.equal(await p.value<string | null>(`document.activeElement?.getAttribute('data-step') ?? null`), 'fan_out');
    await p.page.keyboard.press('ContextMenu');
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'revealStep', file: FILE, flow: 'TrainFlow', step: 'fan_out' });
    await p.page.keyboard.press('Shift+F10');
    await p.page.keyboard.press('Escape');
    assert.equal(await p.page.getByRole('menu').isVisible(), false);
    assert.equal(await p.value<string | null>(`document.activeElement?.getAttribute('data-step') ?? null`), 'fan_out');
  });
});

test('a past run says so in the header and offers Live; the next live run state replaces it', async () => {
  const state = trainRun(trainFlow(), { shards: 3, end: true });
  await withPage(async (p) => {
    await showRun(p, state, 'past');
    assert.equal(await p.page.locator('.run-status').textContent(), `Past run ${RUN_ID} · succeeded`);
    const live = p.page.getByRole('button', { name: 'Live' });
    assert.equal(await live.isVisible(), true);
    await live.click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'showLive' });
    const next = runStateMessage(trainRun(trainFlow(), { shards: 3, finished: 1, running: 2 }), 'live', RUN_T0 + 1000);
    await p.send(next);
    await p.waitFor(`document.querySelector('.run-status').textContent === 'Run ${RUN_ID} · running'`);
    assert.equal(await live.isVisible(), false);
  });
});

test('a run of 1,000 tasks draws only the rows in view, and scrolling draws the rest', async () => {
  const state = trainRun(trainFlow(), { shards: 1000, retryEvery: 10, end: true });
  await withPage(async (p) => {
    const { message } = await showRun(p, state);
    await openTimeline(p);
    const drawn = await p.page.locator('rect.tl-bar').count();
    assert.equal(await p.page.locator('svg.timeline').getAttribute('data-bars'), String(message.timeline!.bars));
    assert.ok(drawn > 10 && drawn < 200, `only the rows in view are drawn (${drawn})`);
    const last = message.timeline!.groups.at(-1)!.rows.at(-1)!.pathspec;
    assert.equal(await p.page.locator(`g.tl-row[data-pathspec="${last}"]`).count(), 0);
    await p.page.locator('.timeline-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await p.waitFor(`document.querySelector('g.tl-row[data-pathspec="${last}"]') !== null`);
  });
});

/** RGB of the pixels at the given points of a PNG, decoded by Chromium in a blank page. */
async function pixels(page: Page, png: Buffer, points: Array<{ x: number; y: number }>): Promise<number[][]> {
  const viewer = await page.context().newPage();
  try {
    return await viewer.evaluate<number[][]>(`(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return ${JSON.stringify(points)}.map((p) => Array.from(ctx.getImageData(p.x, p.y, 1, 1).data.slice(0, 3)));
    })()`);
  } finally {
    await viewer.close();
  }
}

test('the timeline reads in light and dark themes: failed and succeeded bars differ in colour (screenshots kept)', async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const state = trainRun(trainFlow(), { shards: 8, failShard: 2, retryEvery: 3, end: true });
  const seen: Record<string, number[][]> = {};
  for (const theme of ['vscode-light', 'vscode-dark'] as ThemeClass[]) {
    await withPage(
      async (p) => {
        await showRun(p, state);
        await openTimeline(p);
        const path = join(SCREENSHOTS, `timeline-${theme}.png`);
        const png = await p.page.screenshot({ path });
        const centre = async (selector: string) => {
          const box = await p.page.locator(selector).first().boundingBox();
          assert.ok(box, selector);
          return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
        };
        const points = [await centre('g.tl-row[data-status="failed"] rect.tl-bar[data-attempt="1"]'), await centre('g.tl-row[data-status="succeeded"]:not([data-retried]) rect.tl-bar'), await centre('.timeline-scroll')];
        const [failed, succeeded] = await pixels(p.page, png, points);
        const background = await pixels(p.page, png, [{ x: 2, y: 2 + (await p.page.locator('.timeline-pane').boundingBox())!.y }]);
        const distance = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        assert.ok(distance(failed, succeeded) > 60, `${theme}: failed ${failed} and succeeded ${succeeded} bars differ`);
        assert.ok(distance(failed, background[0]) > 60 && distance(succeeded, background[0]) > 60, `${theme}: bars stand out from the background ${background[0]}`);
        assert.ok(failed[0] > failed[1] && failed[0] > failed[2], `${theme}: a failed bar is red (${failed})`);
        seen[theme] = [failed, succeeded, background[0]];
      },
      { theme },
    );
  }
  assert.notDeepEqual(seen['vscode-light'][2], seen['vscode-dark'][2], 'the two themes have different backgrounds');
});
