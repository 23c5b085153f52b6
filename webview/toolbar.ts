// The panel's header: flow name and picker, run status, zoom and export buttons (an ARIA toolbar:
// one tab stop, arrow keys move between its controls).
import type { DagSnapshot } from '../src/protocol/dagPanel';
import { htmlEl } from './svg';

export type ToolbarAction = 'zoomOut' | 'zoomIn' | 'fit' | 'actualSize' | 'exportSvg';

const BUTTONS: Array<{ action: ToolbarAction; label: string; key: string }> = [
  { action: 'zoomOut', label: 'Zoom out', key: '-' },
  { action: 'zoomIn', label: 'Zoom in', key: '+' },
  { action: 'fit', label: 'Fit to view', key: '0' },
  { action: 'actualSize', label: 'Actual size', key: '1' },
  { action: 'exportSvg', label: 'Export as SVG', key: '' },
];

export class Toolbar {
  readonly element: HTMLElement;
  private readonly title = htmlEl('h1', { class: 'flow-title' });
  private readonly file = htmlEl('span', { class: 'flow-file' });
  private readonly picker = htmlEl('select', { class: 'flow-picker', 'aria-label': 'Flow to draw' });
  private readonly runStatus = htmlEl('span', { class: 'run-status', role: 'status' });
  private readonly zoomLevel = htmlEl('span', { class: 'zoom-level', 'aria-hidden': 'true' });
  private readonly buttons: HTMLButtonElement[] = [];
  private readonly actions: HTMLElement;

  constructor(onAction: (action: ToolbarAction) => void, onPickFlow: (flow: string) => void) {
    const actions = (this.actions = htmlEl('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Graph view', 'aria-orientation': 'horizontal' }));
    for (const { action, label, key } of BUTTONS) {
      const button = htmlEl('button', { type: 'button', class: `tool tool-${action}`, 'data-action': action, 'aria-label': label, title: key ? `${label} (${key})` : label, tabindex: this.buttons.length === 0 ? '0' : '-1' }, htmlEl('span', { class: 'tool-icon', 'aria-hidden': 'true' }));
      button.addEventListener('click', () => onAction(action));
      this.buttons.push(button);
      if (action === 'zoomIn') actions.append(this.zoomLevel);
      if (action === 'exportSvg') actions.append(htmlEl('span', { class: 'separator', 'aria-hidden': 'true' }));
      actions.append(button);
    }
    actions.addEventListener('keydown', (e) => this.onKey(e));
    this.picker.hidden = true;
    this.picker.addEventListener('change', () => onPickFlow(this.picker.value));
    this.element = htmlEl('header', { class: 'toolbar' }, htmlEl('div', { class: 'heading' }, this.title, this.picker, this.file), this.runStatus, htmlEl('span', { class: 'spacer' }), actions);
  }

  update(snapshot: DagSnapshot | undefined): void {
    const flow = snapshot?.graph.flow ?? '';
    this.title.textContent = flow;
    this.title.hidden = !snapshot || snapshot.flows.length > 1;
    const base = snapshot?.file.split(/[\\/]/).pop() ?? '';
    this.file.textContent = base;
    this.file.title = snapshot?.file ?? '';
    const flows = snapshot?.flows ?? [];
    this.picker.hidden = flows.length <= 1;
    this.picker.replaceChildren(...flows.map((f) => htmlEl('option', { value: f }, f)));
    this.picker.value = flow;
    const run = snapshot?.run;
    this.runStatus.hidden = !run;
    // A status region: the same text written again would be announced again.
    const status = run ? `Run ${run.runId} · ${run.status}` : '';
    if (this.runStatus.textContent !== status) this.runStatus.textContent = status;
    if (run) this.runStatus.setAttribute('data-run-status', run.status);
    // Without a graph there is nothing to zoom or export: no controls rather than dead ones.
    this.actions.hidden = !snapshot;
  }

  setZoom(scale: number): void {
    this.zoomLevel.textContent = `${Math.round(scale * 100)}%`;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End') return;
    const enabled = this.buttons.filter((b) => !b.disabled);
    const at = enabled.indexOf(e.target as HTMLButtonElement);
    if (at < 0) return;
    const next = e.key === 'Home' ? 0 : e.key === 'End' ? enabled.length - 1 : (at + (e.key === 'ArrowRight' ? 1 : -1) + enabled.length) % enabled.length;
    for (const b of this.buttons) b.tabIndex = -1;
    enabled[next].tabIndex = 0;
    enabled[next].focus();
    e.preventDefault();
  }
}
