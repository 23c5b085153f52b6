// "Metaflow: Create Airflow DAG": the deploy options (remembered per flow), where to save (default
// `<flow>_dag.py` beside the flow), then uploads the code package to the Azure datastore and writes the DAG,
// or shows every reason the flow cannot be one.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type AirflowDeployOutcome, createAirflowDag } from '../deploy/airflow/airflowDeployment';
import { formatDeployProblem } from '../deploy/deployProblem';
import type { FlowInfo } from '../flow/types';
import type { DeployCommandDeps } from './deployCommandDeps';
import { pickDeployFlow } from './deployFlowPick';
import { checkGivenOptions, type DeployOptionValues, summarizeOptions, toAirflowOptions } from './deployOptionsModel';
import { DeployOptionsPicker } from './deployOptionsPick';

export const CREATE_AIRFLOW_DAG_COMMAND = 'metaflow.createAirflowDag';

export interface AirflowCommandOptions extends DeployCommandDeps {
  /** Where each flow's deploy options are remembered (the workspace state). */
  state: vscode.Memento;
}

export class AirflowCommand {
  private readonly picker: DeployOptionsPicker;

  constructor(private readonly options: AirflowCommandOptions) {
    this.picker = new DeployOptionsPicker(options.state);
  }

  register(): vscode.Disposable[] {
    return [vscode.commands.registerCommand(CREATE_AIRFLOW_DAG_COMMAND, (uri?: unknown, target?: unknown, options?: unknown) => this.run(uri, target, options))];
  }

  /** Options given by the caller; else, when the caller named the DAG file, the remembered ones; else "Deploy options…". */
  private async deployOptions(flowUri: vscode.Uri, flow: FlowInfo, target: unknown, given: unknown): Promise<DeployOptionValues | undefined> {
    if (given !== undefined) {
      const checked = checkGivenOptions('airflow', given);
      if ('problem' in checked) {
        void vscode.window.showErrorMessage(`Create Airflow DAG: ${checked.problem}`);
        return undefined;
      }
      await this.picker.remember('airflow', flowUri, flow, checked.values);
      return checked.values;
    }
    if (target instanceof vscode.Uri) return this.picker.remembered('airflow', flowUri, flow);
    return this.picker.pick('airflow', flowUri, flow, `Create the Airflow DAG of ${flow.name}`, 'Create Airflow DAG');
  }

  /** `uri`: the flow file (the active editor's by default); `target`: where to write, skipping the save dialog; `given`: the deploy options. */
  async run(uri?: unknown, target?: unknown, given?: unknown): Promise<AirflowDeployOutcome | undefined> {
    if (!this.options.isTrusted()) {
      void vscode.window.showErrorMessage('Creating an Airflow DAG uploads the flow\'s folder to the datastore; trust this workspace first.');
      return undefined;
    }
    const flowUri = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!flowUri) {
      void vscode.window.showErrorMessage('Open a flow file to create its Airflow DAG.');
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(flowUri);
    if (document.isDirty) await document.save();
    const flow = await pickDeployFlow(this.options.documents, document, 'Which flow becomes the Airflow DAG?').catch((err: unknown) => {
      void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
      return undefined;
    });
    if (!flow) return undefined;
    const values = await this.deployOptions(flowUri, flow, target, given);
    if (!values) return undefined;
    const stem = path.basename(flowUri.fsPath, path.extname(flowUri.fsPath));
    const dagUri =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(path.dirname(flowUri.fsPath), `${stem}_dag.py`)), filters: { Python: ['py'] }, saveLabel: 'Create Airflow DAG' });
    if (!dagUri) return undefined;
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating the Airflow DAG of ${flow.name}` }, () =>
      createAirflowDag({
        flowFile: flowUri.fsPath,
        flow,
        dagFile: dagUri.fsPath,
        options: toAirflowOptions(values),
        env: this.options.env,
        homeDir: os.homedir(),
        settings: this.options.settings(),
        azureStorage: this.options.azureStorage,
        embeddedPythonDir: this.options.embeddedPythonDir,
      }).catch((err: unknown): AirflowDeployOutcome => ({ ok: false, problems: [{ target: 'airflow', message: err instanceof Error ? err.message : String(err) }] })),
    );
    if (outcome.ok) {
      this.options.log(`Airflow DAG ${outcome.dagId} written to ${outcome.dagFile} with ${summarizeOptions('airflow', values)}; its runs are in ${outcome.namespace}.`);
      for (const note of outcome.notes) this.options.log(note);
      // The command returns without waiting for the notification to be answered or dismissed.
      const dagFile = vscode.Uri.file(outcome.dagFile);
      void vscode.window.showInformationMessage(`Airflow DAG ${outcome.dagId} written to ${path.basename(outcome.dagFile)}. Its runs are in the namespace ${outcome.namespace}.`, 'Open').then((open) => (open === 'Open' ? vscode.window.showTextDocument(dagFile) : undefined));
    } else {
      const label = vscode.workspace.asRelativePath(flowUri);
      for (const p of outcome.problems) this.options.log(formatDeployProblem(p, label));
      const first = formatDeployProblem(outcome.problems[0], label);
      const more = outcome.problems.length > 1 ? ` (and ${outcome.problems.length - 1} more in the Metaflow Studio log)` : '';
      void vscode.window.showErrorMessage(`${flow.name} cannot be deployed to Airflow: ${first}${more}`);
    }
    return outcome;
  }
}
