import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Log } from '../../src/vscode/log';
import { DEBOUNCE_SETTING, Settings } from '../../src/vscode/settings';
import { toTextEdits } from '../../src/vscode/textEdits';
import { closeAllEditors, waitFor } from './helpers';

class RecordingLog implements Log {
  readonly lines: string[] = [];
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
}

suite('settings and edits', () => {
  teardown(async () => {
    await vscode.workspace.getConfiguration('metaflow').update('analysis.debounceMs', undefined, vscode.ConfigurationTarget.Workspace);
    await closeAllEditors();
  });

  test('a malformed debounce setting is reported once, naming the setting, and the default is used', async () => {
    const log = new RecordingLog();
    const settings = new Settings(log);
    try {
      await vscode.workspace.getConfiguration('metaflow').update('analysis.debounceMs', 'fast', vscode.ConfigurationTarget.Workspace);
      await waitFor('the setting to apply', () => vscode.workspace.getConfiguration('metaflow').get('analysis.debounceMs') === 'fast');
      assert.equal(settings.number(DEBOUNCE_SETTING), 150);
      assert.equal(settings.number(DEBOUNCE_SETTING), 150);
      const warnings = log.lines.filter((l) => l.startsWith('warn'));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /"metaflow\.analysis\.debounceMs" has the invalid value "fast"/);
      assert.match(warnings[0], /from 0 to 5000/);

      await vscode.workspace.getConfiguration('metaflow').update('analysis.debounceMs', -5, vscode.ConfigurationTarget.Workspace);
      await waitFor('the setting to apply', () => vscode.workspace.getConfiguration('metaflow').get('analysis.debounceMs') === -5);
      assert.equal(settings.number(DEBOUNCE_SETTING), 150);
      assert.match(log.lines.at(-1) ?? '', /invalid value -5/);

      await vscode.workspace.getConfiguration('metaflow').update('analysis.debounceMs', 40, vscode.ConfigurationTarget.Workspace);
      await waitFor('the setting to apply', () => vscode.workspace.getConfiguration('metaflow').get('analysis.debounceMs') === 40);
      assert.equal(settings.number(DEBOUNCE_SETTING), 40);
    } finally {
      settings.dispose();
    }
  });

  test('content changes become edits whose offsets and positions describe the change exactly', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'python', content: 'a = 1\nb = "é"\nc = 3\n' });
    await vscode.window.showTextDocument(document);
    const before = document.getText();
    const changes = new Promise<readonly vscode.TextDocumentContentChangeEvent[]>((resolve) => {
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === document && e.contentChanges.length > 0) {
          sub.dispose();
          resolve(e.contentChanges);
        }
      });
    });
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(1, 4, 2, 1), 'x\ny\nzz');
    edit.insert(document.uri, new vscode.Position(0, 0), '# hi\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const edits = toTextEdits(await changes);
    assert.ok(edits.length >= 2);
    // Replaying the edits on the old text gives the new text, and each new end position matches its offset.
    let text = before;
    for (const [i, e] of edits.entries()) {
      const change = (await changes)[i];
      text = text.slice(0, e.startIndex) + change.text + text.slice(e.oldEndIndex);
      const lines = text.slice(0, e.newEndIndex).split('\n');
      assert.deepEqual(e.newEndPosition, { line: lines.length - 1, character: lines[lines.length - 1].length });
    }
    assert.equal(text, document.getText());
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
