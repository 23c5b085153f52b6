// Inputs and outputs of the Argo Workflows compiler. Manifests are plain JSON objects shaped as the Argo
// and Kubernetes APIs define them (validated in tests against the pinned schemas).
import type { DeployProblem } from '../deployProblem';
import type { ProjectNaming } from '../names';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Manifest = { [key: string]: Json };

/** What `checkArgo` needs: enough to refuse a flow without compiling it (editor diagnostics). */
export interface ArgoCheckOptions {
  /** METAFLOW_* settings by full name (env > config files > editor settings). */
  config: Record<string, string | undefined>;
  /** `--name`. */
  name?: string;
  /** The flow's @project naming, when it has one (name and branch resolved by the caller). */
  project?: ProjectNaming;
}

export interface ArgoCompileOptions extends ArgoCheckOptions {
  /** Kubernetes namespace of the WorkflowTemplate (`--namespace`, else METAFLOW_KUBERNETES_NAMESPACE, else `default`). */
  namespace?: string;
  /** `--max-workers`: the workflow's parallelism. */
  maxWorkers?: number;
  /** `--workflow-timeout` in seconds. */
  workflowTimeout?: number;
  /** `--workflow-priority`. */
  workflowPriority?: number;
  /** `--tag`, added to every run of the deployment. */
  tags?: string[];
  productionToken: string;
  /** Who deploys (METAFLOW_OWNER of the runs, `metaflow/owner`). */
  user: string;
  /** ISO time of the deployment; given so the output is reproducible. */
  deploymentTimestamp: string;
  /** The code package uploaded to the datastore. */
  codePackage: { sha: string; url: string };
  /** Source text of the pod loader (podContract POD_LOADER_MODULE_FILE), run with `python3 -c`. */
  podLoaderSource: string;
  /** 'major.minor' of the deploying interpreter, for the default image. */
  pythonVersion?: string;
  /** The flow file's name relative to the code package root. */
  flowFile: string;
  /** `--auto-emit-argo-events/--no-auto-emit-argo-events` (default on): steps publish Metaflow's events when they succeed. */
  autoEmitArgoEvents?: boolean;
}

export interface ArgoManifests {
  workflowTemplate: Manifest;
  cronWorkflow?: Manifest;
  sensor?: Manifest;
}

export type ArgoCompileResult = (ArgoManifests & { problems: [] }) | { problems: DeployProblem[] };

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
export const RUN_ID = 'argo-{{workflow.name}}';
export const DEFAULT_MAX_WORKERS = 100;
export const DEFAULT_NAMESPACE = 'default';
