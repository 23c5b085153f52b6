// Everything a local run needs, composed once: the flow's analysis, config, datastore root, a worker
// pool and the scheduler. The CLI uses it now; the VS Code layer will construct the same object.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetaflowConfig } from '../config/metaflowConfig';
import type { FlowAnalyzer, FlowInfo, LintError, SyntaxProblem } from '../flow/types';
import { analyzeFile } from '../flow/analyzeFile';
import { resolveLocalRoot, SPIN_DATASTORE_DIR } from '../config/datastoreRoot';
import type { RuntimeSettings } from '../config/runtimeSettings';
import { LocalLayout } from '../datastore/localLayout';
import { readLatestRun } from '../datastore/localMetadata';
import { scanRun } from '../datastore/runScan';
import { mirrorTasks } from '../datastore/spinMirror';
import { embeddedMetaflowVersion } from './embeddedPython';
import { datastoreFor, launchOptionsFor, loadConfigFor, runtimeSettingsFor } from './launchSettings';
import type { AzureDatastoreConfig } from '../datastore/azure/azureConfig';
import type { DatastoreStorage } from '../datastore/storage/types';
import type { TaskDatastore } from './workerProtocol';
import type { PoolWarmer } from './poolWarmer';
import { buildResumeSpec, feedingSteps, planSpin, runsWithSteps, stepsBefore } from './originPlan';
import { extractParameters } from './parameterValues';
import { identitySystemTags } from './identityTags';
import { projectSystemTags } from './projectTags';
import type { Launch } from './graphWalk';
import type { Clock } from './clock';
import { type RunHandle, type RunRequest, Scheduler } from './scheduler';
import { ForkServerPool } from './workers/forkServerPool';
import { ProcessPerTaskPool } from './workers/processPerTaskPool';
import { platformTreeKiller } from './workers/processTree';
import type { WorkerLaunchOptions, WorkerPool } from './workers/workerPool';
import { workerEnv } from './workers/workerPool';
import { CODE_PACKAGE_MAX_MB_SETTING, DEFAULT_CODE_PACKAGE_MAX_MB } from './codePackage';
import { type KubernetesRunOptions, kubernetesSteps, placeTask } from './kubernetesPlacement';
import { type KubeApi, kubernetesConfig, KubernetesPool } from './workers/kubernetesPool';
import { RoutingPool } from './workers/routingPool';

const SPIN_CANDIDATES = 5;

function isRunId(id: string): boolean {
  return id !== '.' && id !== '..' && !/[/\\\0]/.test(id);
}

/** Refused before anything ran: lint errors, bad parameters, bad settings. Nothing was written. */
export class RunRefused extends Error {
  constructor(
    message: string,
    readonly lintErrors: LintError[] = [],
    readonly file?: string,
    readonly syntaxErrors: SyntaxProblem[] = [],
  ) {
    super(message);
  }
}

export interface LocalRunnerDeps {
  analyzer: FlowAnalyzer;
  env: NodeJS.ProcessEnv;
  homeDir?: string;
  platform?: NodeJS.Platform;
  clock?: Clock;
  /** Editor settings as `METAFLOW_*` names (lowest precedence above defaults). */
  settings?: Record<string, string>;
  embeddedPythonDir?: string;
  poolFactory?: (options: WorkerLaunchOptions, settings: RuntimeSettings) => WorkerPool;
  /** A fork-server started while the flow was analysed; used when it launched the same worker. */
  warmPools?: PoolWarmer;
  /** Opens the Azure datastore (METAFLOW_DEFAULT_DATASTORE=azure) with the signed-in credential. */
  azureStorage?: (config: AzureDatastoreConfig) => DatastoreStorage;
  /** Opens the cluster of `@kubernetes` steps (src/kube's KubeClient over the user's kubeconfig). */
  kubeClient?: (target: { kubeconfigPath?: string; context?: string; namespace: string }) => KubeApi;
}

export interface CommonOptions {
  flowFile: string;
  flowName?: string;
  tags?: string[];
  maxWorkers?: number;
  maxNumSplits?: number;
  maxLogMb?: number;
  /** `--run-id-file`: written with the new run's id when the run is registered, as Metaflow does. */
  runIdFile?: string;
  /** `--with kubernetes[:k=v,...]`, `--kubernetes-context`, `--kubernetes-namespace` (also the editor's "Run Flow on Kubernetes"). */
  kubernetes?: KubernetesRunOptions;
}

export interface RunOptions extends CommonOptions {
  /** Flow parameter options (`--alpha 0.1`) as given. */
  parameterArgs: string[];
  /** Run only what this step needs (its ancestors), so that the step can be run next with `spin`. */
  until?: string;
}

export interface ResumeOptions extends CommonOptions {
  step?: string;
  originRunId?: string;
}

