import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job } from '@kubernetes/client-node';
import { buildTaskJob, type TaskJobInput } from '../../../src/kube/jobSpec';
import type { KubernetesAttributes } from '../../../src/kube/kubernetesAttributes';
import { POD_ENV, TERMINATION_MESSAGE_PATH } from '../../../src/kube/podContract';
import { runLabelSelector, taskLabelSelector } from '../../../src/kube/podSpec';
import { SchemaValidator } from '../../support/kubeSim/schemaValidator';
import { DEFAULT_TEST_ATTRIBUTES } from '../../support/kubernetesAttributes';


function input(attributes: Partial<KubernetesAttributes>, extra: Partial<TaskJobInput> = {}): TaskJobInput {
  return {
    attributes: { ...DEFAULT_TEST_ATTRIBUTES, ...attributes },
    flowName: 'TrainFlow',
    runId: '1733520000000000',
    step: 'train_model',
    taskId: '3',
    attempt: 1,
    user: 'ana',
    command: ['python', '-c', 'print(1)', 'task'],
    env: { METAFLOW_RUN_ID: '1733520000000000', ZED: 'z', METAFLOW_KUBERNETES_POD_NAME: 'spoofed' },
    workloadIdentity: false,
    ...extra,
  };
}

const validator = new SchemaValidator();
function assertValidJob(job: V1Job): void {
  // The validator closes every object definition: an unknown field is an error, as the API server decodes strictly.
  validator.check('kubernetes', 'io.k8s.api.batch.v1.Job', JSON.parse(JSON.stringify(job)), 'Job', 'batch');
}

