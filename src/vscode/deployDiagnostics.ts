// Deploy refusals as Warnings in the Problems panel, before any deploy is attempted: what Argo Workflows or
// Airflow would refuse, on the step (or decorator, parameter) line. Only for the targets the user deploys to
// (`metaflow.deploy.targets`), plus Airflow for a flow that carries an Airflow-only decorator. A flow with
// lint errors gets none: those errors come first and are shown already.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MetaflowConfig } from '../config/metaflowConfig';
import { checkAirflow, usesAirflowDecorators } from '../deploy/airflow/airflowChecks';
import { checkArgo } from '../deploy/argo/checkArgo';
import type { DeployProblem, DeployTarget } from '../deploy/deployProblem';
import type { FlowInfo } from '../flow/types';
import type { AnalysedDocument, FlowDocuments } from './flowDocuments';
import { toRange } from './ranges';

export const DEPLOY_TARGETS_SETTING = 'metaflow.deploy.targets';
export const DEPLOY_DIAGNOSTIC_SOURCES: Record<DeployTarget, string> = {
  'argo-workflows': 'Metaflow (Argo Workflows)',
  airflow: 'Metaflow (Airflow)',
};
/** Long enough to cover any line: the editor clamps a range to the line's text. */
const WHOLE_LINE = 10_000;

export function deployTargets(scope?: vscode.ConfigurationScope): DeployTarget[] {
  const value = vscode.workspace.getConfiguration(undefined, scope).get<unknown>(DEPLOY_TARGETS_SETTING);
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is DeployTarget => v === 'argo-workflows' || v === 'airflow');
}

export interface DeployDiagnosticsOptions {
  documents: FlowDocuments;
  /** Editor settings as METAFLOW_* names (datastore, Azure). */
  settings: () => Record<string, string>;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export class DeployDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('Metaflow deploy');
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly options: DeployDiagnosticsOptions) {
    this.subscriptions = [
      this.collection,
      options.documents.onDidAnalyze((analysed) => this.publish(analysed)),
      vscode.workspace.onDidCloseTextDocument((document) => this.collection.delete(document.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(DEPLOY_TARGETS_SETTING) || e.affectsConfiguration('metaflow')) this.refreshOpen();
      }),
    ];
    this.refreshOpen();
  }

  private refreshOpen(): void {
    for (const document of vscode.workspace.textDocuments) {
      const analysed = this.options.documents.get(document);
      if (analysed) this.publish(analysed);
    }
  }

  /** METAFLOW_* settings as the deploy would see them (env > config files > editor settings), read on demand. */
  private config(uri: vscode.Uri): Record<string, string | undefined> {
    let config: MetaflowConfig | undefined;
    try {
      config = MetaflowConfig.load({ env: this.options.env, startDir: path.dirname(uri.fsPath), homeDir: os.homedir(), settings: this.options.settings() });
    } catch (err) {
      this.options.log(`Deploy checks read only the environment: ${err instanceof Error ? err.message : String(err)}`);
    }
    const env = this.options.env;
    return new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        if (typeof name !== 'string') return undefined;
        try {
          return config ? config.getString(name) : env[name] || undefined;
        } catch {
          return undefined;
        }
      },
    });
  }

  private problems(flow: FlowInfo, targets: DeployTarget[], config: () => Record<string, string | undefined>): DeployProblem[] {
    if (flow.errors.length > 0) return [];
    const out: DeployProblem[] = [];
    if (targets.includes('argo-workflows')) out.push(...checkArgo(flow, { config: config() }));
    if (targets.includes('airflow') || usesAirflowDecorators(flow)) out.push(...checkAirflow(flow));
    return out;
  }

  private publish({ uri, analysis }: AnalysedDocument): void {
    const targets = deployTargets(uri);
    const diagnostics: vscode.Diagnostic[] = [];
    // The config files are read once per file, and only when a flow is checked against them.
    let config: Record<string, string | undefined> | undefined;
    const configOnce = () => (config ??= this.config(uri));
    for (const flow of analysis.flows) {
      for (const problem of this.problems(flow, targets, configOnce)) {
        const step = problem.step !== undefined ? flow.steps.find((s) => s.name === problem.step) : undefined;
        const line = (problem.line ?? flow.line) - 1;
        const range = step && step.line - 1 === line ? toRange(step.nameRange) : new vscode.Range(line, 0, line, WHOLE_LINE);
        const d = new vscode.Diagnostic(range, problem.message, vscode.DiagnosticSeverity.Warning);
        d.source = DEPLOY_DIAGNOSTIC_SOURCES[problem.target];
        diagnostics.push(d);
      }
    }
    this.collection.set(uri, diagnostics);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
