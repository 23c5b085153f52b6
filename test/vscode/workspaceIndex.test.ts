import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, fixture, waitFor } from './helpers';

const FLOW = (name: string) => `from metaflow import FlowSpec, step\n\n\nclass ${name}(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n`;

async function write(relative: string, text: string): Promise<vscode.Uri> {
  const uri = fixture(relative);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

async function names(): Promise<string[]> {
  const exports = await api();
  return (await exports.index.flows()).map((f) => `${vscode.workspace.asRelativePath(f.uri)}:${f.name}`);
}

suite('workspace index', () => {
  const created: vscode.Uri[] = [];
  suiteTeardown(async () => {
    for (const uri of created) await vscode.workspace.fs.delete(uri, { recursive: true }).then(undefined, () => undefined);
  });

  test('lists the flows of the workspace, skipping virtual environments, packages and the datastore', async () => {
    for (const dir of ['.venv/lib/python3.11/site-packages/pkg', 'node_modules/pkg', '.metaflow/Old']) {
      created.push(fixture(dir.split('/')[0]));
      await write(`${dir}/hidden_flow.py`, FLOW('HiddenFlow'));
    }
    const listed = await names();
    assert.ok(listed.includes('linear_flow.py:LinearFlow'), listed.join(', '));
    assert.ok(listed.includes('switch_flow.py:SwitchFlow'));
    assert.ok(listed.includes('broken_flow.py:BrokenFlow'));
    assert.ok(!listed.some((n) => n.includes('HiddenFlow')), `ignored folders were scanned: ${listed.join(', ')}`);
    assert.ok(!listed.some((n) => n.startsWith('helpers.py')));
    const broken = (await (await api()).index.flows()).find((f) => f.name === 'BrokenFlow');
    assert.deepEqual([broken?.line, broken?.stepCount, broken?.errorCount], [4, 3, 3]);
  });

  test('follows files created, changed and deleted on disk', async () => {
    await names(); // the first scan is done before the files appear
    const uri = await write('later/new_flow.py', FLOW('NewFlow'));
    created.push(fixture('later'));
    await waitFor('the new flow', async () => (await names()).includes('later/new_flow.py:NewFlow'));
    await write('later/new_flow.py', FLOW('RenamedFlow'));
    await waitFor('the renamed flow', async () => {
      const listed = await names();
      return listed.includes('later/new_flow.py:RenamedFlow') && !listed.includes('later/new_flow.py:NewFlow');
    });
    await vscode.workspace.fs.delete(uri);
    await waitFor('the flow to go', async () => !(await names()).some((n) => n.startsWith('later/')));
  });
});
