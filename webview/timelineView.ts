// The run's timeline (Gantt) under the graph: one row per task, grouped by step, one bar per attempt, so a
// retried task shows its failed attempts and the retry side by side on its row. The model comes from the
// host (src/runs/timeline.ts); this only draws it, into one SVG of plain rects, and only the rows in view,
// so a run of thousands of tasks scrolls and re-sorts at once.
import { formatDuration } from '../src/runs/formatDuration';
import { sortTimeline, type TimelineBar, type TimelineGroup, type TimelineModel, type TimelineRow, type TimelineSort } from '../src/runs/timeline';
import { htmlEl, svgEl } from './svg';

const LABEL_WIDTH = 170;
const RIGHT_PAD = 16;
const AXIS_HEIGHT = 22;
const GROUP_HEIGHT = 24;
const ROW_HEIGHT = 18;
const BAR_HEIGHT = 12;
const MIN_BAR = 2;
/** Rows drawn above and below the visible ones, so scrolling shows no gap before the next frame. */
const OVERSCAN_PX = 300;

type Item = { kind: 'group'; y: number; group: TimelineGroup } | { kind: 'row'; y: number; row: TimelineRow; index: number };

export interface TimelineEvents {
  openLogs(pathspec: string): void;
  sortChanged(sort: TimelineSort): void;
}

function barTitle(row: TimelineRow, bar: TimelineBar): string {
  const lines = [`${row.pathspec}${row.foreachIndex ? ` ${row.foreachIndex}` : ''}`, `Attempt ${bar.attempt + 1}${row.bars.length > 1 ? ` of ${row.bars.length}` : ''}: ${bar.status}`];
  lines.push(`${bar.status === 'running' ? 'Running for' : 'Took'} ${formatDuration(bar.durationMs)}, from ${formatDuration(bar.start)} after the run started`);
  if (bar.error) lines.push(bar.error);
  lines.push('Click or press Enter to open its logs.');
  return lines.join('\n');
}

function niceStep(span: number): number {
  const rough = span / 6;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= rough) return m * magnitude;
  return 10 * magnitude;
}

export class TimelineView {
  readonly element: HTMLElement;
  private readonly sortPicker = htmlEl('select', { class: 'timeline-sort', 'aria-label': 'Sort tasks by' }, htmlEl('option', { value: 'start' }, 'Start time'), htmlEl('option', { value: 'duration' }, 'Duration'));
  private readonly summary = htmlEl('span', { class: 'timeline-summary' });
  private readonly scroller = htmlEl('div', { class: 'timeline-scroll' });
  private readonly svg = svgEl('svg', { class: 'timeline', role: 'group', 'aria-roledescription': 'timeline' });
  private readonly empty = htmlEl('p', { class: 'timeline-empty' }, 'No task has started in the run shown.');
  private model?: TimelineModel;
  private sort: TimelineSort = 'start';
  private items: Item[] = [];
  private rows: TimelineRow[] = [];
  private height = 0;
  /** The one bar in the tab order (roving focus): its row index and attempt position. */
  private cursor = { row: 0, bar: 0 };
  private frame?: number;

  constructor(private readonly events: TimelineEvents) {
    this.sortPicker.addEventListener('change', () => {
      this.setSort(this.sortPicker.value === 'duration' ? 'duration' : 'start');
      this.events.sortChanged(this.sort);
    });
    const header = htmlEl('div', { class: 'timeline-header' }, htmlEl('h2', { class: 'timeline-title' }, 'Timeline'), this.summary, htmlEl('span', { class: 'spacer' }), htmlEl('label', { class: 'timeline-sort-label' }, 'Sort by ', this.sortPicker));
    this.scroller.append(this.svg, this.empty);
    this.element = htmlEl('section', { class: 'timeline-pane', 'aria-label': 'Timeline of the run' }, header, this.scroller);
    this.scroller.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    this.svg.addEventListener('click', (e) => this.onClick(e));
    this.svg.addEventListener('keydown', (e) => this.onKey(e));
    this.svg.addEventListener('focusin', (e) => this.onFocus(e));
  }

  get sortOrder(): TimelineSort {
    return this.sort;
  }

  setSort(sort: TimelineSort): void {
    this.sort = sort;
    this.sortPicker.value = sort;
    if (this.model) this.layout();
  }

  update(model: TimelineModel | undefined): void {
    const keep = this.model && model && this.model.runId === model.runId ? this.rows[this.cursor.row]?.pathspec : undefined;
    this.model = model;
    this.layout();
    const again = keep ? this.rows.findIndex((r) => r.pathspec === keep) : -1;
    this.cursor = again >= 0 ? { row: again, bar: Math.min(this.cursor.bar, this.rows[again].bars.length - 1) } : { row: 0, bar: 0 };
  }

  /** Draws the rows in view now (the pane was just shown or resized). */
  refresh(): void {
    this.draw();
  }

