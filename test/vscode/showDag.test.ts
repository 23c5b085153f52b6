import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DagTarget } from '../../src/vscode/showDagCommand';
import { api, closeAllEditors, fixture, lineOf, open, positionOf, waitFor } from './helpers';

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

  test('a file that cannot be drawn leaves no flow name of an earlier drawing in the panel title', async () => {
    await vscode.commands.executeCommand('metaflow.showDag', fixture('linear_flow.py'), 'LinearFlow');
    await waitFor('the title of the flow drawn', () => webviewTabs().some((t) => t.label === 'DAG: LinearFlow'));
    await vscode.commands.executeCommand('metaflow.showDag', fixture('no_such_flow.py'));
    await waitFor('the title without a flow', () => webviewTabs().length === 1 && webviewTabs()[0].label === 'DAG', 10_000);
  });

  test('a drawn file that is renamed stays drawn under its new name; one that is deleted is no longer drawn', async () => {
    const text = (await vscode.workspace.fs.readFile(fixture('linear_flow.py'))).toString();
    const before = fixture('moving_flow.py');
    const after = fixture('moved_flow.py');
    await vscode.workspace.fs.writeFile(before, new TextEncoder().encode(text));
    try {
      await vscode.commands.executeCommand('metaflow.showDag', before, 'LinearFlow');
      await waitFor('the drawing of the flow', () => webviewTabs().some((t) => t.label === 'DAG: LinearFlow'));
      const rename = new vscode.WorkspaceEdit();
      rename.renameFile(before, after);
      assert.ok(await vscode.workspace.applyEdit(rename));
      // An edit of the renamed file (open, but in no editor) must reach the drawing.
      const document = await vscode.workspace.openTextDocument(after);
      const line = document.lineAt(lineOf(document, 'class LinearFlow'));
      const edit = new vscode.WorkspaceEdit();
      edit.replace(after, line.range, 'class MovedFlow(FlowSpec):');
      assert.ok(await vscode.workspace.applyEdit(edit));
      await waitFor('the drawing to follow the renamed file', () => webviewTabs().some((t) => t.label === 'DAG: MovedFlow'), 10_000);

      await document.save();
      const remove = new vscode.WorkspaceEdit();
      remove.deleteFile(after);
      assert.ok(await vscode.workspace.applyEdit(remove));
      await waitFor('the drawing of the deleted file to go', () => webviewTabs().length === 1 && webviewTabs()[0].label === 'DAG', 10_000);
    } finally {
      for (const uri of [before, after]) await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    }
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
