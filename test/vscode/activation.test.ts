import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, api, closeAllEditors, open } from './helpers';

suite('activation', () => {
  teardown(closeAllEditors);

  test('runs in a real VS Code extension host', () => {
    assert.equal(vscode.env.appName, 'code-server');
    assert.match(vscode.version, /^1\.\d+\.\d+/);
  });

  test('activates when a flow file is opened and returns its API', async () => {
    await open('linear_flow.py');
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, 'extension is loaded');
    const exports = await api();
    assert.ok(extension.isActive);
    assert.equal(typeof exports.documents.get, 'function');
    assert.equal(typeof exports.index.flows, 'function');
  });

  test('registers the Show DAG command', async () => {
    await api();
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('metaflow.showDag'), 'metaflow.showDag is registered');
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: Array<{ command: string; title: string; category: string }> } };
    const contributed = manifest.contributes.commands.find((c) => c.command === 'metaflow.showDag');
    assert.deepEqual({ title: contributed?.title, category: contributed?.category }, { title: 'Show DAG', category: 'Metaflow' });
  });
});
