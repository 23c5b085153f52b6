// Per-attempt log capture in mflog form, persisted as `<attempt>.runtime_stdout.log` /
// `<attempt>.runtime_stderr.log` when the attempt ends (as Metaflow's local runtime does).
import { writeFileAtomicSync } from './atomicWrite';
import { formatMflogLine, type LogSource } from './mflog';

export class AttemptLog {
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  private outBytes = 0;
  private errBytes = 0;
  private truncated = { stdout: false, stderr: false };
  private seq = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly idPrefix: string,
  ) {}

  add(stream: 'stdout' | 'stderr', source: LogSource, text: string, ms: number): void {
    const line = formatMflogLine(source, text, ms, `${this.idPrefix}${(this.seq++).toString(36)}`);
    if (stream === 'stdout') {
      if (this.outBytes + line.length > this.maxBytes) {
        this.truncated.stdout = true;
        return;
      }
      this.outBytes += line.length + 1;
      this.out.push(line);
    } else {
      if (this.errBytes + line.length > this.maxBytes) {
        this.truncated.stderr = true;
        return;
      }
      this.errBytes += line.length + 1;
      this.err.push(line);
    }
  }

  /** `pathFor('runtime_stdout.log')` gives the attempt file's absolute path. */
  persist(pathFor: (name: string) => string, now: number): void {
    const note = (stream: 'stdout' | 'stderr') =>
      formatMflogLine('runtime', `[log truncated: the ${stream} of this attempt exceeded ${Math.round(this.maxBytes / 1048576)} MB]`, now, `${this.idPrefix}t`);
    const out = this.truncated.stdout ? [...this.out, note('stdout')] : this.out;
    const err = this.truncated.stderr ? [...this.err, note('stderr')] : this.err;
    // An empty stream is not written: readers treat a missing log as empty, and it saves two files per task.
    if (out.length) writeFileAtomicSync(pathFor('runtime_stdout.log'), `${out.join('\n')}\n`);
    if (err.length) writeFileAtomicSync(pathFor('runtime_stderr.log'), `${err.join('\n')}\n`);
  }
}
