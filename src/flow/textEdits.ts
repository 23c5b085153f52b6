// Our TextEdit (UTF-16 code units, as VS Code counts) -> tree-sitter's Edit. web-tree-sitter parses
// JavaScript strings as UTF-16 and reports and accepts every index and column in UTF-16 code units
// (its binding halves/doubles the byte counts of the UTF-16 encoding), so the numbers carry over
// unchanged; only the position field names differ.
import type { Edit } from 'web-tree-sitter';
import type { Position, TextEdit } from './types';

const point = (p: Position) => ({ row: p.line, column: p.character });

export function toTreeSitterEdit(edit: TextEdit): Edit {
  return {
    startIndex: edit.startIndex,
    oldEndIndex: edit.oldEndIndex,
    newEndIndex: edit.newEndIndex,
    startPosition: point(edit.startPosition),
    oldEndPosition: point(edit.oldEndPosition),
    newEndPosition: point(edit.newEndPosition),
  };
}

/** False when the edits cannot describe the change from the old text to the new one (then a full parse is safer). */
export function editsAreConsistent(oldLength: number, newLength: number, edits: TextEdit[]): boolean {
  let length = oldLength;
  for (const e of edits) {
    if (e.startIndex < 0 || e.oldEndIndex < e.startIndex || e.newEndIndex < e.startIndex || e.oldEndIndex > length) return false;
    length += e.newEndIndex - e.oldEndIndex;
  }
  return length === newLength;
}

/** The TextEdit for replacing `[start, end)` of `text` with `insert` (tests, benches and the CLI use it). */
export function textEditFor(text: string, start: number, end: number, insert: string): TextEdit {
  return {
    startIndex: start,
    oldEndIndex: end,
    newEndIndex: start + insert.length,
    startPosition: positionAt(text, start),
    oldEndPosition: positionAt(text, end),
    newEndPosition: positionAt(text.slice(0, start) + insert, start + insert.length),
  };
}

/** (line, character) of a UTF-16 offset, lines split at \n as tree-sitter does. */
export function positionAt(text: string, offset: number): Position {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return { line, character: offset - lineStart };
}
