// Pan and zoom of the drawing: a translate+scale on one group, driven by drag, wheel, buttons and keys.
export interface View {
  x: number;
  y: number;
  k: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
const STEP = 1.25;
const FIT_MARGIN = 24;
/** Below this scale the drawing hides small text, which would only be noise. */
const DETAIL_SCALE = 0.45;
/** The automatic first view never goes below this scale, where step names are still legible. */
const READABLE_SCALE = 0.5;

export class Viewport {
  private view: View = { x: 0, y: 0, k: 1 };
  private content: Rect = { x: 0, y: 0, width: 0, height: 0 };
  private drag?: { pointer: number; x: number; y: number; moved: boolean };

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly layer: SVGGElement,
    private readonly onChange: (view: View) => void,
  ) {
    svg.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    svg.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    svg.addEventListener('pointermove', (e) => this.onPointerMove(e));
    svg.addEventListener('pointerup', (e) => this.onPointerUp(e));
    svg.addEventListener('pointercancel', (e) => this.onPointerUp(e));
  }

  get current(): View {
    return { ...this.view };
  }

  /** True while (or right after) a drag that moved: the click that ends it is not a node click. */
  get dragged(): boolean {
    return this.drag?.moved ?? false;
  }

  setContent(rect: Rect): void {
    this.content = rect;
  }

  set(view: View): void {
    this.view = { x: view.x, y: view.y, k: clamp(view.k) };
    this.layer.setAttribute('transform', `translate(${round(this.view.x)} ${round(this.view.y)}) scale(${round(this.view.k, 1e4)})`);
    this.svg.classList.toggle('low-detail', this.view.k < DETAIL_SCALE);
    this.onChange(this.current);
  }

  private size(): { width: number; height: number } {
    const r = this.svg.getBoundingClientRect();
    return { width: r.width || 1, height: r.height || 1 };
  }

  fit(): void {
    const { width, height } = this.size();
    const c = this.content;
    if (c.width <= 0 || c.height <= 0) return;
    const k = clamp(Math.min((width - 2 * FIT_MARGIN) / c.width, (height - 2 * FIT_MARGIN) / c.height, 1));
    this.set({ k, x: (width - c.width * k) / 2 - c.x * k, y: Math.max(FIT_MARGIN - c.y * k, (height - c.height * k) / 2 - c.y * k) });
  }

  /**
   * The first view of a graph: all of it when that stays readable; otherwise (a long flow) the top of it,
   * from its start step, at the smallest readable scale.
   */
  fitReadable(): void {
    const { width, height } = this.size();
    const c = this.content;
    if (c.width <= 0 || c.height <= 0) return;
    const k = Math.min((width - 2 * FIT_MARGIN) / c.width, (height - 2 * FIT_MARGIN) / c.height, 1);
    if (k >= READABLE_SCALE) {
      this.fit();
      return;
    }
    const readable = Math.max(READABLE_SCALE, Math.min(1, (width - 2 * FIT_MARGIN) / c.width));
    this.set({ k: readable, x: (width - c.width * readable) / 2 - c.x * readable, y: FIT_MARGIN - c.y * readable });
  }

  /** 100 %, keeping the top of the graph in view and centred horizontally. */
  actualSize(): void {
    const { width } = this.size();
    const c = this.content;
    this.set({ k: 1, x: Math.max(FIT_MARGIN - c.x, (width - c.width) / 2 - c.x), y: FIT_MARGIN - c.y });
  }

  zoomBy(factor: number, at?: { x: number; y: number }): void {
    const { width, height } = this.size();
    const p = at ?? { x: width / 2, y: height / 2 };
    const k = clamp(this.view.k * factor);
    const ratio = k / this.view.k;
    this.set({ k, x: p.x - (p.x - this.view.x) * ratio, y: p.y - (p.y - this.view.y) * ratio });
  }

  zoomIn(): void {
    this.zoomBy(STEP);
  }

  zoomOut(): void {
    this.zoomBy(1 / STEP);
  }

  /** Pans (never zooms) so that a rectangle of the drawing is fully visible, centring it when it was off screen. */
  reveal(rect: Rect): void {
    const { width, height } = this.size();
    const { x, y, k } = this.view;
    const left = rect.x * k + x;
    const top = rect.y * k + y;
    const inside = left >= 0 && top >= 0 && left + rect.width * k <= width && top + rect.height * k <= height;
    if (inside) return;
    this.set({ k, x: width / 2 - (rect.x + rect.width / 2) * k, y: height / 2 - (rect.y + rect.height / 2) * k });
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const r = this.svg.getBoundingClientRect();
    // Pinch gestures arrive as ctrl+wheel with small deltas; scale them up so they feel like a mouse wheel.
    const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    this.zoomBy(Math.exp(-delta * (e.ctrlKey ? 0.01 : 0.0015)), { x: e.clientX - r.left, y: e.clientY - r.top });
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.drag = { pointer: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
  }

  private onPointerMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d || d.pointer !== e.pointerId) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
    if (!d.moved) {
      d.moved = true;
      this.svg.setPointerCapture(e.pointerId);
      this.svg.classList.add('panning');
    }
    d.x = e.clientX;
    d.y = e.clientY;
    this.set({ ...this.view, x: this.view.x + dx, y: this.view.y + dy });
  }

  private onPointerUp(e: PointerEvent): void {
    const d = this.drag;
    if (!d || d.pointer !== e.pointerId) return;
    if (this.svg.hasPointerCapture(e.pointerId)) this.svg.releasePointerCapture(e.pointerId);
    this.svg.classList.remove('panning');
    // Keep `moved` readable by the click handler that runs right after pointerup.
    setTimeout(() => {
      if (this.drag === d) this.drag = undefined;
    }, 0);
  }
}

function clamp(k: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));
}

function round(n: number, precision = 100): number {
  return Math.round(n * precision) / precision;
}
