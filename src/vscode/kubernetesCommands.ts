// "Metaflow: Run Flow on Kubernetes (AKS)": the Run Flow command and form, with every step on the cluster,
// after the editor's own checks: a trusted workspace, Kubernetes settings that can work (a bad one is named,
// with "Open Settings"), and the cluster's pre-flight (a missing namespace or service account offers the
// one-time cluster setup). Also the cluster setup document and "Show Pod" of a task that ran on the cluster.
import * as os from 'node:os';
import * as path from 'node:path';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { ConfigFileError, MetaflowConfig } from '../config/metaflowConfig';
import { azureDatastoreConfig } from '../datastore/azure/azureConfig';
import type { RunRegistry, TrackedRun } from '../runs/runRegistry';
import type { TaskExecutor } from '../runtime/events';
import type { KubernetesRunOptions } from '../runtime/kubernetesPlacement';
import { needsClusterSetup, renderClusterSetup } from './kubernetesClusterSetup';
import { renderPodReport } from './kubernetesPodReport';
import { editorRunSettings } from './editorRunSettings';
import { KUBECONFIG_SETTING, KubernetesSettingError, type KubernetesTarget, resolveKubernetesTarget } from './kubernetesSettings';
import type { Log } from './log';

export const RUN_FLOW_ON_KUBERNETES_COMMAND = 'metaflow.runFlowOnKubernetes';
export const SHOW_KUBERNETES_SETUP_COMMAND = 'metaflow.showKubernetesSetup';
export const SHOW_POD_COMMAND = 'metaflow.showPod';
/** Read-only documents (the cluster setup, pod reports) are served under this scheme. */
export const KUBERNETES_DOC_SCHEME = 'metaflow-kubernetes';

const SETUP_OFFERED_KEY = 'metaflow.kubernetes.setupOffered';
const LOG_TAIL_LINES = 40;
const OPEN_SETTINGS = 'Open Settings';
const SHOW_SETUP = 'Show Cluster Setup';

/** What the editor reads of a cluster (src/kube's KubeClient provides it). */
export interface ClusterClient {
  preflight(input: { namespace: string; serviceAccount?: string; image?: string }): Promise<void>;
  getPod(namespace: string, name: string): Promise<V1Pod>;
  listEvents(namespace: string, involvedName: string): Promise<CoreV1Event[]>;
  readLogs(namespace: string, pod: string, container: string, options?: { previous?: boolean }): Promise<string>;
}

export type ClusterClientFactory = (target: { kubeconfigPath?: string; context?: string; namespace: string }) => ClusterClient | Promise<ClusterClient>;

/** The run command this one drives: Run Flow's target lookup and form, with a preparation step after the target is known. */
export interface FlowRunner {
  runFlow(uri?: unknown, flow?: unknown, until?: string, remote?: RemoteRunPreparation): Promise<TrackedRun | undefined>;
}

export interface RemoteRunPreparation {
  title: string;
  /** The Kubernetes option of the run, or undefined when it must not start (a message said why). */
  prepare(flowFile: vscode.Uri): Promise<KubernetesRunOptions | undefined>;
}

export interface KubernetesCommandsDeps {
  runs: FlowRunner;
  registry: Pick<RunRegistry, 'get' | 'active' | 'recent'>;
  refuseIfUntrusted: () => boolean;
  clusters: ClusterClientFactory;
  /** Remembers that the first Kubernetes run offered the cluster setup. */
  state: vscode.Memento;
  log: Log;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

/** What "Show Pod" is given: a task attempt's executor, or a task pathspec of a run in the registry. */
interface PodRequest {
  pathspec: string;
  attempt?: number;
  executor?: TaskExecutor;
}

/** A refusal of Run Flow on Kubernetes, as shown to the user. */
export interface KubernetesProblem {
  message: string;
  /** The setting "Open Settings" opens, when the value came from one. */
  setting?: string;
  /** Whether "Show Cluster Setup" was offered. */
  offersSetup: boolean;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class KubernetesCommands implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly documents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly reported = new vscode.EventEmitter<KubernetesProblem>();
  /** Fires with every refusal shown (tests and other extensions read what the user was told). */
  readonly onDidReport = this.reported.event;
  private serial = 0;

