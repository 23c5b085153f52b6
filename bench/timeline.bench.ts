// The run timeline at 1,000 tasks: building its model and the run message in the extension host, the
// message's size, and in headless Chromium the time from the message to the frame that shows the bars,
// a live update, a re-sort and a scroll. Prints JSON lines; nothing is asserted.
import { createFlowAnalyzer } from '../src/flow/analyzer';
import { FlowLayout } from '../src/layout/flowLayout';
import { runStateMessage } from '../src/protocol/dagRun';
import { createDagSnapshot } from '../src/protocol/dagSnapshot';
import { buildTimeline } from '../src/runs/timeline';
import { buildWebview, launchChromium, openDagPage, type DagPage } from '../test/integration/webview/dagPage';
import { TRAIN_FLOW_SOURCE } from '../test/integration/webview/trainFlowSource';
import { RUN_T0, trainRun } from '../test/integration/webview/trainRun';

const SHARDS = 1000;
const REPEATS = 7;
const FILE = '/bench/train_flow.py';

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs `action` (page-side source) and resolves with the ms until the frame after `done` (page-side expression) holds. */
function frameAfter(p: DagPage, action: string, done: string): Promise<number> {
  return p.value<number>(`new Promise((resolve) => {
    const t0 = performance.now();
    ${action};
    const check = () => {
      if (${done}) requestAnimationFrame(() => resolve(performance.now() - t0));
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  })`);
}

async function main(): Promise<void> {
  const analysis = (await createFlowAnalyzer()).analyze(FILE, TRAIN_FLOW_SOURCE);
  const flow = analysis.flows.find((f) => f.name === 'TrainFlow')!;
  const finished = trainRun(flow, { shards: SHARDS, retryEvery: 10, end: true });
  const live = trainRun(flow, { shards: SHARDS, finished: 600, running: 8, retryEvery: 10 });
  const now = RUN_T0 + 60_000;

  const model: number[] = [];
  const message: number[] = [];
  for (let i = 0; i < REPEATS * 3; i += 1) {
    let t = performance.now();
    buildTimeline(finished, now);
    model.push(performance.now() - t);
    t = performance.now();
    runStateMessage(finished, 'live', now);
    message.push(performance.now() - t);
  }
  const full = runStateMessage(finished, 'live', now);
  const tasks = full.timeline!.tasks;
  const bars = full.timeline!.bars;
  emit('timeline.1000.model', median(model), 'ms', { tasks, bars, runs: model.length, note: 'RunState -> bars grouped by step, in the extension host' });
  emit('timeline.1000.message', median(message), 'ms', { tasks, bars, runs: message.length, note: 'step states and timeline: the full runState message' });
  emit('timeline.1000.messageSize', Buffer.byteLength(JSON.stringify(full)) / 1024, 'KiB', { tasks, bars });

  const graph = await new FlowLayout().layout(flow, full.steps);
  const snapshot = createDagSnapshot({ file: FILE, analysis, flow, graph, run: { runId: full.runId, status: full.status, mode: 'live' } });
  const update = runStateMessage(live, 'live', now);
  const assets = await buildWebview();
  const browser = await launchChromium();
  const figures: Record<string, number[]> = { render: [], update: [], sort: [], scroll: [] };
  let drawn = 0;
  try {
    for (let i = 0; i < REPEATS; i += 1) {
      const p = await openDagPage(browser, assets, { width: 1280, height: 900 });
      await p.send({ type: 'snapshot', snapshot });
      await p.waitFor(`document.querySelectorAll('svg.dag g.node').length === ${graph.nodes.length}`);
      await p.page.getByRole('button', { name: 'Timeline' }).click();
      // From posting the run state to the frame after the timeline shows its bars.
      figures.render.push(await frameAfter(p, `window.postMessage(${JSON.stringify(full)}, '*')`, `document.querySelector('svg.timeline')?.getAttribute('data-bars') === '${bars}' && document.querySelector('rect.tl-bar')`));
      drawn = await p.value<number>(`document.querySelectorAll('rect.tl-bar').length`);
      // A live update (what arrives every 150 ms during a run), with the timeline open.
      figures.update.push(await frameAfter(p, `window.postMessage(${JSON.stringify(update)}, '*')`, `document.querySelector('svg.timeline').getAttribute('data-bars') === '${update.timeline!.bars}'`));
      figures.sort.push(
        await frameAfter(
          p,
          `const s = document.querySelector('select.timeline-sort'); s.value = 'duration'; s.dispatchEvent(new Event('change'))`,
          `document.querySelector('svg.timeline').getAttribute('data-sort') === 'duration'`,
        ),
      );
      figures.scroll.push(
        await frameAfter(
          p,
          `window.__scrollTarget = document.querySelector('.timeline-scroll'); window.__scrollTarget.scrollTop = window.__scrollTarget.scrollHeight / 2; window.__scrolled = false; requestAnimationFrame(() => requestAnimationFrame(() => (window.__scrolled = true)))`,
          `window.__scrolled`,
        ),
      );
      await p.close();
    }
  } finally {
    await browser.close();
    assets.dispose();
  }
  const extra = { tasks, bars, drawnBars: drawn, runs: REPEATS, viewport: '1280x900' };
  emit('timeline.1000.render', median(figures.render), 'ms', { ...extra, note: 'runState posted -> frame after the timeline shows' });
  emit('timeline.1000.liveUpdate', median(figures.update), 'ms', { ...extra, note: 'a new full run state while the timeline is open' });
  emit('timeline.1000.sort', median(figures.sort), 'ms', { ...extra, note: 'sort by duration -> next frame' });
  emit('timeline.1000.scroll', median(figures.scroll), 'ms', { ...extra, note: 'jump to the middle -> two frames later (rows drawn on the frame after the scroll)' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
