import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAllEditors, lineOf, open, positionOf } from './helpers';

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n')
    .replace(/&nbsp;/g, ' ');
}

async function definitions(uri: vscode.Uri, position: vscode.Position): Promise<Array<vscode.Location | vscode.LocationLink>> {
  return (await vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink>>('vscode.executeDefinitionProvider', uri, position)) ?? [];
}

function targetOf(result: vscode.Location | vscode.LocationLink): { uri: vscode.Uri; range: vscode.Range } {
  return 'targetUri' in result ? { uri: result.targetUri, range: result.targetSelectionRange ?? result.targetRange } : { uri: result.uri, range: result.range };
}

suite('hover and go to definition', () => {
  suiteSetup(api);
  teardown(closeAllEditors);

  test('hover on a step name shows its type, decorators, successors and docstring', async () => {
    const { document } = await open('linear_flow.py');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, positionOf(document, 'def train', 'train'));
    const text = hoverText(hovers);
    assert.match(text, /\*\*train\*\* — linear step of `LinearFlow`/);
    assert.match(text, /@retry\(times=2\)/);
    assert.match(text, /Next: `end`/);
    assert.match(text, /After: `start`/);
    assert.match(text, /Fit the model on the rows\./);
    const ours = hovers.find((h) => hoverText([h]).includes('**train**'));
    assert.ok(ours);
    for (const content of ours.contents) if (content instanceof vscode.MarkdownString) assert.notEqual(content.isTrusted, true);
  });

  test('hover on a self.next target describes the target step', async () => {
    const { document } = await open('linear_flow.py');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, positionOf(document, 'self.next(self.end)', 'end)'));
    assert.match(hoverText(hovers), /\*\*end\*\* — end step of `LinearFlow`/);
  });

  test('hover elsewhere in a step body adds nothing of ours', async () => {
    const { document } = await open('linear_flow.py');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, positionOf(document, 'self.rows = [1, 2, 3]', 'rows'));
    assert.doesNotMatch(hoverText(hovers), /step of `LinearFlow`/);
  });

  test('go to definition on self.next(self.<step>) lands on that step', async () => {
    const { document } = await open('linear_flow.py');
    const results = await definitions(document.uri, positionOf(document, 'self.next(self.train)', 'train'));
    assert.equal(results.length, 1);
    const { uri, range } = targetOf(results[0]);
    assert.equal(uri.toString(), document.uri.toString());
    assert.equal(range.start.line, lineOf(document, 'def train'));
    assert.equal(document.getText(range), 'train');
  });

  test('go to definition works on each self.<step> of a switch dict', async () => {
    const { document } = await open('switch_flow.py');
    for (const step of ['big', 'small']) {
      const results = await definitions(document.uri, positionOf(document, 'condition="route"', `self.${step}`).translate(0, 5));
      assert.equal(results.length, 1, `one definition for ${step}`);
      const { range } = targetOf(results[0]);
      assert.equal(range.start.line, lineOf(document, `def ${step}`), step);
    }
  });
});

suite('document symbols', () => {
  suiteSetup(api);
  teardown(closeAllEditors);

  test('list each flow with its parameters and steps in source order', async () => {
    const { document } = await open('linear_flow.py');
    const symbols = (await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri)) ?? [];
    const flow = symbols.find((s) => s.name === 'LinearFlow');
    assert.ok(flow, `symbols: ${symbols.map((s) => s.name).join(', ')}`);
    assert.equal(flow.kind, vscode.SymbolKind.Class);
    assert.equal(flow.selectionRange.start.line, lineOf(document, 'class LinearFlow'));
    assert.deepEqual(
      flow.children.map((c) => [c.name, c.detail, c.kind, c.selectionRange.start.line]),
      [
        ['alpha', 'Parameter --alpha', vscode.SymbolKind.Property, lineOf(document, 'alpha = Parameter')],
        ['start', 'start step', vscode.SymbolKind.Method, lineOf(document, 'def start')],
        ['train', 'linear step', vscode.SymbolKind.Method, lineOf(document, 'def train')],
        ['end', 'end step', vscode.SymbolKind.Method, lineOf(document, 'def end')],
      ],
    );
  });
});