export interface SpinOptions extends CommonOptions {
  step: string;
  originRunId?: string;
}

export interface PreparedRun {
  handle: RunHandle;
  flow: FlowInfo;
  user: string;
  datastoreRoot: string;
  createdRoot: boolean;
}

export class NoRunReachedStepError extends RunRefused {
  constructor(
    readonly flowName: string,
    readonly step: string,
  ) {
    super(`no run of ${flowName} has reached step '${step}' yet, so there are no inputs to run it with. Run the flow up to it first (metaflow-studio run FLOW.py --until ${step}), then run the step again.`);
  }
}

interface Context {
  flow: FlowInfo;
  flowFile: string;
  settings: RuntimeSettings;
  /** Loaded once per run: the settings, the datastore and the Kubernetes options all come from it. */
  config: MetaflowConfig;
  root: string;
  createdRoot: boolean;
  launch: WorkerLaunchOptions;
  /** Set when task data goes to Azure Blob (metadata stays in `root`). */
  remote?: { datastore: TaskDatastore; storage: DatastoreStorage };
}

export class LocalRunner {
  constructor(private readonly deps: LocalRunnerDeps) {}

  private context(options: CommonOptions): Context {
    const flowFile = path.resolve(options.flowFile);
    let analysis;
    try {
      analysis = analyzeFile(this.deps.analyzer, flowFile);
    } catch (err) {
      throw new RunRefused(`cannot read ${options.flowFile}: ${(err as Error).message}`);
    }
    if (analysis.flows.length === 0) {
      const syntax = analysis.syntaxErrors[0];
      throw new RunRefused(syntax ? `${options.flowFile}:${syntax.range.start.line + 1}: ${syntax.message}` : `${options.flowFile} defines no FlowSpec subclass`);
    }
    if (analysis.syntaxErrors.length > 0) {
      throw new RunRefused(`${options.flowFile} has ${analysis.syntaxErrors.length} syntax error(s); fix them before running`, [], flowFile, analysis.syntaxErrors);
    }
    let flow = analysis.flows[analysis.flows.length - 1];
    if (options.flowName) {
      const named = analysis.flows.find((f) => f.name === options.flowName);
      if (!named) throw new RunRefused(`${options.flowFile} has no flow named ${options.flowName}; it defines ${analysis.flows.map((f) => f.name).join(', ')}`);
      flow = named;
    } else if (analysis.flows.length > 1) {
      throw new RunRefused(`${options.flowFile} defines several flows (${analysis.flows.map((f) => f.name).join(', ')}); choose one with --flow NAME`);
    }
    if (flow.errors.length > 0) throw new RunRefused(`the flow ${flow.name} has ${flow.errors.length} lint error(s)`, flow.errors, flowFile);
    const flowDir = path.dirname(flowFile);
    let config: MetaflowConfig;
    let settings: RuntimeSettings;
    try {
      config = loadConfigFor(this.deps, flowDir);
      settings = runtimeSettingsFor(this.deps, flowDir, config);
    } catch (err) {
      throw new RunRefused((err as Error).message);
    }
    if (options.maxWorkers !== undefined) settings.maxWorkers = options.maxWorkers;
    if (options.maxNumSplits !== undefined) settings.maxNumSplits = options.maxNumSplits;
    if (options.maxLogMb !== undefined) settings.maxLogBytes = options.maxLogMb * 1048576;
    if (settings.maxWorkers < 1) throw new RunRefused(`--max-workers must be at least 1 (got ${settings.maxWorkers})`);
    if (settings.maxNumSplits < 1) throw new RunRefused(`--max-num-splits must be at least 1 (got ${settings.maxNumSplits})`);
    const { root, created } = resolveLocalRoot(flowDir, settings.sysrootLocal);
    const launch = launchOptionsFor(this.deps, settings, flowFile, flow.name);
    return { flow, flowFile, settings, config, root, createdRoot: created, launch, remote: this.remoteDatastore(config) };
  }

  private remoteDatastore(config: MetaflowConfig): Context['remote'] {
    let chosen;
    try {
      chosen = datastoreFor(config);
    } catch (err) {
      throw new RunRefused((err as Error).message);
    }
    if (chosen.kind === 'local') return undefined;
    if (!this.deps.azureStorage) throw new RunRefused('the Azure datastore (METAFLOW_DEFAULT_DATASTORE=azure) is not available here: this runner was started without Azure access');
    return {
      datastore: { type: 'azure', sysroot: chosen.azure.sysroot, endpoint: chosen.azure.endpoint },
      storage: this.deps.azureStorage(chosen.azure),
    };
  }

