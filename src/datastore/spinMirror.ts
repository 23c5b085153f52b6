// Spin keeps its results apart from the run it reads: the input tasks (and the blobs they reference)
// are mirrored into the spin datastore, and the new task runs there. The origin run is never written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalLayout } from './localLayout';

async function copyIfMissing(from: string, to: string): Promise<void> {
  try {
    await fs.promises.access(to);
    return;
  } catch {
    // not there yet
  }
  await fs.promises.mkdir(path.dirname(to), { recursive: true });
  const tmp = `${to}.${process.pid}.tmp`;
  try {
    await fs.promises.link(from, tmp);
  } catch {
    await fs.promises.copyFile(from, tmp);
  }
  await fs.promises.rename(tmp, to);
}

async function copyTree(from: string, to: string): Promise<string[]> {
  const copied: string[] = [];
  const entries = await fs.promises.readdir(from, { withFileTypes: true });
  for (const e of entries) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) copied.push(...(await copyTree(src, dst)));
    else if (e.isFile()) {
      await copyIfMissing(src, dst);
      copied.push(dst);
    }
  }
  return copied;
}

/** Mirrors `run/step/task` pathspecs of `flow` from `source` into `target` (a spin datastore). */
export async function mirrorTasks(source: LocalLayout, target: LocalLayout, flow: string, pathspecs: string[]): Promise<void> {
  const shas = new Set<string>();
  const runs = new Set<string>();
  const steps = new Set<string>();
  for (const p of pathspecs) {
    const [run, step, task] = p.split('/');
    runs.add(run);
    steps.add(`${run}/${step}`);
    const files = await copyTree(source.taskDir(flow, run, step, task), target.taskDir(flow, run, step, task));
    for (const f of files) {
      if (!f.endsWith('.data.json')) continue;
      const data = JSON.parse(await fs.promises.readFile(f, 'utf8')) as { objects?: Record<string, string> };
      for (const sha of Object.values(data.objects ?? {})) shas.add(sha);
    }
  }
  const selfFile = (dir: string) => path.join(dir, '_meta', '_self.json');
  const metaCopies: Array<Promise<void>> = [copyIfMissing(selfFile(source.flowDir(flow)), selfFile(target.flowDir(flow))).catch(() => undefined)];
  for (const run of runs) metaCopies.push(copyIfMissing(selfFile(source.runDir(flow, run)), selfFile(target.runDir(flow, run))).catch(() => undefined));
  for (const rs of steps) {
    const [run, step] = rs.split('/');
    metaCopies.push(copyIfMissing(selfFile(source.stepDir(flow, run, step)), selfFile(target.stepDir(flow, run, step))).catch(() => undefined));
  }
  await Promise.all(metaCopies);
  const list = [...shas];
  for (let i = 0; i < list.length; i += 64) {
    await Promise.all(
      list.slice(i, i + 64).map(async (sha) => {
        await copyIfMissing(source.blobPath(flow, sha), target.blobPath(flow, sha));
        await copyIfMissing(`${source.blobPath(flow, sha)}_meta`, `${target.blobPath(flow, sha)}_meta`).catch(() => undefined);
      }),
    );
  }
}
