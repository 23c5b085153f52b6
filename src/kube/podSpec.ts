// The pod pieces shared by the Kubernetes executor's Jobs and the Argo compiler's templates (reference §4.2.5-7):
// resources by QoS class, volumes, scheduling, Metaflow's labels and annotations, downward-API environment.
import { createHash } from 'node:crypto';
import type { V1EnvVar, V1PodSpec, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { KubernetesAttributes } from './kubernetesAttributes';
import { sanitizeLabelValue } from './labelValues';

/**
 * Burstable asks for cpu/memory/disk as requests only; Guaranteed sets limits equal to requests. A GPU is always a
 * limit (`<vendor>.com/gpu`), which Kubernetes copies to the request.
 */
export function containerResources(a: KubernetesAttributes): V1ResourceRequirements {
  const sized = { cpu: a.cpu, memory: `${a.memory}M`, 'ephemeral-storage': `${a.disk}M` };
  const limits: Record<string, string> = a.qos === 'Guaranteed' ? { ...sized } : {};
  if (a.gpu !== undefined) limits[`${a.gpuVendor}.com/gpu`] = String(a.gpu);
  return Object.keys(limits).length > 0 ? { requests: sized, limits } : { requests: sized };
}

export const TMPFS_VOLUME = 'tmpfs-ephemeral-volume';
export const SHARED_MEMORY_VOLUME = 'dhsm';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A claim's volume is named after it when the name is a valid volume name (claim names may contain dots). */
function claimVolumeName(claim: string): string {
  return DNS_LABEL.test(claim) ? claim : `pvc-${createHash('sha1').update(claim).digest('hex').slice(0, 12)}`;
}

export function podVolumes(a: KubernetesAttributes): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  if (a.useTmpfs && a.tmpfsSize !== undefined) {
    volumes.push({ name: TMPFS_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: `${a.tmpfsSize}Mi` } });
    mounts.push({ name: TMPFS_VOLUME, mountPath: a.tmpfsPath });
  }
  if (a.sharedMemory !== undefined) {
    volumes.push({ name: SHARED_MEMORY_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: `${a.sharedMemory}Mi` } });
    mounts.push({ name: SHARED_MEMORY_VOLUME, mountPath: '/dev/shm' });
  }
  for (const [claim, path] of Object.entries(a.persistentVolumeClaims)) {
    const name = claimVolumeName(claim);
    volumes.push({ name, persistentVolumeClaim: { claimName: claim } });
    mounts.push({ name, mountPath: path });
  }
  return { volumes, mounts };
}

export function podScheduling(a: KubernetesAttributes): Pick<V1PodSpec, 'nodeSelector' | 'tolerations' | 'serviceAccountName' | 'imagePullSecrets'> {
  const out: Pick<V1PodSpec, 'nodeSelector' | 'tolerations' | 'serviceAccountName' | 'imagePullSecrets'> = {};
  if (Object.keys(a.nodeSelector).length > 0) out.nodeSelector = { ...a.nodeSelector };
  if (a.tolerations.length > 0) out.tolerations = a.tolerations.map((t) => ({ ...t }));
  if (a.serviceAccount) out.serviceAccountName = a.serviceAccount;
  if (a.imagePullSecrets.length > 0) out.imagePullSecrets = a.imagePullSecrets.map((name) => ({ name }));
  return out;
}

/** Who and what a pod runs, for its labels and annotations. Argo templates leave out what is only known at run time. */
export interface TaskIdentity {
  flowName: string;
  runId?: string;
  step?: string;
  taskId?: string;
  attempt?: number;
  user?: string;
}

/** Label keys that select a run's Jobs and pods (values pass through sanitizeLabelValue). */
export const STUDIO_LABELS = {
  flowName: 'metaflow-studio/flow-name',
  runId: 'metaflow-studio/run-id',
  step: 'metaflow-studio/step-name',
  taskId: 'metaflow-studio/task-id',
  attempt: 'metaflow-studio/attempt',
} as const;

/** The label selector of every Job and pod of one run (what Cancel deletes). */
export function runLabelSelector(flowName: string, runId: string): string {
  return `${STUDIO_LABELS.flowName}=${sanitizeLabelValue(flowName)},${STUDIO_LABELS.runId}=${sanitizeLabelValue(runId)}`;
}

/** The label selector of one task attempt's pod. */
export function taskLabelSelector(id: Required<Pick<TaskIdentity, 'flowName' | 'runId' | 'step' | 'taskId' | 'attempt'>>): string {
  return [
    runLabelSelector(id.flowName, id.runId),
    `${STUDIO_LABELS.step}=${sanitizeLabelValue(id.step)}`,
    `${STUDIO_LABELS.taskId}=${sanitizeLabelValue(id.taskId)}`,
    `${STUDIO_LABELS.attempt}=${id.attempt}`,
  ].join(',');
}

/** The user's labels, then Metaflow's own and the selectors for this task (system labels win, as in Metaflow). */
export function metaflowLabels(userLabels: Record<string, string>, id: TaskIdentity): Record<string, string> {
  const labels: Record<string, string> = { ...userLabels, 'app.kubernetes.io/name': 'metaflow-task', 'app.kubernetes.io/part-of': 'metaflow' };
  labels[STUDIO_LABELS.flowName] = sanitizeLabelValue(id.flowName);
  if (id.runId !== undefined) labels[STUDIO_LABELS.runId] = sanitizeLabelValue(id.runId);
  if (id.step !== undefined) labels[STUDIO_LABELS.step] = sanitizeLabelValue(id.step);
  if (id.taskId !== undefined) labels[STUDIO_LABELS.taskId] = sanitizeLabelValue(id.taskId);
  if (id.attempt !== undefined) labels[STUDIO_LABELS.attempt] = String(id.attempt);
  return labels;
}

/** The user's annotations, then Metaflow's `metaflow/*` ones (read by `kubernetes list|kill`) and the project's. */
export function metaflowAnnotations(userAnnotations: Record<string, string>, id: TaskIdentity, projectAnnotations: Record<string, string> = {}): Record<string, string> {
  const annotations: Record<string, string> = { ...userAnnotations, 'metaflow/flow_name': id.flowName };
  if (id.runId !== undefined) annotations['metaflow/run_id'] = id.runId;
  if (id.step !== undefined) annotations['metaflow/step_name'] = id.step;
  if (id.taskId !== undefined) annotations['metaflow/task_id'] = id.taskId;
  if (id.attempt !== undefined) annotations['metaflow/attempt'] = String(id.attempt);
  if (id.user !== undefined) annotations['metaflow/user'] = id.user;
  return { ...annotations, ...projectAnnotations };
}

const DOWNWARD_FIELDS: Record<string, string> = {
  METAFLOW_KUBERNETES_NAMESPACE: 'metadata.namespace',
  METAFLOW_KUBERNETES_POD_NAMESPACE: 'metadata.namespace',
  METAFLOW_KUBERNETES_POD_NAME: 'metadata.name',
  METAFLOW_KUBERNETES_POD_ID: 'metadata.uid',
  METAFLOW_KUBERNETES_SERVICE_ACCOUNT_NAME: 'spec.serviceAccountName',
  METAFLOW_KUBERNETES_NODE_IP: 'status.hostIP',
};

/** The pod's own identity as environment variables (the task records them as metadata). */
export function downwardApiEnv(): V1EnvVar[] {
  return Object.entries(DOWNWARD_FIELDS).map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } }));
}

/** A container name for a step: Kubernetes allows lower-case letters, digits and '-' (Metaflow maps only `_`). */
export function containerName(step: string): string {
  const name = step.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return name || 'task';
}
