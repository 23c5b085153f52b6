// The METAFLOW_* settings the Kubernetes attributes fall back to, by Metaflow's names, and their defaults.

export const KUBERNETES_SETTINGS = {
  cpu: 'METAFLOW_KUBERNETES_CPU',
  memory: 'METAFLOW_KUBERNETES_MEMORY',
  disk: 'METAFLOW_KUBERNETES_DISK',
  image: 'METAFLOW_KUBERNETES_CONTAINER_IMAGE',
  registry: 'METAFLOW_KUBERNETES_CONTAINER_REGISTRY',
  imagePullPolicy: 'METAFLOW_KUBERNETES_IMAGE_PULL_POLICY',
  imagePullSecrets: 'METAFLOW_KUBERNETES_IMAGE_PULL_SECRETS',
  serviceAccount: 'METAFLOW_KUBERNETES_SERVICE_ACCOUNT',
  secrets: 'METAFLOW_KUBERNETES_SECRETS',
  nodeSelector: 'METAFLOW_KUBERNETES_NODE_SELECTOR',
  namespace: 'METAFLOW_KUBERNETES_NAMESPACE',
  gpuVendor: 'METAFLOW_KUBERNETES_GPU_VENDOR',
  tolerations: 'METAFLOW_KUBERNETES_TOLERATIONS',
  labels: 'METAFLOW_KUBERNETES_LABELS',
  annotations: 'METAFLOW_KUBERNETES_ANNOTATIONS',
  persistentVolumeClaims: 'METAFLOW_KUBERNETES_PERSISTENT_VOLUME_CLAIMS',
  sharedMemory: 'METAFLOW_KUBERNETES_SHARED_MEMORY',
  port: 'METAFLOW_KUBERNETES_PORT',
  qos: 'METAFLOW_KUBERNETES_QOS',
  jobTtl: 'METAFLOW_KUBERNETES_JOB_TTL_SECONDS_AFTER_FINISHED',
  runtimeLimit: 'METAFLOW_DEFAULT_RUNTIME_LIMIT',
} as const;

export const KUBERNETES_DEFAULTS = {
  cpu: '1',
  memory: '4096',
  disk: '10240',
  namespace: 'default',
  gpuVendor: 'nvidia',
  qos: 'Burstable',
  tmpfsPath: '/metaflow_temp',
  /** METAFLOW_DEFAULT_RUNTIME_LIMIT: five days. */
  runtimeLimitSeconds: 5 * 24 * 60 * 60,
  /** METAFLOW_KUBERNETES_JOB_TTL_SECONDS_AFTER_FINISHED: seven days. */
  jobTtlSeconds: 7 * 24 * 60 * 60,
  /** Kubernetes cannot enforce a shorter limit reliably (Metaflow refuses it too). */
  minTimeoutSeconds: 60,
} as const;

/** `@resources` defaults take part in the max-merge, as in Metaflow (`@resources(memory=...)` alone still lifts cpu to 1). */
export const RESOURCES_DEFAULTS: Record<'cpu' | 'memory' | 'disk', string | undefined> = { cpu: '1', memory: '4096', disk: undefined };
