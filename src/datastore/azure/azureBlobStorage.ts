// Metaflow's Azure layout behind the storage interface (reference §3.1): blob name = `<prefix>/<key>`,
// the meta dict as blob metadata `metaflow_user_attributes` (no `_meta` sidecar blobs), directories as
// name prefixes. Access is role-based through a TokenCredential; large objects go up in parallel blocks
// and come down in parallel ranges, with Metaflow's sizes (single put ≤64 MB, 16 MB blocks).
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, newPipeline, type ContainerClient, type RequestPolicyFactory, type StoragePipelineOptions } from '@azure/storage-blob';
import { StorageNotFoundError, type DatastoreStorage, type ListEntry, type ObjectMeta, type StoredObject, type WriteOptions } from '../storage/types';
import type { AzureDatastoreConfig, AzurePath } from './azureConfig';
import { AzureStorageError, describeAzureError } from './azureErrors';

export const META_KEY = 'metaflow_user_attributes';
const MB = 1024 * 1024;

export interface AzureTransferTuning {
  /** Objects up to this size go up in one request. */
  maxSingleShotUpload: number;
  /** Objects up to this size come down in one request. */
  maxSingleShotDownload: number;
  blockSize: number;
  uploadConcurrency: number;
  downloadConcurrency: number;
}

export const DEFAULT_TUNING: AzureTransferTuning = {
  maxSingleShotUpload: 64 * MB,
  maxSingleShotDownload: 32 * MB,
  blockSize: 16 * MB,
  uploadConcurrency: 16,
  downloadConcurrency: 8,
};

export interface AzureBlobStorageOptions {
  endpoint: string;
  account: string;
  root: AzurePath;
  credential: TokenCredential;
  /** Retries, proxy, audience. */
  pipeline?: StoragePipelineOptions;
  /** Extra request policies, e.g. an agent trusting a private certificate authority. */
  requestPolicies?: RequestPolicyFactory[];
  tuning?: Partial<AzureTransferTuning>;
}

function parseMeta(raw: string | undefined): ObjectMeta | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ObjectMeta) : undefined;
  } catch {
    return undefined;
  }
}

async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

export class AzureBlobStorage implements DatastoreStorage {
  readonly kind = 'azure';
  readonly root: string;
  private readonly container: ContainerClient;
  private readonly tuning: AzureTransferTuning;

  constructor(private readonly options: AzureBlobStorageOptions) {
    const { root } = options;
    this.root = root.prefix ? `${root.container}/${root.prefix}` : root.container;
    const pipeline = newPipeline(options.credential, {
      retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      ...options.pipeline,
    });
    pipeline.factories.unshift(...(options.requestPolicies ?? []));
    const service = new BlobServiceClient(options.endpoint, pipeline);
    this.container = service.getContainerClient(root.container);
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
  }

  static fromConfig(config: AzureDatastoreConfig, credential: TokenCredential, extra: Pick<AzureBlobStorageOptions, 'pipeline' | 'requestPolicies' | 'tuning'> = {}): AzureBlobStorage {
    return new AzureBlobStorage({ endpoint: config.endpoint, account: config.account, root: config.root, credential, ...extra });
  }

  /** Blob name of a datastore key. */
  blobName(key: string): string {
    const clean = key.replace(/^\/+|\/+$/g, '');
    if (clean.split('/').some((p) => p === '.' || p === '..')) throw new Error(`'${key}' is not a datastore key: its parts must be names, never . or ..`);
    return this.options.root.prefix ? (clean ? `${this.options.root.prefix}/${clean}` : this.options.root.prefix) : clean;
  }

  describe(key: string): string {
    return `${this.root}/${key}`;
  }

  private fail(err: unknown, key: string, writing: boolean): AzureStorageError {
    return describeAzureError(err, {
      account: this.options.account,
      container: this.options.root.container,
      endpoint: this.options.endpoint,
      what: key ? `blob "${this.blobName(key)}"` : 'the datastore root',
      writing,
    });
  }

