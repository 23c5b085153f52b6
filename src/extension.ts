// Composition root: builds every service and registers every provider. Nothing else lives here.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createFlowAnalyzer } from './flow/analyzer';
import { loadKubeClient } from './kube/loadKubeClient';
import { FlowLayout } from './layout/flowLayout';
import { DagPanelManager } from './vscode/dagPanel';
import { FlowCodeLensProvider, SHOW_DAG_COMMAND } from './vscode/flowCodeLens';
import { FlowDiagnostics } from './vscode/flowDiagnostics';
import { type AnalysedDocuments, FlowDocumentsService } from './vscode/flowDocumentsService';
import { FlowEditorContext } from './vscode/flowEditorContext';
import { FlowSymbolProvider } from './vscode/flowSymbols';
import { LazyAnalyzer } from './vscode/lazyAnalyzer';
import { LazyLayout } from './vscode/lazyLayout';
import { Settings } from './vscode/settings';
import { ShowDagCommand } from './vscode/showDagCommand';
import { StepDefinitionProvider } from './vscode/stepDefinition';
import { StepHoverProvider } from './vscode/stepHover';
import { WorkspaceFlowIndex } from './vscode/workspaceIndex';
import { workerEnv } from './runtime/workers/workerPool';
import { ArtifactExplorer, EXPLORER_VIEW } from './vscode/artifactExplorer';
import { ArtifactExplorerCommands } from './vscode/artifactExplorerCommands';
import { showRunInDag } from './vscode/artifactExplorerDag';
import { azureDatastoreSource, editorDatastoreSettings } from './vscode/artifactExplorerRoots';
import { azureStorageFactory } from './datastore/azure/runnerAzureStorage';
import { ArtifactPreviews, PREVIEW_SCHEME } from './vscode/artifactPreview';
import { COMPARE_SCHEME, RunCompareDocuments } from './vscode/runCompare';
import { TASK_LOGS_SCHEME, TaskLogsProvider } from './vscode/taskLogs';
import { RunRegistry } from './runs/runRegistry';
import { InterpreterService } from './vscode/interpreter';
import { RunOutputChannel } from './vscode/outputChannelRuns';
import { RunCommands } from './vscode/runCommands';
import { RunDiagnostics } from './vscode/runDiagnostics';
import { RunForm } from './vscode/runForm';
import { RunLauncher } from './vscode/runLauncher';
import { createRunnerFactory } from './vscode/runnerFactory';
import { RunStatusBar } from './vscode/statusBarRuns';
import { TerminalEnvironment } from './vscode/terminalEnvironment';
import { AzureSignIn, type AzureSignInApi } from './vscode/azureSignIn';
import { AirflowCommand } from './vscode/airflowCommand';
import type { DeployCommandDeps } from './vscode/deployCommandDeps';
import { ArgoCommands } from './vscode/argoCommands';
import { DeployDiagnostics } from './vscode/deployDiagnostics';
import { KubernetesCommands } from './vscode/kubernetesCommands';
import { lazyKubeApi } from './vscode/kubernetesClient';
import { editorRunSettings } from './vscode/editorRunSettings';

const PYTHON: vscode.DocumentSelector = { language: 'python' };

/** What other extensions and the extension's own tests can reach through `extension.exports`. */
export interface MetaflowStudioApi {
  documents: AnalysedDocuments;
  index: WorkspaceFlowIndex;
  /** Runs started in this window, live and recent, with their folded state. */
  runs: RunRegistry;
  /** The "Metaflow" Output channel's appended text, as it is appended. */
  runOutput: Pick<RunOutputChannel, 'onDidAppend'>;
  runDiagnostics: Pick<RunDiagnostics, 'get'>;
  runStatusBar: Pick<RunStatusBar, 'text'>;
  /** The Artifact Explorer's tree data (datastores -> flows -> runs -> steps -> tasks -> artifacts). */
  artifactExplorer: ArtifactExplorer;
  /** The interpreter runs use for a file, and its check (starts, Python 3.8 or newer). */
  interpreter: Pick<InterpreterService, 'select' | 'check'>;
  /** Azure sign-in: the account, the status bar text, tokens from the chain, the token endpoint tasks get. */
  azure: AzureSignInApi;
  /** Run Flow on Kubernetes: what a refusal told the user. */
  kubernetes: Pick<KubernetesCommands, 'onDidReport'>;
  /** Deploy to Argo Workflows: its confirmations and trigger form answered without asking (tests). */
  argo: Pick<ArgoCommands, 'answerPrompts'>;
}

