// The DAG panel at scale: elkjs layout of a 300-step flow (cold, re-laid out, and served from the
// structural cache), the webview's first paint of it in headless Chromium, and the bundle sizes.
// Prints JSON lines; nothing is asserted.
import ELK from 'elkjs/lib/elk.bundled.js';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { createDagSnapshot } from '../src/protocol/dagSnapshot';
import { FlowLayout } from '../src/layout/flowLayout';
import { createFlowAnalyzer } from '../src/flow/analyzer';
import type { FlowInfo } from '../src/flow/types';
import { buildWebview, launchChromium, openDagPage } from '../test/integration/webview/dagPage';

const REPO = path.resolve(__dirname, '..');
const STEPS = 300;
const REPEATS = 7;

/**
 * A synthetic flow of about `steps` steps, as Python: a chain of static branches (with decorators),
 * foreaches and looping switches, so the layout meets every kind of step and edge label.
 */
function largeFlowSource(steps: number): string {
  const defs: string[] = [];
  const step = (name: string, body: string, decorators: string[] = [], join = false) =>
    defs.push(`${decorators.map((d) => `    @${d}\n`).join('')}    @step\n    def ${name}(self${join ? ', inputs' : ''}):\n        ${body}\n`);
  let count = 2;
  let previous = 'start';
  let previousIsJoin = false;
  let pending = '';
  const close = (next: string) => {
    step(previous, pending ? `${pending}\n        self.next(${next})` : `self.next(${next})`, [], previousIsJoin);
    pending = '';
  };
  for (let i = 0; count < steps - 5; i += 1) {
    // A join may not split again: each block starts from a plain step.
    close(`self.prep${i}`);
    [previous, previousIsJoin] = [`prep${i}`, false];
    count += 1;
    if (i % 3 === 0) {
      close(`self.a${i}, self.b${i}, self.c${i}`);
      step(`a${i}`, `self.next(self.j${i})`, ['retry(times=2)']);
      step(`b${i}`, `self.next(self.j${i})`);
      step(`c${i}`, `self.next(self.j${i})`, ['kubernetes(cpu=2)']);
      [previous, previousIsJoin] = [`j${i}`, true];
      count += 4;
    } else if (i % 3 === 1) {
      pending = 'self.items = [1, 2, 3]';
      close(`self.body${i}, foreach="items"`);
      step(`body${i}`, `self.next(self.gather${i})`);
      [previous, previousIsJoin] = [`gather${i}`, true];
      count += 2;
    } else {
      close(`self.sw${i}`);
      step(`sw${i}`, `self.mode = "fast"\n        self.next({"fast": self.fast${i}, "slow": self.slow${i}, "again": self.sw${i}}, condition="mode")`);
      step(`fast${i}`, `self.next(self.merge${i})`);
      step(`slow${i}`, `self.next(self.merge${i})`);
      [previous, previousIsJoin] = [`merge${i}`, false];
      count += 4;
    }
  }
  close('self.end');
  step('end', 'pass');
  return `from metaflow import FlowSpec, step, retry, kubernetes\n\n\nclass LargeFlow(FlowSpec):\n${defs.join('\n')}`;
}

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Timing {
  wall: number;
  /** CPU time of this process: steadier than wall time on a busy machine. */
  cpu: number;
}

async function timeIt(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
}

function emitTimings(bench: string, timings: Timing[], extra: Record<string, unknown>): void {
  emit(bench, median(timings.map((t) => t.wall)), 'ms', { cpuMs: Math.round(median(timings.map((t) => t.cpu)) * 100) / 100, runs: timings.length, ...extra });
}

async function layoutFigures(flow: FlowInfo): Promise<void> {
  const steps = flow.steps.length;
  // The very first layout in the process also pays for JIT-compiling elkjs.
  const elk = new ELK();
  const first = new FlowLayout({ elk });
  emitTimings('layout.300.first', [await timeIt(() => first.layout(flow))], { steps, note: 'first layout in the process' });
  const cold: Timing[] = [];
  for (let i = 0; i < REPEATS; i += 1) {
    // The extension keeps one ELK; a layout it has not seen yet is a fresh cache over that ELK.
    const fresh = new FlowLayout({ elk });
    cold.push(await timeIt(() => fresh.layout(flow)));
  }
  emitTimings('layout.300.cold', cold, { steps, note: 'structure not in the cache' });
  const cached: Timing[] = [];
  for (let i = 0; i < REPEATS * 4; i += 1) {
    cached.push(await timeIt(() => first.layout(flow, { [flow.steps[i % steps].name]: { status: 'running' } })));
  }
  emitTimings('layout.300.cached', cached, { steps, note: 'run status changed only' });
}

async function firstPaint(flow: FlowInfo): Promise<void> {
  const graph = await new FlowLayout().layout(flow);
  const snapshot = createDagSnapshot({ file: path.join(REPO, 'large_flow.py'), analysis: { isFlowFile: true, flows: [flow], syntaxErrors: [] }, flow, graph });
  const assets = await buildWebview();
  const browser = await launchChromium();
  try {
    const times: number[] = [];
    for (let i = 0; i < REPEATS; i += 1) {
      const page = await openDagPage(browser, assets, { width: 1280, height: 900 });
      // From posting the snapshot to the frame after the SVG holds every node.
      const ms = await page.value<number>(`new Promise((resolve) => {
        const t0 = performance.now();
        window.postMessage(${JSON.stringify({ type: 'snapshot', snapshot })}, '*');
        const check = () => {
          if (document.querySelectorAll('svg g.node').length === ${graph.nodes.length}) requestAnimationFrame(() => resolve(performance.now() - t0));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      })`);
      times.push(ms);
      await page.close();
    }
    emit('webview.300.firstPaint', median(times), 'ms', { steps: flow.steps.length, runs: REPEATS, edges: graph.edges.length });
  } finally {
    await browser.close();
    assets.dispose();
  }
}

function bundleSizes(): void {
  for (const file of ['dist/extension.js', 'dist/webview/main.js', 'dist/webview/dag.css']) {
    const full = path.join(REPO, file);
    if (existsSync(full)) emit(`bundle.${path.basename(path.dirname(file)) === 'dist' ? '' : 'webview.'}${path.basename(file)}`, statSync(full).size / 1024, 'KiB', { file });
    else console.error(`${file} is missing: run 'npm run build' first to measure it`);
  }
}

async function main(): Promise<void> {
  const analysis = (await createFlowAnalyzer()).analyze('large_flow.py', largeFlowSource(STEPS));
  const flow = analysis.flows[0];
  if (!flow || flow.errors.length > 0) throw new Error(`the generated flow is not valid: ${JSON.stringify(flow?.errors ?? analysis.syntaxErrors)}`);
  await layoutFigures(flow);
  await firstPaint(flow);
  bundleSizes();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
