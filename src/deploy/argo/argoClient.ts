// The Argo objects of a deployment in the cluster: WorkflowTemplate, CronWorkflow, Sensor and the Workflows
// a trigger submits. Reached through the custom-object calls of the Kubernetes client (src/kube), so every
// failure is already a KubeError naming the context and what to do; this layer adds the one failure that
// needs Argo's words: its custom resources are not installed.
import { KubeError } from '../../kube/kubeError';
import type { Manifest } from './types';

export type ArgoKind = 'WorkflowTemplate' | 'CronWorkflow' | 'Sensor' | 'Workflow';

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';

export const ARGO_PLURALS: Record<ArgoKind, string> = {
  WorkflowTemplate: 'workflowtemplates',
  CronWorkflow: 'cronworkflows',
  Sensor: 'sensors',
  Workflow: 'workflows',
};

/** Who installs each kind: Argo Workflows, or Argo Events for sensors. */
const INSTALLED_BY: Record<ArgoKind, string> = {
  WorkflowTemplate: 'Argo Workflows',
  CronWorkflow: 'Argo Workflows',
  Workflow: 'Argo Workflows',
  Sensor: 'Argo Events',
};

interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
}

/** The custom-object calls of src/kube/kubeClient.ts's KubeClient that Argo deployments use. */
export interface ArgoKubeApi {
  readonly contextName: string;
  createCustomObject(ref: CustomObjectRef, body: object, opts?: { dryRun?: boolean }): Promise<object>;
  replaceCustomObject(ref: CustomObjectRef, name: string, body: object, opts?: { dryRun?: boolean }): Promise<object>;
  getCustomObject(ref: CustomObjectRef, name: string): Promise<object | undefined>;
  deleteCustomObject(ref: CustomObjectRef, name: string, opts?: { dryRun?: boolean }): Promise<boolean>;
  listCustomObjects(ref: CustomObjectRef, opts?: { labelSelector?: string }): Promise<object[]>;
}

export class ArgoNotInstalledError extends Error {
  constructor(
    readonly kind: ArgoKind,
    readonly contextName: string,
  ) {
    super(
      `${INSTALLED_BY[kind]} is not installed in cluster ${contextName}: no ${ARGO_PLURALS[kind]}.${GROUP}. ` +
        (INSTALLED_BY[kind] === 'Argo Events'
          ? 'Install Argo Events (https://argoproj.github.io/argo-events/installation/) for @trigger and @trigger_on_finish, or pick another context.'
          : 'Install Argo Workflows (https://argo-workflows.readthedocs.io/en/latest/installation/), or pick the context of a cluster that has it.'),
    );
    this.name = 'ArgoNotInstalledError';
  }
}

export function ref(kind: ArgoKind, namespace: string): CustomObjectRef {
  return { group: GROUP, version: VERSION, plural: ARGO_PLURALS[kind], namespace };
}

/** Fields the server owns: dropped before comparing what is deployed with what would be. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

export function withoutServerFields(object: Manifest): Manifest {
  const copy = JSON.parse(JSON.stringify(object)) as Manifest;
  delete copy.status;
  const meta = copy.metadata as Manifest | undefined;
  if (meta) for (const field of SERVER_METADATA) delete meta[field];
  return copy;
}

export class ArgoClient {
  constructor(private readonly kube: ArgoKubeApi) {}

  get contextName(): string {
    return this.kube.contextName;
  }

  /**
   * Lists the kind in the namespace: a 404 on the collection means the custom resource is not defined in
   * the cluster (an object that does not exist answers 404 only when named), said as such.
   */
  async ensureInstalled(kind: ArgoKind, namespace: string): Promise<void> {
    try {
      await this.kube.listCustomObjects(ref(kind, namespace));
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) throw new ArgoNotInstalledError(kind, this.kube.contextName);
      throw err;
    }
  }

  async get(kind: ArgoKind, namespace: string, name: string): Promise<Manifest | undefined> {
    return (await this.kube.getCustomObject(ref(kind, namespace), name)) as Manifest | undefined;
  }

  async list(kind: ArgoKind, namespace: string, labelSelector?: string): Promise<Manifest[]> {
    return (await this.kube.listCustomObjects(ref(kind, namespace), { labelSelector })) as Manifest[];
  }

  /**
   * Creates the object, or replaces `existing` (its resourceVersion makes the replace fail rather than
   * overwrite a change made since it was read). With dryRun the server validates and admits it, stores nothing.
   */
  async apply(kind: ArgoKind, manifest: Manifest, existing: Manifest | undefined, opts: { dryRun?: boolean } = {}): Promise<Manifest> {
    const meta = manifest.metadata as { name: string; namespace: string };
    const r = ref(kind, meta.namespace);
    if (!existing) return (await this.kube.createCustomObject(r, manifest, opts)) as Manifest;
    const resourceVersion = (existing.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    const body = { ...manifest, metadata: { ...(manifest.metadata as object), resourceVersion } };
    return (await this.kube.replaceCustomObject(r, meta.name, body, opts)) as Manifest;
  }

  delete(kind: ArgoKind, namespace: string, name: string): Promise<boolean> {
    return this.kube.deleteCustomObject(ref(kind, namespace), name);
  }

  /** Submits a Workflow (its name generated by the server); returns it as created. */
  async submit(workflow: Manifest): Promise<Manifest> {
    const namespace = (workflow.metadata as { namespace: string }).namespace;
    return (await this.kube.createCustomObject(ref('Workflow', namespace), workflow)) as Manifest;
  }
}
