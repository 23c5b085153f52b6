// The Artifact Explorer's data: datastores -> flows -> runs -> steps -> tasks -> artifacts, read through
// src/client. Runs and tasks come in pages with a "Load more" item. A run started in this window is
// refreshed as its events arrive (at most 4 times a second) and when it ends; runs made elsewhere (by
// Metaflow itself, or the CLI) are picked up by a file watcher on the datastore. When runs use the Azure
// Blob datastore (`metaflow.datastore` / METAFLOW_DEFAULT_DATASTORE=azure), its container is listed too,
// read through the same client rules over the blob storage.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DatastoreClient } from '../client/datastoreClient';
import { StorageDatastoreClient } from '../client/storageClient';
import type { DatastoreStorage } from '../datastore/storage/types';
import type { TrackedRun } from '../runs/runRegistry';
import { throttle, type Throttled } from '../runs/throttle';
import { discoverDatastoreRoots } from './artifactExplorerRoots';
import { type ExplorerNode, treeItem } from './artifactExplorerNodes';

export const EXPLORER_VIEW = 'metaflow.artifactExplorer';
const RUN_PAGE = 50;
const TASK_PAGE = 200;
const REFRESH_MS = 250;

interface RunSource {
  active(): TrackedRun[];
  onDidChange(listener: (run: TrackedRun) => void): { dispose(): void };
  onDidEnd(listener: (run: TrackedRun) => void): { dispose(): void };
}

interface Paged {
  items: ExplorerNode[];
  cursor?: string;
  total: number;
}

/** A remote datastore to list beside the local ones. */
export interface RemoteDatastore {
  /** How its root node is named, e.g. `azure://account/container/prefix`. */
  id: string;
  storage: DatastoreStorage;
  /** The local `.metaflow` holding the metadata of runs launched from here. */
  metadataRoot?: string;
}

export interface ArtifactExplorerDeps {
  runs: RunSource;
  /** Datastore roots of the workspace; replaceable in tests. */
  discoverRoots?: (extra: Iterable<string>) => Promise<string[]>;
  /** The configured remote (Azure) datastore, undefined when runs use the local one; a thrown error is shown in the tree. */
  discoverRemote?: () => Promise<RemoteDatastore | undefined>;
}

/** Either client: local reads are synchronous, remote ones are awaited; callers await both. */
type Reader = DatastoreClient | StorageDatastoreClient;

