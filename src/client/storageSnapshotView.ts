// A FileView over a remote datastore for the synchronous reading rules: it answers from what has been
// listed and downloaded so far and records what it did not have. `StorageSnapshot.settle` reruns a
// read until nothing is missing, fetching the missing listings and files in parallel between passes,
// so only what a read needs is downloaded and each pass costs one round of parallel requests.
// `_meta` folders (the local metadata provider's, which Metaflow keeps on the launching machine even
// with a remote datastore) are read from the local metadata root when one is given.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatastoreStorage } from '../datastore/storage/types';
import { LOCAL_VIEW, type FileView, type ViewEntry } from './fileView';

interface DirListing {
  dirs: Set<string>;
  files: Map<string, { size: number; lastModified: number }>;
}

function missing(p: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`ENOENT: no such file or directory, '${p}'`);
  err.code = 'ENOENT';
  return err;
}

/** Thrown inside a pass for data not fetched yet; the pass is rerun after the fetch. */
class NotFetched extends Error {}

const MAX_PASSES = 12;
const FETCH_CONCURRENCY = 32;
/** Files the reading rules open are small; a bigger one (a stray artifact) is not read into memory. */
const MAX_READ_BYTES = 16 * 1024 * 1024;

export class StorageSnapshot implements FileView {
  private readonly listings = new Map<string, DirListing>();
  private readonly contents = new Map<string, Buffer>();
  private readonly wantLists = new Set<string>();
  private readonly wantFiles = new Set<string>();
  /** Listed and empty: blob stores have no empty directories, so there is none. */
  private readonly absent = new Set<string>();

  /**
   * @param root the path the reading rules join keys onto (shown in their messages).
   * @param metadataRoot the local metadata folder (`.metaflow`) whose `_meta` folders belong to these runs.
   */
  constructor(
    readonly storage: DatastoreStorage,
    readonly root: string,
    private readonly metadataRoot?: string,
  ) {}

  private key(p: string): string {
    const rel = path.relative(this.root, p);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw missing(p);
    return rel.split(path.sep).filter(Boolean).join('/');
  }

  private isMeta(key: string): boolean {
    return key.split('/').includes('_meta');
  }

  private localMeta(key: string): string | undefined {
    return this.metadataRoot ? path.join(this.metadataRoot, ...key.split('/')) : undefined;
  }

  private parentListing(key: string): { listing?: DirListing; name: string; parent: string } {
    const slash = key.lastIndexOf('/');
    const parent = slash < 0 ? '' : key.slice(0, slash);
    return { listing: this.listings.get(parent), name: key.slice(slash + 1), parent };
  }

  /** Whether the remote datastore has a directory here; undefined when its parent is not listed yet. */
  private remoteDirExists(key: string): boolean | undefined {
    if (key === '') return true;
    const { listing, name } = this.parentListing(key);
    return listing ? listing.dirs.has(name) : undefined;
  }

  list(dir: string): ViewEntry[] {
    const key = this.key(dir);
    if (this.isMeta(key)) return LOCAL_VIEW.list(this.localMeta(key) ?? dir);
    const listing = this.listings.get(key);
    if (!listing) {
      if (this.remoteDirExists(key) === false || this.absent.has(key)) throw missing(dir);
      this.wantLists.add(key);
      throw new NotFetched(dir);
    }
    const entries: ViewEntry[] = [...listing.dirs].map((name) => ({ name, isDirectory: true }));
    for (const name of listing.files.keys()) entries.push({ name, isDirectory: false });
    const local = this.localMeta(key ? `${key}/_meta` : '_meta');
    if (local && fs.existsSync(local) && !listing.dirs.has('_meta')) entries.push({ name: '_meta', isDirectory: true });
    return entries;
  }

  names(dir: string): string[] {
    return this.list(dir).map((e) => e.name);
  }

  read(file: string): Buffer {
    const key = this.key(file);
    if (this.isMeta(key)) return LOCAL_VIEW.read(this.localMeta(key) ?? file);
    const cached = this.contents.get(key);
    if (cached) return cached;
    const { listing, name, parent } = this.parentListing(key);
    if (!listing) {
      if (this.remoteDirExists(parent) === false || this.absent.has(parent)) throw missing(file);
      this.wantLists.add(parent);
      throw new NotFetched(file);
    }
    const info = listing.files.get(name);
    if (!info) throw missing(file);
    if (info.size > MAX_READ_BYTES) throw new Error(`${this.storage.describe(key)} is ${info.size} bytes, too large to read here`);
    this.wantFiles.add(key);
    throw new NotFetched(file);
  }

  exists(p: string): boolean {
    const key = this.key(p);
    if (this.isMeta(key)) return LOCAL_VIEW.exists(this.localMeta(key) ?? p);
    if (this.listings.has(key)) return true;
    const { listing, name, parent } = this.parentListing(key);
    if (!listing) {
      if (this.remoteDirExists(parent) === false || this.absent.has(parent)) return false;
      this.wantLists.add(parent);
      throw new NotFetched(p);
    }
    return listing.dirs.has(name) || listing.files.has(name);
  }

  mtime(p: string): number | undefined {
    const key = this.key(p);
    if (this.isMeta(key)) return LOCAL_VIEW.mtime(this.localMeta(key) ?? p);
    const { listing, name } = this.parentListing(key);
    const file = listing?.files.get(name);
    if (file) return file.lastModified;
    // A blob prefix has no time of its own: its newest listed file stands in.
    const own = this.listings.get(key);
    if (!own) return undefined;
    let newest: number | undefined;
    for (const f of own.files.values()) newest = Math.max(newest ?? 0, f.lastModified);
    return newest;
  }

  /** Runs `read` until it needed nothing that was not fetched; rethrows its own errors. */
  async settle<T>(read: () => T): Promise<T> {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      this.wantLists.clear();
      this.wantFiles.clear();
      let result: T | undefined;
      let failure: unknown;
      try {
        result = read();
      } catch (err) {
        failure = err;
      }
      if (this.wantLists.size === 0 && this.wantFiles.size === 0) {
        if (failure !== undefined) throw failure;
        return result as T;
      }
      await this.fetch([...this.wantLists], [...this.wantFiles]);
    }
    throw new Error(`reading ${this.storage.root} did not settle after ${MAX_PASSES} rounds of requests`);
  }

  private async fetch(lists: string[], files: string[]): Promise<void> {
    const jobs: Array<() => Promise<void>> = [
      ...lists.map((key) => async () => {
        const listing: DirListing = { dirs: new Set(), files: new Map() };
        for (const e of await this.storage.listChildren(key)) {
          if (e.isDirectory) listing.dirs.add(e.name);
          else listing.files.set(e.name, { size: e.size ?? 0, lastModified: e.lastModified ?? 0 });
        }
        if (key !== '' && listing.dirs.size === 0 && listing.files.size === 0) this.absent.add(key);
        else this.listings.set(key, listing);
      }),
      ...files.map((key) => async () => {
        const data = await this.storage.readIfExists(key);
        // Gone since it was listed (a running task rewrote it): forget the listing so it is read again.
        if (data === undefined) this.listings.delete(this.parentListing(key).parent);
        else this.contents.set(key, data);
      }),
    ];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) await jobs[next++]();
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, jobs.length) }, worker));
  }
}
