// Writes runs the way Metaflow 2.19's local datastore and local metadata provider lay them out
// (reference §2.2-2.5), without our runtime: the client must read runs it did not write. Pickles are
// built by hand for the few value kinds used (protocol 4 opcodes), gzip'd into the content store.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export const pickle = {
  bool: (v: boolean) => Buffer.from([0x80, 4, v ? 0x88 : 0x89, 0x2e]),
  none: () => Buffer.from([0x80, 4, 0x4e, 0x2e]),
  int: (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return Buffer.concat([Buffer.from([0x80, 4, 0x4a]), b, Buffer.from([0x2e])]);
  },
  str: (s: string) => {
    const body = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    return Buffer.concat([Buffer.from([0x80, 4, 0x58]), len, body, Buffer.from([0x2e])]);
  },
};

const TYPES: Record<string, string> = { bool: "<class 'bool'>", none: "<class 'NoneType'>", int: "<class 'int'>", str: "<class 'str'>" };

export interface Artifact {
  bytes: Buffer;
  type: string;
}

export const art = {
  bool: (v: boolean): Artifact => ({ bytes: pickle.bool(v), type: TYPES.bool }),
  int: (n: number): Artifact => ({ bytes: pickle.int(n), type: TYPES.int }),
  str: (s: string): Artifact => ({ bytes: pickle.str(s), type: TYPES.str }),
  none: (): Artifact => ({ bytes: pickle.none(), type: TYPES.none }),
};

export interface AttemptSpec {
  ok: boolean;
  /** false: started, never finished (no DONE.lock). */
  done?: boolean;
  /** Seconds since the epoch. */
  start: number;
  end?: number;
}

export interface TaskSpec {
  attempts: AttemptSpec[];
  artifacts?: Record<string, Artifact>;
  foreach?: { step: string; var: string; index: number; value: string };
  originRunId?: string;
  originTaskId?: string;
  /** Metaflow's local runtime writes `<attempt>.runtime`; remote tasks do not. */
  runtimeFile?: boolean;
  /** Leave out the `attempt_ok` datum, so readers fall back to `.runtime` or `_task_ok`. */
  noAttemptOk?: boolean;
  stdout?: string[];
  stderr?: string[];
  /** Skip `data.json` (readers then use the `_meta` artifact files). */
  noDataJson?: boolean;
}