export class ArtifactExplorer implements vscode.TreeDataProvider<ExplorerNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExplorerNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly clients = new Map<string, DatastoreClient>();
  private readonly extraRoots = new Set<string>();
  private roots: Promise<string[]> | undefined;
  private readonly remotes = new Map<string, StorageDatastoreClient>();
  private remoteError: string | undefined;
  /** Node objects are kept so that a refresh can name the very element the tree holds. */
  private readonly nodes = new Map<string, ExplorerNode>();
  private readonly pages = new Map<string, Paged>();
  private readonly refreshers = new Map<string, Throttled<void>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly deps: ArtifactExplorerDeps) {
    this.subscriptions.push(
      deps.runs.onDidChange((run) => this.onRunEvent(run, false)),
      deps.runs.onDidEnd((run) => this.onRunEvent(run, true)),
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/.metaflow/*/{latest_run,*/*/*/*.DONE.lock,*/_meta/_self.json}');
    const onFile = (uri: vscode.Uri) => this.onDatastoreFile(uri.fsPath);
    this.subscriptions.push(watcher, watcher.onDidCreate(onFile), watcher.onDidChange(onFile), watcher.onDidDelete(onFile));
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('metaflow.datastore') || e.affectsConfiguration('metaflow.azure')) this.refresh();
      }),
    );
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    for (const r of this.refreshers.values()) r.cancel();
    this.changed.dispose();
  }

  isRemote(root: string): boolean {
    return this.remotes.has(root);
  }

  /** The remote datastore's storage of a root node (previews copy blobs from it). */
  remoteStorage(root: string): DatastoreStorage | undefined {
    return this.remotes.get(root)?.storage;
  }

  /** The storage client of a remote root node (the DAG panel draws its runs through it). */
  remoteClient(root: string): StorageDatastoreClient | undefined {
    return this.remotes.get(root);
  }

  /** The local client of a root; commands that change or draw runs work on local datastores only. */
  client(root: string): DatastoreClient {
    if (this.remotes.has(root)) throw new Error(`${root} is a remote datastore: this works on local (.metaflow) datastores only`);
    let c = this.clients.get(root);
    if (!c) {
      c = new DatastoreClient(root, { isActive: (pathspec) => this.deps.runs.active().some((r) => r.state.pathspec === pathspec && path.resolve(r.state.datastoreRoot) === root) });
      this.clients.set(root, c);
    }
    return c;
  }

  private reader(root: string): Reader {
    return this.remotes.get(root) ?? this.client(root);
  }

  datastoreRoots(): Promise<string[]> {
    this.roots = this.roots ?? this.discover();
    return this.roots;
  }

  private async discover(): Promise<string[]> {
    const local = await (this.deps.discoverRoots ?? discoverDatastoreRoots)(this.extraRoots);
    this.remoteError = undefined;
    let remote: RemoteDatastore | undefined;
    try {
      remote = await this.deps.discoverRemote?.();
    } catch (err) {
      this.remoteError = (err as Error).message;
    }
    if (!remote) return local;
    const known = this.remotes.get(remote.id);
    this.remotes.clear();
    const isActive = (pathspec: string) => this.deps.runs.active().some((r) => r.state.pathspec === pathspec);
    this.remotes.set(remote.id, known ?? new StorageDatastoreClient(remote.storage, { metadataRoot: remote.metadataRoot, isActive }));
    return [...local, remote.id];
  }

  /** Everything again: roots, flows, runs. */
  refresh(): void {
    this.roots = undefined;
    this.nodes.clear();
    this.pages.clear();
    for (const c of this.clients.values()) c.invalidate();
    for (const c of this.remotes.values()) c.invalidate();
    this.changed.fire(undefined);
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    return treeItem(node);
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    return node.kind === 'more' ? node.parent : undefined;
  }

  private keep<T extends ExplorerNode>(key: string, make: () => T, update?: (existing: T) => void): T {
    const existing = this.nodes.get(key) as T | undefined;
    if (existing) {
      update?.(existing);
      return existing;
    }
    const node = make();
    this.nodes.set(key, node);
    return node;
  }

  private flowNode(root: string, flow: string): ExplorerNode {
    return this.keep(`flow:${root}:${flow}`, () => ({ kind: 'flow', root, flow }));
  }

  async getChildren(node?: ExplorerNode): Promise<ExplorerNode[]> {
    try {
      return await this.children(node);
    } catch (err) {
      return [{ kind: 'message', text: (err as Error).message, error: true }];
    }
  }

  private async children(node?: ExplorerNode): Promise<ExplorerNode[]> {
    if (!node) {
      const roots = await this.datastoreRoots();
      const problem: ExplorerNode[] = this.remoteError ? [{ kind: 'message', text: this.remoteError, error: true }] : [];
      if (roots.length === 0) return [...problem, { kind: 'message', text: 'No Metaflow datastore (.metaflow) in this workspace yet: run a flow to create one.', error: false }];
      if (roots.length === 1 && !problem.length) return this.children({ kind: 'root', root: roots[0] });
      return [...problem, ...roots.map((root) => this.keep(`root:${root}`, () => ({ kind: 'root', root })))];
    }
    switch (node.kind) {
      case 'root': {
        const flows = await this.reader(node.root).listFlows();
        if (flows.length === 0) return [{ kind: 'message', text: `No runs in ${node.root} yet.`, error: false }];
        return flows.map((f) => this.flowNode(node.root, f.name));
      }
      case 'flow':
        return this.paged(`runs:${node.root}:${node.flow}`, node, async (cursor) => {
          const page = await this.reader(node.root).listRuns(node.flow, cursor, RUN_PAGE);
          const items = page.items.map((run): ExplorerNode =>
            this.keep(`run:${node.root}:${run.pathspec}`, () => ({ kind: 'run', root: node.root, run }), (n) => {
              if (n.kind === 'run') n.run = run;
            }),
          );
          return { items, cursor: page.cursor, total: page.total };
        });
      case 'run': {
        const { flow, runId } = node.run;
        const steps = await this.reader(node.root).listSteps(flow, runId);
        const out: ExplorerNode[] = node.run.error ? [{ kind: 'message', text: node.run.error, error: true }] : [];
        if (steps.length === 0) out.push({ kind: 'message', text: 'No step has started yet.', error: false });
        return [...out, ...steps.map((step): ExplorerNode => ({ kind: 'step', root: node.root, step }))];
      }
      case 'step': {
        const { flow, runId, name } = node.step;
        const out: ExplorerNode[] = node.step.error ? [{ kind: 'message', text: node.step.error, error: true }] : [];
        return [
          ...out,
          ...(await this.paged(`tasks:${node.root}:${node.step.pathspec}`, node, async (cursor) => {
            const page = await this.reader(node.root).listTasks(flow, runId, name, cursor, TASK_PAGE);
            return { items: page.items.map((task): ExplorerNode => ({ kind: 'task', root: node.root, task })), cursor: page.cursor, total: page.total };
          })),
        ];
      }
      case 'task': {
        const { flow, runId, step, taskId } = node.task;
        const arts = await this.reader(node.root).artifacts(flow, runId, step, taskId);
        const out: ExplorerNode[] = arts.error ? [{ kind: 'message', text: arts.error, error: true }] : [];
        if (!arts.error && arts.artifacts.length === 0) out.push({ kind: 'message', text: 'No artifacts.', error: false });
        return [...out, ...arts.artifacts.map((artifact): ExplorerNode => ({ kind: 'artifact', root: node.root, artifact, flow }))];
      }
      default:
        return [];
    }
  }

  /** The pages loaded so far (the first one on first expansion), then a "Load more" item if any remain. */
  private async paged(key: string, parent: ExplorerNode, load: (cursor?: string) => Promise<Paged>): Promise<ExplorerNode[]> {
    let page = this.pages.get(key);
    if (!page) {
      page = await load(undefined);
      this.pages.set(key, page);
    }
    const more: ExplorerNode[] = page.cursor ? [{ kind: 'more', parent, shown: page.items.length, total: page.total }] : [];
    return [...page.items, ...more];
  }

  /** "Load more": appends the next page to the parent's list. */
  async loadMore(node: ExplorerNode): Promise<void> {
    if (node.kind !== 'more') return;
    const parent = node.parent;
    const key = parent.kind === 'flow' ? `runs:${parent.root}:${parent.flow}` : parent.kind === 'step' ? `tasks:${parent.root}:${parent.step.pathspec}` : undefined;
    const page = key ? this.pages.get(key) : undefined;
    if (!key || !page?.cursor) return;
    if (parent.kind === 'flow') {
      const next = await this.reader(parent.root).listRuns(parent.flow, page.cursor, RUN_PAGE);
      const items = next.items.map((run): ExplorerNode => this.keep(`run:${parent.root}:${run.pathspec}`, () => ({ kind: 'run', root: parent.root, run })));
      this.pages.set(key, { items: [...page.items, ...items], cursor: next.cursor, total: next.total });
    } else if (parent.kind === 'step') {
      const next = await this.reader(parent.root).listTasks(parent.step.flow, parent.step.runId, parent.step.name, page.cursor, TASK_PAGE);
      const items = next.items.map((task): ExplorerNode => ({ kind: 'task', root: parent.root, task }));
      this.pages.set(key, { items: [...page.items, ...items], cursor: next.cursor, total: next.total });
    }
    this.changed.fire(parent);
  }

  /** Re-reads one run (its node and everything under it), or its flow's run list if the run is new here. */
  async refreshRun(root: string, flow: string, runId: string): Promise<void> {
    const client = this.reader(root);
    client.invalidate(flow, runId);
    const pathspec = `${flow}/${runId}`;
    for (const key of [...this.pages.keys()]) if (key.startsWith(`tasks:${root}:${pathspec}/`)) this.pages.delete(key);
    const node = this.nodes.get(`run:${root}:${pathspec}`);
    if (node && node.kind === 'run') {
      try {
        node.run = await client.run(flow, runId);
      } catch (err) {
        node.run = { ...node.run, error: (err as Error).message };
      }
      this.changed.fire(node);
      return;
    }
    this.pages.delete(`runs:${root}:${flow}`);
    const flowNode = this.nodes.get(`flow:${root}:${flow}`);
    this.changed.fire(flowNode);
  }

  private scheduleRefresh(root: string, flow: string, runId: string, now: boolean): void {
    const key = `${root}|${flow}/${runId}`;
    let r = this.refreshers.get(key);
    if (!r) {
      r = throttle<void>(() => void this.refreshRun(root, flow, runId), REFRESH_MS);
      this.refreshers.set(key, r);
    }
    r();
    if (now) {
      r.flush();
      r.cancel();
      this.refreshers.delete(key);
    }
  }

  private onRunEvent(run: TrackedRun, ended: boolean): void {
    const { datastoreRoot, flow, runId } = run.state;
    if (!datastoreRoot || !runId) return;
    const root = path.resolve(datastoreRoot);
    if (!this.extraRoots.has(root)) {
      this.extraRoots.add(root);
      void this.datastoreRoots().then((roots) => {
        if (!roots.includes(root)) this.refresh();
      });
    }
    this.scheduleRefresh(root, flow, runId, ended);
  }

  /** `<root>/<Flow>/latest_run`, `<root>/<Flow>/<run>/_meta/_self.json` or a task's DONE.lock. */
  private onDatastoreFile(file: string): void {
    const parts = file.split(path.sep);
    const at = parts.lastIndexOf('.metaflow');
    if (at < 0 || parts.length < at + 3) return;
    const root = parts.slice(0, at + 1).join(path.sep);
    const flow = parts[at + 1];
    void this.datastoreRoots().then((roots) => {
      if (!roots.includes(root)) {
        this.refresh();
        return;
      }
      if (parts[at + 2] === 'latest_run') {
        this.pages.delete(`runs:${root}:${flow}`);
        this.changed.fire(this.nodes.get(`flow:${root}:${flow}`));
      } else {
        this.scheduleRefresh(root, flow, parts[at + 2], false);
      }
    });
  }
}
