// Previews decode artifacts from a local content-addressed store; an artifact in a remote datastore is
// first copied (size-capped) into a temporary one laid out as Metaflow's local store, meta sidecar
// included, so the preview process needs no cloud SDK and no credentials.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blobKey, type DatastoreStorage } from '../datastore/storage/types';

export interface StagedArtifacts {
  /** A local datastore root holding the copied blobs. */
  root: string;
  dispose(): void;
}

export async function stageArtifacts(storage: DatastoreStorage, flow: string, shas: string[], maxBytes: number): Promise<StagedArtifacts> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mfs-preview-'));
  const dispose = () => fs.rmSync(root, { recursive: true, force: true });
  try {
    for (const sha of shas) {
      if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`'${sha}' is not an artifact sha1`);
      const key = blobKey(flow, sha);
      const file = path.join(root, ...key.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await storage.downloadToFile(key, file, { maxBytes });
      const meta = await storage.readMeta(key);
      if (meta) fs.writeFileSync(`${file}_meta`, JSON.stringify(meta));
    }
  } catch (err) {
    dispose();
    throw err;
  }
  return { root, dispose };
}
