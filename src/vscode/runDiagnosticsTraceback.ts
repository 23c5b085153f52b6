// Finds where a failed task went wrong in the flow file: the deepest frame of the task's last Python
// traceback that lies in that file, with the exception line as the message. Pure; no `vscode`.
import * as path from 'node:path';

export interface TracebackHit {
  /** 1-based line of the flow file, as Python prints it. */
  line: number;
  /** The exception line, e.g. `ValueError: boom`. */
  message: string;
}

const FRAME = /^\s*File "(.+)", line (\d+)/;
const HEADER = 'Traceback (most recent call last):';

function samePath(a: string, b: string, platform: NodeJS.Platform): boolean {
  const norm = (p: string) => path.normalize(path.resolve(p));
  return platform === 'win32' || platform === 'darwin' ? norm(a).toLowerCase() === norm(b).toLowerCase() : norm(a) === norm(b);
}

/**
 * `lines` are the task's stderr lines, oldest first. A chained exception prints several tracebacks;
 * the last one is what ended the task. Returns undefined when no frame of that traceback is in `flowFile`.
 */
export function locateFailure(lines: readonly string[], flowFile: string, platform: NodeJS.Platform = process.platform): TracebackHit | undefined {
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].trim() === HEADER) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  let hit: number | undefined;
  let sawFrame = false;
  let message: string | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const text = lines[i];
    const frame = FRAME.exec(text);
    if (frame) {
      sawFrame = true;
      if (samePath(frame[1], flowFile, platform)) hit = Number(frame[2]);
      continue;
    }
    // Source lines and carets are indented; the first unindented line after the frames is the exception.
    if (sawFrame && text.length > 0 && !/^\s/.test(text)) {
      message = text.trim();
      break;
    }
  }
  if (hit === undefined) return undefined;
  return { line: hit, message: message ?? 'The step failed here' };
}