  private pool(ctx: Context): WorkerPool {
    if (this.deps.poolFactory) return this.deps.poolFactory(ctx.launch, ctx.settings);
    const warm = this.deps.warmPools?.take(ctx.launch, ctx.settings.workerMode);
    if (warm) return warm;
    const killer = platformTreeKiller(this.deps.platform ?? process.platform);
    return ctx.settings.workerMode === 'fork-server' ? new ForkServerPool(ctx.launch, killer) : new ProcessPerTaskPool(ctx.launch, killer);
  }

  private request(ctx: Context, options: CommonOptions, kind: RunRequest['kind'], root: string): RunRequest {
    return {
      kind,
      flow: ctx.flow,
      flowFile: ctx.flowFile,
      datastoreRoot: root,
      user: ctx.settings.user,
      tags: options.tags ?? [],
      parameters: {},
      maxWorkers: ctx.settings.maxWorkers,
      maxNumSplits: ctx.settings.maxNumSplits,
      maxLogBytes: ctx.settings.maxLogBytes,
      metaflowVersion: embeddedMetaflowVersion(ctx.launch.pythonPath),
      runIdFile: options.runIdFile,
      identityTags: identitySystemTags(ctx.settings.user, ctx.launch.env),
      projectTags: projectSystemTags(ctx.flow, ctx.settings.user, ctx.launch.env),
      taskDatastore: ctx.remote?.datastore,
      taskStorage: ctx.remote?.storage,
    };
  }

  /**
   * A run with `@kubernetes` steps (or `--with kubernetes`) routes those steps' tasks to the cluster; the rest
   * stay in the local pool. Pods exchange data through the Azure datastore, so a local one is refused.
   */
  private routedPool(ctx: Context, request: RunRequest, options: KubernetesRunOptions | undefined): WorkerPool {
    const steps = kubernetesSteps(ctx.flow, options);
    if (steps.size === 0 || request.kind === 'spin') return this.pool(ctx);
    if (!ctx.remote) {
      throw new RunRefused(
        `steps ${[...steps].join(', ')} run on Kubernetes, and pods exchange artifacts through the Azure datastore, but this run uses the local one. ` +
          'Set METAFLOW_DEFAULT_DATASTORE=azure and METAFLOW_DATASTORE_SYSROOT_AZURE=<container>/<prefix> (environment or Metaflow config; in the editor the settings metaflow.datastore and metaflow.azure.datastoreSysroot), or pass --datastore azure.',
      );
    }
    if (!this.deps.kubeClient) throw new RunRefused(`steps ${[...steps].join(', ')} run on Kubernetes, but this runner was started without Kubernetes access`);
    const config = ctx.config;
    let kube: KubeApi;
    let maxMb: number;
    try {
      const namespace = options?.namespace ?? config.getString('METAFLOW_KUBERNETES_NAMESPACE') ?? 'default';
      kube = this.deps.kubeClient({ kubeconfigPath: options?.kubeconfigPath, context: options?.context ?? config.getString('METAFLOW_KUBERNETES_CONTEXT'), namespace });
      maxMb = config.getInt(CODE_PACKAGE_MAX_MB_SETTING) ?? DEFAULT_CODE_PACKAGE_MAX_MB;
    } catch (err) {
      throw new RunRefused((err as Error).message);
    }
    const remote = new KubernetesPool({
      flow: ctx.flow,
      flowFile: ctx.flowFile,
      embeddedPythonDir: ctx.launch.pythonPath,
      run: options ?? { withAll: false },
      config: kubernetesConfig((name) => config.getString(name)),
      storage: ctx.remote.storage,
      datastore: ctx.remote.datastore,
      localRoot: request.datastoreRoot,
      user: ctx.settings.user,
      steps,
      codePackageMaxBytes: maxMb * 1048576,
      kube,
    });
    request.remoteSteps = steps;
    return new RoutingPool(this.pool(ctx), remote, (task) => (placeTask(task, steps) === 'kubernetes' ? 'remote' : 'local'));
  }

  private start(ctx: Context, request: RunRequest, kubernetes?: KubernetesRunOptions): PreparedRun {
    const scheduler = new Scheduler({ pool: this.routedPool(ctx, request, kubernetes), clock: this.deps.clock });
    return { handle: scheduler.start(request), flow: ctx.flow, user: ctx.settings.user, datastoreRoot: request.datastoreRoot, createdRoot: ctx.createdRoot };
  }

