// What every datastore backend offers the scheduler, the client and the explorer. Keys are datastore
// paths relative to the datastore root, always with `/` (e.g. `DemoFlow/12/start/1/0.data.json`,
// `DemoFlow/data/f2/f2b2…`); each backend maps them to its own names (a local path, a blob name
// under the sysroot's prefix). Everything is async: remote backends cannot answer synchronously.
import type { Readable } from 'node:stream';

/** Metaflow's per-object meta dict: a `_meta` sidecar JSON locally, blob metadata `metaflow_user_attributes` on Azure. */
export type ObjectMeta = Record<string, unknown>;

export interface StoredObject {
  key: string;
  size: number;
  /** Milliseconds since the epoch. */
  lastModified: number;
}

export interface ListEntry {
  /** Full key of the child (no trailing `/` for directories). */
  key: string;
  /** Last path segment. */
  name: string;
  isDirectory: boolean;
  /** Files only. */
  size?: number;
  lastModified?: number;
}

export interface WriteOptions {
  /** False: leave an existing object alone and report `false` (Metaflow's CAS never rewrites a blob). Default true. */
  overwrite?: boolean;
  meta?: ObjectMeta;
}

export interface DatastoreStorage {
  /** `local` or `azure`. */
  readonly kind: string;
  /** How users name the root in messages: a folder, or `<container>/<prefix>` on Azure. */
  readonly root: string;
  /** A key as users see it in messages and URIs (`<root>/<key>`). */
  describe(key: string): string;

  exists(key: string): Promise<boolean>;
  /** Whole object; a missing key rejects with a `StorageNotFoundError`. */
  read(key: string): Promise<Buffer>;
  /** Whole object, or undefined when it does not exist. */
  readIfExists(key: string): Promise<Buffer | undefined>;
  /** True when written, false when `overwrite: false` found it already there. Writes are atomic. */
  write(key: string, data: Buffer | string, options?: WriteOptions): Promise<boolean>;
  /** For large objects: streams the source without holding it in memory. */
  writeStream(key: string, source: Readable, size: number | undefined, options?: WriteOptions): Promise<boolean>;
  /** Copies an object into a local file (large artifacts: parallel ranged reads on Azure). */
  downloadToFile(key: string, file: string, options?: { maxBytes?: number }): Promise<StoredObject>;
  /** Uploads a local file (large artifacts: parallel blocks on Azure). */
  uploadFile(key: string, file: string, options?: WriteOptions): Promise<boolean>;
  readStream(key: string): Promise<Readable>;
  /** Size and time, or undefined when missing. */
  stat(key: string): Promise<StoredObject | undefined>;
  /** The meta dict written with the object (undefined when none). */
  readMeta(key: string): Promise<ObjectMeta | undefined>;
  /** Immediate children of a directory key ('' is the root); directories are key prefixes. Missing: []. */
  listChildren(dirKey: string): Promise<ListEntry[]>;
  /** Every object under a directory key, recursively, with sizes and times (one paged listing on Azure). */
  listRecursive(dirKey: string): Promise<StoredObject[]>;
  /** Removes an object; missing is fine. */
  delete(key: string): Promise<void>;
}

export class StorageNotFoundError extends Error {
  constructor(
    readonly key: string,
    where: string,
  ) {
    super(`${where} does not exist`);
  }
}

/** Joins key segments with `/`, dropping empty ones. */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/** Metaflow's content-addressed store key of an artifact blob. */
export function blobKey(flow: string, sha: string): string {
  return `${flow}/data/${sha.slice(0, 2)}/${sha}`;
}
