import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AirflowDeployOutcome } from '../../src/deploy/airflow/airflowDeployment';
import { api, closeAllEditors, fixture, lineOf, open, waitFor } from './helpers';

const AIRFLOW_SOURCE = 'Metaflow (Airflow)';

function deployDiagnostics(uri: vscode.Uri, source: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === source);
}

async function setTargets(targets: string[] | undefined): Promise<void> {
  await vscode.workspace.getConfiguration().update('metaflow.deploy.targets', targets, vscode.ConfigurationTarget.Workspace);
}

suite('deploy', () => {
  suiteSetup(api);
  teardown(async () => {
    await setTargets(undefined);
    await closeAllEditors();
  });

  test('with metaflow.deploy.targets ["airflow"], a switch shows the Airflow refusal as a warning on the step', async () => {
    await setTargets(['airflow']);
    const { document } = await open('switch_flow.py');
    const [warning] = await waitFor('the Airflow diagnostic', () => {
      const found = deployDiagnostics(document.uri, AIRFLOW_SOURCE);
      return found.length > 0 && found;
    });
    assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(warning.range.start.line, lineOf(document, 'def start'));
    assert.equal(document.getText(warning.range), 'start');
    assert.match(warning.message, /Step \*start\* is a switch.*Airflow/);

    await setTargets([]);
    await waitFor('the Airflow diagnostic to go', () => deployDiagnostics(document.uri, AIRFLOW_SOURCE).length === 0);
  });

  test('without deploy targets a switch flow has no deploy diagnostics', async () => {
    const { document } = await open('switch_flow.py');
    const exports = await api();
    await waitFor('the analysis', async () => (await exports.documents.whenAnalysed(document))?.analysis.flows.length === 1);
    assert.deepEqual(deployDiagnostics(document.uri, AIRFLOW_SOURCE), []);
  });

  test('Create Airflow DAG refuses a flow on the local datastore, naming the setting, and writes nothing', async () => {
    const flow = fixture('linear_flow.py');
    const target = fixture('linear_flow_dag.py');
    const outcome = (await vscode.commands.executeCommand('metaflow.createAirflowDag', flow, target)) as AirflowDeployOutcome | undefined;
    assert.ok(outcome && !outcome.ok, JSON.stringify(outcome));
    assert.match(outcome.problems.map((p) => p.message).join('\n'), /'local' datastore.*METAFLOW_DEFAULT_DATASTORE=azure/);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(target)));
  });
});
