// Shared helpers of the simulator's own tests: clients built from the generated kubeconfig (as product code
// builds them), a Job of one python3 container, and waiting on a watch for a condition.
import * as k8s from '@kubernetes/client-node';
import type { KubeSimulator } from '../../support/kubeSim';

export const PYTHON = '/usr/bin/python3';

export interface Clients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
}

export function clients(sim: KubeSimulator): Clients {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), batch: kc.makeApiClient(k8s.BatchV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
}

export function pythonJob(name: string, code: string, extra: { container?: Partial<k8s.V1Container>; pod?: Partial<k8s.V1PodSpec>; job?: Partial<k8s.V1JobSpec>; labels?: Record<string, string> } = {}): k8s.V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: extra.labels },
    spec: {
      backoffLimit: 0,
      ...extra.job,
      template: {
        metadata: { labels: extra.labels },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 0,
          ...extra.pod,
          containers: [{ name: 'main', image: 'python:3.11', command: ['python3', '-u', '-c', code], ...extra.container }],
        },
      },
    },
  };
}

/** Resolves with the first object a watch of `path` reports for which `done` holds. */
export function waitFor<T extends k8s.KubernetesObject>(kc: k8s.KubeConfig, path: string, query: Record<string, string>, done: (o: T, type: string) => boolean, timeoutMs = 20000): Promise<T> {
  return new Promise((resolve, reject) => {
    let request: AbortController | undefined;
    const timer = setTimeout(() => {
      request?.abort();
      reject(new Error(`no object of ${path} ${JSON.stringify(query)} reached the expected state within ${timeoutMs} ms`));
    }, timeoutMs);
    void new k8s.Watch(kc)
      .watch(
        path,
        query,
        (type, object: T) => {
          if (done(object, type)) {
            clearTimeout(timer);
            request?.abort();
            resolve(object);
          }
        },
        (error) => {
          if (error && (error as Error).name !== 'AbortError') {
            clearTimeout(timer);
            reject(error);
          }
        },
      )
      .then((r) => (request = r), reject);
  });
}

export function podsOf(core: k8s.CoreV1Api, job: string, namespace = 'default'): Promise<k8s.V1Pod[]> {
  return core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` }).then((l) => l.items);
}

export function finishedPod(kc: k8s.KubeConfig, job: string, namespace = 'default'): Promise<k8s.V1Pod> {
  return waitFor<k8s.V1Pod>(kc, `/api/v1/namespaces/${namespace}/pods`, { labelSelector: `job-name=${job}` }, (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
}

export function finishedJob(kc: k8s.KubeConfig, job: string, namespace = 'default'): Promise<k8s.V1Job> {
  return waitFor<k8s.V1Job>(kc, `/apis/batch/v1/namespaces/${namespace}/jobs`, { fieldSelector: `metadata.name=${job}` }, (j) => !!j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True'));
}

/** The API's error body (a Status) from a client-node ApiException. */
export function statusOf(error: unknown): { code: number; reason: string; message: string; details?: { causes?: { field?: string; message?: string }[] } } {
  const e = error as { code?: number; body?: unknown };
  const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
  return body as ReturnType<typeof statusOf>;
}
