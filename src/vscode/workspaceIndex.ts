// An index of the flows defined in the workspace's Python files, for "Show DAG" without an open flow
// editor and for views that list flows. Scanning is lazy (first `flows()` call), bounded (file count
// and size), cancellable, skips environments and generated folders, and reads a file's text before
// parsing it only when a cheap text test says it may hold a flow. A file watcher keeps it current.
import * as vscode from 'vscode';
import { mightDefineFlow } from '../flow/analyzer';
import type { LazyAnalyzer } from './lazyAnalyzer';
import type { Log } from './log';

export interface IndexedFlow {
  uri: vscode.Uri;
  name: string;
  /** 1-based line of the class. */
  line: number;
  stepCount: number;
  errorCount: number;
}

export interface WorkspaceIndexOptions {
  analyzer: LazyAnalyzer;
  log: Log;
  /** At most this many Python files are scanned. */
  maxFiles?: number;
  /** Larger files are skipped: generated code, not flows. */
  maxFileBytes?: number;
}

/** Folders never scanned: Metaflow's datastore, packages and virtual environments, caches. */
export const IGNORED_FOLDERS = [
  '.metaflow',
  '.metaflow_spin',
  'node_modules',
  '.venv',
  'venv',
  '.env',
  'env',
  'virtualenv',
  '.virtualenvs',
  '.conda',
  'site-packages',
  'dist-packages',
  '.tox',
  '.nox',
  '__pycache__',
  '.git',
  '.hg',
  '.svn',
  '.mypy_cache',
  '.pytest_cache',
  '.ipynb_checkpoints',
];
const EXCLUDE_GLOB = `**/{${IGNORED_FOLDERS.join(',')}}/**`;
const IGNORED = new Set(IGNORED_FOLDERS);
const UPDATE_DELAY_MS = 300;

export function isIgnoredPath(uri: vscode.Uri): boolean {
  return uri.path.split('/').some((segment) => IGNORED.has(segment));
}

export class WorkspaceFlowIndex implements vscode.Disposable {
  private readonly byFile = new Map<string, IndexedFlow[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly cancel = new vscode.CancellationTokenSource();
  private readonly subscriptions: vscode.Disposable[] = [this.changed, this.cancel];
  private readonly queued = new Map<string, vscode.Uri>();
  private queueTimer: ReturnType<typeof setTimeout> | undefined;
  private draining: Promise<void> = Promise.resolve();
  private scan: Promise<void> | undefined;
  private readonly maxFiles: number;
  private readonly maxFileBytes: number;
  /** Fires when the set of indexed flows changes. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly options: WorkspaceIndexOptions) {
    this.maxFiles = options.maxFiles ?? 5000;
    this.maxFileBytes = options.maxFileBytes ?? 1_000_000;
  }

  /** Every flow of the workspace, sorted by file then line; the first call scans the workspace. */
  async flows(): Promise<IndexedFlow[]> {
    await this.start();
    await this.draining;
    return [...this.byFile.values()]
      .flat()
      .sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath) || a.line - b.line);
  }

  dispose(): void {
    this.cancel.cancel();
    if (this.queueTimer) clearTimeout(this.queueTimer);
    for (const s of this.subscriptions) s.dispose();
  }

  private start(): Promise<void> {
    if (this.scan) return this.scan;
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
    this.subscriptions.push(
      watcher,
      watcher.onDidCreate((uri) => this.enqueue(uri)),
      watcher.onDidChange((uri) => this.enqueue(uri)),
      watcher.onDidDelete((uri) => this.removed(uri)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.scan = this.scan!.then(() => {
          this.byFile.clear();
          return this.fullScan();
        });
      }),
    );
    this.scan = this.fullScan();
    return this.scan;
  }

  private async fullScan(): Promise<void> {
    const token = this.cancel.token;
    const started = Date.now();
    const uris = await vscode.workspace.findFiles('**/*.py', EXCLUDE_GLOB, this.maxFiles, token);
    if (uris.length >= this.maxFiles) {
      this.options.log.warn(`The workspace has more than ${this.maxFiles} Python files; flows were looked for in the first ${this.maxFiles} only.`);
    }
    let flowFiles = 0;
    for (const uri of uris) {
      if (token.isCancellationRequested) return;
      if (await this.indexFile(uri)) flowFiles += 1;
    }
    this.options.log.info(`Workspace index: ${flowFiles} flow file(s) among ${uris.length} Python file(s) (${Date.now() - started} ms).`);
    this.changed.fire();
  }

  /** Returns true when the file defines a flow. */
  private async indexFile(uri: vscode.Uri): Promise<boolean> {
    const key = uri.toString();
    const flows = await this.readFlows(uri);
    const before = this.byFile.get(key);
    if (flows.length > 0) this.byFile.set(key, flows);
    else this.byFile.delete(key);
    return flows.length > 0 || before !== undefined;
  }

  private async readFlows(uri: vscode.Uri): Promise<IndexedFlow[]> {
    let text: string;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > this.maxFileBytes) return [];
      text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return []; // deleted or unreadable between listing and reading
    }
    if (!mightDefineFlow(text)) return [];
    const analyzer = await this.options.analyzer.load();
    if (!analyzer) return [];
    // A key of its own, so the index never disturbs the parse tree of an open editor.
    const key = `index:${uri.toString()}`;
    try {
      return analyzer.analyze(key, text).flows.map((flow) => ({
        uri,
        name: flow.name,
        line: flow.line,
        stepCount: flow.steps.length,
        errorCount: flow.errors.length,
      }));
    } catch (err) {
      this.options.log.warn(`Could not index ${uri.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    } finally {
      analyzer.forget(key);
    }
  }

  private enqueue(uri: vscode.Uri): void {
    if (isIgnoredPath(uri)) return;
    this.queued.set(uri.toString(), uri);
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.queueTimer = setTimeout(() => {
      this.queueTimer = undefined;
      const batch = [...this.queued.values()];
      this.queued.clear();
      this.draining = this.draining.then(async () => {
        let changed = false;
        for (const u of batch) if (!this.cancel.token.isCancellationRequested && (await this.indexFile(u))) changed = true;
        if (changed) this.changed.fire();
      });
    }, UPDATE_DELAY_MS);
  }

  private removed(uri: vscode.Uri): void {
    const key = uri.toString();
    const folderPrefix = key.endsWith('/') ? key : `${key}/`;
    let changed = false;
    for (const file of [...this.byFile.keys()]) {
      if (file === key || file.startsWith(folderPrefix)) {
        this.byFile.delete(file);
        changed = true;
      }
    }
    if (changed) this.changed.fire();
  }
}
