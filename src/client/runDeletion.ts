// Deleting a run: its whole directory (tasks, their `_meta`, the run's `_meta`). Artifact blobs are
// content-addressed and may be shared with other runs, so the flow's `data/` is left alone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatastoreClient } from './datastoreClient';

export class RunDeletionRefused extends Error {}

export function deleteRun(client: DatastoreClient, flow: string, runId: string): void {
  if (!/^[^/\\\0]+$/.test(runId) || runId === '.' || runId === '..' || runId === '_meta' || runId === 'data') {
    throw new RunDeletionRefused(`'${runId}' is not a run id of ${flow}`);
  }
  const runDir = path.join(client.root, flow, runId);
  if (!fs.existsSync(path.join(runDir))) throw new RunDeletionRefused(`no run ${flow}/${runId} in ${client.root}`);
  client.invalidate(flow, runId);
  const run = client.run(flow, runId);
  if (run.status === 'running') throw new RunDeletionRefused(`run ${flow}/${runId} is still running; cancel it before deleting it`);
  fs.rmSync(runDir, { recursive: true, force: true });
  client.invalidate(flow, runId);
  // `latest_run` must not name a run that is gone: resume would pick it as its origin.
  const latest = path.join(client.root, flow, 'latest_run');
  try {
    if (fs.readFileSync(latest, 'utf8').trim() === runId) fs.rmSync(latest, { force: true });
  } catch {
    // no latest_run
  }
}
