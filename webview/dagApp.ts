// The DAG panel's webview: draws the host's snapshots, applies run updates, and turns clicks and keys
// into messages. Everything it shows can be rebuilt from the saved state, so a reload redraws at once.
import type { DagSnapshot, HostToWebview, WebviewToHost } from '../src/protocol/dagPanel';
import type { PositionedNode } from '../src/layout/types';
import { exportSvg } from './exportSvg';
import { neighbour, type Direction } from './navigation';
import { applyRunState, renderDefs, renderGraph, type RenderedGraph } from './renderGraph';
import { htmlEl, svgEl } from './svg';
import { Toolbar, type ToolbarAction } from './toolbar';
import { Viewport, type View } from './viewport';

export interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface SavedState {
  snapshot?: DagSnapshot;
  empty?: string;
  view?: View & { key: string };
}

const ARROWS: Record<string, Direction> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };
const SAVE_DELAY_MS = 250;

export class DagApp {
  private snapshot?: DagSnapshot;
  private empty?: string;
  private rendered?: RenderedGraph;
  private viewKey?: string;
  /** While the user has not panned or zoomed, the view re-fits (the way it last did) when the panel is resized. */
  private autoFit: 'readable' | 'all' | undefined = 'readable';
  private saveTimer?: ReturnType<typeof setTimeout>;
  private readonly toolbar: Toolbar;
  private readonly banner = htmlEl('div', { class: 'banner', role: 'alert' });
  private readonly emptyState = htmlEl('div', { class: 'empty-state' });
  private readonly svg = svgEl('svg', { class: 'dag', role: 'group', 'aria-roledescription': 'flow graph' });
  private readonly layer = svgEl('g', { 'data-layer': 'viewport' });
  private readonly viewport: Viewport;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: VsCodeApi,
  ) {
    this.toolbar = new Toolbar(
      (action) => this.act(action),
      (flow) => this.snapshot && this.post({ type: 'selectFlow', file: this.snapshot.file, flow }),
    );
    this.svg.append(renderDefs(), this.layer);
    this.viewport = new Viewport(this.svg, this.layer, (view) => this.onView(view));
    const canvas = htmlEl('main', { class: 'canvas' }, this.svg, this.emptyState);
    this.banner.hidden = true;
    this.root.replaceChildren(this.toolbar.element, this.banner, canvas);
  }

  start(): void {
    window.addEventListener('message', (e: MessageEvent<HostToWebview>) => this.onMessage(e.data));
    window.addEventListener('keydown', (e) => this.onGlobalKey(e));
    this.svg.addEventListener('click', (e) => this.onClick(e));
    this.svg.addEventListener('keydown', (e) => this.onNodeKey(e));
    this.svg.addEventListener('focusin', (e) => this.onFocus(e));
    this.svg.addEventListener('focusout', () => this.highlight(undefined));
    this.svg.addEventListener('wheel', () => (this.autoFit = undefined), { passive: true });
    this.svg.addEventListener('pointerdown', () => (this.autoFit = undefined));
    new ResizeObserver(() => this.refit()).observe(this.svg);
    window.addEventListener('error', (e) => this.post({ type: 'error', message: `DAG view: ${e.message}` }));
    const saved = this.host.getState() as SavedState | undefined;
    if (saved?.snapshot) this.showSnapshot(saved.snapshot, saved.view);
    else this.showEmpty(saved?.empty ?? 'Open a Python file that defines a flow to see its graph.');
    this.post({ type: 'ready' });
  }

  private post(message: WebviewToHost): void {
    this.host.postMessage(message);
  }

  private onMessage(message: HostToWebview): void {
    switch (message.type) {
      case 'snapshot':
        this.showSnapshot(message.snapshot);
        break;
      case 'runState':
        this.applyRun(message);
        break;
      case 'empty':
        this.showEmpty(message.message);
        break;
      case 'command':
        this.act(message.command === 'resetZoom' ? 'actualSize' : message.command);
        break;
    }
  }

  private showSnapshot(snapshot: DagSnapshot, restore?: SavedState['view']): void {
    const key = `${snapshot.file}#${snapshot.graph.flow}`;
    const focused = key === this.viewKey ? this.focusedStep() : undefined;
    this.snapshot = snapshot;
    this.empty = undefined;
    this.emptyState.hidden = true;
    this.svg.classList.remove('is-hidden');
    this.svg.setAttribute('aria-label', `Graph of ${snapshot.graph.flow}: ${snapshot.graph.nodes.length} steps. Arrow keys follow edges, Enter opens the step.`);
    this.rendered = renderGraph(this.layer, snapshot.graph);
    this.toolbar.update(snapshot);
    this.banner.hidden = snapshot.flowErrors.length === 0;
    // The banner is an alert: rewriting it with the same problems (every re-analysis does) would announce them again.
    const shownErrors = Array.from(this.banner.children, (line) => line.textContent ?? '');
    if (shownErrors.join('\n') !== snapshot.flowErrors.join('\n') || shownErrors.length !== snapshot.flowErrors.length) {
      this.banner.replaceChildren(...snapshot.flowErrors.map((m) => htmlEl('div', { class: 'banner-line' }, m)));
    }
    this.viewport.setContent({ x: 0, y: 0, width: snapshot.graph.width, height: snapshot.graph.height });
    if (restore && restore.key === key) {
      this.autoFit = undefined;
      this.viewport.set(restore);
    } else if (key !== this.viewKey) {
      this.autoFit = 'readable';
      this.refit();
    }
    this.viewKey = key;
    if (focused) this.rendered.nodes.get(focused)?.focus({ preventScroll: true });
    this.save();
  }

  private showEmpty(message: string): void {
    this.snapshot = undefined;
    this.rendered = undefined;
    this.empty = message;
    this.viewKey = undefined;
    this.layer.replaceChildren();
    this.svg.classList.add('is-hidden');
    this.banner.hidden = true;
    this.toolbar.update(undefined);
    this.emptyState.replaceChildren(htmlEl('div', { class: 'empty-icon', 'aria-hidden': 'true' }), htmlEl('p', {}, message));
    this.emptyState.hidden = false;
    this.save();
  }

  private applyRun(message: Extract<HostToWebview, { type: 'runState' }>): void {
    if (!this.snapshot || !this.rendered) return;
    for (const node of this.snapshot.graph.nodes) {
      node.run = message.steps[node.step] ?? { status: 'idle' };
      const g = this.rendered.nodes.get(node.step);
      if (g) applyRunState(g, node);
    }
    this.snapshot.run = { runId: message.runId, status: message.status };
    this.toolbar.update(this.snapshot);
    this.save();
  }

  private act(action: ToolbarAction): void {
    if (!this.snapshot) return;
    if (action !== 'exportSvg') this.autoFit = action === 'fit' ? 'all' : undefined;
    switch (action) {
      case 'zoomIn':
        return this.viewport.zoomIn();
      case 'zoomOut':
        return this.viewport.zoomOut();
      case 'fit':
        return this.viewport.fit();
      case 'actualSize':
        return this.viewport.actualSize();
      case 'exportSvg':
        return this.post({ type: 'exportSvg', flow: this.snapshot.graph.flow, svg: exportSvg(this.svg, this.snapshot.graph) });
    }
  }

  private refit(): void {
    if (this.autoFit === 'all') this.viewport.fit();
    else if (this.autoFit === 'readable') this.viewport.fitReadable();
  }

  private node(step: string): PositionedNode | undefined {
    return this.snapshot?.graph.nodes.find((n) => n.step === step);
  }

  private focusedStep(): string | undefined {
    const active = document.activeElement;
    return active instanceof SVGGElement && active.classList.contains('node') ? (active.dataset.step ?? undefined) : undefined;
  }

  private reveal(step: string): void {
    if (this.snapshot) this.post({ type: 'revealStep', file: this.snapshot.file, flow: this.snapshot.graph.flow, step });
  }

  private onClick(e: MouseEvent): void {
    const g = (e.target as Element).closest<SVGGElement>('g.node');
    if (!g || this.viewport.dragged) return;
    g.focus({ preventScroll: true });
    this.reveal(g.dataset.step ?? '');
  }

  private onNodeKey(e: KeyboardEvent): void {
    const g = (e.target as Element).closest<SVGGElement>('g.node');
    const step = g?.dataset.step;
    if (!step || !this.snapshot || !this.rendered) return;
    let target: string | undefined;
    if (e.key === 'Enter' || e.key === ' ') {
      this.reveal(step);
    } else if (ARROWS[e.key]) {
      target = neighbour(this.snapshot.graph, step, ARROWS[e.key]);
    } else if (e.key === 'Home' || e.key === 'End') {
      const nodes = this.snapshot.graph.nodes;
      target = (nodes.find((n) => n.type === (e.key === 'Home' ? 'start' : 'end')) ?? nodes[e.key === 'Home' ? 0 : nodes.length - 1])?.step;
    } else {
      return;
    }
    e.preventDefault();
    if (target) this.rendered.nodes.get(target)?.focus({ preventScroll: true });
  }

  private onGlobalKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement;
    if (t.closest('select, input, textarea')) return;
    const action: ToolbarAction | undefined = ({ '+': 'zoomIn', '=': 'zoomIn', '-': 'zoomOut', _: 'zoomOut', '0': 'fit', '1': 'actualSize' } as Record<string, ToolbarAction>)[e.key];
    if (!action) return;
    e.preventDefault();
    this.act(action);
  }

  private onFocus(e: FocusEvent): void {
    const g = (e.target as Element).closest<SVGGElement>('g.node');
    const node = g?.dataset.step ? this.node(g.dataset.step) : undefined;
    if (!node) return;
    this.viewport.reveal(node);
    this.highlight(node.step);
  }

  /** Emphasises the edges into and out of the focused step, so its neighbours stand out in a large graph. */
  private highlight(step: string | undefined): void {
    for (const edge of this.rendered?.edges ?? []) {
      const related = step !== undefined && (edge.dataset.from === step || edge.dataset.to === step);
      edge.classList.toggle('related', related);
      edge.querySelector('.edge-line')?.setAttribute('marker-end', `url(#arrow-${related ? 'related' : edge.dataset.kind})`);
    }
  }

  private onView(view: View): void {
    this.toolbar.setZoom(view.k);
    this.save();
  }

  private save(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      const state: SavedState = this.snapshot ? { snapshot: this.snapshot, view: { ...this.viewport.current, key: this.viewKey ?? '' } } : { empty: this.empty };
      this.host.setState(state);
    }, SAVE_DELAY_MS);
  }
}
