// "Metaflow: Deploy to Argo Workflows" (every manifest shown as YAML, the diff against the deployed template,
// a modal confirmation, then the server's dry run and the apply), "Trigger Argo Workflow" (the run form for
// parameters; the run then shows live through the run registry), and Suspend/Resume/Delete Argo Deployment.
// The cluster is the one Run Flow on Kubernetes uses (metaflow.kubernetes.* settings, else the kubeconfig).
import * as os from 'node:os';
import * as vscode from 'vscode';
import { stringify as toYaml } from 'yaml';
import type { MetaflowConfig } from '../config/metaflowConfig';
import { ArgoClient, type ArgoKubeApi } from '../deploy/argo/argoClient';
import { applyArgoDeployment, argoDeploymentTarget, argoSettings, type ArgoDeployPlan, type ArgoDeployReport, deploymentNamespace, describeReport, prepareArgoDeployment } from '../deploy/argo/argoDeploy';
import { deleteDeployment, type DeploymentRef, setScheduleSuspended, triggerArgoWorkflow, type TriggerResult } from '../deploy/argo/argoLifecycle';
import { ArgoRunWatch } from '../deploy/argo/argoRunWatch';
import { pinnedArgoValidator } from '../deploy/argo/argoSchemaCheck';
import { type DeployProblem, formatDeployProblem } from '../deploy/deployProblem';
import { productionTokenFolder, resolveProductionToken, TokenStore } from '../deploy/productionToken';
import type { FlowInfo } from '../flow/types';
import type { RunRegistry } from '../runs/runRegistry';
import { EventStream } from '../runtime/eventStream';
import { extractParameters } from '../runtime/parameterValues';
import type { RunHandle, RunResult } from '../runtime/scheduler';
import { type ArgoAuthorization, askArgoAuthorization, type OwnershipRefusal } from './deployAuthorization';
import type { DeployCommandDeps } from './deployCommandDeps';
import { pickDeployFlow } from './deployFlowPick';
import { checkGivenOptions, type DeployOptionValues, summarizeOptions, toArgoOptions } from './deployOptionsModel';
import { DeployOptionsPicker } from './deployOptionsPick';
import { KUBECONFIG_SETTING, resolveKubernetesTarget } from './kubernetesSettings';
import type { RunForm, RunFormValues } from './runForm';

export const DEPLOY_ARGO_COMMAND = 'metaflow.deployToArgoWorkflows';
export const TRIGGER_ARGO_COMMAND = 'metaflow.triggerArgoWorkflow';
export const SUSPEND_ARGO_COMMAND = 'metaflow.suspendArgoDeployment';
export const RESUME_ARGO_COMMAND = 'metaflow.resumeArgoDeployment';
export const DELETE_ARGO_COMMAND = 'metaflow.deleteArgoDeployment';
/** Read-only manifests (what would be deployed, what is deployed) are served under this scheme. */
export const ARGO_DOC_SCHEME = 'metaflow-argo';

const DEPLOY = 'Deploy';

export interface ArgoCommandsDeps extends DeployCommandDeps {
  /** Editor settings as METAFLOW_* names: the datastore's and the Kubernetes ones (the cluster is Run Flow on Kubernetes'). */
  settings: () => Record<string, string>;
  /** src/kube's KubeClient for the target (loaded on first use). */
  clusters: (target: { kubeconfigPath?: string; context?: string; namespace: string }) => Promise<ArgoKubeApi & { followLogs?: ArgoLogFollower }>;
  registry: Pick<RunRegistry, 'track'>;
  form: Pick<RunForm, 'ask'>;
  /** Tests answer the confirmation themselves. */
  confirm?: (message: string, detail: string) => Promise<boolean>;
  /** Where each flow's deploy options are remembered (the workspace state). */
  state: vscode.Memento;
}

/** Answers given instead of asking: the deploy and delete confirmations, the trigger's run form (the extension's test API). */
export interface ArgoPromptAnswers {
  confirm?: (message: string, detail: string) => boolean | Promise<boolean>;
  form?: (flow: FlowInfo) => RunFormValues | undefined | Promise<RunFormValues | undefined>;
  /** The "Deploy options…" QuickPick: given the remembered options, the ones to deploy with (undefined: cancel). */
  options?: (flow: FlowInfo, remembered: DeployOptionValues) => DeployOptionValues | undefined | Promise<DeployOptionValues | undefined>;
  /** A deploy refused because another user's token owns the deployment: the token to authorize with, or undefined. */
  authorize?: (refusal: OwnershipRefusal) => ArgoAuthorization | undefined | Promise<ArgoAuthorization | undefined>;
}

type ArgoLogFollower = (namespace: string, pod: string, container: string, onLine: (line: string) => void) => { stop(): void };

