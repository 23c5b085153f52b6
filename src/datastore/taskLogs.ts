// Per-attempt log capture in mflog form, persisted as `<attempt>.runtime_stdout.log` /
// `<attempt>.runtime_stderr.log` when the attempt ends (as Metaflow's local runtime does).
import { writeFileAtomicSync } from './atomicWrite';
import { formatMflogLineMicros, type LogSource } from './mflog';

// Metaflow's reader sorts each log file by (timestamp text, then the rest of the line, id included), so
// lines keep the order they arrived in only if no two share a timestamp and ids sort as they were given.
const ID_DIGITS = 9;

export class AttemptLog {
  private readonly out: string[] = [];
  private readonly err: string[] = [];
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
    if (stream === 'stdout') {
      this.outBytes += counted;
      this.out.push(line);
    } else {
      this.errBytes += counted;
      this.err.push(line);
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
  persist(pathFor: (name: string) => string, now: number): void {
    for (const [name, text] of this.render(now)) writeFileAtomicSync(pathFor(name), text);
  }

  /** The attempt's log files as [name, contents] (an empty stream has none), for datastores that are not a folder. */
  render(now: number): Array<[string, string]> {
    const note = (stream: 'stdout' | 'stderr') =>
      formatMflogLineMicros('runtime', `[log truncated: the ${stream} of this attempt exceeded ${Math.round(this.maxBytes / 1048576)} MB]`, this.stamp(stream, now), this.nextId());
    const out = this.truncated.stdout ? [...this.out, note('stdout')] : this.out;
    const err = this.truncated.stderr ? [...this.err, note('stderr')] : this.err;
    // An empty stream is not written: readers treat a missing log as empty, and it saves two files per task.
    const files: Array<[string, string]> = [];
    if (out.length) files.push(['runtime_stdout.log', `${out.join('\n')}\n`]);
    if (err.length) files.push(['runtime_stderr.log', `${err.join('\n')}\n`]);
    return files;
  }
}
