// Converts VS Code's content changes into the edits tree-sitter needs to re-parse incrementally.
import type * as vscode from 'vscode';
import type { Position, TextEdit } from '../flow/types';

/** The position just after `text` when it is inserted at `start`. */
function endOfInsertion(start: Position, text: string): Position {
  const lastNewline = text.lastIndexOf('\n');
  if (lastNewline < 0) return { line: start.line, character: start.character + text.length };
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines += 1;
  return { line: start.line + lines, character: text.length - lastNewline - 1 };
}

/**
 * One edit per change, in the order VS Code reports them: each change's range refers to the text as
 * left by the changes before it, which is exactly how successive `tree.edit` calls apply.
 */
export function toTextEdits(changes: readonly vscode.TextDocumentContentChangeEvent[]): TextEdit[] {
  return changes.map((change) => {
    const startPosition = { line: change.range.start.line, character: change.range.start.character };
    return {
      startIndex: change.rangeOffset,
      oldEndIndex: change.rangeOffset + change.rangeLength,
      newEndIndex: change.rangeOffset + change.text.length,
      startPosition,
      oldEndPosition: { line: change.range.end.line, character: change.range.end.character },
      newEndPosition: endOfInsertion(startPosition, change.text),
    };
  });
}
