import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAllEditors, fixture, lineOf, open, waitFor } from './helpers';

// The run lenses have their own suite (runs.test.ts); these tests look at "Show DAG".
async function metaflowLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return lenses.filter((l) => l.command?.command === 'metaflow.showDag');
}

suite('CodeLens', () => {
  suiteSetup(api);
  teardown(closeAllEditors);

  test('puts one "Show DAG" lens on the flow class, with the file and flow as arguments', async () => {
    const { document } = await open('linear_flow.py');
    const lenses = await waitFor('the Show DAG lens', async () => {
      const found = await metaflowLenses(document.uri);
      return found.length > 0 && found;
    });
    assert.equal(lenses.length, 1);
    const [lens] = lenses;
    assert.equal(lens.command?.title, 'Show DAG');
    assert.equal(lens.command?.command, 'metaflow.showDag');
    assert.equal(lens.range.start.line, lineOf(document, 'class LinearFlow'));
    const [uri, flow] = lens.command?.arguments ?? [];
    assert.equal((uri as vscode.Uri).toString(), document.uri.toString());
    assert.equal(flow, 'LinearFlow');
  });

  test('offers no lens on a Python file without flows', async () => {
    // The flow file's lens proves the provider is answering; the helper file must still get none.
    await open('switch_flow.py');
    await waitFor('the provider to answer for a flow file', async () => (await metaflowLenses(fixture('switch_flow.py'))).length === 1);
    await open('helpers.py');
    assert.deepEqual(await metaflowLenses(fixture('helpers.py')), []);
  });
});
