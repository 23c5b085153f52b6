// The simulator's etcd: every object by resource, namespace and name, one cluster-wide resourceVersion
// counter, and a bounded history of changes so watches can resume from a resourceVersion (older than the
// retained window -> 410 Gone, as after a compaction).
import { randomUUID } from 'node:crypto';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
    finalizers?: string[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  resource: string; // `${group}/${plural}`
  type: WatchEventType;
  object: KubeObject;
  /** The object before a MODIFIED or DELETED. */
  previous?: KubeObject;
  resourceVersion: number;
}

export function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: Change[] = [];
  private revision = 1;
  /** Resuming from a resourceVersion below this is 410 Gone. */
  private oldestResumable = 1;
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(private readonly historyLimit = 5000) {}

  get resourceVersion(): number {
    return this.revision;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let map = this.objects.get(resource);
    if (!map) {
      map = new Map();
      this.objects.set(resource, map);
    }
    return map;
  }

  private key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(resource).get(this.key(namespace, name));
    return found ? clone(found) : undefined;
  }

  list(resource: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const object of this.bucket(resource).values()) {
      if (namespace === undefined || object.metadata.namespace === namespace) out.push(clone(object));
    }
    return out.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  has(resource: string, namespace: string | undefined, name: string): boolean {
    return this.bucket(resource).has(this.key(namespace, name));
  }

  /** Stores a new object, filling uid (unless the API server chose it), creationTimestamp and resourceVersion. */
  create(resource: string, object: KubeObject): KubeObject {
    const stored = clone(object);
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp = nowRfc3339();
    stored.metadata.resourceVersion = String(++this.revision);
    this.bucket(resource).set(this.key(stored.metadata.namespace, stored.metadata.name!), stored);
    this.record({ resource, type: 'ADDED', object: clone(stored), resourceVersion: this.revision });
    return clone(stored);
  }

  /** Replaces an existing object (identity fields kept), bumping its resourceVersion. */
  replace(resource: string, object: KubeObject): KubeObject {
    const map = this.bucket(resource);
    const key = this.key(object.metadata.namespace, object.metadata.name!);
    const previous = map.get(key);
    if (!previous) throw new Error(`replace of a missing object ${resource} ${key}`);
    const stored = clone(object);
    stored.metadata.uid = previous.metadata.uid;
    stored.metadata.creationTimestamp = previous.metadata.creationTimestamp;
    stored.metadata.resourceVersion = String(++this.revision);
    map.set(key, stored);
    this.record({ resource, type: 'MODIFIED', object: clone(stored), previous: clone(previous), resourceVersion: this.revision });
    return clone(stored);
  }

  /** Read-modify-write for controllers; returns undefined when the object is gone. */
  mutate(resource: string, namespace: string | undefined, name: string, change: (object: KubeObject) => void): KubeObject | undefined {
    const current = this.bucket(resource).get(this.key(namespace, name));
    if (!current) return undefined;
    const next = clone(current);
    change(next);
    if (JSON.stringify(next) === JSON.stringify(current)) return clone(current);
    return this.replace(resource, next);
  }

  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const map = this.bucket(resource);
    const key = this.key(namespace, name);
    const previous = map.get(key);
    if (!previous) return undefined;
    map.delete(key);
    const gone = clone(previous);
    gone.metadata.resourceVersion = String(++this.revision);
    this.record({ resource, type: 'DELETED', object: clone(gone), previous: clone(previous), resourceVersion: this.revision });
    return gone;
  }

  private record(change: Change): void {
    this.history.push(change);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.oldestResumable = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(change);
  }

  /**
   * The changes after `resourceVersion`, or undefined when that version is older than the retained
   * window (the caller answers 410 Gone).
   */
  changesSince(resourceVersion: number): Change[] | undefined {
    if (resourceVersion < this.oldestResumable) return undefined;
    return this.history.filter((c) => c.resourceVersion > resourceVersion).map(clone);
  }

  /** Forgets the history up to now, as an etcd compaction does: resuming from any older version gets 410. */
  compact(): void {
    this.history.length = 0;
    this.oldestResumable = this.revision;
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
