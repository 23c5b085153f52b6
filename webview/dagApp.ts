// The DAG panel's webview: draws the host's snapshots, applies run updates (nodes and timeline), and turns
// clicks and keys into messages. Everything it shows can be rebuilt from the saved state, so a reload redraws at once.
import type { DagSnapshot, HostToWebview, RunStateMessage, WebviewToHost } from '../src/protocol/dagPanel';
import type { PositionedNode } from '../src/layout/types';
import type { TimelineSort } from '../src/runs/timeline';
import { exportSvg } from './exportSvg';
import { neighbour, type Direction } from './navigation';
import { NodeMenu, type NodeMenuAction } from './nodeMenu';
import { applyRunState, renderDefs, renderGraph, type RenderedGraph } from './renderGraph';
import { htmlEl, svgEl } from './svg';
import { TimelineView } from './timelineView';
import { Toolbar, type RunAction, type ToolbarAction } from './toolbar';
import { Viewport, type View } from './viewport';

export interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

interface SavedState {
  snapshot?: DagSnapshot;
  /** The last run state of the drawing, for its timeline. */
  run?: RunStateMessage;
  empty?: string;
  view?: View & { key: string };
  timeline?: boolean;
  sort?: TimelineSort;
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
  /** What starts the flow once deployed (schedule, events, upstream flows). */
  private readonly triggers = htmlEl('div', { class: 'triggers', 'aria-label': 'What triggers this flow' });
  private readonly emptyState = htmlEl('div', { class: 'empty-state' });
  private readonly svg = svgEl('svg', { class: 'dag', role: 'group', 'aria-roledescription': 'flow graph' });
  private readonly layer = svgEl('g', { 'data-layer': 'viewport' });
  private readonly viewport: Viewport;
  private readonly menu: NodeMenu;
  private readonly timeline: TimelineView;
  private run?: RunStateMessage;
  private selected?: string;
  private timelineShown = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: VsCodeApi,
  ) {
    this.toolbar = new Toolbar(
      (action) => this.act(action),
      (flow) => this.snapshot && this.post({ type: 'selectFlow', file: this.snapshot.file, flow }),
      (action) => this.runAction(action),
    );
    this.svg.append(renderDefs(), this.layer);
    this.viewport = new Viewport(this.svg, this.layer, (view) => this.onView(view));
    this.menu = new NodeMenu((action, step) => this.menuAction(action, step));
    this.timeline = new TimelineView({ openLogs: (pathspec) => this.post({ type: 'showTaskLogs', pathspec }), sortChanged: () => this.save() });
    this.timeline.element.hidden = true;
    const canvas = htmlEl('main', { class: 'canvas' }, this.svg, this.emptyState, this.menu.element);
    this.banner.hidden = true;
    this.triggers.hidden = true;
    this.root.replaceChildren(this.toolbar.element, this.banner, this.triggers, canvas, this.timeline.element);
  }

  start(): void {
    window.addEventListener('message', (e: MessageEvent<HostToWebview>) => this.onMessage(e.data));
    window.addEventListener('keydown', (e) => this.onGlobalKey(e));
    this.svg.addEventListener('click', (e) => this.onClick(e));
    this.svg.addEventListener('keydown', (e) => this.onNodeKey(e));
    this.svg.addEventListener('focusin', (e) => this.onFocus(e));
    this.svg.addEventListener('focusout', () => this.highlight(undefined));
    this.svg.addEventListener('contextmenu', (e) => this.onContextMenu(e));
    this.svg.addEventListener('wheel', () => (this.autoFit = undefined), { passive: true });
    this.svg.addEventListener('pointerdown', () => (this.autoFit = undefined));
    new ResizeObserver(() => this.refit()).observe(this.svg);
    window.addEventListener('error', (e) => this.post({ type: 'error', message: `DAG view: ${e.message}` }));
    const saved = this.host.getState() as SavedState | undefined;
    if (saved?.sort) this.timeline.setSort(saved.sort);
    if (saved?.timeline) this.setTimeline(true);
    if (saved?.snapshot) {
      this.showSnapshot(saved.snapshot, saved.view);
      if (saved.run && saved.run.runId === saved.snapshot.run?.runId) this.applyRun(saved.run);
    } else this.showEmpty(saved?.empty ?? 'Open a Python file that defines a flow to see its graph.');
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
    if (key !== this.viewKey || !snapshot.graph.nodes.some((n) => n.step === this.selected)) this.select(undefined);
    else this.select(this.selected);
    // Another run (or none): the timeline of the one before no longer belongs here.
    if (this.run && this.run.runId !== snapshot.run?.runId) {
      this.run = undefined;
      this.timeline.update(undefined);
    }
    this.banner.hidden = snapshot.flowErrors.length === 0;
    // The banner is an alert: rewriting it with the same problems (every re-analysis does) would announce them again.
    const shownErrors = Array.from(this.banner.children, (line) => line.textContent ?? '');
    if (shownErrors.join('\n') !== snapshot.flowErrors.join('\n') || shownErrors.length !== snapshot.flowErrors.length) {
      this.banner.replaceChildren(...snapshot.flowErrors.map((m) => htmlEl('div', { class: 'banner-line' }, m)));
    }
    const triggers = snapshot.triggers ?? [];
    this.triggers.hidden = triggers.length === 0;
    this.triggers.replaceChildren(...(triggers.length ? [htmlEl('span', { class: 'triggers-title' }, 'Triggers:'), ...triggers.map((t) => htmlEl('span', { class: 'trigger' }, t))] : []));
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
    this.triggers.hidden = true;
    this.toolbar.update(undefined);
    this.run = undefined;
    this.timeline.update(undefined);
    this.menu.close(false);
    this.selected = undefined;
    this.emptyState.replaceChildren(htmlEl('div', { class: 'empty-icon', 'aria-hidden': 'true' }), htmlEl('p', {}, message));
    this.emptyState.hidden = false;
    this.save();
  }

  private applyRun(message: RunStateMessage): void {
    if (!this.snapshot || !this.rendered) return;
    for (const node of this.snapshot.graph.nodes) {
      node.run = message.steps[node.step] ?? { status: 'idle' };
      const g = this.rendered.nodes.get(node.step);
      if (g) applyRunState(g, node);
    }
    this.snapshot.run = { runId: message.runId, status: message.status, ...(message.mode ? { mode: message.mode } : {}) };
    this.run = message;
    this.toolbar.update(this.snapshot);
    this.toolbar.setSelection(this.selected, true);
    this.timeline.update(message.timeline);
    this.save();
  }

  private setTimeline(shown: boolean): void {
    this.timelineShown = shown;
    this.timeline.element.hidden = !shown;
    this.toolbar.setTimeline(shown);
    if (shown) this.timeline.refresh();
  }

  private runAction(action: RunAction): void {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    const file = snapshot.file;
    const flow = snapshot.graph.flow;
    switch (action) {
      case 'runFlow':
        return this.post({ type: 'runFlow', file, flow });
      case 'runFlowOnKubernetes':
        return this.post({ type: 'runFlow', file, flow, target: 'kubernetes' });
      case 'showLive':
        return this.post({ type: 'showLive' });
      case 'toggleTimeline':
        this.setTimeline(!this.timelineShown);
        this.save();
        return;
      default:
        if (this.selected) this.post({ type: 'stepAction', action, file, flow, step: this.selected });
    }
  }

  private menuAction(action: NodeMenuAction, step: string): void {
    if (!this.snapshot) return;
    if (action === 'revealStep') this.reveal(step);
    else this.post({ type: 'stepAction', action, file: this.snapshot.file, flow: this.snapshot.graph.flow, step });
  }

  /** The step the toolbar's step actions apply to (the last one clicked or focused). */
  private select(step: string | undefined): void {
    this.selected = step;
    for (const [name, g] of this.rendered?.nodes ?? []) g.classList.toggle('selected', name === step);
    this.toolbar.setSelection(step, this.snapshot?.run !== undefined);
  }

  private onContextMenu(e: MouseEvent): void {
    const g = (e.target as Element).closest<SVGGElement>('g.node');
    if (!g?.dataset.step) return;
    e.preventDefault();
    g.focus({ preventScroll: true });
    this.select(g.dataset.step);
    const box = this.svg.getBoundingClientRect();
    this.menu.open(g.dataset.step, e.clientX - box.left, e.clientY - box.top, this.snapshot?.run !== undefined, g, this.hasPod(g.dataset.step));
  }

  private openMenuAt(g: SVGGElement): void {
    const step = g.dataset.step;
    if (!step) return;
    const box = this.svg.getBoundingClientRect();
    const node = g.getBoundingClientRect();
    this.menu.open(step, node.left - box.left + 12, node.bottom - box.top + 4, this.snapshot?.run !== undefined, g, this.hasPod(step));
  }

  /** Whether a task of `step` in the run shown ran on Kubernetes, so that it has a pod to show. */
  private hasPod(step: string): boolean {
    return this.run?.runId === this.snapshot?.run?.runId && (this.run?.podSteps?.includes(step) ?? false);
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

  /** A step's primary action: with a run shown, its tasks (to open their logs); without one, its code. */
  private open(step: string): void {
    if (this.snapshot?.run) this.post({ type: 'stepAction', action: 'showTasks', file: this.snapshot.file, flow: this.snapshot.graph.flow, step });
    else this.reveal(step);
  }

  private onClick(e: MouseEvent): void {
    const g = (e.target as Element).closest<SVGGElement>('g.node');
    if (!g || this.viewport.dragged) return;
    g.focus({ preventScroll: true });
    this.select(g.dataset.step);
    this.open(g.dataset.step ?? '');
  }

  private onNodeKey(e: KeyboardEvent): void {
    const g = (e.target as Element).closest<SVGGElement>('g.node');
    const step = g?.dataset.step;
    if (!step || !this.snapshot || !this.rendered) return;
    let target: string | undefined;
    if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      e.preventDefault();
      this.openMenuAt(g!);
      return;
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.open(step);
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
    this.select(node.step);
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
      const timeline = { timeline: this.timelineShown, sort: this.timeline.sortOrder };
      const state: SavedState = this.snapshot
        ? { snapshot: this.snapshot, ...(this.run ? { run: this.run } : {}), view: { ...this.viewport.current, key: this.viewKey ?? '' }, ...timeline }
        : { empty: this.empty, ...timeline };
      this.host.setState(state);
    }, SAVE_DELAY_MS);
  }
}
