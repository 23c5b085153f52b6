// The command line's cluster client, loaded only by runs with Kubernetes steps (src/kube/loadKubeClient.ts).
import { loadKubeClient } from '../kube/loadKubeClient';
import type { KubeApi } from '../runtime/workers/kubernetesPool';

export function lazyKubeClient(target: { kubeconfigPath?: string; context?: string; namespace: string }): KubeApi {
  return loadKubeClient().load(target);
}
