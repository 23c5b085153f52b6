// The one door to a Kubernetes cluster: the user's kubeconfig (a file or the default chain, a context), typed
// calls over @kubernetes/client-node, every failure a KubeError saying what to do, transient ones retried.
import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import type { CoreV1Event, V1Job, V1Pod } from '@kubernetes/client-node';
import { callWithRetry, DEFAULT_RETRY, type RetryPolicy, toKubeError } from './apiRetry';
import { imageProblem } from './imageReference';
import { type CallContext, KubeError } from './kubeError';
import { type LogOptions, type LogStream, streamPodLog } from './podLogs';
import { STUDIO_LABELS } from './podSpec';
import { type PodEventType, type PodWatch, PodWatcher } from './podWatch';

export { KubeError } from './kubeError';
export type { PodWatch } from './podWatch';

export interface KubeTarget {
  /** A kubeconfig file; without it KUBECONFIG or ~/.kube/config, as kubectl reads them. */
  kubeconfigPath?: string;
  /** A context of that kubeconfig; without it its current context. */
  context?: string;
  namespace: string;
}

export interface KubeClientOptions {
  retry?: RetryPolicy;
}

export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
}

function kubeconfigHint(): string {
  return 'Get credentials for your AKS cluster with: az aks get-credentials --resource-group <group> --name <cluster>';
}

function loadConfig(target: KubeTarget): { kc: k8s.KubeConfig; source: string } {
  const kc = new k8s.KubeConfig();
  let source: string;
  if (target.kubeconfigPath) {
    source = target.kubeconfigPath;
    if (!existsSync(target.kubeconfigPath)) {
      throw new KubeError(`the kubeconfig ${target.kubeconfigPath} does not exist`, { reason: 'NoKubeconfig', hint: `Fix the kubeconfig path in the settings, or ${kubeconfigHint().toLowerCase()}` });
    }
    try {
      kc.loadFromFile(target.kubeconfigPath);
    } catch (err) {
      throw new KubeError(`the kubeconfig ${target.kubeconfigPath} cannot be read: ${(err as Error).message}`, { reason: 'BadKubeconfig', hint: kubeconfigHint() });
    }
  } else {
    source = process.env.KUBECONFIG ? `KUBECONFIG (${process.env.KUBECONFIG})` : '~/.kube/config';
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new KubeError(`the kubeconfig ${source} cannot be read: ${(err as Error).message}`, { reason: 'BadKubeconfig', hint: kubeconfigHint() });
    }
    // Without any file the library falls back to a cluster at localhost:8080, which is never what the user meant.
    if (kc.getContexts().length === 0 || kc.getCurrentContext() === 'loaded-context') {
      throw new KubeError(`no kubeconfig found (${source})`, { reason: 'NoKubeconfig', hint: kubeconfigHint() });
    }
  }
  if (target.context) {
    if (!kc.getContextObject(target.context)) {
      const names = kc.getContexts().map((c) => c.name);
      throw new KubeError(`the kubeconfig ${source} has no context "${target.context}"${names.length ? ` (it has ${names.join(', ')})` : ''}`, {
        reason: 'NoContext',
        hint: 'Pick one of its contexts in the settings (metaflow.kubernetes.context / METAFLOW_KUBERNETES_CONTEXT) or add it with az aks get-credentials',
      });
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentContext() || !kc.getCurrentCluster()) {
    throw new KubeError(`the kubeconfig ${source} has no current context`, { reason: 'NoContext', hint: 'Name a context in the settings, or run kubectl config use-context <name>' });
  }
  return { kc, source };
}

export class KubeClient {
  readonly contextName: string;
  readonly server: string;
  private readonly core: k8s.CoreV1Api;
  private readonly batch: k8s.BatchV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly retry: RetryPolicy;