export interface ArgoDeployResult {
  plan?: ArgoDeployPlan;
  report?: ArgoDeployReport;
  /** URIs of the documents shown. */
  shown: string[];
  error?: string;
}

interface Target {
  flowUri: vscode.Uri;
  flow: FlowInfo;
  config: MetaflowConfig;
  /** Editor settings as METAFLOW_* names (datastore, Azure, Kubernetes), read once per command. */
  settings: Record<string, string>;
  user: string;
  naming: { name: string; tokenPrefix: string; isProject: boolean };
  ref: DeploymentRef;
  argo: ArgoClient;
  api: ArgoKubeApi & { followLogs?: ArgoLogFollower };
}

export class ArgoCommands implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private answers: ArgoPromptAnswers = {};
  private readonly picker: DeployOptionsPicker;

  constructor(private readonly deps: ArgoCommandsDeps) {
    this.picker = new DeployOptionsPicker(deps.state);
  }

  /** Until disposed, the prompts are answered by `answers` instead of the user (a modal cannot be clicked from the extension host). */
  answerPrompts(answers: ArgoPromptAnswers): vscode.Disposable {
    this.answers = answers;
    return new vscode.Disposable(() => {
      if (this.answers === answers) this.answers = {};
    });
  }

  register(): vscode.Disposable[] {
    return [
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(ARGO_DOC_SCHEME, this),
      vscode.commands.registerCommand(DEPLOY_ARGO_COMMAND, (uri?: unknown, options?: unknown) => this.deploy(uri, options)),
      vscode.commands.registerCommand(TRIGGER_ARGO_COMMAND, (uri?: unknown) => this.trigger(uri)),
      vscode.commands.registerCommand(SUSPEND_ARGO_COMMAND, (uri?: unknown) => this.suspend(uri, true)),
      vscode.commands.registerCommand(RESUME_ARGO_COMMAND, (uri?: unknown) => this.suspend(uri, false)),
      vscode.commands.registerCommand(DELETE_ARGO_COMMAND, (uri?: unknown) => this.remove(uri)),
    ];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }

  private show(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: ARGO_DOC_SCHEME, path: `/${name}` });
    this.docs.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }

  private async target(uri: unknown, what: string): Promise<Target | undefined> {
    if (!this.deps.isTrusted()) throw new Error(`${what} reaches your cluster with this workspace's code and settings; trust this workspace first.`);
    const flowUri = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!flowUri) throw new Error(`Open a flow file first (${what}).`);
    const document = await vscode.workspace.openTextDocument(flowUri);
    if (document.isDirty) await document.save();
    const flow = await pickDeployFlow(this.deps.documents, document, 'Which flow?');
    if (!flow) return undefined;
    const settings = this.deps.settings();
    // Trigger, suspend and delete look where the last deploy from the editor put the flow.
    const deployment = argoDeploymentTarget({ flow, flowFile: flowUri.fsPath, env: this.deps.env, homeDir: os.homedir(), settings, options: { namespace: this.picker.remembered('argo', flowUri, flow).namespace } });
    const { config, owner: user, naming, namespace } = deployment;
    if (naming.problem) throw new Error(naming.problem);
    const cluster = resolveKubernetesTarget({
      kubeconfigSetting: vscode.workspace.getConfiguration().get(KUBECONFIG_SETTING),
      config,
      env: this.deps.env,
      baseDir: vscode.workspace.getWorkspaceFolder(flowUri)?.uri.fsPath,
    });
    const api = await this.deps.clusters({ kubeconfigPath: cluster.kubeconfigPath, context: cluster.context, namespace });
    const ref = { name: naming.name, namespace, sensorNamespace: deployment.sensorNamespace };
    return { flowUri, flow, config, settings, user, naming, ref, argo: new ArgoClient(api), api };
  }

  private fail(what: string, err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    this.deps.log(`${what}: ${message}`);
    void vscode.window.showErrorMessage(`${what}: ${message}`);
    return message;
  }

  private async confirm(message: string, detail: string): Promise<boolean> {
    const answer = this.answers.confirm ?? this.deps.confirm;
    if (answer) return answer(message, detail);
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, DEPLOY)) === DEPLOY;
  }

  /** The options to deploy with: given by the caller, else answered by a test, else chosen in "Deploy options…". */
  private async deployOptions(t: Target, given: unknown): Promise<DeployOptionValues | undefined> {
    if (given !== undefined) {
      const checked = checkGivenOptions('argo', given);
      if ('problem' in checked) throw new Error(checked.problem);
      await this.picker.remember('argo', t.flowUri, t.flow, checked.values);
      return checked.values;
    }
    if (this.answers.options) {
      const answered = await this.answers.options(t.flow, this.picker.remembered('argo', t.flowUri, t.flow));
      if (answered) await this.picker.remember('argo', t.flowUri, t.flow, answered);
      return answered;
    }
    return this.picker.pick('argo', t.flowUri, t.flow, `Deploy ${t.flow.name} to Argo Workflows`, 'Deploy');
  }

  /** The refusal is the production token's (another user's deployment), not the flow's: then it can be authorized. */
  private async ownershipRefusal(t: Target, namespace: string, problems: DeployProblem[], authorize: string | undefined): Promise<OwnershipRefusal | undefined> {
    if (problems.length !== 1 || problems[0].step !== undefined) return undefined;
    const deployed = await t.argo.get('WorkflowTemplate', namespace, t.naming.name);
    const annotations = ((deployed?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) as Record<string, string>;
    const token = annotations['metaflow/production_token'];
    const owner = annotations['metaflow/owner'] ?? '';
    if (!token) return undefined;
    const stored = new TokenStore(productionTokenFolder(this.deps.env, os.homedir())).load(t.naming.tokenPrefix);
    const resolved = resolveProductionToken({ ...t.naming, user: t.user, existing: { user: owner, token }, stored, authorize });
    if (!('problem' in resolved) || resolved.problem !== problems[0].message) return undefined;
    return { name: t.naming.name, namespace, owner, message: problems[0].message, retry: authorize !== undefined };
  }

  async deploy(uri?: unknown, givenOptions?: unknown): Promise<ArgoDeployResult> {
    const shown: string[] = [];
    try {
      const t = await this.target(uri, 'Deploy to Argo Workflows');
      if (!t) return { shown };
      const values = await this.deployOptions(t, givenOptions);
      if (!values) return { shown };
      const options = toArgoOptions(values);
      const prepare = (authorization?: ArgoAuthorization) =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Preparing the Argo Workflows deployment of ${t.flow.name}` }, () =>
          prepareArgoDeployment({
            flowFile: t.flowUri.fsPath,
            flow: t.flow,
            options,
            authorize: authorization?.token,
            generateNewToken: authorization?.generateNewToken,
            env: this.deps.env,
            homeDir: os.homedir(),
            settings: t.settings,
            azureStorage: this.deps.azureStorage,
            embeddedPythonDir: this.deps.embeddedPythonDir,
            argo: t.argo,
            validate: pinnedArgoValidator(),
          }),
        );
      let authorization: ArgoAuthorization | undefined;
      let outcome = await prepare();
      const namespace = deploymentNamespace(options, argoSettings(t.config));
      // Another user's deployment: ask for its token (again if the one given was wrong) rather than stop.
      for (let attempt = 0; !outcome.ok && attempt < 3; attempt++) {
        const refusal = await this.ownershipRefusal(t, namespace, outcome.problems, authorization?.token);
        if (!refusal) break;
        this.deps.log(`Deploy to Argo Workflows: ${refusal.name} was deployed by ${refusal.owner}; asking for its production token.`);
        const answered = this.answers.authorize ? await this.answers.authorize(refusal) : await askArgoAuthorization(refusal);
        if (!answered) break;
        authorization = answered;
        outcome = await prepare(authorization);
      }
      if (!outcome.ok) {
        const label = vscode.workspace.asRelativePath(t.flowUri);
        for (const p of outcome.problems) this.deps.log(formatDeployProblem(p, label));
        const more = outcome.problems.length > 1 ? ` (and ${outcome.problems.length - 1} more in the Metaflow Studio log)` : '';
        const error = `${t.flow.name} cannot be deployed to Argo Workflows: ${formatDeployProblem(outcome.problems[0], label)}${more}`;
        void vscode.window.showErrorMessage(error);
        return { shown, error };
      }
      const { plan } = outcome;
      const m = plan.manifests;
      const yaml = [m.workflowTemplate, m.cronWorkflow, m.sensor].filter((x) => x !== undefined).map((x) => toYaml(x, { lineWidth: 0 })).join('---\n');
      const next = this.show(`${plan.name}/manifests.yaml`, yaml);
      const template = plan.objects.find((o) => o.kind === 'WorkflowTemplate');
      if (template?.deployed) {
        const deployed = this.show(`${plan.name}/deployed-workflowtemplate.yaml`, toYaml(template.deployed, { lineWidth: 0 }));
        const compiled = this.show(`${plan.name}/workflowtemplate.yaml`, toYaml(template.manifest, { lineWidth: 0 }));
        await vscode.commands.executeCommand('vscode.diff', deployed, compiled, `${plan.name}: deployed ↔ this flow`, { preview: false });
        shown.push(deployed.toString(), compiled.toString());
      }
      await vscode.window.showTextDocument(next, { preview: false, preserveFocus: true });
      shown.push(next.toString());
      const actions = plan.objects.map((o) => `${o.kind} ${o.name}: ${o.action}${o.action === 'replace' ? ` (${o.changes.length} fields)` : ''}`).join('\n');
      const tokenNote = plan.tokenGenerated && template?.deployed ? ' This is a new production token: the runs made so far stay in their old namespace.' : '';
      const ok = await this.confirm(
        `Deploy ${t.flow.name} to Argo Workflows in namespace ${plan.namespace} of cluster ${plan.contextName}?`,
        `${actions}\nOptions: ${summarizeOptions('argo', values)}.\nRuns will be in the namespace ${plan.runNamespace}.${tokenNote}`,
      );
      if (!ok) return { plan, shown };
      const report = await applyArgoDeployment(plan, t.argo);
      const lines = describeReport(report, plan);
      for (const line of lines) this.deps.log(line);
      void vscode.window.showInformationMessage(`${t.flow.name} deployed to Argo Workflows (${plan.namespace} on ${plan.contextName}); its runs are in ${plan.runNamespace}.`);
      return { plan, report, shown };
    } catch (err) {
      return { shown, error: this.fail('Deploy to Argo Workflows', err) };
    }
  }

  async trigger(uri?: unknown): Promise<(TriggerResult & { handle: RunHandle }) | undefined> {
    try {
      const t = await this.target(uri, 'Trigger Argo Workflow');
      if (!t) return undefined;
      const form = this.answers.form ? await this.answers.form(t.flow) : await this.deps.form.ask(t.flowUri, t.flow, `Trigger ${t.flow.name} on Argo Workflows`);
      if (!form) return undefined;
      const { values } = extractParameters(t.flow, form.parameterArgs);
      const result = await triggerArgoWorkflow({ argo: t.argo, ref: t.ref, flow: t.flow, parameters: values, user: t.user });
      const handle = this.watch(t, result);
      this.deps.registry.track(handle, t.flow, t.flowUri.fsPath);
      this.deps.log(`Triggered ${result.workflowName} on Argo Workflows (run-id ${result.runId}).`);
      void vscode.window.showInformationMessage(`${t.flow.name} triggered on Argo Workflows: run ${result.runId}.`);
      return { ...result, handle };
    } catch (err) {
      this.fail('Trigger Argo Workflow', err);
      return undefined;
    }
  }

  /** The triggered run as a run handle: its events come from the Workflow's status. Cancel stops watching only. */
  private watch(t: Target, result: TriggerResult): RunHandle {
    const events = new EventStream();
    let finish!: (r: RunResult) => void;
    const done = new Promise<RunResult>((resolve) => (finish = resolve));
    let outcome: RunResult = { status: 'cancelled', runId: result.runId };
    const sysroot = t.config.getString('METAFLOW_DATASTORE_SYSROOT_AZURE') ?? '';
    const watch = new ArgoRunWatch(
      {
        flow: t.flow,
        namespace: result.namespace,
        workflowName: result.workflowName,
        datastoreRoot: sysroot,
        read: () => t.argo.get('Workflow', result.namespace, result.workflowName),
        followLogs: t.api.followLogs ? (ns, pod, container, onLine) => t.api.followLogs!(ns, pod, container, onLine) : undefined,
      },
      (e) => {
        if (e.event === 'run_finished') outcome = { status: e.status, runId: result.runId, error: e.error };
        events.emit(e);
      },
    ).start();
    void watch.done.then(() => {
      events.close();
      finish(outcome);
    });
    return { events, cancel: () => watch.stop(), done };
  }

  async suspend(uri: unknown, suspended: boolean): Promise<boolean> {
    const what = suspended ? 'Suspend Argo Deployment' : 'Resume Argo Deployment';
    try {
      const t = await this.target(uri, what);
      if (!t) return false;
      await setScheduleSuspended(t.argo, t.ref, suspended);
      void vscode.window.showInformationMessage(`The schedule of ${t.ref.name} is ${suspended ? 'suspended' : 'running again'}.`);
      return true;
    } catch (err) {
      this.fail(what, err);
      return false;
    }
  }

  async remove(uri?: unknown): Promise<string[] | undefined> {
    try {
      const t = await this.target(uri, 'Delete Argo Deployment');
      if (!t) return undefined;
      const answer = this.answers.confirm ?? this.deps.confirm;
      const ok = answer
        ? await answer(`Delete ${t.ref.name}?`, '')
        : (await vscode.window.showWarningMessage(`Delete the Argo Workflows deployment ${t.ref.name} (its template, schedule and sensor) from namespace ${t.ref.namespace} of cluster ${t.argo.contextName}?`, { modal: true }, 'Delete')) === 'Delete';
      if (!ok) return undefined;
      const deleted = await deleteDeployment(t.argo, t.ref);
      void vscode.window.showInformationMessage(`Deleted ${deleted.join(', ')}.`);
      return deleted;
    } catch (err) {
      this.fail('Delete Argo Deployment', err);
      return undefined;
    }
  }
}
