// Per-attempt log capture in mflog form, persisted as `<attempt>.runtime_stdout.log` /
// `<attempt>.runtime_stderr.log` when the attempt ends (as Metaflow's local runtime does).
import { writeFileAtomicSync } from './atomicWrite';
import { formatMflogLineMicros, type LogSource } from './mflog';

// Metaflow's reader sorts each log file by (timestamp text, then the rest of the line, id included), so
// lines keep the order they arrived in only if no two share a timestamp and ids sort as they were given.
const ID_DIGITS = 9;

interface LogEntry {
  /** A line the task printed, as opposed to the runtime's own message about it. */
  fromTask: boolean;
  line: string;
}

export interface RenderOptions {
  /** The task saved its own output (a pod's `task_stdout.log`): keep only the runtime's lines, so no line is stored twice. */
  withoutTaskLines?: boolean;
}

export class AttemptLog {
  private readonly out: LogEntry[] = [];
  private readonly err: LogEntry[] = [];
  private outBytes = 0;
  private errBytes = 0;
  private truncated = { stdout: false, stderr: false };
  private seq = 0;
  /** Microseconds of the last line written to each stream; every next line gets a later one. */
  private lastMicros = { stdout: 0, stderr: 0 };

  constructor(
    private readonly maxBytes: number,
    private readonly idPrefix: string,
  ) {}

  add(stream: 'stdout' | 'stderr', source: LogSource, text: string, ms: number): void {
    const line = formatMflogLineMicros(source, text, this.stamp(stream, ms), this.nextId());
    const bytes = Buffer.byteLength(line) + 1;
    // As Metaflow's TruncatedBuffer: the runtime's own messages (why a task failed, was killed) are
    // always kept, and once a task line is cut every later one is too, so the kept head has no gaps.
    if (source !== 'runtime') {
      const used = stream === 'stdout' ? this.outBytes : this.errBytes;
      if (this.truncated[stream] || used + bytes > this.maxBytes) {
        this.truncated[stream] = true;
        return;
      }
    }
    const counted = source === 'runtime' ? 0 : bytes;
    const entry = { fromTask: source !== 'runtime', line };
    if (stream === 'stdout') {
      this.outBytes += counted;
      this.out.push(entry);
    } else {
      this.errBytes += counted;
      this.err.push(entry);
    }
  }

  private stamp(stream: 'stdout' | 'stderr', ms: number): number {
    const micros = Math.max(Math.floor(ms * 1000), this.lastMicros[stream] + 1);
    this.lastMicros[stream] = micros;
    return micros;
  }

  private nextId(): string {
    return `${this.idPrefix}${String(this.seq++).padStart(ID_DIGITS, '0')}`;
  }

  /** `pathFor('runtime_stdout.log')` gives the attempt file's absolute path. */
  persist(pathFor: (name: string) => string, now: number, options: RenderOptions = {}): void {
    for (const [name, text] of this.render(now, options)) writeFileAtomicSync(pathFor(name), text);
  }

  /** The attempt's log files as [name, contents] (an empty stream has none), for datastores that are not a folder. */
  render(now: number, options: RenderOptions = {}): Array<[string, string]> {
    const note = (stream: 'stdout' | 'stderr') =>
      formatMflogLineMicros('runtime', `[log truncated: the ${stream} of this attempt exceeded ${Math.round(this.maxBytes / 1048576)} MB]`, this.stamp(stream, now), this.nextId());
    const kept = (entries: LogEntry[], stream: 'stdout' | 'stderr') => {
      if (options.withoutTaskLines) return entries.filter((e) => !e.fromTask).map((e) => e.line);
      const lines = entries.map((e) => e.line);
      return this.truncated[stream] ? [...lines, note(stream)] : lines;
    };
    const out = kept(this.out, 'stdout');
    const err = kept(this.err, 'stderr');
    // An empty stream is not written: readers treat a missing log as empty, and it saves two files per task.
    const files: Array<[string, string]> = [];
    if (out.length) files.push(['runtime_stdout.log', `${out.join('\n')}\n`]);
    if (err.length) files.push(['runtime_stderr.log', `${err.join('\n')}\n`]);
    return files;
  }
}
