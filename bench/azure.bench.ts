// The Azure Blob datastore against Azurite (https, OAuth bearer tokens, on this machine):
// - a 256 MB artifact uploaded and downloaded through our storage (parallel 16 MB blocks up, one
//   32 MB request then parallel ranges down) and through plain @azure/storage-blob `uploadData` /
//   `downloadToBuffer` with its defaults, same bytes, same client pipeline, alternating, median of 3;
//   the ratio is plain time / our time (≥ 1 means ours is as fast; the target is ≥ 0.8);
// - files (blobs) per task of a run the runtime writes to Blob, and the local metadata files beside it.
// Prints JSON lines; nothing is asserted.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobServiceClient, newPipeline } from '@azure/storage-blob';
import { AzureBlobStorage } from '../src/datastore/azure/azureBlobStorage';
import { azureRunSetup } from '../test/integration/azure/azureRunHarness';
import { finish, writeFlow } from '../test/integration/runtime/harness';
import { azuriteRequestPolicies, azuriteTokenCredential, createAzuriteContainer, startAzurite } from '../test/support/azurite';

const SIZE = 256 * 1024 * 1024;
const REPEATS = 3;

function emit(bench: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function transfer(): Promise<void> {
  const azurite = await startAzurite({ https: true, oauth: true });
  try {
    await createAzuriteContainer(azurite, 'bench');
    const credential = azuriteTokenCredential();
    const ours = new AzureBlobStorage({ endpoint: azurite.endpoint, account: azurite.accountName, root: { container: 'bench', prefix: 'ds' }, credential, requestPolicies: azuriteRequestPolicies(azurite) });
    const pipeline = newPipeline(credential);
    pipeline.factories.unshift(...azuriteRequestPolicies(azurite));
    const plain = new BlobServiceClient(azurite.endpoint, pipeline).getContainerClient('bench');
    const bytes = randomBytes(SIZE);
    const up = { ours: [] as number[], plain: [] as number[] };
    const down = { ours: [] as number[], plain: [] as number[] };
    for (let i = 0; i < REPEATS; i++) {
      const order = i % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
      for (const who of order) {
        if (who === 'ours') up.ours.push(await timed(() => ours.write(`Flow/data/ab/ours${i}`, bytes)));
        else up.plain.push(await timed(() => plain.getBlockBlobClient(`plain${i}`).uploadData(bytes)));
      }
      for (const who of order) {
        if (who === 'ours') {
          let got: Buffer | undefined;
          down.ours.push(await timed(async () => (got = await ours.read(`Flow/data/ab/ours${i}`))));
          if (!got?.equals(bytes)) throw new Error('our download differs from the upload');
        } else {
          let got: Buffer | undefined;
          down.plain.push(await timed(async () => (got = await plain.getBlobClient(`plain${i}`).downloadToBuffer())));
          if (!got?.equals(bytes)) throw new Error('plain download differs from the upload');
        }
      }
      await ours.delete(`Flow/data/ab/ours${i}`);
      await plain.getBlobClient(`plain${i}`).deleteIfExists();
    }
    const mbps = (ms: number) => SIZE / 1024 / 1024 / (ms / 1000);
    const extra = { size_mb: SIZE / 1024 / 1024, repeats: REPEATS, endpoint: 'Azurite https+OAuth on 127.0.0.1' };
    emit('azure.upload_256mb_ours', median(up.ours), 'ms', { ...extra, mb_per_s: Math.round(mbps(median(up.ours))) });
    emit('azure.upload_256mb_plain_sdk', median(up.plain), 'ms', { ...extra, mb_per_s: Math.round(mbps(median(up.plain))) });
    emit('azure.upload_ratio', median(up.plain) / median(up.ours), 'x', { note: 'plain uploadData time / our time; target >= 0.8' });
    emit('azure.download_256mb_ours', median(down.ours), 'ms', { ...extra, mb_per_s: Math.round(mbps(median(down.ours))) });
    emit('azure.download_256mb_plain_sdk', median(down.plain), 'ms', { ...extra, mb_per_s: Math.round(mbps(median(down.plain))) });
    emit('azure.download_ratio', median(down.plain) / median(down.ours), 'x', { note: 'plain downloadToBuffer time / our time; target >= 0.8' });
  } finally {
    await azurite.stop();
  }
}

const FLOW = `
from metaflow import FlowSpec, step


class BlobFilesFlow(FlowSpec):
    @step
    def start(self):
        self.items = list(range(8))
        self.next(self.body, foreach="items")

    @step
    def body(self):
        self.square = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.square for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    BlobFilesFlow()
`;

function countLocal(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countLocal(path.join(dir, e.name)) : 1;
  return n;
}

async function filesPerTask(): Promise<void> {
  const az = await azureRunSetup('benchruns');
  try {
    const file = writeFlow(az.ws, 'blob_files_flow.py', FLOW);
    const runner = await az.runner();
    const { result } = await finish(runner.run({ flowFile: file, parameterArgs: [] }));
    const runId = result.runId!;
    const storage = az.storage();
    const blobs = await storage.listRecursive(`BlobFilesFlow/${runId}`);
    const taskBlobs = blobs.filter((b) => b.key.split('/').length === 5 && !b.key.includes('/_parameters/'));
    const tasks = new Set(taskBlobs.map((b) => b.key.split('/').slice(0, 4).join('/')));
    const cas = (await storage.listRecursive('BlobFilesFlow/data')).length;
    const localRun = path.join(az.ws.root, 'BlobFilesFlow', runId);
    const localFiles = fs.existsSync(localRun) ? countLocal(localRun) : 0;
    emit('azure.blobs_per_task', taskBlobs.length / tasks.size, 'blobs', { tasks: tasks.size, task_blobs: taskBlobs.length, run_blobs: blobs.length, cas_blobs: cas });
    emit('azure.local_metadata_files_per_task', localFiles / (tasks.size + 1), 'files', { note: '_meta files kept on this machine, as Metaflow\'s local metadata provider does' });
  } finally {
    await az.dispose();
  }
}

async function main(): Promise<void> {
  await transfer();
  await filesPerTask();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
