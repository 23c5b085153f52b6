// A step's context menu (right click, Shift+F10 or the Menu key on a focused step): go to its code, run it,
// resume from it, list its tasks, show the pod of a task that ran on Kubernetes. An ARIA menu: arrow keys move, Enter picks, Escape gives focus back.
import { htmlEl } from './svg';

export type NodeMenuAction = 'revealStep' | 'runStep' | 'resumeFromStep' | 'showTasks' | 'showPod';

const ITEMS: Array<{ action: NodeMenuAction; label: string }> = [
  { action: 'revealStep', label: 'Go to definition' },
  { action: 'runStep', label: 'Run step' },
  { action: 'resumeFromStep', label: 'Resume from here' },
  { action: 'showTasks', label: 'Show tasks' },
  { action: 'showPod', label: 'Show pod' },
];

export class NodeMenu {
  readonly element = htmlEl('div', { class: 'node-menu', role: 'menu' });
  private step?: string;
  private returnFocus?: HTMLElement | SVGElement;

  constructor(private readonly onPick: (action: NodeMenuAction, step: string) => void) {
    this.element.hidden = true;
    for (const { action, label } of ITEMS) {
      const item = htmlEl('button', { type: 'button', class: 'node-menu-item', role: 'menuitem', 'data-action': action, tabindex: '-1' }, label);
      item.addEventListener('click', () => this.pick(action));
      this.element.append(item);
    }
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('focusout', (e) => {
      if (!this.element.contains(e.relatedTarget as Node | null)) this.close(false);
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  /** Opens at (x, y) in the menu's positioned container, for `step`; `hasRun` enables "Show tasks", `hasPod` "Show pod". */
  open(step: string, x: number, y: number, hasRun: boolean, returnFocus?: HTMLElement | SVGElement, hasPod = false): void {
    this.step = step;
    this.returnFocus = returnFocus;
    this.element.setAttribute('aria-label', `Step ${step}`);
    for (const item of this.items()) item.disabled = (item.dataset.action === 'showTasks' && !hasRun) || (item.dataset.action === 'showPod' && !hasPod);
    this.element.hidden = false;
    const container = this.element.offsetParent as HTMLElement | null;
    const maxX = (container?.clientWidth ?? x + this.element.offsetWidth) - this.element.offsetWidth - 4;
    const maxY = (container?.clientHeight ?? y + this.element.offsetHeight) - this.element.offsetHeight - 4;
    this.element.style.left = `${Math.max(4, Math.min(x, maxX))}px`;
    this.element.style.top = `${Math.max(4, Math.min(y, maxY))}px`;
    this.enabled()[0]?.focus();
  }

  close(restoreFocus = true): void {
    if (this.element.hidden) return;
    this.element.hidden = true;
    if (restoreFocus) this.returnFocus?.focus({ preventScroll: true });
  }

  private items(): HTMLButtonElement[] {
    return Array.from(this.element.querySelectorAll<HTMLButtonElement>('.node-menu-item'));
  }

  private enabled(): HTMLButtonElement[] {
    return this.items().filter((i) => !i.disabled);
  }

  private pick(action: NodeMenuAction): void {
    const step = this.step;
    this.close();
    if (step) this.onPick(action, step);
  }

  private onKey(e: KeyboardEvent): void {
    const items = this.enabled();
    const at = items.indexOf(e.target as HTMLButtonElement);
    let next: number | undefined;
    if (e.key === 'ArrowDown') next = (at + 1) % items.length;
    else if (e.key === 'ArrowUp') next = (at - 1 + items.length) % items.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = items.length - 1;
    else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      this.close();
      return;
    } else return;
    e.preventDefault();
    items[next]?.focus();
  }
}
