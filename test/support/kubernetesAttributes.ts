// A task's @kubernetes attributes as the resolver gives them for a bare `@kubernetes` with the image set:
// Metaflow's defaults (reference §7), the run-time limit included. Tests override what they check.
import type { KubernetesAttributes } from '../../src/kube/kubernetesAttributes';

export const DEFAULT_TEST_ATTRIBUTES: KubernetesAttributes = {
  cpu: '1',
  memory: '4096',
  disk: '10240',
  gpuVendor: 'nvidia',
  image: 'python:3.11',
  imagePullSecrets: [],
  namespace: 'default',
  secrets: [],
  nodeSelector: {},
  tolerations: [],
  labels: {},
  annotations: {},
  useTmpfs: false,
  tmpfsTempdir: true,
  tmpfsPath: '/metaflow_temp',
  persistentVolumeClaims: {},
  qos: 'Burstable',
  timeoutSeconds: 432000,
};
