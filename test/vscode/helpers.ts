// Shared helpers of the extension-host suites: the fixture workspace, the extension's API and waits.
import * as vscode from 'vscode';
import type { MetaflowStudioApi } from '../../src/extension';

export const EXTENSION_ID = 'metaflow-studio.metaflow-studio';

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need the fixture workspace open');
  return folder.uri;
}

export function fixture(name: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), name);
}

export async function api(): Promise<MetaflowStudioApi> {
  const extension = vscode.extensions.getExtension<MetaflowStudioApi>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return extension.activate();
}

export async function open(name: string): Promise<{ document: vscode.TextDocument; editor: vscode.TextEditor }> {
  const document = await vscode.workspace.openTextDocument(fixture(name));
  const editor = await vscode.window.showTextDocument(document);
  return { document, editor };
}

/** Polls `probe` until it returns something other than undefined/false, or fails with `what`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function metaflowDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Metaflow');
}

/** 0-based line of the first line of `document` containing `text`. */
export function lineOf(document: vscode.TextDocument, text: string, from = 0): number {
  for (let line = from; line < document.lineCount; line++) if (document.lineAt(line).text.includes(text)) return line;
  throw new Error(`"${text}" not found in ${document.uri.fsPath}`);
}

/** The position of the first character of `word` on the first line containing `lineText`. */
export function positionOf(document: vscode.TextDocument, lineText: string, word: string): vscode.Position {
  const line = lineOf(document, lineText);
  const character = document.lineAt(line).text.indexOf(word);
  if (character < 0) throw new Error(`"${word}" not on line ${line + 1}`);
  return new vscode.Position(line, character);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
