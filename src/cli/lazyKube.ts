// The command line's cluster client, loaded only by runs with Kubernetes steps (src/kube/loadKubeClient.ts).
import type { KubeClient } from '../kube/kubeClient';
import { loadKubeClient } from '../kube/loadKubeClient';

export function lazyKubeClient(target: { kubeconfigPath?: string; context?: string; namespace: string }): KubeClient {
  return loadKubeClient().load(target);
}
