// Composition root: builds every service and registers every provider. Nothing else lives here.
import * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