const MATRIX: Array<[string, Partial<KubernetesAttributes>, Partial<TaskJobInput>?]> = [
  ['defaults', {}],
  ['guaranteed with a GPU', { qos: 'Guaranteed', gpu: 2, gpuVendor: 'amd', cpu: '8', memory: '65536' }],
  ['burstable with a GPU', { gpu: 1 }],
  ['tmpfs, shared memory and claims', { useTmpfs: true, tmpfsSize: 2048, sharedMemory: 512, persistentVolumeClaims: { data: '/mnt/data', 'files.v2': '/mnt/files' } }],
  [
    'scheduling, secrets and security',
    {
      nodeSelector: { agentpool: 'gpu' },
      tolerations: [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule', tolerationSeconds: 60 }],
      serviceAccount: 'runner',
      imagePullSecrets: ['acr-pull'],
      imagePullPolicy: 'Always',
      secrets: ['db-creds', 'api-keys'],
      port: 8080,
      securityContext: { runAsUser: 1000, runAsNonRoot: true, privileged: false },
      labels: { team: 'vision' },
      annotations: { owner: 'ana@example.com' },
      namespace: 'ml',
      jobTtlSeconds: 600,
    },
    { workloadIdentity: true, projectAnnotations: { 'metaflow/project_name': 'demo', 'metaflow/branch_name': 'user.ana' } },
  ],
];

describe('buildTaskJob', () => {
  for (const [name, attrs, extra] of MATRIX) {
    it(`builds a schema-valid Job: ${name}`, () => {
      const job = buildTaskJob(input(attrs, extra));
      assertValidJob(job);
      const spec = job.spec!;
      const pod = spec.template.spec!;
      const container = pod.containers[0]!;
      assert.match(job.metadata!.generateName!, /^t-[0-9a-f]{8}-$/);
      assert.equal(job.metadata!.namespace, attrs.namespace ?? 'default');
      assert.equal(spec.backoffLimit, 0);
      assert.equal(spec.completions, 1);
      assert.equal(spec.ttlSecondsAfterFinished, attrs.jobTtlSeconds ?? 7 * 24 * 3600);
      assert.equal(pod.activeDeadlineSeconds, 432000);
      assert.equal(pod.restartPolicy, 'Never');
      assert.equal(pod.terminationGracePeriodSeconds, 0);
      assert.equal(pod.containers.length, 1);
      assert.equal(container.name, 'train-model');
      assert.equal(container.terminationMessagePolicy, 'FallbackToLogsOnError');
      assert.equal(container.terminationMessagePath, TERMINATION_MESSAGE_PATH);
      assert.deepEqual(container.command, ['python', '-c', 'print(1)', 'task']);

      const env = container.env!;
      const names = env.map((e) => e.name);
      assert.deepEqual(names, [...names].sort(), 'env sorted');
      assert.equal(new Set(names).size, names.length, 'env deduplicated');
      assert.equal(env.find((e) => e.name === POD_ENV.terminationMessagePath)?.value, TERMINATION_MESSAGE_PATH);
      assert.equal(env.find((e) => e.name === POD_ENV.kubernetesWorkload)?.value, '1');
      assert.deepEqual(env.find((e) => e.name === 'METAFLOW_KUBERNETES_POD_NAME')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } }, 'the downward API wins');
      assert.equal(env.find((e) => e.name === 'METAFLOW_KUBERNETES_NODE_IP')?.valueFrom?.fieldRef?.fieldPath, 'status.hostIP');

      const labels = job.metadata!.labels!;
      assert.equal(labels['app.kubernetes.io/name'], 'metaflow-task');
      assert.equal(labels['app.kubernetes.io/part-of'], 'metaflow');
      for (const [k, v] of Object.entries(attrs.labels ?? {})) assert.equal(labels[k], v);
      const annotations = job.metadata!.annotations!;
      assert.deepEqual(
        { f: annotations['metaflow/flow_name'], r: annotations['metaflow/run_id'], s: annotations['metaflow/step_name'], t: annotations['metaflow/task_id'], a: annotations['metaflow/attempt'], u: annotations['metaflow/user'] },
        { f: 'TrainFlow', r: '1733520000000000', s: 'train_model', t: '3', a: '1', u: 'ana' },
      );
      for (const [k, v] of Object.entries({ ...attrs.annotations, ...extra?.projectAnnotations })) assert.equal(annotations[k], v);
      assert.deepEqual(spec.template.metadata!.annotations, annotations);
      assert.equal(spec.template.metadata!.labels!['azure.workload.identity/use'], extra?.workloadIdentity ? 'true' : undefined);
    });
  }

  it('asks for resources by QoS class, with the GPU as a vendor limit', () => {
    const burstable = buildTaskJob(input({ cpu: '2', memory: '8000', disk: '20000', gpu: 1 })).spec!.template.spec!.containers[0]!.resources!;
    assert.deepEqual(burstable, { requests: { cpu: '2', memory: '8000M', 'ephemeral-storage': '20000M' }, limits: { 'nvidia.com/gpu': '1' } });
    const guaranteed = buildTaskJob(input({ qos: 'Guaranteed', gpu: 2, gpuVendor: 'amd' })).spec!.template.spec!.containers[0]!.resources!;
    assert.deepEqual(guaranteed.requests, { cpu: '1', memory: '4096M', 'ephemeral-storage': '10240M' });
    assert.deepEqual(guaranteed.limits, { cpu: '1', memory: '4096M', 'ephemeral-storage': '10240M', 'amd.com/gpu': '2' });
    assert.equal(buildTaskJob(input({})).spec!.template.spec!.containers[0]!.resources!.limits, undefined);
  });

  it('mounts tmpfs, /dev/shm and claims, and points METAFLOW_TEMPDIR at tmpfs', () => {
    const job = buildTaskJob(input({ useTmpfs: true, tmpfsSize: 2048, sharedMemory: 512, persistentVolumeClaims: { data: '/mnt/data' } }));
    const pod = job.spec!.template.spec!;
    assert.deepEqual(pod.volumes, [
      { name: 'tmpfs-ephemeral-volume', emptyDir: { medium: 'Memory', sizeLimit: '2048Mi' } },
      { name: 'dhsm', emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
    ]);
    assert.deepEqual(pod.containers[0]!.volumeMounts, [
      { name: 'tmpfs-ephemeral-volume', mountPath: '/metaflow_temp' },
      { name: 'dhsm', mountPath: '/dev/shm' },
      { name: 'data', mountPath: '/mnt/data' },
    ]);
    assert.equal(pod.containers[0]!.env!.find((e) => e.name === 'METAFLOW_TEMPDIR')?.value, '/metaflow_temp');
  });

  it('passes secrets as envFrom and scheduling as given', () => {
    const job = buildTaskJob(input({ secrets: ['db-creds'], nodeSelector: { pool: 'a' }, serviceAccount: 'runner', imagePullSecrets: ['regcred'] }));
    const pod = job.spec!.template.spec!;
    assert.deepEqual(pod.containers[0]!.envFrom, [{ secretRef: { name: 'db-creds' } }]);
    assert.deepEqual(pod.nodeSelector, { pool: 'a' });
    assert.equal(pod.serviceAccountName, 'runner');
    assert.deepEqual(pod.imagePullSecrets, [{ name: 'regcred' }]);
  });

  it('labels every Job with selectors for its run and task, valid whatever the names', () => {
    const job = buildTaskJob(input({}, { flowName: 'Flow With Spaces', runId: 'argo-run/1' }));
    assertValidJob(job);
    const labels = job.metadata!.labels!;
    const selectorOf = (sel: string): Record<string, string> => Object.fromEntries(sel.split(',').map((p) => p.split('=') as [string, string]));
    for (const [k, v] of Object.entries(selectorOf(runLabelSelector('Flow With Spaces', 'argo-run/1')))) assert.equal(labels[k], v);
    const task = selectorOf(taskLabelSelector({ flowName: 'Flow With Spaces', runId: 'argo-run/1', step: 'train_model', taskId: '3', attempt: 1 }));
    for (const [k, v] of Object.entries(task)) assert.equal(job.spec!.template.metadata!.labels![k], v);
    assert.notEqual(runLabelSelector('A', '1'), runLabelSelector('A', '2'));
  });

  it('is checked by a schema that refuses unknown fields and wrong types', () => {
    const job = JSON.parse(JSON.stringify(buildTaskJob(input({})))) as V1Job & { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    job.spec.template.spec.containers[0]!.cpu = '1';
    assert.throws(() => assertValidJob(job), /unknown field "spec.template.spec.containers\[0\].cpu"/);
    const typed = JSON.parse(JSON.stringify(buildTaskJob(input({})))) as V1Job;
    (typed.spec as unknown as Record<string, unknown>).backoffLimit = '0';
    assert.throws(() => assertValidJob(typed), /cannot unmarshal string/);
  });

  it('gives each Job its own generated name prefix', () => {
    const names = new Set(Array.from({ length: 20 }, () => buildTaskJob(input({})).metadata!.generateName));
    assert.equal(names.size, 20);
  });
});
