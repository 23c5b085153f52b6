// One `batch/v1` Job per task attempt, shaped as Metaflow's (reference §4.2.5-7). The scheduler owns retries
// (backoffLimit 0) and the pod reports its result through the termination message (podContract.ts).
import { randomBytes } from 'node:crypto';
import type { V1Container, V1EnvVar, V1Job } from '@kubernetes/client-node';
import type { KubernetesAttributes } from './kubernetesAttributes';
import { KUBERNETES_DEFAULTS } from './kubernetesSettings';
import { POD_ENV, TERMINATION_MESSAGE_PATH } from './podContract';
import { containerName, containerResources, downwardApiEnv, metaflowAnnotations, metaflowLabels, podScheduling, podVolumes } from './podSpec';

export interface TaskJobInput {
  attributes: KubernetesAttributes;
  flowName: string;
  runId: string;
  step: string;
  taskId: string;
  attempt: number;
  user: string;
  /** argv of the container; no shell. */
  command: string[];
  env: Record<string, string>;
  projectAnnotations?: Record<string, string>;
  /** Pods authenticate to Azure with workload identity (the webhook injects the token for labelled pods). */
  workloadIdentity: boolean;
}

export const WORKLOAD_IDENTITY_LABEL = 'azure.workload.identity/use';

/** Environment sorted by name, one entry per name: the downward-API names are the pod's own and cannot be overridden. */
function containerEnv(input: TaskJobInput): V1EnvVar[] {
  const a = input.attributes;
  const values: Record<string, string> = { ...input.env };
  values[POD_ENV.terminationMessagePath] = TERMINATION_MESSAGE_PATH;
  values[POD_ENV.kubernetesWorkload] = '1';
  if (a.useTmpfs && a.tmpfsTempdir && values.METAFLOW_TEMPDIR === undefined) values.METAFLOW_TEMPDIR = a.tmpfsPath;
  const downward = downwardApiEnv();
  for (const d of downward) delete values[d.name];
  const env: V1EnvVar[] = [...Object.entries(values).map(([name, value]) => ({ name, value })), ...downward];
  return env.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

export function buildTaskJob(input: TaskJobInput): V1Job {
  const a = input.attributes;
  const id = { flowName: input.flowName, runId: input.runId, step: input.step, taskId: input.taskId, attempt: input.attempt, user: input.user };
  const labels = metaflowLabels(a.labels, id);
  const annotations = metaflowAnnotations(a.annotations, id, input.projectAnnotations);
  const podLabels = input.workloadIdentity ? { ...labels, [WORKLOAD_IDENTITY_LABEL]: 'true' } : labels;
  const { volumes, mounts } = podVolumes(a);

  const container: V1Container = {
    name: containerName(input.step),
    image: a.image,
    command: [...input.command],
    env: containerEnv(input),
    resources: containerResources(a),
    terminationMessagePath: TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (a.imagePullPolicy) container.imagePullPolicy = a.imagePullPolicy;
  if (a.secrets.length > 0) container.envFrom = a.secrets.map((name) => ({ secretRef: { name } }));
  if (mounts.length > 0) container.volumeMounts = mounts;
  if (a.port !== undefined) container.ports = [{ containerPort: a.port }];
  if (a.securityContext && Object.keys(a.securityContext).length > 0) container.securityContext = { ...a.securityContext };

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { generateName: `t-${randomBytes(4).toString('hex')}-`, namespace: a.namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      completions: 1,
      ttlSecondsAfterFinished: a.jobTtlSeconds ?? KUBERNETES_DEFAULTS.jobTtlSeconds,
      template: {
        metadata: { labels: podLabels, annotations },
        spec: {
          activeDeadlineSeconds: a.timeoutSeconds,
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 0,
          containers: [container],
          ...podScheduling(a),
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
    },
  };
}
