// In a workspace that is not trusted: flows are still analysed and drawn, the run lenses say why they
// cannot run, and the run commands start nothing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrackedRun } from '../../src/runs/runRegistry';
import { api, closeAllEditors, fixture, lineOf, open, waitFor } from './helpers';

const GREET = 'runs/greet_flow.py';

suite('runs in an untrusted workspace', () => {
  suiteSetup(api);
  teardown(closeAllEditors);

  test('the workspace is not trusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('the run lenses say that the folder must be trusted and open the trust editor; Show DAG stays', async () => {
    const { document } = await open(GREET);
    const lenses = await waitFor('the lenses', async () => {
      const found = ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri, 100)) ?? []).filter((l) =>
        /^(metaflow\.|workbench\.trust)/.test(l.command?.command ?? ''),
      );
      return found.length >= 6 && found;
    });
    const onClass = lenses.filter((l) => l.range.start.line === lineOf(document, 'class GreetFlow')).map((l) => [l.command?.title, l.command?.command]);
    assert.deepEqual(onClass.sort(), [
      ['Run flow (trust this folder to run)', 'workbench.trust.manage'],
      ['Show DAG', 'metaflow.showDag'],
    ]);
    const onStart = lenses.filter((l) => l.range.start.line === lineOf(document, 'def start(') - 1).map((l) => [l.command?.title, l.command?.command]);
    assert.deepEqual(onStart, [['Run step (trust this folder to run)', 'workbench.trust.manage']]);
    assert.ok(!lenses.some((l) => ['metaflow.runFlow', 'metaflow.runStep', 'metaflow.resumeFromStep'].includes(l.command?.command ?? '')));
  });

  test('Run Flow, Run Step and Resume From Step start nothing', async () => {
    const exports = await api();
    const uri = fixture(GREET);
    for (const [command, ...args] of [
      ['metaflow.runFlow', uri, 'GreetFlow'],
      ['metaflow.runStep', uri, 'GreetFlow', 'join'],
      ['metaflow.resumeFromStep', uri, 'GreetFlow', 'join'],
    ] as const) {
      const run = await vscode.commands.executeCommand<TrackedRun | undefined>(command, ...args);
      assert.equal(run, undefined, `${command} started a run`);
    }
    assert.deepEqual([exports.runs.active().length, exports.runs.recent().length], [0, 0]);
    assert.equal(fs.existsSync(path.join(path.dirname(uri.fsPath), '.metaflow')), false, 'a datastore was written');
  });
});
