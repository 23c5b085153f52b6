// The DAG panel: one webview beside the editor that draws the flow of the active Python editor (or the
// last one drawn), redraws on every re-analysis, shows the state of the flow's live run (or of a past run
// picked in the Artifact Explorer) with its timeline, and answers the webview's requests (reveal a step,
// pick another flow of the file, save the drawing as SVG, run or resume a step, open a task's logs).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlowInfo } from '../flow/types';
import type { FlowLayout } from '../layout/flowLayout';
import type { DagSnapshot, HostToWebview, RunMode, RunStateMessage, StepAction, WebviewToHost } from '../protocol/dagPanel';
import { runStateMessage } from '../protocol/dagRun';
import { createDagSnapshot, pickFlow } from '../protocol/dagSnapshot';
import { formatDuration } from '../runs/formatDuration';
import { throttle, type Throttled } from '../runs/throttle';
import type { RunState, TaskState } from '../runs/types';
import { createNonce, renderDagHtml } from './dagPanelHtml';
import type { AnalysedDocument, FlowDocuments } from './flowDocuments';
import { parseWebviewMessage, type ShownDrawing } from './webviewMessages';

export const DAG_VIEW_TYPE = 'metaflow.dag';

/** A run the registry follows (src/runs/runRegistry.ts): what the panel reads of it. */
export interface PanelRun {
  flowFile: string;
  flow: { name: string };
  readonly state: RunState;
}

/** The run registry as the panel uses it: the runs going now, and word when one changes or ends. */
export interface PanelRunSource {
  active(): readonly PanelRun[];
  /** Ended runs, newest first. */
  recent?(): readonly PanelRun[];
  onDidChange(listener: (run: PanelRun) => void): { dispose(): void };
  onDidEnd(listener: (run: PanelRun) => void): { dispose(): void };
}

export interface DagPanelDependencies {
  extensionUri: vscode.Uri;
  documents: FlowDocuments;
  layout: Pick<FlowLayout, 'layout'>;
  runs?: PanelRunSource;
  log?: (line: string) => void;
  /** How often, at most, a live run's state is sent to the webview (full snapshots; default 150 ms). */
  runUpdateIntervalMs?: number;
}

/** A past run shown instead of the live one, until the user asks for live or the flow runs again. */
interface PinnedRun {
  key: string;
  state: RunState;
  /** Runs already going when it was pinned: their updates do not take the panel back to live. */
  ignore: Set<string>;
}

/** The commands the node actions run (owned by the run commands; the panel only asks for them). */
const STEP_COMMANDS: Record<Exclude<StepAction, 'showTasks' | 'showPod'>, string> = { runStep: 'metaflow.runStep', resumeFromStep: 'metaflow.resumeFromStep' };
const RUN_FLOW_COMMAND = 'metaflow.runFlow';
const RUN_FLOW_ON_KUBERNETES_COMMAND = 'metaflow.runFlowOnKubernetes';
/** Owned by src/vscode/kubernetesCommands.ts; takes `{ pathspec, attempt, executor }`. */
const SHOW_POD_COMMAND = 'metaflow.showPod';
const SHOW_TASK_LOGS_COMMAND = 'metaflow.showTaskLogs';
const RUN_UPDATE_INTERVAL_MS = 150;

const TASK_ICONS: Record<TaskState['status'], string> = {
  pending: '$(clock)',
  running: '$(sync~spin)',
  succeeded: '$(pass)',
  failed: '$(error)',
  retrying: '$(debug-restart)',
  cloned: '$(copy)',
};

interface Shown {
  uri: vscode.Uri;
  /** The flow asked for; the first flow of the file when absent or gone. */
  flow?: string;
}

const NO_FLOW_MESSAGE =
  'No flow to draw. Open a Python file with a class that subclasses FlowSpec (with @step methods), or run "Metaflow: Show DAG" from one.';

/** How run state and messages name a file: its path for files on disk, its URI otherwise. */
export function fileKey(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}

function sameFile(uri: vscode.Uri, file: string): boolean {
  return fileKey(uri) === file || uri.toString() === file || (path.isAbsolute(file) && uri.scheme === 'file' && path.resolve(uri.fsPath) === path.resolve(file));
}

