// Metaflow's structured log lines (`metaflow/mflog/mflog.py`):
// `[MFLOG|0|<UTC ISO8601 with microseconds>Z|<source>|<line id>]<text>`.
import * as crypto from 'node:crypto';

export type LogSource = 'runtime' | 'task';

export interface MflogLine {
  ts: number;
  /** The timestamp as written (microsecond precision, without the `Z`). */
  tsText: string;
  source: string;
  id: string;
  text: string;
}

/** `2026-11-21T09:06:12.123000` from milliseconds since the epoch (Metaflow prints microseconds). */
export function mflogTimestamp(ms: number): string {
  return mflogTimestampMicros(Math.floor(ms * 1000));
}

/** The same from whole microseconds since the epoch, without a float round trip. */
export function mflogTimestampMicros(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString(); // 2026-11-21T09:06:12.123Z
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}`;
}

export function formatMflogLine(source: LogSource, text: string, ms: number, id: string = crypto.randomUUID()): string {
  return formatMflogLineMicros(source, text, Math.floor(ms * 1000), id);
}

export function formatMflogLineMicros(source: LogSource, text: string, micros: number, id: string): string {
  return `[MFLOG|0|${mflogTimestampMicros(micros)}Z|${source}|${id}]${text}`;
}

const LINE = /^(\[!)?\[MFLOG\|0\|(.+?)Z\|(.+?)\|(.+?)\](.*)$/s;

export function parseMflogLine(line: string): MflogLine | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const tsText = m[2];
  const ts = Date.parse(`${tsText.slice(0, 23)}Z`);
  if (Number.isNaN(ts)) return undefined;
  return { ts, tsText, source: m[3], id: m[4], text: m[5] };
}

/** Lines of several mflog files in timestamp order (Metaflow's `merge_logs`); unstructured lines keep their place at the end. */
export function mergeMflogs(files: string[]): MflogLine[] {
  const parsed: MflogLine[] = [];
  const plain: MflogLine[] = [];
  for (const content of files) {
    for (const raw of content.split('\n')) {
      if (raw === '') continue;
      const line = parseMflogLine(raw);
      if (line) parsed.push(line);
      else plain.push({ ts: Number.POSITIVE_INFINITY, tsText: '', source: 'unknown', id: '', text: raw });
    }
  }
  // Stable sort on the full-precision text keeps same-millisecond lines in written order.
  parsed.sort((a, b) => (a.tsText < b.tsText ? -1 : a.tsText > b.tsText ? 1 : 0));
  return [...parsed, ...plain];
}