  run(options: RunOptions): PreparedRun {
    const ctx = this.context(options);
    let values: Record<string, string>;
    try {
      const parsed = extractParameters(ctx.flow, options.parameterArgs, ctx.launch.env);
      if (parsed.rest.length > 0) {
        const known = ctx.flow.parameters.filter((p) => p.kind !== 'Config').map((p) => `--${p.name}`);
        throw new Error(`unknown option ${parsed.rest[0]}; ${known.length ? `the flow's parameters are ${known.join(', ')}` : 'the flow has no parameters'}`);
      }
      values = parsed.values;
    } catch (err) {
      throw new RunRefused((err as Error).message);
    }
    const request = this.request(ctx, options, 'run', ctx.root);
    request.parameters = values;
    if (options.until) {
      this.checkStep(ctx, options.until);
      request.onlySteps = stepsBefore(ctx.flow, options.until);
    }
    return this.start(ctx, request, options.kubernetes);
  }

  private originRun(ctx: Context, layout: LocalLayout, originRunId: string | undefined): string {
    const origin = originRunId ?? readLatestRun(layout, ctx.flow.name);
    if (!origin) throw new RunRefused(`there is no previous run of ${ctx.flow.name} in ${ctx.root} to use (no latest_run); run the flow first, or pass --origin-run-id`);
    return this.checkOriginRun(ctx, layout, origin, originRunId === undefined ? layout.latestRunFile(ctx.flow.name) : '--origin-run-id');
  }

  /** The origin run id becomes a directory name under the datastore: it must be one path component of an existing run. */
  private checkOriginRun(ctx: Context, layout: LocalLayout, origin: string, source: string): string {
    if (!isRunId(origin)) throw new RunRefused(`${source === '--origin-run-id' ? source : `${source}:`} '${origin}' is not a run id (the name of a run directory of ${ctx.flow.name} in ${ctx.root})`);
    if (!fs.existsSync(layout.runDir(ctx.flow.name, origin))) {
      throw new RunRefused(`there is no run ${ctx.flow.name}/${origin} in ${ctx.root} (from ${source})`);
    }
    return origin;
  }

  /** The run scan reads an Azure origin's task data from Blob: it needs the endpoint even when a config file set it. */
  private inspectorEnv(ctx: Context): NodeJS.ProcessEnv {
    const env = workerEnv(ctx.launch);
    const endpoint = ctx.remote?.datastore.endpoint;
    return endpoint ? { ...env, METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: endpoint } : env;
  }

  private checkStep(ctx: Context, step: string): void {
    if (!ctx.flow.steps.some((s) => s.name === step)) {
      throw new RunRefused(`the flow ${ctx.flow.name} has no step '${step}'; its steps are ${ctx.flow.steps.map((s) => s.name).join(', ')}`);
    }
  }

  async resume(options: ResumeOptions): Promise<PreparedRun> {
    const ctx = this.context(options);
    if (options.step) this.checkStep(ctx, options.step);
    const layout = new LocalLayout(ctx.root);
    const origin = this.originRun(ctx, layout, options.originRunId);
    const scanned = await scanRun(ctx.settings.python, ctx.root, ctx.flow.name, origin, this.inspectorEnv(ctx)).catch((err: Error) => {
      throw new RunRefused(err.message);
    });
    let resume;
    try {
      resume = buildResumeSpec(ctx.flow, origin, scanned, options.step);
    } catch (err) {
      throw new RunRefused((err as Error).message);
    }
    const request = this.request(ctx, options, 'resume', ctx.root);
    request.resume = resume;
    return this.start(ctx, request, options.kubernetes);
  }

  async spin(options: SpinOptions): Promise<PreparedRun> {
    const ctx = this.context(options);
    this.checkStep(ctx, options.step);
    const layout = new LocalLayout(ctx.root);
    const env = this.inspectorEnv(ctx);
    const plan = async (run: string) => {
      const scanned = await scanRun(ctx.settings.python, ctx.root, ctx.flow.name, run, env).catch((err: Error) => {
        throw new RunRefused(err.message);
      });
      return planSpin(ctx.flow, run, scanned, options.step);
    };
    let origin = options.originRunId;
    let launches: Launch[] = [];
    if (origin) {
      this.checkOriginRun(ctx, layout, origin, '--origin-run-id');
      launches = await plan(origin);
      if (launches.length === 0) throw new RunRefused(`run ${ctx.flow.name}/${origin} did not reach step '${options.step}' (its inputs never finished), so there are no inputs to run it with`);
    } else {
      // "Reached" means the step's inputs finished there; a few newest candidates are enough to look at.
      for (const run of runsWithSteps(layout, ctx.flow.name, feedingSteps(ctx.flow, options.step)).slice(0, SPIN_CANDIDATES)) {
        launches = await plan(run);
        if (launches.length > 0) {
          origin = run;
          break;
        }
      }
      if (!origin) throw new NoRunReachedStepError(ctx.flow.name, options.step);
    }
    const spinRoot = resolveLocalRoot(path.dirname(ctx.root), undefined, SPIN_DATASTORE_DIR).root;
    const inputs = new Set<string>(launches.flatMap((l) => l.inputPaths));
    await mirrorTasks(layout, new LocalLayout(spinRoot), ctx.flow.name, [...inputs]);
    const request = this.request(ctx, options, 'spin', spinRoot);
    request.spin = { originRunId: origin, launches };
    return this.start(ctx, request);
  }
}