export class MetaflowLayoutWriter {
  readonly shas = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly flow: string,
    readonly user = 'anchor',
  ) {
    this.write(path.join(root, flow, '_meta', '_self.json'), { flow_id: flow, ts_epoch: 1_790_000_000_000 });
  }

  private write(file: string, body: unknown): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  }

  private systemTags(): string[] {
    return ['runtime:dev', `user:${this.user}`, 'metaflow_version:2.19.38', 'python_version:3.11.7'];
  }

  blob(bytes: Buffer): string {
    const sha = crypto.createHash('sha1').update(bytes).digest('hex');
    const file = path.join(this.root, this.flow, 'data', sha.slice(0, 2), sha);
    if (!fs.existsSync(file)) {
      this.write(`${file}_meta`, { cas_raw: false, cas_version: 1 });
      fs.writeFileSync(file, zlib.gzipSync(bytes, { level: 3 }));
    }
    return sha;
  }

  run(runId: string, tsMs: number, tags: string[] = []): void {
    this.write(path.join(this.root, this.flow, runId, '_meta', '_self.json'), {
      run_number: runId, flow_id: this.flow, user_name: this.user, tags, system_tags: this.systemTags(), ts_epoch: tsMs,
    });
    this.write(path.join(this.root, this.flow, 'latest_run'), runId);
  }

  private datum(taskDir: string, runId: string, step: string, taskId: string, field: string, value: unknown, tsMs: number, attempt?: number, type = field): void {
    this.write(path.join(taskDir, '_meta', `sysmeta_${field}_${tsMs}.json`), {
      flow_id: this.flow, run_number: runId, step_name: step, task_id: taskId, field_name: field, type, value,
      tags: attempt === undefined ? [] : [`attempt_id:${attempt}`], user_name: this.user, ts_epoch: tsMs,
    });
  }

  parameters(runId: string, tsMs: number, params: Record<string, Artifact>, ends: { start?: string; end?: string } = {}): void {
    const dir = path.join(this.root, this.flow, runId, '_parameters', '0');
    this.task(runId, '_parameters', '0', { attempts: [{ ok: true, start: tsMs / 1000, end: tsMs / 1000 }], artifacts: params, runtimeFile: true });
    this.datum(dir, runId, '_parameters', '0', 'start_step', ends.start ?? 'start', tsMs, undefined, 'graph_structure');
    this.datum(dir, runId, '_parameters', '0', 'end_step', ends.end ?? 'end', tsMs + 1, undefined, 'graph_structure');
  }

  task(runId: string, step: string, taskId: string, spec: TaskSpec): string {
    const stepDir = path.join(this.root, this.flow, runId, step);
    const self = { flow_id: this.flow, run_number: runId, user_name: this.user, tags: [], system_tags: this.systemTags(), step_name: step };
    if (!fs.existsSync(path.join(stepDir, '_meta', '_self.json'))) this.write(path.join(stepDir, '_meta', '_self.json'), { ...self, ts_epoch: Math.round(spec.attempts[0].start * 1000) });
    const dir = path.join(stepDir, taskId);
    this.write(path.join(dir, '_meta', '_self.json'), { ...self, task_id: taskId, ts_epoch: Math.round(spec.attempts[0].start * 1000) });
    spec.attempts.forEach((a, attempt) => {
      const startMs = Math.round(a.start * 1000);
      this.write(path.join(dir, `${attempt}.attempt.json`), { time: a.start });
      this.datum(dir, runId, step, taskId, 'attempt', String(attempt), startMs, attempt);
      this.datum(dir, runId, step, taskId, 'ds-type', 'local', startMs + 1, attempt);
      this.datum(dir, runId, step, taskId, 'ds-root', this.root, startMs + 1, attempt);
      this.datum(dir, runId, step, taskId, 'origin-run-id', spec.originRunId ?? 'None', startMs + 1, attempt);
      if (spec.originTaskId) this.datum(dir, runId, step, taskId, 'origin-task-id', spec.originTaskId, startMs + 1, attempt);
      if (spec.foreach) {
        this.datum(dir, runId, step, taskId, 'foreach-stack', [`${spec.foreach.var}=${spec.foreach.value}`], startMs + 1, attempt);
        this.datum(dir, runId, step, taskId, 'foreach-execution-path', `${spec.foreach.step}:${spec.foreach.index}`, startMs + 1, attempt);
      }
      const log = (stream: 'stdout' | 'stderr', lines: string[] | undefined) => {
        if (!lines?.length) return;
        const text = lines.map((l, i) => `[MFLOG|0|${new Date(startMs + i).toISOString().slice(0, 23)}000Z|task|${attempt}${stream}${i}]${l}`).join('\n');
        this.write(path.join(dir, `${attempt}.runtime_${stream}.log`), `${text}\n`);
      };
      log('stdout', spec.stdout);
      log('stderr', spec.stderr);
      if (a.done === false) return;
      const endMs = Math.round((a.end ?? a.start) * 1000);
      const artifacts: Record<string, Artifact> = { name: art.str(this.flow), _task_ok: art.bool(a.ok), _success: art.bool(a.ok), _exception: art.none(), ...spec.artifacts };
      const objects: Record<string, string> = {};
      const info: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(artifacts)) {
        objects[name] = this.blob(value.bytes);
        info[name] = { size: value.bytes.length, type: value.type, encoding: 'pickle-v4', serializer_info: { source: 'metaflow' } };
        this.write(path.join(dir, '_meta', `${attempt}_artifact_${name}.json`), {
          run_number: runId, step_name: step, task_id: taskId, attempt_id: attempt, name, content_type: 'pickle-v4', type: 'metaflow.artifact',
          sha: objects[name], ds_type: 'local', location: `:root:${this.root}`, flow_id: this.flow, user_name: this.user, tags: [], system_tags: this.systemTags(), ts_epoch: endMs,
        });
      }
      if (!spec.noDataJson) this.write(path.join(dir, `${attempt}.data.json`), { datastore: 'local', version: '1.0', attempt, python_version: '3.11.7', objects, info });
      this.write(path.join(dir, `${attempt}.DONE.lock`), '""');
      if (spec.runtimeFile !== false) this.write(path.join(dir, `${attempt}.runtime`), { return_code: a.ok ? 0 : 1, killed: false, success: a.ok });
      if (!spec.noAttemptOk) this.datum(dir, runId, step, taskId, 'attempt_ok', a.ok ? 'True' : 'False', endMs, attempt, 'internal_attempt_status');
      this.datum(dir, runId, step, taskId, 'attempt-done', String(attempt), endMs, attempt);
    });
    return dir;
  }
}
