// The command line's Kubernetes access, bundled apart (dist/cliKube.js) and loaded only by runs with
// Kubernetes steps: the Kubernetes client is large, and a local run should not compile it.
import { KubeClient } from '../kube/kubeClient';
import type { KubeApi } from '../runtime/workers/kubernetesPool';

export function openKubeClient(target: { kubeconfigPath?: string; context?: string; namespace: string }): KubeApi {
  return KubeClient.load(target);
}