  /** Checks that the container is there and readable: the first call explorers and runs make. */
  async checkAccess(): Promise<void> {
    try {
      const iter = this.container.listBlobsFlat({ prefix: this.options.root.prefix ? `${this.options.root.prefix}/` : undefined }).byPage({ maxPageSize: 1 });
      await iter.next();
    } catch (err) {
      throw this.fail(err, '', false);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return await this.container.getBlobClient(this.blobName(key)).exists();
    } catch (err) {
      throw this.fail(err, key, false);
    }
  }

  async read(key: string): Promise<Buffer> {
    const data = await this.readIfExists(key);
    if (!data) throw new StorageNotFoundError(key, `${this.describe(key)} (blob "${this.blobName(key)}" in account "${this.options.account}")`);
    return data;
  }

  async readIfExists(key: string): Promise<Buffer | undefined> {
    const blob = this.container.getBlobClient(this.blobName(key));
    try {
      // One request for the usual small file; a large one is fetched again in parallel ranges.
      const response = await blob.download(0, this.tuning.maxSingleShotDownload);
      const total = Number(/\/(\d+)$/.exec(response.contentRange ?? '')?.[1] ?? response.contentLength ?? 0);
      const first = await streamToBuffer(response.readableStreamBody!);
      if (total <= first.length) return first;
      const rest = Buffer.allocUnsafe(total - first.length);
      await blob.downloadToBuffer(rest, first.length, total - first.length, { blockSize: this.tuning.blockSize, concurrency: this.tuning.downloadConcurrency });
      return Buffer.concat([first, rest], total);
    } catch (err) {
      const e = err as { statusCode?: number; details?: { errorCode?: string }; code?: string };
      if (e.statusCode === 404 && (e.details?.errorCode ?? e.code) === 'BlobNotFound') return undefined;
      if (e.statusCode === 416) return Buffer.alloc(0); // an empty blob has no byte 0
      throw this.fail(err, key, false);
    }
  }

  private uploadOptions(options: WriteOptions) {
    return {
      metadata: options.meta ? { [META_KEY]: JSON.stringify(options.meta) } : undefined,
      conditions: options.overwrite === false ? { ifNoneMatch: '*' } : undefined,
      blockSize: this.tuning.blockSize,
      concurrency: this.tuning.uploadConcurrency,
      maxSingleShotSize: this.tuning.maxSingleShotUpload,
    };
  }

  /** A conditional upload that found the blob already there: Metaflow swallows this too. */
  private existed(err: unknown): boolean {
    const e = err as { statusCode?: number; details?: { errorCode?: string }; code?: string };
    return e.statusCode === 409 || (e.statusCode === 412 && (e.details?.errorCode ?? e.code) === 'ConditionNotMet');
  }