  constructor(private readonly deps: KubernetesCommandsDeps) {}

  register(): vscode.Disposable[] {
    return [
      vscode.commands.registerCommand(RUN_FLOW_ON_KUBERNETES_COMMAND, (uri?: unknown, flow?: unknown) => this.runOnKubernetes(uri, flow)),
      vscode.commands.registerCommand(SHOW_KUBERNETES_SETUP_COMMAND, (uri?: unknown) => this.showSetup(uri instanceof vscode.Uri ? uri : undefined)),
      vscode.commands.registerCommand(SHOW_POD_COMMAND, (request?: unknown) => this.showPod(request)),
      vscode.workspace.registerTextDocumentContentProvider(KUBERNETES_DOC_SCHEME, this),
    ];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.documents.get(uri.toString()) ?? 'This document is no longer available; run the command again.';
  }

  async runOnKubernetes(uri?: unknown, flow?: unknown): Promise<TrackedRun | undefined> {
    if (this.deps.refuseIfUntrusted()) return undefined;
    return this.deps.runs.runFlow(uri, flow, undefined, { title: 'Run Flow on Kubernetes (AKS)', prepare: (file) => this.prepare(file) });
  }

  /** The run config a flow file (or, without one, a workspace folder) sees: environment > config files > editor settings. */
  private config(scope: vscode.Uri, isFolder = false): MetaflowConfig {
    return MetaflowConfig.load({
      env: this.deps.env ?? process.env,
      startDir: isFolder ? scope.fsPath : path.dirname(scope.fsPath),
      homeDir: this.deps.homeDir ?? os.homedir(),
      settings: editorRunSettings(scope),
    });
  }

  /** Settings -> the cluster target; a value that cannot work is reported naming its setting. */
  private target(flowFile: vscode.Uri, config = this.config(flowFile)): KubernetesTarget {
    const folder = vscode.workspace.getWorkspaceFolder(flowFile);
    return resolveKubernetesTarget({
      kubeconfigSetting: vscode.workspace.getConfiguration(undefined, flowFile).get(KUBECONFIG_SETTING),
      config,
      env: this.deps.env ?? process.env,
      homeDir: this.deps.homeDir,
      baseDir: folder?.uri.fsPath,
    });
  }