  private layout(): void {
    const model = this.model;
    const groups = model ? sortTimeline(model.groups, this.sort) : [];
    this.items = [];
    this.rows = [];
    let y = AXIS_HEIGHT;
    for (const group of groups) {
      this.items.push({ kind: 'group', y, group });
      y += GROUP_HEIGHT;
      for (const row of group.rows) {
        this.items.push({ kind: 'row', y, row, index: this.rows.length });
        this.rows.push(row);
        y += ROW_HEIGHT;
      }
    }
    this.height = y + 4;
    this.summary.textContent = model ? `Run ${model.runId}: ${model.tasks} ${model.tasks === 1 ? 'task' : 'tasks'}, ${model.bars} ${model.bars === 1 ? 'attempt' : 'attempts'}, ${formatDuration(model.span)}` : '';
    this.empty.hidden = this.rows.length > 0;
    this.svg.classList.toggle('is-hidden', this.rows.length === 0);
    this.svg.setAttribute('data-tasks', String(model?.tasks ?? 0));
    this.svg.setAttribute('data-bars', String(model?.bars ?? 0));
    this.svg.setAttribute('data-sort', this.sort);
    this.svg.setAttribute('aria-label', model ? `Timeline of run ${model.runId}, ${model.tasks} tasks sorted by ${this.sort === 'start' ? 'start time' : 'duration'}. Arrow keys move between bars, Enter opens a task's logs.` : 'Timeline');
    this.draw();
  }

