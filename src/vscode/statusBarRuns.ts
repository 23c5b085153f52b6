// A status bar item while runs are going: "TrainFlow 37/100", or "2 Metaflow runs". A click offers
// cancelling a run or showing the Output channel.
import * as vscode from 'vscode';
import { throttle } from '../runs/throttle';
import { type LiveRun, type LiveRuns, progressText } from './runProgress';

const REDRAW_MS = 100;

export const SHOW_ACTIVE_RUNS_COMMAND = 'metaflow.showActiveRuns';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('metaflow.runs', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: Array<{ dispose(): void }> = [];
  private readonly redraw = throttle(() => this.render(), REDRAW_MS);

  constructor(private readonly runs: LiveRuns) {
    this.item.name = 'Metaflow runs';
    this.item.command = SHOW_ACTIVE_RUNS_COMMAND;
    this.subscriptions.push(
      runs.onDidChange(() => this.redraw(undefined)),
      runs.onDidEnd(() => this.render()),
    );
    this.render();
  }

  /** The text shown, for tests and the API; empty while no run is going. */
  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const active = this.runs.active();
    if (active.length === 0) {
      this.item.text = '';
      this.item.hide();
      return;
    }
    const one = active.length === 1 ? active[0] : undefined;
    this.item.text = one ? `$(sync~spin) ${one.state.flow} ${progressText(one.state).replace(/ tasks?$/, '')}` : `$(sync~spin) ${active.length} Metaflow runs`;
    this.item.tooltip = active.map((r) => `${r.state.pathspec}: ${progressText(r.state)}`).join('\n') + '\nClick to cancel a run or show its output';
    this.item.show();
  }

  /** The click: a pick of "Show Output" and one "Cancel …" per active run. */
  async pick(showOutput: () => void, cancel: (run: LiveRun) => void): Promise<void> {
    type Item = vscode.QuickPickItem & { run?: LiveRun };
    const items: Item[] = [
      { label: '$(output) Show Output' },
      ...this.runs.active().map((run) => ({ label: `$(debug-stop) Cancel ${run.state.pathspec}`, description: progressText(run.state), run })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Metaflow runs' });
    if (!picked) return;
    if (picked.run) cancel(picked.run);
    else showOutput();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.redraw.cancel();
    this.item.dispose();
  }
}
