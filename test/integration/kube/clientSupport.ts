// Helpers for the KubeClient integration tests: a task Job running real python3, and waiting on the watch.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../../../src/kube/kubeClient';
import { buildTaskJob } from '../../../src/kube/jobSpec';
import type { KubernetesAttributes } from '../../../src/kube/kubernetesAttributes';
import { taskLabelSelector } from '../../../src/kube/podSpec';
import { DEFAULT_TEST_ATTRIBUTES } from '../../support/kubernetesAttributes';

/** A task's attributes with a short run-time limit: a test's pod never outlives its test. */
export const ATTRIBUTES: KubernetesAttributes = { ...DEFAULT_TEST_ATTRIBUTES, timeoutSeconds: 600 };

let counter = 0;

/** A task Job whose container runs `python3 -c <code>`; each call is a new task of run `runId`. */
export function pythonTaskJob(code: string, options: { runId?: string; attributes?: Partial<KubernetesAttributes> } = {}): { job: V1Job; selector: string } {
  const id = { flowName: 'ClientFlow', runId: options.runId ?? 'r1', step: 'train_model', taskId: String(++counter), attempt: 0 };
  const job = buildTaskJob({ ...id, attributes: { ...ATTRIBUTES, ...options.attributes }, user: 'ana', command: ['python3', '-u', '-c', code], env: { GREETING: 'hello' }, workloadIdentity: false });
  return { job, selector: taskLabelSelector(id) };
}

/** Resolves with the first pod the watch reports that satisfies `done`. */
export function waitForPod(client: KubeClient, ns: string, selector: string, done: (pod: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      watch.stop();
      reject(new Error(`no pod matching ${selector} reached the expected state in ${timeoutMs} ms`));
    }, timeoutMs);
    const watch = client.watchPods(ns, selector, (_type, pod) => {
      if (done(pod)) {
        clearTimeout(timer);
        watch.stop();
        resolve(pod);
      }
    });
  });
}

export const finished = (pod: V1Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