  private async prepare(flowFile: vscode.Uri): Promise<KubernetesRunOptions | undefined> {
    let target: KubernetesTarget;
    try {
      target = this.target(flowFile);
    } catch (err) {
      this.reportSettingProblem(err);
      return undefined;
    }
    try {
      const client = await this.deps.clusters({ kubeconfigPath: target.kubeconfigPath, context: target.context, namespace: target.namespace });
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking Kubernetes context ${target.context}…` }, () =>
        client.preflight({ namespace: target.namespace, ...(target.serviceAccount ? { serviceAccount: target.serviceAccount } : {}), ...(target.image ? { image: target.image } : {}) }),
      );
    } catch (err) {
      const text = message(err);
      this.deps.log.warn(`Kubernetes pre-flight on context ${target.context} failed: ${text}`);
      const buttons = needsClusterSetup(text) ? [SHOW_SETUP, OPEN_SETTINGS] : [OPEN_SETTINGS];
      const shown = `The flow was not started on Kubernetes (context ${target.context}): ${text}`;
      this.reported.fire({ message: shown, offersSetup: buttons.includes(SHOW_SETUP) });
      void vscode.window.showErrorMessage(shown, ...buttons).then((picked) => {
        if (picked === SHOW_SETUP) void this.showSetup(flowFile, text);
        if (picked === OPEN_SETTINGS) void vscode.commands.executeCommand('workbench.action.openSettings', 'metaflow.kubernetes');
      });
      return undefined;
    }
    this.offerSetupOnce(flowFile);
    return { withAll: true, context: target.context, kubeconfigPath: target.kubeconfigPath };
  }

  private reportSettingProblem(err: unknown): void {
    const setting = err instanceof KubernetesSettingError ? err.setting : undefined;
    const where = err instanceof ConfigFileError ? 'a Metaflow config file' : 'the Kubernetes settings';
    this.deps.log.warn(`Run on Kubernetes refused by ${where}: ${message(err)}`);
    const buttons = setting ? [OPEN_SETTINGS] : [];
    this.reported.fire({ message: message(err), ...(setting ? { setting } : {}), offersSetup: false });
    void vscode.window.showErrorMessage(message(err), ...buttons).then((picked) => {
      if (picked === OPEN_SETTINGS && setting) void vscode.commands.executeCommand('workbench.action.openSettings', setting);
    });
  }

  /** The first run on Kubernetes mentions the one-time cluster setup (the pre-flight cannot see a missing role). */
  private offerSetupOnce(flowFile: vscode.Uri): void {
    if (this.deps.state.get<boolean>(SETUP_OFFERED_KEY)) return;
    void this.deps.state.update(SETUP_OFFERED_KEY, true);
    void vscode.window
      .showInformationMessage(
        'Pods of a run reach the datastore in Azure Blob Storage with workload identity, which each cluster needs set up once (an identity, a service account, a federated credential and a role).',
        SHOW_SETUP,
      )
      .then((picked) => (picked === SHOW_SETUP ? this.showSetup(flowFile) : undefined));
  }

  /** Opens the cluster setup document, filled with what the settings say. */
  async showSetup(flowFile?: vscode.Uri, reason?: string): Promise<vscode.TextEditor> {
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const file = flowFile ?? (active?.scheme === 'file' ? active : undefined);
    const scope = file ?? folder;
    let values: Parameters<typeof renderClusterSetup>[0] = { namespace: 'default', reason };
    if (scope?.scheme === 'file') {
      try {
        const config = this.config(scope, !file);
        values = { ...values, namespace: config.get('METAFLOW_KUBERNETES_NAMESPACE')?.value ?? 'default', serviceAccount: config.get('METAFLOW_KUBERNETES_SERVICE_ACCOUNT')?.value };
        try {
          const target = this.target(scope, config);
          values = { ...values, context: target.context, cluster: target.cluster };
        } catch {
          // no usable kubeconfig: the document keeps placeholders for the cluster
        }
        try {
          const azure = azureDatastoreConfig(config);
          values = { ...values, storageAccount: azure.account, sysroot: azure.sysroot };
        } catch {
          // no Azure datastore configured yet: placeholders
        }
      } catch (err) {
        this.deps.log.warn(`Cluster setup: the config could not be read (${message(err)}); placeholders are shown.`);
      }
    }
    return this.open('Cluster setup for Kubernetes.md', renderClusterSetup(values));
  }

  private podRequest(raw: unknown): PodRequest | undefined {
    if (typeof raw === 'string') return { pathspec: raw };
    if (typeof raw !== 'object' || raw === null) return undefined;
    const r = raw as Record<string, unknown>;
    if (typeof r.pathspec !== 'string') return undefined;
    const executor = r.executor as TaskExecutor | undefined;
    const valid = executor && executor.kind === 'kubernetes' && typeof executor.context === 'string' && typeof executor.namespace === 'string' && typeof executor.job === 'string';
    return { pathspec: r.pathspec, ...(typeof r.attempt === 'number' ? { attempt: r.attempt } : {}), ...(valid ? { executor } : {}) };
  }

  /** The latest attempt's executor of a task of a run in this window, when the request did not carry one. */
  private lookup(request: PodRequest): PodRequest {
    if (request.executor) return request;
    const [flow, runId, step, taskId] = request.pathspec.split('/');
    const run = this.deps.registry.get(`${flow}/${runId}`) ?? [...this.deps.registry.active(), ...this.deps.registry.recent()].find((r) => r.state.pathspec === `${flow}/${runId}`);
    const attempts = run?.state.tasks.get(`${step}/${taskId}`)?.attempts.filter((a) => a.executor) ?? [];
    const attempt = request.attempt !== undefined ? attempts.find((a) => a.attempt === request.attempt) : attempts.at(-1);
    return attempt ? { ...request, attempt: attempt.attempt, executor: attempt.executor } : request;
  }

  async showPod(raw: unknown): Promise<vscode.TextEditor | undefined> {
    if (this.deps.refuseIfUntrusted()) return undefined;
    const parsed = this.podRequest(raw);
    if (!parsed) {
      void vscode.window.showErrorMessage('Show Pod needs a task: use it from a step of the DAG panel whose task ran on Kubernetes.');
      return undefined;
    }
    const request = this.lookup(parsed);
    const executor = request.executor;
    if (!executor) {
      void vscode.window.showInformationMessage(`Task ${request.pathspec} did not run on Kubernetes in a run of this window, so it has no pod to show.`);
      return undefined;
    }
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Reading pod of ${request.pathspec}…` }, () => this.podReport(request, executor));
    return this.open(`Pod ${executor.pod ?? executor.job}.txt`, report);
  }

