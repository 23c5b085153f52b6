import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAllEditors, fixture, lineOf, metaflowDiagnostics, open, waitFor } from './helpers';

function summary(diagnostics: vscode.Diagnostic[]): Array<[string, number, string]> {
  return diagnostics
    .map((d): [string, number, string] => [String(d.code), d.range.start.line, d.message])
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
}

async function scratchFlow(name: string, text: string): Promise<vscode.Uri> {
  const uri = fixture(name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

suite('diagnostics', () => {
  suiteSetup(api);
  teardown(closeAllEditors);

  test('lint errors of a broken flow appear in the Problems panel with check names and ranges', async () => {
    const { document } = await open('broken_flow.py');
    const diagnostics = await waitFor('Metaflow diagnostics', () => {
      const d = metaflowDiagnostics(document.uri);
      return d.length >= 3 && d;
    });
    assert.deepEqual(
      summary(diagnostics).map(([code, line]) => [code, line]),
      [
        ['check_unknown_transitions', lineOf(document, 'self.next(self.missing)')],
        ['check_for_orphans', lineOf(document, 'def lonely')],
        ['check_for_orphans', lineOf(document, 'def end')],
      ],
    );
    const unknown = diagnostics.find((d) => d.code === 'check_unknown_transitions')!;
    assert.equal(document.getText(unknown.range), 'self.missing');
    assert.equal(unknown.severity, vscode.DiagnosticSeverity.Error);
    assert.match(unknown.message, /unknown step 'missing'/);
    const lonely = diagnostics.find((d) => d.message.includes("'lonely'"))!;
    assert.equal(document.getText(lonely.range), 'lonely');
  });

  test('a valid flow has no Metaflow diagnostics', async () => {
    const { document } = await open('linear_flow.py');
    const exports = await api();
    await waitFor('the analysis', async () => (await exports.documents.whenAnalysed(document))?.analysis.flows.length === 1);
    assert.deepEqual(metaflowDiagnostics(document.uri), []);
  });

  test('an error a subclass inherits from its base flow is listed once', async () => {
    const uri = await scratchFlow(
      'inherited_error_flow.py',
      'from metaflow import FlowSpec, step\n\n\nclass BaseFlow(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.missing)\n\n    @step\n    def end(self):\n        pass\n\n\nclass ChildFlow(BaseFlow):\n    pass\n',
    );
    try {
      await vscode.window.showTextDocument(uri);
      const unknown = await waitFor('the unknown-transition diagnostic', () => {
        const found = metaflowDiagnostics(uri).filter((d) => d.code === 'check_unknown_transitions');
        return found.length > 0 && found;
      });
      const exports = await api();
      const document = await vscode.workspace.openTextDocument(uri);
      const analysed = await exports.documents.whenAnalysed(document);
      assert.equal(analysed?.analysis.flows.length, 2);
      assert.equal(unknown.length, 1);
    } finally {
      await closeAllEditors();
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('a syntax error in a flow file is reported', async () => {
    const uri = await scratchFlow(
      'syntax_error_flow.py',
      'from metaflow import FlowSpec, step\n\n\nclass SyntaxFlow(FlowSpec):\n    @step\n    def start(self):\n        self.rows = )\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n',
    );
    try {
      await vscode.window.showTextDocument(uri);
      const syntax = await waitFor('a syntax diagnostic', () => metaflowDiagnostics(uri).find((d) => d.code === 'syntax-error'));
      assert.deepEqual([syntax.range.start.line, syntax.range.start.character], [6, 20]);
      assert.match(syntax.message, /\)/);
      assert.equal(syntax.severity, vscode.DiagnosticSeverity.Error);
    } finally {
      await closeAllEditors();
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('diagnostics follow edits after the debounce, and clear when the flow is fixed', async () => {
    const uri = await scratchFlow('edited_flow.py', (await vscode.workspace.fs.readFile(fixture('linear_flow.py'))).toString());
    try {
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
      const exports = await api();
      await waitFor('the first analysis', async () => (await exports.documents.whenAnalysed(document))?.analysis.flows.length === 1);
      assert.deepEqual(metaflowDiagnostics(uri), []);

      // Re-point start at a step that does not exist: an incremental edit of one identifier.
      const line = lineOf(document, 'self.next(self.train)');
      const column = document.lineAt(line).text.indexOf('train)');
      const broken = new vscode.WorkspaceEdit();
      broken.replace(uri, new vscode.Range(line, column, line, column + 'train'.length), 'trian');
      assert.ok(await vscode.workspace.applyEdit(broken));
      const afterBreak = await waitFor('the unknown-transition diagnostic', () => {
        const d = metaflowDiagnostics(uri);
        return d.some((x) => x.code === 'check_unknown_transitions') && d;
      });
      assert.deepEqual(summary(afterBreak).map(([code, l]) => [code, l]), [
        ['check_unknown_transitions', line],
        ['check_for_orphans', lineOf(document, 'def train')],
        ['check_for_orphans', lineOf(document, 'def end')],
      ]);
      const analysed = exports.documents.get(document);
      assert.equal(analysed?.version, document.version);
      assert.deepEqual(analysed?.analysis.flows[0].steps.find((s) => s.name === 'start')?.next, ['trian']);

      // Insert a new step between start and train, then fix the target: every diagnostic goes away.
      const fixed = new vscode.WorkspaceEdit();
      fixed.replace(uri, new vscode.Range(line, column, line, column + 'trian'.length), 'prepare');
      const trainDecorator = lineOf(document, '@retry(times=2)');
      fixed.insert(uri, new vscode.Position(trainDecorator, 0), '    @step\n    def prepare(self):\n        self.next(self.train)\n\n');
      assert.ok(await vscode.workspace.applyEdit(fixed));
      await waitFor('the diagnostics to clear', () => metaflowDiagnostics(uri).length === 0);
      const steps = exports.documents.get(document)?.analysis.flows[0].steps.map((s) => [s.name, s.type]);
      assert.deepEqual(steps, [
        ['start', 'start'],
        ['prepare', 'linear'],
        ['train', 'linear'],
        ['end', 'end'],
      ]);
      await document.save();
    } finally {
      await closeAllEditors();
      await vscode.workspace.fs.delete(uri);
    }
  });

});