  private schedule(): void {
    if (this.frame !== undefined) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.draw();
    });
  }

  private x(t: number, width: number): number {
    const span = this.model?.span ?? 1;
    return LABEL_WIDTH + (Math.max(0, t) / span) * (width - LABEL_WIDTH - RIGHT_PAD);
  }

  /** Draws the axis and the rows within the scrolled view (plus a margin). */
  private draw(): void {
    const model = this.model;
    const width = Math.max(this.scroller.clientWidth, LABEL_WIDTH + 200);
    this.svg.setAttribute('width', String(width));
    this.svg.setAttribute('height', String(this.height));
    if (!model || this.rows.length === 0) {
      this.svg.replaceChildren();
      return;
    }
    const top = this.scroller.scrollTop - OVERSCAN_PX;
    const bottom = this.scroller.scrollTop + Math.max(this.scroller.clientHeight, 200) + OVERSCAN_PX;
    const content: SVGElement[] = [this.axis(model, width)];
    for (const item of this.visible(top, bottom)) content.push(item.kind === 'group' ? this.groupHeader(item.group, item.y, width) : this.rowOf(item.row, item.index, item.y, width));
    this.svg.replaceChildren(...content);
    // The bar that keeps the tab stop may have scrolled out of the drawn window: another one holds it meanwhile.
    if (!this.svg.querySelector('rect.tl-bar[tabindex="0"]')) this.svg.querySelector('rect.tl-bar')?.setAttribute('tabindex', '0');
  }

  /** Items whose box meets [top, bottom]: a binary search on y, since items are in y order. */
  private visible(top: number, bottom: number): Item[] {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid].y + GROUP_HEIGHT < top) lo = mid + 1;
      else hi = mid;
    }
    const out: Item[] = [];
    for (let i = lo; i < this.items.length && this.items[i].y <= bottom; i += 1) out.push(this.items[i]);
    return out;
  }

  private axis(model: TimelineModel, width: number): SVGGElement {
    const g = svgEl('g', { class: 'tl-axis', 'aria-hidden': 'true', transform: `translate(0 ${this.scroller.scrollTop})` });
    g.append(svgEl('rect', { class: 'tl-axis-bg', width, height: AXIS_HEIGHT }));
    const step = niceStep(model.span);
    for (let t = 0; t <= model.span; t += step) {
      const x = this.x(t, width);
      g.append(svgEl('line', { class: 'tl-tick', x1: x, x2: x, y1: AXIS_HEIGHT - 5, y2: AXIS_HEIGHT }));
      g.append(svgEl('text', { class: 'tl-tick-label', x, y: AXIS_HEIGHT - 8, 'text-anchor': t === 0 ? 'start' : 'middle' }, t === 0 ? '0' : formatDuration(t)));
    }
    return g;
  }

  private groupHeader(group: TimelineGroup, y: number, width: number): SVGGElement {
    const failed = group.rows.filter((r) => r.status === 'failed').length;
    const label = `${group.step} · ${group.rows.length} ${group.rows.length === 1 ? 'task' : 'tasks'}${failed ? `, ${failed} failed` : ''} · ${formatDuration(group.end - group.start)}`;
    return svgEl(
      'g',
      { class: 'tl-group', 'data-step': group.step, transform: `translate(0 ${y})` },
      svgEl('rect', { class: 'tl-group-bg', width, height: GROUP_HEIGHT }),
      svgEl('text', { class: 'tl-group-label', x: 8, y: 16 }, label),
      svgEl('rect', { class: 'tl-group-span', x: this.x(group.start, width), y: GROUP_HEIGHT - 4, width: Math.max(MIN_BAR, this.x(group.end, width) - this.x(group.start, width)), height: 2 }),
    );
  }

  private rowOf(row: TimelineRow, index: number, y: number, width: number): SVGGElement {
    const retried = row.bars.length > 1;
    const g = svgEl('g', { class: 'tl-row', 'data-pathspec': row.pathspec, 'data-step': row.step, 'data-status': row.status, transform: `translate(0 ${y})` });
    if (retried) g.setAttribute('data-retried', String(row.bars.length - 1));
    const label = `${row.taskId}${row.foreachIndex ? ` ${row.foreachIndex}` : ''}`;
    g.append(svgEl('text', { class: 'tl-row-label', x: 20, y: 13 }, label));
    if (retried) g.append(svgEl('text', { class: 'tl-retry-mark', x: LABEL_WIDTH - 6, y: 13, 'text-anchor': 'end' }, `↻${row.bars.length - 1}`));
    const barY = (ROW_HEIGHT - BAR_HEIGHT) / 2;
    // A dotted line from the first attempt to the last: the bars on it are one task's tries.
    if (retried) g.append(svgEl('line', { class: 'tl-retry-link', x1: this.x(row.start, width), x2: this.x(row.end, width), y1: ROW_HEIGHT / 2, y2: ROW_HEIGHT / 2 }));
    row.bars.forEach((bar, i) => {
      const x = this.x(bar.start, width);
      const w = Math.max(MIN_BAR, this.x(bar.end, width) - x);
      const focused = index === this.cursor.row && i === this.cursor.bar;
      const rect = svgEl('rect', {
        class: 'tl-bar',
        'data-status': bar.status,
        'data-attempt': bar.attempt,
        'data-pathspec': row.pathspec,
        x,
        y: barY,
        width: w,
        height: BAR_HEIGHT,
        rx: 2,
        tabindex: focused ? 0 : -1,
        role: 'button',
        'aria-label': `${row.pathspec}, attempt ${bar.attempt + 1}, ${bar.status}, ${formatDuration(bar.durationMs)}${bar.error ? `, ${bar.error}` : ''}`,
      });
      if (i > 0) rect.classList.add('tl-retry');
      rect.append(svgEl('title', {}, barTitle(row, bar)));
      g.append(rect);
    });
    return g;
  }

  private onClick(e: MouseEvent): void {
    const bar = (e.target as Element).closest<SVGRectElement>('rect.tl-bar');
    const pathspec = bar?.getAttribute('data-pathspec');
    if (!bar || !pathspec) return;
    this.cursor = this.locate(bar) ?? this.cursor;
    this.events.openLogs(pathspec);
  }

  private locate(bar: Element): { row: number; bar: number } | undefined {
    const pathspec = bar.getAttribute('data-pathspec');
    const row = this.rows.findIndex((r) => r.pathspec === pathspec);
    if (row < 0) return undefined;
    return { row, bar: Math.max(0, this.rows[row].bars.findIndex((b) => String(b.attempt) === bar.getAttribute('data-attempt'))) };
  }

  private onFocus(e: FocusEvent): void {
    const at = (e.target as Element).closest('rect.tl-bar');
    const cursor = at ? this.locate(at) : undefined;
    if (!cursor) return;
    this.cursor = cursor;
    for (const other of this.svg.querySelectorAll('rect.tl-bar[tabindex="0"]')) if (other !== at) other.setAttribute('tabindex', '-1');
    at!.setAttribute('tabindex', '0');
  }

  private onKey(e: KeyboardEvent): void {
    if (this.rows.length === 0) return;
    let { row, bar } = this.cursor;
    switch (e.key) {
      case 'ArrowDown':
        row = Math.min(this.rows.length - 1, row + 1);
        break;
      case 'ArrowUp':
        row = Math.max(0, row - 1);
        break;
      case 'ArrowRight':
        bar += 1;
        break;
      case 'ArrowLeft':
        bar -= 1;
        break;
      case 'Home':
        row = 0;
        break;
      case 'End':
        row = this.rows.length - 1;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.events.openLogs(this.rows[row].pathspec);
        return;
      default:
        return;
    }
    e.preventDefault();
    bar = Math.max(0, Math.min(this.rows[row].bars.length - 1, bar));
    this.focus(row, bar);
  }

  /** Moves the roving focus to a bar, scrolling its row into view (and so into the drawn window) first. */
  private focus(row: number, bar: number): void {
    this.cursor = { row, bar };
    const item = this.items.find((i) => i.kind === 'row' && i.index === row);
    if (item) {
      const view = this.scroller;
      if (item.y < view.scrollTop + AXIS_HEIGHT) view.scrollTop = item.y - AXIS_HEIGHT - GROUP_HEIGHT;
      else if (item.y + ROW_HEIGHT > view.scrollTop + view.clientHeight) view.scrollTop = item.y + ROW_HEIGHT - view.clientHeight;
    }
    this.draw();
    const pathspec = this.rows[row].pathspec;
    const target = this.svg.querySelector<SVGRectElement>(`rect.tl-bar[data-pathspec="${CSS.escape(pathspec)}"][data-attempt="${this.rows[row].bars[bar].attempt}"]`);
    target?.focus({ preventScroll: true });
  }
}
