// Splits a byte stream into lines without readline's per-line overhead; a partial last line waits for its end.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export function readLines(stream: Readable, onLines: (lines: string[]) => void, onEnd?: () => void): void {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const text = rest + decoder.write(chunk);
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    if (parts.length > 0) onLines(parts);
  });
  stream.on('end', () => {
    const tail = rest + decoder.end();
    rest = '';
    if (tail) onLines([tail]);
    onEnd?.();
  });
}
