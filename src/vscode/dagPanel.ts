// The DAG panel: one webview beside the editor that draws the flow of the active Python editor (or the
// last one drawn), redraws on every re-analysis, shows live run state, and answers the webview's requests
// (reveal a step, pick another flow of the file, save the drawing as SVG).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlowInfo } from '../flow/types';
import { createDagSnapshot, pickFlow, type RunSummary } from '../protocol/dagSnapshot';
import type { FlowLayout } from '../layout/flowLayout';
import type { StepRunState } from '../layout/types';
import type { DagSnapshot, HostToWebview, WebviewToHost } from '../protocol/dagPanel';
import { createNonce, renderDagHtml } from './dagPanelHtml';
import type { AnalysedDocument, FlowDocuments } from './flowDocuments';
import { parseWebviewMessage, type ShownDrawing } from './webviewMessages';

export const DAG_VIEW_TYPE = 'metaflow.dag';

export interface DagPanelDependencies {
  extensionUri: vscode.Uri;
  documents: FlowDocuments;
  layout: Pick<FlowLayout, 'layout'>;
  log?: (line: string) => void;
}

interface Shown {
  uri: vscode.Uri;
  /** The flow asked for; the first flow of the file when absent or gone. */
  flow?: string;
}

interface RunRecord extends RunSummary {
  steps: Record<string, StepRunState>;
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
  private readonly runs = new Map<string, RunRecord>();

  constructor(private readonly deps: DagPanelDependencies) {
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

  /** Live run state of a flow (full snapshot of every step seen so far); drawn at once when that flow is shown. */
  setRunState(file: string, flow: string, runId: string, status: RunSummary['status'], steps: Record<string, StepRunState>): void {
    const record: RunRecord = { runId, status, steps: { ...steps } };
    this.runs.set(runKey(file, flow), record);
    const latest = this.latest;
    if (!this.shown || latest?.type !== 'snapshot' || latest.snapshot.graph.flow !== flow || !sameFile(this.shown.uri, file)) return;
    applyRun(latest.snapshot, record);
    this.post({ type: 'runState', runId, status, steps: record.steps });
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.subscriptions.splice(0)) d.dispose();
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
    this.shown = undefined;
    this.generation += 1;
  }

  private post(message: HostToWebview): void {
    if (message.type === 'snapshot' || message.type === 'empty') this.latest = message;
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
      const run = this.runs.get(runKey(file, flow.name));
      const graph = await this.deps.layout.layout(flow, run?.steps);
      if (generation !== this.generation) return;
      this.setTitle(flow);
      this.post({ type: 'snapshot', snapshot: createDagSnapshot({ file, analysis: analysed.analysis, flow, graph, run: run && { runId: run.runId, status: run.status } }) });
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
    return latest?.type === 'snapshot' ? { file: latest.snapshot.file, flow: latest.snapshot.graph.flow, flows: latest.snapshot.flows } : undefined;
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
      case 'error':
        this.deps.log?.(message.message);
        return;
    }
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

/** Folds a run record into a snapshot, so that a webview reload shows the run as it is now. */
function applyRun(snapshot: DagSnapshot, run: RunRecord): void {
  snapshot.run = { runId: run.runId, status: run.status };
  for (const node of snapshot.graph.nodes) node.run = run.steps[node.step] ? { ...run.steps[node.step] } : { status: 'idle' };
}
