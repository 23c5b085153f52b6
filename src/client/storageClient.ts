// The datastore client over any storage backend (Azure Blob): the same reading rules as the local
// client, run over a snapshot filled on demand from the storage. Each call starts from fresh listings
// (runs go on while they are read); finished runs' summaries are kept until `invalidate`.
import type { DatastoreStorage } from '../datastore/storage/types';
import { DatastoreClient, type ClientOptions } from './datastoreClient';
import { StorageSnapshot } from './storageSnapshotView';
import type { FlowSummary, Page, RunSummary, StepSummary, TaskArtifacts, TaskSummary } from './types';

export interface StorageClientOptions extends Omit<ClientOptions, 'view'> {
  /** The local `.metaflow` folder holding these runs' metadata (`_meta`), when they were launched here. */
  metadataRoot?: string;
}

export class StorageDatastoreClient {
  private readonly finished = new Map<string, RunSummary>();

  constructor(
    readonly storage: DatastoreStorage,
    private readonly options: StorageClientOptions = {},
  ) {}

  /** Where the reading rules see the datastore: its root as users name it (`container/prefix`). */
  get root(): string {
    return this.storage.root;
  }

  private async read<T>(fn: (client: DatastoreClient) => T): Promise<T> {
    const snapshot = new StorageSnapshot(this.storage, this.storage.root, this.options.metadataRoot);
    return snapshot.settle(() => fn(new DatastoreClient(this.storage.root, { ...this.options, view: snapshot })));
  }

  invalidate(flow?: string, runId?: string): void {
    if (!flow) this.finished.clear();
    else for (const key of [...this.finished.keys()]) if (runId ? key === `${flow}/${runId}` : key.startsWith(`${flow}/`)) this.finished.delete(key);
  }

  listFlows(): Promise<FlowSummary[]> {
    return this.read((c) => c.listFlows());
  }

  runIds(flow: string): Promise<string[]> {
    return this.read((c) => c.runIds(flow));
  }

  async listRuns(flow: string, cursor?: string, pageSize = 50): Promise<Page<RunSummary>> {
    const ids = await this.runIds(flow);
    const start = cursor ? Number(cursor) : 0;
    if (!Number.isInteger(start) || start < 0) throw new Error(`invalid page cursor '${cursor}'`);
    const end = Math.min(ids.length, start + pageSize);
    const items = await Promise.all(ids.slice(start, end).map((id) => this.run(flow, id)));
    return { items, cursor: end < ids.length ? String(end) : undefined, total: ids.length };
  }

  async run(flow: string, runId: string): Promise<RunSummary> {
    const key = `${flow}/${runId}`;
    const cached = this.finished.get(key);
    if (cached) return cached;
    const summary = await this.read((c) => c.run(flow, runId));
    if (summary.status !== 'running' && !summary.error) this.finished.set(key, summary);
    return summary;
  }

  listSteps(flow: string, runId: string): Promise<StepSummary[]> {
    return this.read((c) => c.listSteps(flow, runId));
  }

  listTasks(flow: string, runId: string, step: string, cursor?: string, pageSize = 200): Promise<Page<TaskSummary>> {
    return this.read((c) => c.listTasks(flow, runId, step, cursor, pageSize));
  }

  task(flow: string, runId: string, step: string, taskId: string): Promise<TaskSummary> {
    return this.read((c) => c.task(flow, runId, step, taskId));
  }

  artifacts(flow: string, runId: string, step: string, taskId: string, includePrivate = false): Promise<TaskArtifacts> {
    return this.read((c) => c.artifacts(flow, runId, step, taskId, includePrivate));
  }

  scan(flow: string, runId: string): ReturnType<DatastoreClient['scan']> extends infer R ? Promise<R> : never {
    return this.read((c) => c.scan(flow, runId));
  }
}