/** `uri` relative to `container` ('' when they are the same), or undefined when `uri` is not inside it. */
function pathWithin(container: vscode.Uri, uri: vscode.Uri): string | undefined {
  const outer = container.toString();
  const inner = uri.toString();
  if (inner === outer) return '';
  const prefix = outer.endsWith('/') ? outer : `${outer}/`;
  return inner.startsWith(prefix) ? inner.slice(prefix.length) : undefined;
}

function runKey(file: string, flow: string): string {
  return `${file}\u0000${flow}`;
}

export class DagPanelManager implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private panelSubscriptions: vscode.Disposable[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private shown?: Shown;
  private ready = false;
  /** The last snapshot or empty state, re-sent whenever the webview (re)loads. */
  private latest?: Extract<HostToWebview, { type: 'snapshot' | 'empty' }>;
  /** Bumped by every redraw, so that a slow layout never overwrites a newer one. */
  private generation = 0;
  /** The latest run of each flow (by file and flow name), live or finished. */
  private readonly runs = new Map<string, PanelRun>();
  private pinned?: PinnedRun;
  /** The last run state sent, re-sent with the snapshot whenever the webview (re)loads. */
  private latestRun?: RunStateMessage;
  /** At most one full run state per interval while a run goes, and always the latest one. */
  private readonly scheduleRun: Throttled<void>;

  constructor(private readonly deps: DagPanelDependencies) {
    this.scheduleRun = throttle<void>(() => this.sendRun(), deps.runUpdateIntervalMs ?? RUN_UPDATE_INTERVAL_MS);
    // Oldest first, so that each flow keeps its newest run.
    for (const run of [...(deps.runs?.recent?.() ?? [])].reverse().concat(deps.runs?.active() ?? [])) this.runs.set(runKey(run.flowFile, run.flow.name), run);
    if (deps.runs) this.subscriptions.push(deps.runs.onDidChange((run) => this.runChanged(run, false)), deps.runs.onDidEnd((run) => this.runChanged(run, true)));
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => this.followEditor(editor)),
      deps.documents.onDidAnalyze((analysed) => this.analysed(analysed)),
      vscode.workspace.onDidRenameFiles((event) => this.renamed(event.files)),
      vscode.workspace.onDidDeleteFiles((event) => this.deleted(event.files)),
      // A panel left open when VS Code closed comes back drawing the same flow.
      vscode.window.registerWebviewPanelSerializer(DAG_VIEW_TYPE, { deserializeWebviewPanel: (panel, state) => this.restore(panel, state) }),
    );
  }

  /** Opens the panel beside the editor (or reveals it) and draws `target`, the active editor's flow, or the last flow drawn. */
  async show(target?: { uri: vscode.Uri; flow?: string }): Promise<void> {
    this.ensurePanel();
    const uri = target?.uri ?? this.activeFlowUri();
    if (uri) {
      const keepFlow = this.shown && this.shown.uri.toString() === uri.toString() ? this.shown.flow : undefined;
      this.shown = { uri, flow: target?.flow ?? keepFlow };
    }
    if (this.shown) await this.redraw();
    else this.post({ type: 'empty', message: NO_FLOW_MESSAGE });
  }

  /**
   * Shows a past run of the flow in `file` (read from the datastore by the Artifact Explorer) instead of
   * the live one; the header names it and offers "Live". The flow's next run takes the panel back to live.
   */
  async showRun(file: string, state: RunState): Promise<void> {
    const uri = file.includes('://') ? vscode.Uri.parse(file) : vscode.Uri.file(file);
    const key = runKey(fileKey(uri), state.flow);
    const going = (this.deps.runs?.active() ?? []).filter((r) => runKey(r.flowFile, r.flow.name) === key).map((r) => r.state.runId);
    this.pinned = { key, state, ignore: new Set(going) };
    await this.show({ uri, flow: state.flow });
  }

  dispose(): void {
    this.panel?.dispose();
    this.scheduleRun.cancel();
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }

  /** The drawn file and flow, as run keys name them. */
  private drawnKey(): string | undefined {
    const latest = this.latest;
    if (!this.shown || latest?.type !== 'snapshot') return undefined;
    return runKey(latest.snapshot.file, latest.snapshot.graph.flow);
  }

  /** The run the panel shows for `key`: the pinned past run, else the flow's latest live one. */
  private runFor(key: string | undefined): { state: RunState; mode: RunMode } | undefined {
    if (key === undefined) return undefined;
    if (this.pinned?.key === key) return { state: this.pinned.state, mode: 'past' };
    const live = this.runs.get(key);
    return live ? { state: live.state, mode: 'live' } : undefined;
  }

  private runChanged(run: PanelRun, ended: boolean): void {
    const key = runKey(run.flowFile, run.flow.name);
    this.runs.set(key, run);
    const pinned = this.pinned;
    if (pinned?.key === key) {
      if (pinned.state.runId === run.state.runId) pinned.state = run.state;
      else if (!pinned.ignore.has(run.state.runId)) {
        // A new run of the flow: back to live, as the header promised.
        this.pinned = undefined;
      } else return;
    }
    if (key !== this.drawnKey()) return;
    this.scheduleRun();
    // The final state goes at once: nothing comes after it to carry it.
    if (ended) this.scheduleRun.flush();
  }

  private sendRun(): void {
    const latest = this.latest;
    const run = this.runFor(this.drawnKey());
    if (!run || latest?.type !== 'snapshot') return;
    const message = runStateMessage(run.state, run.mode, Date.now());
    // The snapshot carries the run too, so that a webview reload shows the run as it is now.
    applyRun(latest.snapshot, message);
    this.post(message);
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(DAG_VIEW_TYPE, 'DAG', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, this.webviewOptions());
    this.adopt(panel);
    return panel;
  }

  private webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview')] };
  }

  private async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (this.panel) {
      panel.dispose();
      return;
    }
    panel.webview.options = this.webviewOptions();
    this.adopt(panel);
    const snapshot = (state as { snapshot?: DagSnapshot } | undefined)?.snapshot;
    if (typeof snapshot?.file !== 'string' || typeof snapshot.graph?.flow !== 'string') return;
    this.shown = { uri: snapshot.file.includes('://') ? vscode.Uri.parse(snapshot.file) : vscode.Uri.file(snapshot.file), flow: snapshot.graph.flow };
    await this.redraw();
  }

  /** Gives a panel (new or restored) the page, and listens to it. */
  private adopt(panel: vscode.WebviewPanel): void {
    const root = vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview');
    const webview = panel.webview;
    this.ready = false;
    this.panel = panel;
    this.panelSubscriptions = [
      webview.onDidReceiveMessage((message: unknown) => this.receive(message)),
      panel.onDidDispose(() => this.panelClosed()),
    ];
    webview.html = renderDagHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'dag.css')).toString(),
      nonce: createNonce(),
      title: 'DAG',
    });
  }

  private panelClosed(): void {
    for (const d of this.panelSubscriptions.splice(0)) d.dispose();
    this.panel = undefined;
    this.ready = false;
    this.latest = undefined;
    this.latestRun = undefined;
    this.shown = undefined;
    this.pinned = undefined;
    this.scheduleRun.cancel();
    this.generation += 1;
  }

  private post(message: HostToWebview): void {
    if (message.type === 'snapshot' || message.type === 'empty') {
      this.latest = message;
      this.latestRun = undefined;
    }
    if (message.type === 'runState') this.latestRun = message;
    // No flow drawn, so no flow name in the title (it would name the drawing that was there before).
    if (message.type === 'empty') this.setTitle(undefined);
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  private activeFlowUri(): vscode.Uri | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') return undefined;
    return (this.deps.documents.get(editor.document)?.analysis.flows.length ?? 0) > 0 ? editor.document.uri : undefined;
  }

  /** Follows the active editor to another flow file; any other editor leaves the drawing as it is. */
  private followEditor(editor: vscode.TextEditor | undefined): void {
    if (!this.panel || !editor || editor.document.languageId !== 'python') return;
    if (this.shown?.uri.toString() === editor.document.uri.toString()) return;
    const analysed = this.deps.documents.get(editor.document);
    if (analysed && analysed.analysis.flows.length > 0) {
      this.shown = { uri: editor.document.uri };
      void this.redraw();
    }
  }

  private analysed(analysed: AnalysedDocument): void {
    if (!this.panel) return;
    const uri = analysed.uri.toString();
    if (this.shown?.uri.toString() === uri) {
      void this.redraw();
      return;
    }
    // A document that was still being analysed when its editor became active.
    const active = vscode.window.activeTextEditor?.document;
    if (active?.uri.toString() === uri && active.languageId === 'python' && analysed.analysis.flows.length > 0) {
      this.shown = { uri: analysed.uri };
      void this.redraw();
    }
  }

  /** The drawn file follows a rename (of itself or of a folder holding it). */
  private renamed(files: ReadonlyArray<{ oldUri: vscode.Uri; newUri: vscode.Uri }>): void {
    const shown = this.shown;
    if (!shown) return;
    for (const { oldUri, newUri } of files) {
      const rest = pathWithin(oldUri, shown.uri);
      if (rest === undefined) continue;
      this.shown = { uri: rest ? vscode.Uri.joinPath(newUri, rest) : newUri, flow: shown.flow };
      void this.redraw();
      return;
    }
  }

  /** A deleted file is no longer drawn: its steps could not be opened any more. */
  private deleted(files: readonly vscode.Uri[]): void {
    const shown = this.shown;
    if (!shown || !files.some((uri) => pathWithin(uri, shown.uri) !== undefined)) return;
    this.shown = undefined;
    this.generation += 1;
    this.post({ type: 'empty', message: `${path.basename(shown.uri.path)} was deleted. ${NO_FLOW_MESSAGE}` });
  }

  private async redraw(): Promise<void> {
    const shown = this.shown;
    if (!shown || !this.panel) return;
    const generation = ++this.generation;
    const name = path.basename(shown.uri.path);
    try {
      const document = await vscode.workspace.openTextDocument(shown.uri);
      const analysed = this.deps.documents.get(document);
      if (generation !== this.generation) return;
      if (!analysed) {
        const message = document.languageId === 'python' ? `Analysing ${name}…` : `${name} is not a Python file, so it has no flow to draw.`;
        this.post({ type: 'empty', message });
        return;
      }
      const flow = pickFlow(analysed.analysis, shown.flow);
      if (!flow) {
        const syntax = analysed.analysis.syntaxErrors[0];
        const hint = syntax ? ` Line ${syntax.range.start.line + 1} has a syntax error: ${syntax.message}` : '';
        this.post({ type: 'empty', message: `${name} defines no flow: no class there subclasses FlowSpec.${hint}` });
        return;
      }
      const file = fileKey(shown.uri);
      // The graph drawn is always the file as it is now; a run of an older version colours the steps both still have.
      const run = this.runFor(runKey(file, flow.name));
      const message = run && runStateMessage(run.state, run.mode, Date.now());
      const graph = await this.deps.layout.layout(flow, message?.steps);
      if (generation !== this.generation) return;
      this.setTitle(flow);
      const summary = message && { runId: message.runId, status: message.status, mode: run.mode };
      this.post({ type: 'snapshot', snapshot: createDagSnapshot({ file, analysis: analysed.analysis, flow, graph, run: summary }) });
      if (message) this.post(message);
    } catch (error) {
      if (generation !== this.generation) return;
      const message = error instanceof Error ? error.message : String(error);
      this.deps.log?.(`DAG: cannot draw ${fileKey(shown.uri)}: ${message}`);
      this.post({ type: 'empty', message: `Cannot draw ${name}: ${message}` });
    }
  }

  private setTitle(flow: FlowInfo | undefined): void {
    if (this.panel) this.panel.title = flow ? `DAG: ${flow.name}` : 'DAG';
  }

  /** The file and flows of the snapshot the webview was last sent: the only ones it may refer to. */
  private drawing(): ShownDrawing | undefined {
    const latest = this.latest;
    if (latest?.type !== 'snapshot') return undefined;
    const run = this.runFor(this.drawnKey());
    return {
      file: latest.snapshot.file,
      flow: latest.snapshot.graph.flow,
      flows: latest.snapshot.flows,
      steps: latest.snapshot.graph.nodes.map((n) => n.step),
      taskPathspecs: new Set(Array.from(run?.state.tasks.values() ?? [], (t) => t.pathspec)),
    };
  }

  private receive(raw: unknown): void {
    const message: WebviewToHost | undefined = parseWebviewMessage(raw, this.drawing());
    if (!message) {
      this.deps.log?.(`DAG: ignored a message from the webview that does not fit the drawing shown: ${describe(raw)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.latest) void this.panel?.webview.postMessage(this.latest);
        if (this.latestRun) void this.panel?.webview.postMessage(this.latestRun);
        return;
      case 'revealStep':
        void this.revealStep(message.file, message.flow, message.step).catch((e: unknown) => this.fail(`Cannot open step ${message.step}`, e));
        return;
      case 'selectFlow':
        if (this.shown && sameFile(this.shown.uri, message.file)) {
          this.shown = { uri: this.shown.uri, flow: message.flow };
          void this.redraw();
        }
        return;
      case 'exportSvg':
        void this.exportSvg(message.flow, message.svg).catch((e: unknown) => this.fail('Cannot export the DAG', e));
        return;
      case 'stepAction':
        if (message.action === 'showTasks') void this.showTasks(message.flow, message.step).catch((e: unknown) => this.fail(`Cannot list the tasks of ${message.step}`, e));
        else if (message.action === 'showPod') void this.showPod(message.flow, message.step).catch((e: unknown) => this.fail(`Cannot show the pod of ${message.step}`, e));
        else void this.execute(STEP_COMMANDS[message.action], this.uriOf(message.file), message.flow, message.step);
        return;
      case 'runFlow':
        void this.execute(message.target === 'kubernetes' ? RUN_FLOW_ON_KUBERNETES_COMMAND : RUN_FLOW_COMMAND, this.uriOf(message.file), message.flow);
        return;
      case 'showTaskLogs':
        this.openLogs(message.pathspec);
        return;
      case 'showLive':
        this.pinned = undefined;
        void this.redraw();
        return;
      case 'error':
        this.deps.log?.(message.message);
        return;
    }
  }

  private async execute(command: string, ...args: unknown[]): Promise<void> {
    try {
      await vscode.commands.executeCommand(command, ...args);
    } catch (error) {
      this.fail(`Cannot run ${command}`, error);
    }
  }

  private openLogs(pathspec: string): void {
    const run = this.runFor(this.drawnKey());
    if (!run) return;
    void this.execute(SHOW_TASK_LOGS_COMMAND, { root: run.state.datastoreRoot, pathspec });
  }

  /** A quick pick of the step's tasks in the run shown; the one picked opens its logs. */
  private async showTasks(flow: string, step: string): Promise<void> {
    const run = this.runFor(this.drawnKey());
    if (!run) {
      void vscode.window.showInformationMessage(`No run of ${flow} to list tasks from: run the flow, or pick one of its runs in the Artifact Explorer.`);
      return;
    }
    const tasks = Array.from(run.state.tasks.values()).filter((t) => t.step === step);
    if (tasks.length === 0) {
      void vscode.window.showInformationMessage(`Step ${step} has no tasks in run ${run.state.runId} yet.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(
      tasks.map((task) => ({ label: `${TASK_ICONS[task.status]} ${task.pathspec}`, description: describeTask(task), pathspec: task.pathspec })),
      { title: `Tasks of ${step} in run ${run.state.runId}`, placeHolder: 'Choose a task to open its logs', matchOnDescription: true },
    );
    if (picked) this.openLogs(picked.pathspec);
  }

  /** The pod of a task attempt of `step` that ran on Kubernetes (a quick pick when there are several), shown by the Kubernetes commands. */
  private async showPod(flow: string, step: string): Promise<void> {
    const run = this.runFor(this.drawnKey());
    const attempts = Array.from(run?.state.tasks.values() ?? [])
      .filter((t) => t.step === step)
      .flatMap((task) => task.attempts.filter((a) => a.executor?.kind === 'kubernetes').map((attempt) => ({ task, attempt })));
    if (!run || attempts.length === 0) {
      void vscode.window.showInformationMessage(`No task of step ${step} ran on Kubernetes in ${run ? `run ${run.state.runId}` : `the run of ${flow} shown`}, so it has no pod to show.`);
      return;
    }
    const picked =
      attempts.length === 1
        ? attempts[0]
        : await vscode.window.showQuickPick(
            attempts.map((a) => ({ label: `${TASK_ICONS[a.task.status]} ${a.task.pathspec}`, description: `attempt ${a.attempt.attempt} · ${a.attempt.executor?.pod ?? a.attempt.executor?.job ?? ''}`, ...a })),
            { title: `Pods of ${step} in run ${run.state.runId}`, placeHolder: 'Choose a task attempt to show its pod' },
          );
    if (picked) await this.execute(SHOW_POD_COMMAND, { pathspec: picked.task.pathspec, attempt: picked.attempt.attempt, executor: picked.attempt.executor });
  }

  private uriOf(file: string): vscode.Uri {
    if (this.shown && sameFile(this.shown.uri, file)) return this.shown.uri;
    return file.includes('://') ? vscode.Uri.parse(file) : vscode.Uri.file(file);
  }

  private async revealStep(file: string, flowName: string, step: string): Promise<void> {
    const uri = this.uriOf(file);
    const document = await vscode.workspace.openTextDocument(uri);
    const flow = this.deps.documents.get(document)?.analysis.flows.find((f) => f.name === flowName);
    const info = flow?.steps.find((s) => s.name === step);
    if (!info) {
      void vscode.window.showWarningMessage(`Step "${step}" is no longer part of ${flowName} in ${path.basename(uri.path)}.`);
      return;
    }
    const { start, end } = info.nameRange;
    const range = new vscode.Range(start.line, start.character, end.line, end.character);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const column = visible?.viewColumn ?? (this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One);
    const editor = await vscode.window.showTextDocument(document, { viewColumn: column, selection: range, preserveFocus: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async exportSvg(flow: string, svg: string): Promise<void> {
    const base = this.shown?.uri.scheme === 'file' ? vscode.Uri.file(path.dirname(this.shown.uri.fsPath)) : vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Export the DAG of ${flow}`,
      saveLabel: 'Export',
      filters: { 'SVG image': ['svg'] },
      ...(base ? { defaultUri: vscode.Uri.joinPath(base, `${flow}.svg`) } : {}),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(svg, 'utf8'));
    this.deps.log?.(`DAG: exported ${flow} to ${fileKey(target)}`);
    void vscode.window.showInformationMessage(`Exported the DAG of ${flow} to ${path.basename(target.path)}.`);
  }

  private fail(what: string, error: unknown): void {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    this.deps.log?.(`DAG: ${message}`);
    void vscode.window.showErrorMessage(message);
  }
}

function describe(raw: unknown): string {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? `type "${type.slice(0, 40)}"` : typeof raw;
}

function describeTask(task: TaskState): string {
  const last = task.attempts.at(-1);
  const parts: string[] = [task.status];
  if (last && last.attempt > 0) parts.push(`attempt ${last.attempt + 1} of ${task.attempts.length}`);
  if (last?.durationMs !== undefined) parts.push(formatDuration(last.durationMs));
  if (task.foreachIndices?.length) parts.push(`foreach index ${task.foreachIndices.join(', ')}`);
  if (last?.error) parts.push(last.error);
  return parts.join(' · ');
}

/** Folds a run state into a snapshot, so that a webview reload shows the run as it is now. */
function applyRun(snapshot: DagSnapshot, run: RunStateMessage): void {
  snapshot.run = { runId: run.runId, status: run.status, ...(run.mode ? { mode: run.mode } : {}) };
  for (const node of snapshot.graph.nodes) node.run = run.steps[node.step] ? { ...run.steps[node.step] } : { status: 'idle' };
}
