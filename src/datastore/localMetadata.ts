// The local metadata provider's object files (`_meta/_self.json` of flow, run, step and task) and
// `latest_run`, written the way Metaflow's runtime registers them: once, atomically, never overwritten.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from './atomicWrite';
import { LocalLayout } from './localLayout';

export interface RunIdentity {
  flow: string;
  run: string;
  user: string;
  tags: string[];
  systemTags: string[];
}

export class LocalMetadataWriter {
  private readonly steps = new Map<string, Promise<void>>();

  constructor(
    private readonly layout: LocalLayout,
    private readonly identity: RunIdentity,
    private readonly now: () => number,
  ) {}

  private common(): Record<string, unknown> {
    return {
      flow_id: this.identity.flow,
      user_name: this.identity.user,
      tags: this.identity.tags,
      system_tags: this.identity.systemTags,
      ts_epoch: Math.round(this.now()),
    };
  }

  private async writeSelf(dir: string, body: Record<string, unknown>): Promise<void> {
    await writeFileAtomic(path.join(dir, '_meta', '_self.json'), JSON.stringify(body), { overwrite: false });
  }

  async registerRun(): Promise<void> {
    const { flow, run } = this.identity;
    await this.writeSelf(this.layout.flowDir(flow), { flow_id: flow, ts_epoch: Math.round(this.now()) });
    await this.writeSelf(this.layout.runDir(flow, run), { run_number: run, ...this.common() });
  }

  /**
   * Once per step; every task of the step waits for the same write. Written synchronously: the step's
   * first task cannot start before it, and a turn through the thread pool behind the previous task's
   * log writes would add that latency to every step of a linear flow.
   */
  registerStep(step: string): Promise<void> {
    let written = this.steps.get(step);
    if (!written) {
      const { flow, run } = this.identity;
      try {
        const target = path.join(this.layout.stepDir(flow, run, step), '_meta', '_self.json');
        if (!fs.existsSync(target)) writeFileAtomicSync(target, JSON.stringify({ run_number: run, step_name: step, ...this.common() }));
        written = Promise.resolve();
      } catch (err) {
        written = Promise.reject(err as Error);
      }
      this.steps.set(step, written);
    }
    return written;
  }

  async writeLatestRun(): Promise<void> {
    await writeFileAtomic(this.layout.latestRunFile(this.identity.flow), this.identity.run);
  }
}

export function readLatestRun(layout: LocalLayout, flow: string): string | undefined {
  try {
    const text = fs.readFileSync(layout.latestRunFile(flow), 'utf8').trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}
