// Running flows from the editor, in the real extension host: lenses, Run Flow, Run Step (spin), Cancel Run,
// failure diagnostics and refusals. The run form is switched off by its setting so runs use defaults.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrackedRun } from '../../src/runs/runRegistry';
import type { RunEvent } from '../../src/runtime/events';
import { api, closeAllEditors, fixture, lineOf, open, waitFor } from './helpers';

const GREET = 'runs/greet_flow.py';
const FAILING = 'runs/failing_flow.py';
const SLOW = 'runs/slow_flow.py';
const RUN_SOURCE = 'Metaflow run';

async function metaflowLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return lenses.filter((l) => l.command?.command.startsWith('metaflow.'));
}

function runDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === RUN_SOURCE);
}

suite('runs', function () {
  this.timeout(120_000);
  let output = '';
  let subscription: { dispose(): void } | undefined;

  suiteSetup(async () => {
    const exports = await api();
    subscription = exports.runOutput.onDidAppend((appended) => {
      output += appended.text;
    });
    await vscode.workspace.getConfiguration('metaflow').update('run.promptForParameters', false, vscode.ConfigurationTarget.Workspace);
  });
  suiteTeardown(async () => {
    subscription?.dispose();
    for (const run of (await api()).runs.active()) run.handle.cancel();
    await vscode.workspace.getConfiguration('metaflow').update('run.promptForParameters', undefined, vscode.ConfigurationTarget.Workspace);
  });
  teardown(closeAllEditors);

  /** Output appended from now on, read when `read()` is called. */
  function outputFromNow(): () => string {
    const start = output.length;
    return () => output.slice(start);
  }

  test('puts "Run flow" and "Show DAG" on the flow class, "Run step" and "Resume from here" on every step', async () => {
    const { document } = await open(GREET);
    const lenses = await waitFor('the run lenses', async () => {
      const found = await metaflowLenses(document.uri);
      return found.length >= 10 && found;
    });
    const shown = lenses
      .map((l) => [l.range.start.line, l.command?.title, l.command?.command, ...(l.command?.arguments ?? []).map((a: unknown) => (a instanceof vscode.Uri ? a.toString() : a))])
      .sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])));
    const uri = document.uri.toString();
    const classLine = lineOf(document, 'class GreetFlow');
    const expected: unknown[][] = [
      [classLine, 'Run flow', 'metaflow.runFlow', uri, 'GreetFlow'],
      [classLine, 'Show DAG', 'metaflow.showDag', uri, 'GreetFlow'],
    ];
    for (const step of ['start', 'square', 'join', 'end']) {
      // A step's lenses sit above its decorators, on the first line of the decorated definition.
      const line = lineOf(document, `def ${step}(`) - 1;
      expected.push([line, 'Resume from here', 'metaflow.resumeFromStep', uri, 'GreetFlow', step], [line, 'Run step', 'metaflow.runStep', uri, 'GreetFlow', step]);
    }
    assert.deepEqual(shown, expected);
  });

  test('Run Flow runs the flow to completion; the registry says succeeded and Output has every step\'s lines', async () => {
    const exports = await api();
    const read = outputFromNow();
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', fixture(GREET), 'GreetFlow');
    assert.ok(run, 'a run was started');
    const result = await run.handle.done;
    assert.equal(result.status, 'succeeded', result.error);
    const tracked = exports.runs.get(run.state.pathspec);
    assert.equal(tracked?.state.status, 'succeeded');
    assert.equal(tracked?.state.tasksFinished, 6);
    const text = await waitFor('the run end line in Output', () => read().includes(`=== ${run.state.pathspec} succeeded`) && read());
    const lines = text.split('\n');
    assert.ok(lines.includes(`=== Running ${run.state.pathspec}`), text);
    assert.ok(lines.some((l) => /^\[start\/\d+\] hello world from start$/.test(l)), text);
    for (const [idx, square] of [[0, 1], [1, 4], [2, 9]]) {
      assert.ok(lines.some((l) => new RegExp(`^\\[square/\\d+ idx=${idx}\\] square of ${idx + 1} is ${square}$`).test(l)), `foreach line idx=${idx} missing:\n${text}`);
    }
    assert.ok(lines.some((l) => /^\[join\/\d+\] total 14$/.test(l)), text);
    assert.ok(lines.some((l) => /^\[end\/\d+\] done with 14$/.test(l)), text);
  });

  test('Run Step runs only that step, on the inputs of the latest run that reached it', async () => {
    const first = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', fixture(GREET), 'GreetFlow');
    assert.equal((await first!.handle.done).status, 'succeeded');
    const read = outputFromNow();
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runStep', fixture(GREET), 'GreetFlow', 'join');
    assert.ok(run, 'a spin was started');
    const result = await run.handle.done;
    assert.equal(result.status, 'succeeded', result.error);
    assert.equal(run.state.kind, 'spin');
    assert.equal(run.state.originRunId, first!.state.runId);
    assert.deepEqual([...new Set([...run.state.tasks.values()].map((t) => t.step))], ['join']);
    const text = await waitFor('the spin end line', () => read().includes(`=== ${run.state.pathspec} succeeded`) && read());
    assert.ok(text.split('\n').some((l) => /^\[join\/\d+\] total 14$/.test(l)), text);
    assert.ok(!/\[(start|square|end)\//.test(text), `other steps ran:\n${text}`);
  });

  test('Cancel Run ends a long-running run and its task process; the status bar shows the run meanwhile', async () => {
    const exports = await api();
    const read = outputFromNow();
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', fixture(SLOW), 'SlowFlow');
    assert.ok(run, 'a run was started');
    const pids: number[] = [];
    run.handle.events.on((e: RunEvent) => {
      if (e.event === 'task_started' && e.step === 'wait' && e.pid) pids.push(e.pid);
    });
    await waitFor('the wait step to print', () => /^\[wait\/\d+\] waiting$/m.test(read()));
    assert.equal(pids.length, 1, 'the wait task reported its process id');
    assert.match(await waitFor('the status bar item', () => exports.runStatusBar.text.includes('SlowFlow') && exports.runStatusBar.text), /SlowFlow \d+\/\d+/);
    const cancelled = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.cancelRun', run.state.pathspec);
    assert.equal(cancelled, run);
    const result = await run.handle.done;
    assert.equal(result.status, 'cancelled');
    assert.equal(exports.runs.get(run.state.pathspec)?.state.status, 'cancelled');
    await waitFor(`task process ${pids[0]} to end`, () => {
      try {
        process.kill(pids[0], 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
    await waitFor('the status bar item to go', () => exports.runStatusBar.text === '');
    await waitFor('the cancel line', () => read().includes(`=== ${run.state.pathspec} was cancelled`));
  });

  test('a failing flow shows its traceback in Output and a diagnostic on the failing line, cleared by the next successful run', async () => {
    const { document } = await open(FAILING);
    const read = outputFromNow();
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', document.uri, 'FailingFlow');
    assert.equal((await run!.handle.done).status, 'failed');
    const diagnostics = await waitFor('the run diagnostic', () => {
      const d = runDiagnostics(document.uri);
      return d.length > 0 && d;
    });
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].range.start.line, lineOf(document, 'return a / b'));
    assert.match(diagnostics[0].message, /^ZeroDivisionError: division by zero \(step start, task FailingFlow\/\d+\/start\/\d+\)$/);
    assert.equal(diagnostics[0].severity, vscode.DiagnosticSeverity.Error);
    const text = await waitFor('the failure line', () => read().includes(`=== ${run!.state.pathspec} failed`) && read());
    assert.ok(/^\[start\/\d+ stderr\] Traceback \(most recent call last\):$/m.test(text), text);
    assert.ok(/^\[start\/\d+ stderr\] ZeroDivisionError: division by zero$/m.test(text), text);

    // Fixed in the editor and not saved: the run saves it first, and its success clears the entry.
    const edit = new vscode.WorkspaceEdit();
    const line = lineOf(document, 'ratio(1, 0)');
    const at = document.lineAt(line).text.indexOf('ratio(1, 0)');
    edit.replace(document.uri, new vscode.Range(line, at, line, at + 'ratio(1, 0)'.length), 'ratio(1, 2)');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(document.isDirty);
    const fixed = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', document.uri, 'FailingFlow');
    assert.equal((await fixed!.handle.done).status, 'succeeded');
    assert.equal(document.isDirty, false);
    await waitFor('the run diagnostic to be cleared', () => runDiagnostics(document.uri).length === 0);
  });

  test('a flow with lint errors is refused: nothing runs and Output names the file and line', async () => {
    const exports = await api();
    const { document } = await open('broken_flow.py');
    const read = outputFromNow();
    const before = exports.runs.recent().length;
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', document.uri, 'BrokenFlow');
    assert.equal(run, undefined);
    const text = await waitFor('the refusal in Output', () => read().includes('BrokenFlow was not started') && read());
    assert.ok(text.includes(`broken_flow.py:${lineOf(document, 'self.next(self.missing)') + 1}: check_unknown_transitions`), text);
    assert.equal(exports.runs.recent().length, before);
    assert.equal(exports.runs.active().length, 0);
  });

  test('with the run form on, accepting its prefilled inputs runs with the defaults; Escape runs nothing', async () => {
    const exports = await api();
    const config = vscode.workspace.getConfiguration('metaflow');
    await config.update('run.promptForParameters', true, vscode.ConfigurationTarget.Workspace);
    try {
      const before = exports.runs.recent().length;
      let escapedSettled = false;
      const escaped = vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', fixture(GREET), 'GreetFlow');
      void escaped.then(() => (escapedSettled = true));
      // Escape on the first input, whenever it shows.
      await waitFor('the form to be escaped', async () => {
        if (escapedSettled) return true;
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        return false;
      }, 20_000);
      assert.equal(await escaped, undefined);
      assert.equal(exports.runs.recent().length, before);

      let settled = false;
      const accepted = vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', fixture(GREET), 'GreetFlow');
      void accepted.then(() => (settled = true));
      // Three inputs (who, tags, max workers), each accepted as prefilled.
      await waitFor('the form to be accepted', async () => {
        if (settled) return true;
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        return false;
      }, 20_000);
      const run = await accepted;
      assert.ok(run, 'the form started a run');
      assert.equal((await run.handle.done).status, 'succeeded');
      assert.deepEqual(run.state.parameters, {});
    } finally {
      await config.update('run.promptForParameters', false, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('the interpreter comes from metaflow.pythonPath and is checked: missing or older than 3.8 starts nothing', async () => {
    const exports = await api();
    const config = vscode.workspace.getConfiguration('metaflow');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metaflow-studio-old-python-'));
    // An executable that answers the version question as a Python 3.6 would.
    const oldPython = path.join(dir, 'python3.6');
    fs.writeFileSync(oldPython, '#!/bin/sh\necho 3.6.9\n', { mode: 0o755 });
    const missing = path.join(dir, 'no-such-python');
    try {
      assert.deepEqual(await exports.interpreter.check(missing), { ok: false, problem: 'it was not found' });
      assert.deepEqual(await exports.interpreter.check(oldPython), { ok: false, problem: 'it is Python 3.6.9; flows need Python 3.8 or newer' });
      const before = exports.runs.recent().length;
      for (const python of [missing, oldPython]) {
        await config.update('pythonPath', python, vscode.ConfigurationTarget.Workspace);
        assert.deepEqual(await exports.interpreter.select(fixture(GREET)), { python, source: 'setting metaflow.pythonPath' });
        const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', fixture(GREET), 'GreetFlow');
        assert.equal(run, undefined, `a run started with ${python}`);
      }
      assert.equal(exports.runs.recent().length, before);
      assert.equal(exports.runs.active().length, 0);
    } finally {
      await config.update('pythonPath', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal((await exports.interpreter.select(fixture(GREET))).source, 'the default');
  });

  test('with metaflow.engine "installed" and no Metaflow in the interpreter, nothing of the embedded runtime runs', async () => {
    const exports = await api();
    const config = vscode.workspace.getConfiguration('metaflow');
    const before = exports.runs.recent().length;
    await config.update('engine', 'installed', vscode.ConfigurationTarget.Workspace);
    try {
      const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', fixture(GREET), 'GreetFlow');
      assert.equal(run, undefined);
      assert.equal(exports.runs.recent().length, before);
      assert.equal(vscode.tasks.taskExecutions.length, 0, 'a terminal task was started without an installed Metaflow');
    } finally {
      await config.update('engine', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
