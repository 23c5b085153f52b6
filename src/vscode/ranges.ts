// Conversions between the flow model's source ranges and VS Code's.
import * as vscode from 'vscode';
import type { SourceRange } from '../flow/types';

export function toRange(range: SourceRange): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}