  private constructor(
    private readonly kc: k8s.KubeConfig,
    readonly namespace: string,
    options: KubeClientOptions,
  ) {
    this.contextName = kc.getCurrentContext();
    this.server = kc.getCurrentCluster()?.server ?? '';
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.batch = kc.makeApiClient(k8s.BatchV1Api);
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  static load(target: KubeTarget, options: KubeClientOptions = {}): KubeClient {
    const { kc } = loadConfig(target);
    return new KubeClient(kc, target.namespace, options);
  }

  private ctx(action: string, namespace?: string): CallContext {
    return { action, contextName: this.contextName, server: this.server, namespace };
  }

  private call<T>(action: string, namespace: string | undefined, fn: () => Promise<T>, recover?: () => Promise<T | undefined>): Promise<T> {
    return callWithRetry(fn, this.ctx(action, namespace), this.retry, { recover });
  }

  /** Before the first Job: the image is well formed, the cluster answers, the namespace and service account exist. */
  async preflight(input: { namespace: string; serviceAccount?: string; image?: string }): Promise<void> {
    if (input.image !== undefined) {
      const problem = imageProblem(input.image);
      if (problem) throw new KubeError(problem, { reason: 'InvalidImageName', hint: 'Fix @kubernetes(image=...) or METAFLOW_KUBERNETES_CONTAINER_IMAGE' });
    }
    const ns = input.namespace;
    try {
      await this.call(`read namespace ${ns}`, ns, () => this.core.readNamespace({ name: ns }));
    } catch (err) {
      const e = err as KubeError;
      if (e.status === 404) {
        throw new KubeError(`the namespace "${ns}" does not exist on the cluster of context "${this.contextName}"`, { status: 404, reason: 'NoNamespace', hint: `Create it with: kubectl create namespace ${ns}, or set @kubernetes(namespace=...) / METAFLOW_KUBERNETES_NAMESPACE` });
      }
      // Many users may work in a namespace without being allowed to read namespaces; that is not a failure.
      if (e.status !== 403) throw e;
    }
    if (input.serviceAccount) {
      const sa = input.serviceAccount;
      try {
        await this.call(`read service account ${sa}`, ns, () => this.core.readNamespacedServiceAccount({ name: sa, namespace: ns }));
      } catch (err) {
        const e = err as KubeError;
        if (e.status === 404) {
          throw new KubeError(`the service account "${sa}" does not exist in namespace ${ns}`, { status: 404, reason: 'NoServiceAccount', hint: `Create it with: kubectl create serviceaccount ${sa} -n ${ns} (for workload identity, annotate it with azure.workload.identity/client-id), or fix @kubernetes(service_account=...) / METAFLOW_KUBERNETES_SERVICE_ACCOUNT` });
        }
        if (e.status !== 403) throw e;
      }
    }
  }

  /** Creates a Job; a retry after an ambiguous failure first looks for the Job the failed attempt may have made. */
  createJob(ns: string, job: V1Job): Promise<V1Job> {
    const labels = job.metadata?.labels ?? {};
    const selectorKeys = [STUDIO_LABELS.flowName, STUDIO_LABELS.runId, STUDIO_LABELS.step, STUDIO_LABELS.taskId, STUDIO_LABELS.attempt];
    const selector = selectorKeys.every((k) => labels[k] !== undefined) ? selectorKeys.map((k) => `${k}=${labels[k]}`).join(',') : undefined;
    const recover = selector
      ? async (): Promise<V1Job | undefined> => (await this.batch.listNamespacedJob({ namespace: ns, labelSelector: selector })).items[0]
      : undefined;
    return this.call(`create Job ${job.metadata?.name ?? job.metadata?.generateName ?? ''}`, ns, () => this.batch.createNamespacedJob({ namespace: ns, body: job }), recover);
  }

  getJob(ns: string, name: string): Promise<V1Job> {
    return this.call(`read Job ${name}`, ns, () => this.batch.readNamespacedJob({ name, namespace: ns }));
  }

  /** Deletes a Job and, first, its pods (foreground). A Job already gone is not an error. */
  async deleteJob(ns: string, name: string): Promise<void> {
    try {
      await this.call(`delete Job ${name}`, ns, () => this.batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: 'Foreground' }));
    } catch (err) {
      if ((err as KubeError).status !== 404) throw err;
    }
  }

  /** Deletes every Job matching the selector (foreground); returns how many there were. */
  async deleteJobs(ns: string, labelSelector: string): Promise<number> {
    const jobs = await this.listJobs(ns, labelSelector);
    await Promise.all(jobs.map((j) => this.deleteJob(ns, j.metadata!.name!)));
    return jobs.length;
  }

  listJobs(ns: string, labelSelector: string): Promise<V1Job[]> {
    return this.call(`list Jobs (${labelSelector})`, ns, async () => (await this.batch.listNamespacedJob({ namespace: ns, labelSelector })).items);
  }

  getPod(ns: string, name: string): Promise<V1Pod> {
    return this.call(`read pod ${name}`, ns, () => this.core.readNamespacedPod({ name, namespace: ns }));
  }

  listPods(ns: string, labelSelector: string): Promise<V1Pod[]> {
    return this.call(`list pods (${labelSelector})`, ns, async () => (await this.core.listNamespacedPod({ namespace: ns, labelSelector })).items);
  }

  /** The Events about one object (a pod or a Job), oldest first as the API lists them. */
  listEvents(ns: string, involvedName: string): Promise<CoreV1Event[]> {
    return this.call(`list Events of ${involvedName}`, ns, async () => (await this.core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${involvedName}` })).items);
  }

  watchPods(ns: string, labelSelector: string, onEvent: (type: PodEventType, pod: V1Pod) => void, onError?: (err: Error) => void): PodWatch {
    const watch = new k8s.Watch(this.kc);
    const source = {
      list: async (namespace: string, selector: string) => {
        const list = await this.call(`list pods (${selector})`, namespace, () => this.core.listNamespacedPod({ namespace, labelSelector: selector }));
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion };
      },
      watch: async (namespace: string, query: Record<string, string | boolean | undefined>, cb: (type: string, obj: unknown) => void, done: (err: unknown) => void) => {
        const controller = await watch.watch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, query, cb, done);
        return { abort: () => controller.abort() };
      },
    };
    const report = (err: Error): void => onError?.(toKubeError(err, this.ctx(`watch pods (${labelSelector})`, ns)));
    return new PodWatcher(source, ns, labelSelector, onEvent, report).start();
  }

  followLogs(ns: string, pod: string, container: string, onLine: (line: string, ts?: number) => void, opts: LogOptions = {}): LogStream {
    return streamPodLog(this.kc, this.ctx(`follow the log of pod ${pod}`, ns), { namespace: ns, pod, container, follow: true }, opts, onLine);
  }

  async readLogs(ns: string, pod: string, container: string, opts: LogOptions = {}): Promise<string> {
    const lines: string[] = [];
    const stream = streamPodLog(this.kc, this.ctx(`read the log of pod ${pod}`, ns), { namespace: ns, pod, container, follow: false }, opts, (line) => lines.push(line));
    await stream.done;
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  createCustomObject(ref: CustomObjectRef, body: object, opts: { dryRun?: boolean } = {}): Promise<object> {
    return this.call(`create ${ref.plural}.${ref.group}`, ref.namespace, () =>
      this.custom.createNamespacedCustomObject({ ...ref, body, dryRun: opts.dryRun ? 'All' : undefined }) as Promise<object>,
    );
  }

  replaceCustomObject(ref: CustomObjectRef, name: string, body: object, opts: { dryRun?: boolean } = {}): Promise<object> {
    return this.call(`replace ${ref.plural}.${ref.group} ${name}`, ref.namespace, () =>
      this.custom.replaceNamespacedCustomObject({ ...ref, name, body, dryRun: opts.dryRun ? 'All' : undefined }) as Promise<object>,
    );
  }

  /** The object, or undefined when it does not exist. */
  async getCustomObject(ref: CustomObjectRef, name: string): Promise<object | undefined> {
    try {
      return (await this.call(`read ${ref.plural}.${ref.group} ${name}`, ref.namespace, () => this.custom.getNamespacedCustomObject({ ...ref, name }))) as object;
    } catch (err) {
      if ((err as KubeError).status === 404) return undefined;
      throw err;
    }
  }

  /** Deletes the object; false when it did not exist. */
  async deleteCustomObject(ref: CustomObjectRef, name: string, opts: { dryRun?: boolean } = {}): Promise<boolean> {
    try {
      await this.call(`delete ${ref.plural}.${ref.group} ${name}`, ref.namespace, () =>
        this.custom.deleteNamespacedCustomObject({ ...ref, name, propagationPolicy: 'Foreground', dryRun: opts.dryRun ? 'All' : undefined }),
      );
      return true;
    } catch (err) {
      if ((err as KubeError).status === 404) return false;
      throw err;
    }
  }

  async listCustomObjects(ref: CustomObjectRef, opts: { labelSelector?: string } = {}): Promise<object[]> {
    const list = (await this.call(`list ${ref.plural}.${ref.group}`, ref.namespace, () => this.custom.listNamespacedCustomObject({ ...ref, labelSelector: opts.labelSelector }))) as { items?: object[] };
    return list.items ?? [];
  }
}