  async write(key: string, data: Buffer | string, options: WriteOptions = {}): Promise<boolean> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    try {
      await this.container.getBlockBlobClient(this.blobName(key)).uploadData(bytes, this.uploadOptions(options));
      return true;
    } catch (err) {
      if (options.overwrite === false && this.existed(err)) return false;
      throw this.fail(err, key, true);
    }
  }

  async writeStream(key: string, source: Readable, _size: number | undefined, options: WriteOptions = {}): Promise<boolean> {
    try {
      const o = this.uploadOptions(options);
      await this.container.getBlockBlobClient(this.blobName(key)).uploadStream(source, o.blockSize, o.concurrency, { metadata: o.metadata, conditions: o.conditions });
      return true;
    } catch (err) {
      if (options.overwrite === false && this.existed(err)) return false;
      throw this.fail(err, key, true);
    }
  }

  async uploadFile(key: string, file: string, options: WriteOptions = {}): Promise<boolean> {
    try {
      await this.container.getBlockBlobClient(this.blobName(key)).uploadFile(file, this.uploadOptions(options));
      return true;
    } catch (err) {
      if (options.overwrite === false && this.existed(err)) return false;
      throw this.fail(err, key, true);
    }
  }

  async downloadToFile(key: string, file: string, options: { maxBytes?: number } = {}): Promise<StoredObject> {
    const info = await this.stat(key);
    if (!info) throw new StorageNotFoundError(key, this.describe(key));
    if (options.maxBytes !== undefined && info.size > options.maxBytes) {
      throw new Error(`${this.describe(key)} is ${info.size} bytes, more than the ${options.maxBytes} bytes allowed here`);
    }
    const blob = this.container.getBlobClient(this.blobName(key));
    try {
      if (info.size === 0) await fs.promises.writeFile(file, Buffer.alloc(0));
      else {
        const buffer = Buffer.allocUnsafe(info.size);
        await blob.downloadToBuffer(buffer, 0, info.size, { blockSize: this.tuning.blockSize, concurrency: this.tuning.downloadConcurrency });
        await fs.promises.writeFile(file, buffer);
      }
    } catch (err) {
      throw this.fail(err, key, false);
    }
    return info;
  }

  async readStream(key: string): Promise<Readable> {
    try {
      const response = await this.container.getBlobClient(this.blobName(key)).download();
      return response.readableStreamBody as Readable;
    } catch (err) {
      const e = err as { statusCode?: number; details?: { errorCode?: string } };
      if (e.statusCode === 404 && e.details?.errorCode === 'BlobNotFound') throw new StorageNotFoundError(key, this.describe(key));
      throw this.fail(err, key, false);
    }
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    try {
      const p = await this.container.getBlobClient(this.blobName(key)).getProperties();
      return { key, size: p.contentLength ?? 0, lastModified: p.lastModified?.getTime() ?? 0 };
    } catch (err) {
      const e = err as { statusCode?: number; details?: { errorCode?: string }; code?: string };
      // HEAD responses carry no body, so a missing container also looks like a plain 404 here.
      if (e.statusCode === 404 && (e.details?.errorCode ?? e.code) !== 'ContainerNotFound') {
        if (await this.containerExists()) return undefined;
        throw this.fail({ statusCode: 404, details: { errorCode: 'ContainerNotFound' } }, key, false);
      }
      throw this.fail(err, key, false);
    }
  }

  private async containerExists(): Promise<boolean> {
    try {
      return await this.container.exists();
    } catch (err) {
      throw this.fail(err, '', false);
    }
  }

  async readMeta(key: string): Promise<ObjectMeta | undefined> {
    try {
      const p = await this.container.getBlobClient(this.blobName(key)).getProperties();
      return parseMeta(p.metadata?.[META_KEY]);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.fail(err, key, false);
    }
  }

  private dirPrefix(dirKey: string): string {
    const name = this.blobName(dirKey);
    return name ? `${name}/` : '';
  }

  async listChildren(dirKey: string): Promise<ListEntry[]> {
    const prefix = this.dirPrefix(dirKey);
    const base = dirKey.replace(/^\/+|\/+$/g, '');
    const out: ListEntry[] = [];
    try {
      for await (const item of this.container.listBlobsByHierarchy('/', { prefix })) {
        const name = item.name.slice(prefix.length).replace(/\/$/, '');
        if (!name) continue;
        const key = base ? `${base}/${name}` : name;
        if (item.kind === 'prefix') out.push({ key, name, isDirectory: true });
        else out.push({ key, name, isDirectory: false, size: item.properties.contentLength ?? 0, lastModified: item.properties.lastModified.getTime() });
      }
    } catch (err) {
      throw this.fail(err, dirKey, false);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async listRecursive(dirKey: string): Promise<StoredObject[]> {
    const prefix = this.dirPrefix(dirKey);
    const base = this.options.root.prefix ? `${this.options.root.prefix}/` : '';
    const out: StoredObject[] = [];
    try {
      for await (const item of this.container.listBlobsFlat({ prefix })) {
        out.push({ key: item.name.slice(base.length), size: item.properties.contentLength ?? 0, lastModified: item.properties.lastModified.getTime() });
      }
    } catch (err) {
      throw this.fail(err, dirKey, false);
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.container.getBlobClient(this.blobName(key)).deleteIfExists();
    } catch (err) {
      throw this.fail(err, key, true);
    }
  }
}
