// The local `.metaflow` datastore behind the storage interface: keys are paths under the root, the meta
// dict is Metaflow's `<file>_meta` sidecar JSON, and writes go through temp + rename.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { writeFileAtomic } from '../atomicWrite';
import { StorageNotFoundError, type DatastoreStorage, type ListEntry, type ObjectMeta, type StoredObject, type WriteOptions } from './types';

const META_SUFFIX = '_meta';

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class LocalStorage implements DatastoreStorage {
  readonly kind = 'local';

  constructor(readonly root: string) {}

  /** Refuses keys that would leave the root (`..`, absolute paths). */
  fullPath(key: string): string {
    const parts = key.split('/').filter(Boolean);
    if (parts.some((p) => p === '..' || p === '.' || p.includes('\\'))) throw new Error(`'${key}' is not a datastore key: its parts must be names, never . or ..`);
    return path.join(this.root, ...parts);
  }

  describe(key: string): string {
    return this.fullPath(key);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.promises.access(this.fullPath(key));
      return true;
    } catch {
      return false;
    }
  }

  async read(key: string): Promise<Buffer> {
    try {
      return await fs.promises.readFile(this.fullPath(key));
    } catch (err) {
      if (isMissing(err)) throw new StorageNotFoundError(key, this.describe(key));
      throw err;
    }
  }

  async readIfExists(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.promises.readFile(this.fullPath(key));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async write(key: string, data: Buffer | string, options: WriteOptions = {}): Promise<boolean> {
    const target = this.fullPath(key);
    const written = await writeFileAtomic(target, data, { overwrite: options.overwrite ?? true });
    if (written && options.meta) await writeFileAtomic(`${target}${META_SUFFIX}`, JSON.stringify(options.meta));
    return written;
  }

  async writeStream(key: string, source: Readable, _size: number | undefined, options: WriteOptions = {}): Promise<boolean> {
    const target = this.fullPath(key);
    if (options.overwrite === false && fs.existsSync(target)) {
      source.resume();
      return false;
    }
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      await pipeline(source, fs.createWriteStream(tmp, { mode: 0o644 }));
      await fs.promises.rename(tmp, target);
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    if (options.meta) await writeFileAtomic(`${target}${META_SUFFIX}`, JSON.stringify(options.meta));
    return true;
  }

  async uploadFile(key: string, file: string, options: WriteOptions = {}): Promise<boolean> {
    const { size } = await fs.promises.stat(file);
    return this.writeStream(key, fs.createReadStream(file), size, options);
  }

  async downloadToFile(key: string, file: string, options: { maxBytes?: number } = {}): Promise<StoredObject> {
    const info = await this.stat(key);
    if (!info) throw new StorageNotFoundError(key, this.describe(key));
    if (options.maxBytes !== undefined && info.size > options.maxBytes) {
      throw new Error(`${this.describe(key)} is ${info.size} bytes, more than the ${options.maxBytes} bytes allowed here`);
    }
    await fs.promises.copyFile(this.fullPath(key), file);
    return info;
  }

  async readStream(key: string): Promise<Readable> {
    const full = this.fullPath(key);
    if (!(await this.exists(key))) throw new StorageNotFoundError(key, full);
    return fs.createReadStream(full);
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const s = await fs.promises.stat(this.fullPath(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtimeMs } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async readMeta(key: string): Promise<ObjectMeta | undefined> {
    const text = await this.readIfExists(`${key}${META_SUFFIX}`);
    if (!text) return undefined;
    try {
      return JSON.parse(text.toString('utf8')) as ObjectMeta;
    } catch (err) {
      throw new Error(`${this.describe(key)}${META_SUFFIX} is not valid JSON (${(err as Error).message})`);
    }
  }

  async listChildren(dirKey: string): Promise<ListEntry[]> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.fullPath(dirKey), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const prefix = dirKey ? `${dirKey.replace(/\/+$/, '')}/` : '';
    const out: ListEntry[] = [];
    for (const e of entries) {
      const key = `${prefix}${e.name}`;
      if (e.isDirectory()) out.push({ key, name: e.name, isDirectory: true });
      else if (e.isFile()) {
        const s = await this.stat(key);
        out.push({ key, name: e.name, isDirectory: false, size: s?.size, lastModified: s?.lastModified });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async listRecursive(dirKey: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const walk = async (key: string): Promise<void> => {
      for (const child of await this.listChildren(key)) {
        if (child.isDirectory) await walk(child.key);
        else out.push({ key: child.key, size: child.size ?? 0, lastModified: child.lastModified ?? 0 });
      }
    };
    await walk(dirKey);
    return out;
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.fullPath(key), { force: true });
    await fs.promises.rm(`${this.fullPath(key)}${META_SUFFIX}`, { force: true });
  }
}
