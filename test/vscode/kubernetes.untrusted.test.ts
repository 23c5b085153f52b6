// In an untrusted workspace "Run Flow on Kubernetes (AKS)" starts nothing (its kubeconfig could run
// credential plugins, and the flow's code would run in pods), and "Show Pod" reads no cluster.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, fixture } from './helpers';

suite('Kubernetes in an untrusted workspace', () => {
  suiteSetup(api);

  test('Run Flow on Kubernetes and Show Pod do nothing', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const exports = await api();
    const uri = fixture('runs/greet_flow.py');
    assert.equal(await vscode.commands.executeCommand('metaflow.runFlowOnKubernetes', uri, 'GreetFlow'), undefined);
    assert.equal(
      await vscode.commands.executeCommand('metaflow.showPod', { pathspec: 'GreetFlow/1/start/1', executor: { kind: 'kubernetes', context: 'c', namespace: 'default', job: 'j', pod: 'p' } }),
      undefined,
    );
    assert.deepEqual([exports.runs.active().length, exports.runs.recent().length], [0, 0]);
    assert.equal(fs.existsSync(path.join(path.dirname(uri.fsPath), '.metaflow')), false, 'a datastore was written');
  });
});
