// The Artifact Explorer in the real extension host: a run made with "Run Flow" shows up in its data
// provider (flow -> run -> steps -> tasks -> artifacts) with its status, an artifact previews its value
// in a read-only document, task logs open searchable, and the copy actions put the right text on the
// clipboard.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrackedRun } from '../../src/runs/runRegistry';
import type { ExplorerNode } from '../../src/vscode/artifactExplorerNodes';
import { api, closeAllEditors, waitFor, workspaceRoot } from './helpers';

const FLOW_SOURCE = `from metaflow import FlowSpec, step


class ExplorerFlow(FlowSpec):
    @step
    def start(self):
        self.answer = 42
        self.words = ["alpha", "beta"]
        print("explorer says hi")
        self.next(self.each, foreach="words")

    @step
    def each(self):
        self.length = len(self.input)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.lengths = sorted(i.length for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ExplorerFlow()
`;

type Of<K extends ExplorerNode['kind']> = Extract<ExplorerNode, { kind: K }>;

suite('artifact explorer', function () {
  this.timeout(120_000);
  let flowFile: vscode.Uri;
  let runId: string;

  suiteSetup(async () => {
    const dir = path.join(workspaceRoot().fsPath, 'explorer');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'explorer_flow.py'), FLOW_SOURCE);
    flowFile = vscode.Uri.file(path.join(dir, 'explorer_flow.py'));
    await vscode.workspace.getConfiguration('metaflow').update('run.promptForParameters', false, vscode.ConfigurationTarget.Workspace);
    await api();
    const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', flowFile, 'ExplorerFlow');
    assert.ok(run, 'a run was started');
    const result = await run.handle.done;
    assert.equal(result.status, 'succeeded', result.error);
    runId = result.runId!;
  });
  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('metaflow').update('run.promptForParameters', undefined, vscode.ConfigurationTarget.Workspace);
  });
  teardown(closeAllEditors);

  async function flowNode(): Promise<Of<'flow'>> {
    const explorer = (await api()).artifactExplorer;
    return waitFor('ExplorerFlow in the explorer', async () => {
      const top = await explorer.getChildren();
      const flows = (await Promise.all(top.map((n) => (n.kind === 'root' ? explorer.getChildren(n) : [n])))).flat();
      return flows.find((n): n is Of<'flow'> => n.kind === 'flow' && n.flow === 'ExplorerFlow');
    });
  }

  async function children<K extends ExplorerNode['kind']>(node: ExplorerNode, kind: K): Promise<Array<Of<K>>> {
    const explorer = (await api()).artifactExplorer;
    return (await explorer.getChildren(node)).filter((n): n is Of<K> => n.kind === kind);
  }

  test('the data provider returns the run made in the workspace, with its steps, tasks and artifacts', async () => {
    const explorer = (await api()).artifactExplorer;
    const flow = await flowNode();
    assert.equal(flow.root, path.join(workspaceRoot().fsPath, 'explorer', '.metaflow'));
    const run = await waitFor('the run, succeeded', async () => (await children(flow, 'run')).find((r) => r.run.runId === runId && r.run.status === 'succeeded'));
    assert.equal(run.run.pathspec, `ExplorerFlow/${runId}`);
    const item = explorer.getTreeItem(run);
    assert.equal(item.contextValue, 'metaflow.run');
    assert.match(String(item.description), /^succeeded · /);
    const steps = await children(run, 'step');
    assert.deepEqual(steps.map((s) => s.step.name), ['start', 'each', 'join', 'end']);
    const each = await children(steps[1], 'task');
    assert.deepEqual(each.map((t) => [t.task.foreachIndex, t.task.foreachValue, t.task.status]).sort(), [
      [0, 'alpha', 'succeeded'],
      [1, 'beta', 'succeeded'],
    ].sort());
    const [start] = await children(steps[0], 'task');
    const artifacts = await children(start, 'artifact');
    const answer = artifacts.find((a) => a.artifact.name === 'answer');
    assert.ok(answer, `artifacts: ${artifacts.map((a) => a.artifact.name).join(', ')}`);
    assert.equal(answer.artifact.type, "<class 'int'>");
    assert.equal(explorer.getTreeItem(answer).command?.command, 'metaflow.artifactExplorer.preview');
  });

  test('an artifact opens as a read-only preview of its value', async () => {
    const flow = await flowNode();
    const run = (await children(flow, 'run')).find((r) => r.run.runId === runId)!;
    const [start] = await children((await children(run, 'step'))[0], 'task');
    const words = (await children(start, 'artifact')).find((a) => a.artifact.name === 'words')!;
    await vscode.commands.executeCommand('metaflow.artifactExplorer.preview', words);
    const editor = await waitFor('the preview editor', () => vscode.window.activeTextEditor?.document.uri.scheme === 'metaflow-artifact' && vscode.window.activeTextEditor);
    assert.deepEqual(JSON.parse(editor.document.getText()), ['alpha', 'beta']);
    assert.equal(editor.document.uri.path, `/${words.artifact.pathspec}.json`);
  });

  test('task logs open as a document with stdout marked, and copy actions give pathspec and Client API snippet', async () => {
    const flow = await flowNode();
    const run = (await children(flow, 'run')).find((r) => r.run.runId === runId)!;
    const [start] = await children((await children(run, 'step'))[0], 'task');
    await vscode.commands.executeCommand('metaflow.showTaskLogs', { root: flow.root, pathspec: start.task.pathspec });
    const editor = await waitFor('the logs editor', () => vscode.window.activeTextEditor?.document.uri.scheme === 'metaflow-logs' && vscode.window.activeTextEditor);
    assert.match(editor.document.getText(), /out \| explorer says hi/);
    await vscode.commands.executeCommand('metaflow.artifactExplorer.copyPathspec', start);
    assert.equal(await vscode.env.clipboard.readText(), start.task.pathspec);
    const answer = (await children(start, 'artifact')).find((a) => a.artifact.name === 'answer')!;
    await vscode.commands.executeCommand('metaflow.artifactExplorer.copyClientSnippet', answer);
    assert.equal(await vscode.env.clipboard.readText(), `Task('${start.task.pathspec}').data.answer`);
  });

  test('a second run refreshes the tree while it goes, and two runs compare side by side', async () => {
    const explorer = (await api()).artifactExplorer;
    let changes = 0;
    const listening = explorer.onDidChangeTreeData(() => changes++);
    // The explorer listens to the registry first, so by any later listener's turn its refresh has fired.
    const duringRun: number[] = [];
    const watching = (await api()).runs.onDidChange((r) => {
      if (r.state.flow === 'ExplorerFlow' && r.state.status === 'running') duringRun.push(changes);
    });
    try {
      const run = await vscode.commands.executeCommand<TrackedRun | undefined>('metaflow.runFlow', flowFile, 'ExplorerFlow');
      assert.ok(run, 'a second run was started');
      const result = await run.handle.done;
      assert.equal(result.status, 'succeeded', result.error);
      assert.ok(duringRun.length > 0 && Math.max(...duringRun) > 0, `tree refreshes seen while the run went: ${duringRun.join(', ')}`);
      const flow = await flowNode();
      const runs = await waitFor('both runs listed', async () => {
        const found = (await children(flow, 'run')).filter((r) => r.run.runId === runId || r.run.runId === result.runId);
        return found.length === 2 && found;
      });
      assert.equal(runs[0].run.runId, result.runId, 'newest first');
      await vscode.commands.executeCommand('metaflow.artifactExplorer.compareRuns', runs[0], runs);
      const editor = await waitFor('the comparison', () => vscode.window.activeTextEditor?.document.uri.scheme === 'metaflow-compare' && vscode.window.activeTextEditor);
      const text = editor.document.getText();
      assert.match(text, new RegExp(`# ExplorerFlow: ${[runId, result.runId].sort().join(' vs ')}`));
      assert.match(text, /Every artifact has the same value in both runs\./);
      assert.match(text, /\| each \| .+ \| .+ \| 2 \| 2 \|/);
    } finally {
      listening.dispose();
      watching.dispose();
    }
  });
});