  private async podReport(request: PodRequest, executor: TaskExecutor): Promise<string> {
    const podName = executor.pod ?? executor.job;
    const base = { pathspec: request.pathspec, attempt: request.attempt, context: executor.context, namespace: executor.namespace, job: executor.job, podName, now: Date.now() };
    let client: ClusterClient;
    try {
      let kubeconfigPath: string | undefined;
      const active = vscode.window.activeTextEditor?.document.uri;
      const file = active?.scheme === 'file' ? active : undefined;
      const scope = file ?? vscode.workspace.workspaceFolders?.[0]?.uri;
      try {
        kubeconfigPath = scope?.scheme === 'file' ? this.target(scope, this.config(scope, !file)).kubeconfigPath : undefined;
      } catch {
        // the context the task ran on is named by its executor; the default kubeconfig is tried
      }
      client = await this.deps.clusters({ kubeconfigPath, context: executor.context, namespace: executor.namespace });
    } catch (err) {
      return renderPodReport({ ...base, podError: message(err), events: [], eventsError: message(err), logLines: [], logError: message(err) });
    }
    if (!executor.pod) {
      const events = await client.listEvents(executor.namespace, executor.job).catch(() => [] as CoreV1Event[]);
      return renderPodReport({ ...base, podError: `the Job ${executor.job} had made no pod when the task was last heard of`, events, logLines: [] });
    }
    const [pod, events] = await Promise.allSettled([client.getPod(executor.namespace, executor.pod), client.listEvents(executor.namespace, executor.pod)]);
    const container = pod.status === 'fulfilled' ? pod.value.spec?.containers[0]?.name : undefined;
    let logLines: string[] = [];
    let logError: string | undefined;
    if (container) {
      try {
        const text = await client.readLogs(executor.namespace, executor.pod, container);
        logLines = text.replace(/\n$/, '').split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).slice(-LOG_TAIL_LINES);
      } catch (err) {
        logError = message(err);
      }
    } else logError = 'the pod could not be read';
    return renderPodReport({
      ...base,
      ...(pod.status === 'fulfilled' ? { pod: pod.value } : { podError: message(pod.reason) }),
      events: events.status === 'fulfilled' ? events.value : [],
      ...(events.status === 'rejected' ? { eventsError: message(events.reason) } : {}),
      ...(container ? { container } : {}),
      logLines,
      ...(logError ? { logError } : {}),
    });
  }

  private async open(name: string, text: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: KUBERNETES_DOC_SCHEME, path: `/${name}`, query: String(++this.serial) });
    this.documents.set(uri.toString(), text);
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { preview: false });
  }

  dispose(): void {
    this.changed.dispose();
    this.reported.dispose();
    this.documents.clear();
  }
}
