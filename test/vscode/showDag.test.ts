import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DagTarget } from '../../src/vscode/showDagCommand';
import { api, closeAllEditors, fixture, open, positionOf, waitFor } from './helpers';

function webviewTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
}

suite('Show DAG command', () => {
  suiteSetup(api);
  teardown(closeAllEditors);

  test('with a file and a flow, opens the DAG panel for them', async () => {
    const uri = fixture('linear_flow.py');
    const target = await vscode.commands.executeCommand<DagTarget>('metaflow.showDag', uri, 'LinearFlow');
    assert.deepEqual([target?.uri.toString(), target?.flow], [uri.toString(), 'LinearFlow']);
    await waitFor('the DAG panel', () => webviewTabs().length === 1);
  });

  test('without arguments, draws the flow of the active editor', async () => {
    const { document, editor } = await open('switch_flow.py');
    editor.selection = new vscode.Selection(positionOf(document, 'def small', 'small'), positionOf(document, 'def small', 'small'));
    const target = await vscode.commands.executeCommand<DagTarget>('metaflow.showDag');
    assert.deepEqual([target?.uri.toString(), target?.flow], [document.uri.toString(), 'SwitchFlow']);
    await waitFor('the DAG panel', () => webviewTabs().length === 1);
  });

  test('without a flow editor, offers the workspace flows in a quick pick', async () => {
    await open('helpers.py');
    const result = vscode.commands.executeCommand<DagTarget | undefined>('metaflow.showDag');
    // The quick pick lists flows sorted by file: broken_flow.py comes first.
    await waitFor(
      'the quick pick to accept',
      async () => {
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        return Promise.race([result.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 200))]);
      },
      30_000,
    );
    const target = await result;
    assert.equal(target?.flow, 'BrokenFlow');
    assert.equal(target?.uri.toString(), fixture('broken_flow.py').toString());
  });
});
