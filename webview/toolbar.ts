// The panel's header: flow name and picker, the run shown (and "Live" when it is a past one), the run and
// step actions on the selected step, the timeline toggle, and zoom and export buttons (an ARIA toolbar:
// one tab stop, arrow keys move between its controls).
import type { DagSnapshot } from '../src/protocol/dagPanel';
import { htmlEl } from './svg';

export type ToolbarAction = 'zoomOut' | 'zoomIn' | 'fit' | 'actualSize' | 'exportSvg';

/** Run actions: on the flow, on the selected step, and on what the panel shows. */
export type RunAction = 'runFlow' | 'runFlowOnKubernetes' | 'runStep' | 'resumeFromStep' | 'showTasks' | 'showLive' | 'toggleTimeline';

const STEP_BUTTONS: Array<{ action: Extract<RunAction, 'runStep' | 'resumeFromStep' | 'showTasks'>; label: string; hint: string }> = [
  { action: 'runStep', label: 'Run step', hint: 'runs only this step, on the inputs of the latest run that reached it' },
  { action: 'resumeFromStep', label: 'Resume from here', hint: 'resumes the latest run from this step' },
  { action: 'showTasks', label: 'Show tasks', hint: "lists this step's tasks in the run shown, to open their logs" },
];

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
  private readonly runActions = htmlEl('div', { class: 'run-actions', role: 'group', 'aria-label': 'Run actions' });
  private readonly live = htmlEl('button', { type: 'button', class: 'text-tool live-button', 'data-action': 'showLive', title: 'Leave this past run and follow the live runs of the flow' }, 'Live');
  private readonly timelineToggle = htmlEl('button', { type: 'button', class: 'text-tool timeline-toggle', 'data-action': 'toggleTimeline', 'aria-pressed': 'false', title: 'Show the timeline of the run under the graph' }, 'Timeline');
  private readonly stepButtons = new Map<RunAction, HTMLButtonElement>();

  constructor(onAction: (action: ToolbarAction) => void, onPickFlow: (flow: string) => void, onRunAction: (action: RunAction) => void) {
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
    const runFlow = htmlEl('button', { type: 'button', class: 'text-tool', 'data-action': 'runFlow', title: 'Run the whole flow' }, 'Run flow');
    const onKubernetes = htmlEl('button', { type: 'button', class: 'text-tool', 'data-action': 'runFlowOnKubernetes', title: 'Run the whole flow with every step on Kubernetes (AKS)' }, 'Run on Kubernetes');
    this.runActions.append(runFlow, onKubernetes);
    for (const { action, label } of STEP_BUTTONS) {
      const button = htmlEl('button', { type: 'button', class: 'text-tool step-tool', 'data-action': action, disabled: '' }, label);
      this.stepButtons.set(action, button);
      this.runActions.append(button);
    }
    this.runActions.append(this.timelineToggle);
    for (const button of this.runActions.querySelectorAll<HTMLButtonElement>('button')) button.addEventListener('click', () => onRunAction(button.dataset.action as RunAction));
    this.live.addEventListener('click', () => onRunAction('showLive'));
    this.live.hidden = true;
    this.element = htmlEl(
      'header',
      { class: 'toolbar' },
      htmlEl('div', { class: 'heading' }, this.title, this.picker, this.file),
      this.runStatus,
      this.live,
      htmlEl('span', { class: 'spacer' }),
      this.runActions,
      htmlEl('span', { class: 'separator', 'aria-hidden': 'true' }),
      actions,
    );
  }

  /** Enables the step actions for the selected step (named in their labels), and "Show tasks" only with a run to list. */
  setSelection(step: string | undefined, hasRun: boolean): void {
    for (const { action, label, hint } of STEP_BUTTONS) {
      const button = this.stepButtons.get(action)!;
      button.disabled = !step || (action === 'showTasks' && !hasRun);
      button.setAttribute('aria-label', step ? `${label}: ${step}` : label);
      button.title = step ? `${label} ${step}: ${hint}` : `${label}: select a step first`;
    }
  }

  setTimeline(shown: boolean): void {
    this.timelineToggle.setAttribute('aria-pressed', String(shown));
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
    const past = run?.mode === 'past';
    const status = run ? `${past ? 'Past run' : 'Run'} ${run.runId} · ${run.status}` : '';
    if (this.runStatus.textContent !== status) this.runStatus.textContent = status;
    if (run) this.runStatus.setAttribute('data-run-status', run.status);
    this.runStatus.setAttribute('data-mode', run?.mode ?? 'live');
    this.live.hidden = !past;
    // Without a graph there is nothing to zoom, export or run: no controls rather than dead ones.
    this.actions.hidden = !snapshot;
    this.runActions.hidden = !snapshot;
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