export function activate(context: vscode.ExtensionContext): MetaflowStudioApi {
  // Diagnostics of the extension itself; the "Metaflow" channel holds what runs print (outputChannelRuns.ts says why).
  const log = vscode.window.createOutputChannel('Metaflow Studio', { log: true });
  const settings = new Settings(log);
  // Analysis is static (nothing from the workspace is executed), so it also runs in untrusted workspaces.
  const analyzer = new LazyAnalyzer(() => createFlowAnalyzer({ wasmDir: vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath }), log);
  const documents = new FlowDocumentsService({ analyzer, settings, log });
  const index = new WorkspaceFlowIndex({ analyzer, log });
  const layout = new LazyLayout(() => new FlowLayout());
  const runs = new RunRegistry();
  const panel = new DagPanelManager({ extensionUri: context.extensionUri, documents, layout, runs, log: (line) => log.info(line) });
  const showDag = new ShowDagCommand({ documents, index, panel });
  const codeLens = new FlowCodeLensProvider(documents);
  const runOutput = new RunOutputChannel();
  const runDiagnostics = new RunDiagnostics();
  const runStatusBar = new RunStatusBar(runs);
  const interpreter = new InterpreterService({ log });
  const azure = new AzureSignIn(log, { flowFiles: async () => (await index.flows()).map((f) => f.uri), onDidChangeFlows: index.onDidChange });
  // A run without the token endpoint still runs; its tasks fall back to DefaultAzureCredential.
  const azureGrants = () =>
    azure.grantTaskAccess().catch((err: unknown) => {
      log.warn(`Runs get no Azure token endpoint: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
  // The Kubernetes client library loads when a run or command first needs a cluster, not at activation.
  const loadKube = async () => loadKubeClient();
  const embeddedPythonDir = path.join(context.extensionUri.fsPath, 'dist', 'python');
  const azureStorage = azureStorageFactory(() => azure.credential);
  const runLauncher = new RunLauncher({
    runners: createRunnerFactory({
      analyzer: () => analyzer.load(),
      embeddedPythonDir,
      env: process.env,
      grants: azureGrants,
      settings: () => editorRunSettings(),
      azureStorage,
      kubeClient: (target) => lazyKubeApi(loadKube, target),
    }),
    registry: runs,
    interpreter,
    output: runOutput,
    diagnostics: runDiagnostics,
    isTrusted: () => vscode.workspace.isTrusted,
  });
  const runCommands = new RunCommands({ documents, index, launcher: runLauncher, registry: runs, form: new RunForm(context.workspaceState), output: runOutput, statusBar: runStatusBar });
  const kubernetes = new KubernetesCommands({
    runs: runCommands,
    registry: runs,
    refuseIfUntrusted: () => runLauncher.refuseIfUntrusted(),
    clusters: async (target) => (await loadKube()).load(target),
    state: context.globalState,
    log,
  });

  // Artifact Explorer: reads the datastore's files; values are decoded by Python only in a trusted workspace.
  const explorerPython = async (root: string) => ({
    python: (await interpreter.select(vscode.Uri.file(root))).python,
    env: workerEnv({ pythonPath: embeddedPythonDir, env: process.env }),
  });
  const explorer = new ArtifactExplorer({ runs, discoverRemote: azureDatastoreSource(() => azure.credential) });
  const previews = new ArtifactPreviews({ python: explorerPython, isTrusted: () => vscode.workspace.isTrusted });
  const runCompare = new RunCompareDocuments({ python: explorerPython, isTrusted: () => vscode.workspace.isTrusted });
  const explorerCommands = new ArtifactExplorerCommands({ explorer, previews, compare: runCompare, showRunInDag: (root, flow, runId) => showRunInDag({ index, panel, remote: (r) => explorer.remoteClient(r) }, root, flow, runId) });

  const deployDeps: DeployCommandDeps = {
    documents,
    settings: editorDatastoreSettings,
    azureStorage,
    embeddedPythonDir,
    env: process.env,
    isTrusted: () => vscode.workspace.isTrusted,
    log: (line) => log.info(line),
  };
  const argo = new ArgoCommands({
    ...deployDeps,
    settings: () => editorRunSettings(),
    clusters: async (target) => (await loadKube()).load(target),
    registry: runs,
    form: new RunForm(context.workspaceState),
    state: context.workspaceState,
  });

  context.subscriptions.push(
    log,
    settings,
    documents,
    index,
    panel,
    codeLens,
    new FlowDiagnostics(documents),
    new FlowEditorContext(documents),
    vscode.languages.registerCodeLensProvider(PYTHON, codeLens),
    vscode.languages.registerHoverProvider(PYTHON, new StepHoverProvider(documents)),
    vscode.languages.registerDefinitionProvider(PYTHON, new StepDefinitionProvider(documents)),
    vscode.languages.registerDocumentSymbolProvider(PYTHON, new FlowSymbolProvider(documents), { label: 'Metaflow' }),
    vscode.commands.registerCommand(SHOW_DAG_COMMAND, (uri?: unknown, flow?: unknown) => showDag.run(uri, flow)),
    runOutput,
    runDiagnostics,
    runStatusBar,
    runLauncher,
    ...runCommands.register(),
    kubernetes,
    ...kubernetes.register(),
    { dispose: () => runs.cancelAll() },
    explorer,
    previews,
    vscode.window.createTreeView(EXPLORER_VIEW, { treeDataProvider: explorer, canSelectMany: true, showCollapseAll: true }),
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, previews),
    vscode.workspace.registerTextDocumentContentProvider(TASK_LOGS_SCHEME, new TaskLogsProvider((root) => explorer.remoteStorage(root))),
    vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, runCompare),
    ...explorerCommands.register(),
    new TerminalEnvironment({ collection: context.environmentVariableCollection, extensionDir: context.extensionUri.fsPath, interpreter, log }),
    azure,
    ...azure.register(),
    new DeployDiagnostics({ documents, settings: editorDatastoreSettings, env: process.env, log: (line) => log.warn(line) }),
    ...new AirflowCommand({ ...deployDeps, state: context.workspaceState }).register(),
    ...argo.register(),
  );
  return { artifactExplorer: explorer, documents, index, runs, runOutput, runDiagnostics, runStatusBar, interpreter, azure, kubernetes, argo };
}

export function deactivate(): void {}
