// Watch streams: newline-delimited JSON events (ADDED/MODIFIED/DELETED, BOOKMARK when asked for, ERROR
// with a 410 Status when the start version was compacted away) filtered by namespace and selectors; an
// object leaving a selector is DELETED for that watch and one entering it ADDED, as etcd watches behave.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Change, KubeObject, ObjectStore } from './objectStore';
import { failure } from './status';

export interface WatchRequest {
  resource: string;
  kind: string;
  apiVersion: string;
  namespace?: string;
  matches(object: KubeObject): boolean;
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  bookmarkIntervalMs: number;
}

type OpenWatch = { res: ServerResponse; close(): void };

export class WatchHub {
  private readonly open = new Set<OpenWatch>();

  constructor(private readonly store: ObjectStore) {}

  get openCount(): number {
    return this.open.size;
  }

  serve(req: IncomingMessage, res: ServerResponse, w: WatchRequest): void {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const write = (type: string, object: object) => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const inScope = (o: KubeObject) => (w.namespace === undefined || o.metadata.namespace === w.namespace) && w.matches(o);
    const emit = (change: Change) => {
      if (change.resource !== w.resource) return;
      const now = inScope(change.object);
      const before = change.previous ? inScope(change.previous) : false;
      if (change.type === 'ADDED' && now) write('ADDED', change.object);
      else if (change.type === 'DELETED' && before) write('DELETED', change.object);
      else if (change.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', change.object);
        else if (now) write('ADDED', change.object);
        else if (before) write('DELETED', change.object);
      }
    };

    const rv = w.resourceVersion;
    if (!rv || rv === '0') {
      for (const object of this.store.list(w.resource, w.namespace)) if (w.matches(object)) write('ADDED', object);
      if (w.sendInitialEvents && w.allowBookmarks) {
        write('BOOKMARK', { kind: w.kind, apiVersion: w.apiVersion, metadata: { resourceVersion: String(this.store.resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } } });
      }
    } else {
      const changes = this.store.changesSince(Number(rv));
      if (!changes || !/^\d+$/.test(rv)) {
        write('ERROR', failure(410, 'Expired', `too old resource version: ${rv} (${this.store.resourceVersion})`));
        res.end();
        return;
      }
      for (const change of changes) emit(change);
    }

    const unsubscribe = this.store.subscribe(emit);
    const timers: ReturnType<typeof setTimeout>[] = [];
    if (w.allowBookmarks) {
      const bookmark = setInterval(() => write('BOOKMARK', { kind: w.kind, apiVersion: w.apiVersion, metadata: { resourceVersion: String(this.store.resourceVersion) } }), w.bookmarkIntervalMs);
      timers.push(bookmark);
    }
    const entry: OpenWatch = {
      res,
      close: () => {
        unsubscribe();
        for (const t of timers) clearInterval(t);
        this.open.delete(entry);
      },
    };
    if (w.timeoutSeconds !== undefined) {
      timers.push(
        setTimeout(() => {
          entry.close();
          res.end();
        }, w.timeoutSeconds * 1000),
      );
    }
    this.open.add(entry);
    req.on('close', () => entry.close());
    res.on('close', () => entry.close());
  }

  /** Cuts every open watch mid-stream (the client sees its connection end without a final event). */
  dropAll(): number {
    const all = [...this.open];
    for (const w of all) {
      w.close();
      w.res.socket?.destroy();
    }
    return all.length;
  }

  endAll(): void {
    for (const w of [...this.open]) {
      w.close();
      w.res.end();
    }
  }
}
