// A pod watch that survives: it lists first (so no pod is missed), then watches from the list's
// resourceVersion; when the stream drops it resumes from the last resourceVersion seen (bookmarks included);
// when the server no longer has that version (410 Gone) it lists again, reports what changed meanwhile and
// resumes. Pods are delivered as JSON as the API sends them (timestamps are strings).
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeError } from './kubeError';

export type PodEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface PodWatch {
  stop(): void;
  /** Times the watch was re-established after its stream ended. */
  readonly reconnects: number;
}

/** What the watcher needs of the client: a list and a raw watch stream. */
export interface PodWatchSource {
  list(namespace: string, labelSelector: string): Promise<{ items: V1Pod[]; resourceVersion?: string }>;
  /** Opens a watch; `done` is called once when the stream ends (error or not). */
  watch(
    namespace: string,
    query: { labelSelector: string; resourceVersion?: string; allowWatchBookmarks: boolean },
    onEvent: (type: string, object: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

const MAX_BACKOFF_MS = 5_000;

function key(pod: V1Pod): string {
  return pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

export class PodWatcher implements PodWatch {
  private stopped = false;
  private reconnectCount = 0;
  private resourceVersion?: string;
  private needsRelist = true;
  private failures = 0;
  private current?: { abort(): void };
  private timer?: NodeJS.Timeout;
  private readonly known = new Map<string, V1Pod>();

  constructor(
    private readonly source: PodWatchSource,
    private readonly namespace: string,
    private readonly labelSelector: string,
    private readonly onEvent: (type: PodEventType, pod: V1Pod) => void,
    private readonly onError: (err: KubeError | Error) => void = () => {},
  ) {}

  get reconnects(): number {
    return this.reconnectCount;
  }

  start(): this {
    void this.cycle();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.current?.abort();
  }

  private deliver(type: PodEventType, pod: V1Pod): void {
    if (this.stopped) return;
    if (type === 'DELETED') this.known.delete(key(pod));
    else this.known.set(key(pod), pod);
    try {
      this.onEvent(type, pod);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.source.list(this.namespace, this.labelSelector);
    const seen = new Set<string>();
    for (const typed of items) {
      const pod = JSON.parse(JSON.stringify(typed)) as V1Pod;
      const k = key(pod);
      seen.add(k);
      const before = this.known.get(k);
      if (!before) this.deliver('ADDED', pod);
      else if (before.metadata?.resourceVersion !== pod.metadata?.resourceVersion) this.deliver('MODIFIED', pod);
    }
    for (const [k, pod] of [...this.known]) if (!seen.has(k)) this.deliver('DELETED', pod);
    this.resourceVersion = resourceVersion;
    this.needsRelist = false;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const delay = this.failures === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** (this.failures - 1));
    this.timer = setTimeout(() => void this.cycle(), delay);
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.needsRelist) await this.relist();
      await this.open();
    } catch (err) {
      this.failures++;
      this.onError(err as Error);
      this.scheduleNext();
    }
  }

  private open(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ended = false;
      const query = { labelSelector: this.labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true };
      const onEvent = (type: string, object: unknown): void => {
        const obj = object as V1Pod & { code?: number };
        if (type === 'ERROR') {
          // 410 Gone: the server compacted past our version; anything else also calls for a fresh list.
          this.needsRelist = true;
          this.current?.abort();
          return;
        }
        this.failures = 0;
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.deliver(type, obj);
      };
      const done = (err: unknown): void => {
        if (ended) return;
        ended = true;
        if (this.stopped) return resolve();
        const status = (err as { statusCode?: number } | null)?.statusCode;
        if (status === 410) this.needsRelist = true;
        if (err && status !== 410) this.failures++;
        this.reconnectCount++;
        this.scheduleNext();
        resolve();
      };
      this.source.watch(this.namespace, query, onEvent, done).then(
        (handle) => {
          this.current = handle;
          if (this.stopped) handle.abort();
        },
        (err: unknown) => {
          ended = true;
          reject(err);
        },
      );
    });
  }
}
