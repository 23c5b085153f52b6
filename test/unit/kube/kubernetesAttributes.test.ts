import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { StepInfo } from '../../../src/flow/types';
import { resolveKubernetesAttributes } from '../../../src/kube/kubernetesAttributes';
import { stepsOf } from './stepsFromSource';

const FLOW = `
    @kubernetes
    @step
    def start(self):
        self.next(self.sized)

    @resources(cpu=8, memory=32000)
    @kubernetes(cpu="2", memory=8000, disk=20000, gpu=1, gpu_vendor="AMD", namespace="ml", service_account="runner",
                secrets=["db-creds"], node_selector="agentpool=gpu,kubernetes.io/os=linux", labels={"team": "vision"},
                annotations={"owner": "ana@example.com"}, tolerations=[{"key": "sku", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}],
                image="team/train:1.2", image_pull_secrets=["acr-pull"], image_pull_policy="Always", use_tmpfs=True,
                persistent_volume_claims={"data": "/mnt/data"}, shared_memory=1024, qos="guaranteed", port=8080,
                security_context={"run_as_user": 1000, "run_as_non_root": True})
    @timeout(minutes=30)
    @step
    def sized(self):
        self.next(self.small)

    @kubernetes(cpu=0.5, memory=512)
    @resources(memory=2048)
    @step
    def small(self):
        self.next(self.bad)

    @kubernetes(cpu=0, labels={"bad": "no spaces allowed"}, qos="BestEffort", gpu_vendor="intel", node_selector="novalue",
                image="Team/Train:1", namespace="ML_space", tolerations=[{"key": "k", "colour": "red"}], memory=ram)
    @timeout(seconds=30)
    @step
    def bad(self):
        self.next(self.plain)

    @parallel
    @catch
    @batch
    @step
    def plain(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

describe('resolveKubernetesAttributes', () => {
  let steps: Map<string, StepInfo>;
  before(async () => {
    steps = await stepsOf(FLOW);
  });
  const step = (name: string): StepInfo => {
    const s = steps.get(name);
    assert.ok(s, `step ${name}`);
    return s;
  };

  it('gives Metaflow defaults, the default image for the launching Python and a five-day limit', () => {
    const { attributes, problems } = resolveKubernetesAttributes({ step: step('start'), config: {}, pythonVersion: '3.11' });
    assert.deepEqual(problems, []);
    assert.equal(attributes.cpu, '1');
    assert.equal(attributes.memory, '4096');
    assert.equal(attributes.disk, '10240');
    assert.equal(attributes.image, 'python:3.11');
    assert.equal(attributes.namespace, 'default');
    assert.equal(attributes.gpuVendor, 'nvidia');
    assert.equal(attributes.qos, 'Burstable');
    assert.equal(attributes.timeoutSeconds, 5 * 24 * 3600);
    assert.equal(attributes.useTmpfs, false);
    assert.equal(attributes.gpu, undefined);
    assert.deepEqual(attributes.secrets, []);
  });

  it('reads every attribute, max-merges @resources and takes @timeout as the deadline', () => {
    const { attributes, problems } = resolveKubernetesAttributes({ step: step('sized'), config: { METAFLOW_KUBERNETES_CONTAINER_REGISTRY: 'myacr.azurecr.io/' } });
    assert.deepEqual(problems, []);
    assert.equal(attributes.cpu, '8');
    assert.equal(attributes.memory, '32000');
    assert.equal(attributes.disk, '20000');
    assert.equal(attributes.gpu, 1);
    assert.equal(attributes.gpuVendor, 'amd');
    assert.equal(attributes.namespace, 'ml');
    assert.equal(attributes.serviceAccount, 'runner');
    assert.deepEqual(attributes.secrets, ['db-creds']);
    assert.deepEqual(attributes.nodeSelector, { agentpool: 'gpu', 'kubernetes.io/os': 'linux' });
    assert.deepEqual(attributes.labels, { team: 'vision' });
    assert.deepEqual(attributes.annotations, { owner: 'ana@example.com' });
    assert.deepEqual(attributes.tolerations, [{ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }]);
    assert.equal(attributes.image, 'myacr.azurecr.io/team/train:1.2');
    assert.deepEqual(attributes.imagePullSecrets, ['acr-pull']);
    assert.equal(attributes.imagePullPolicy, 'Always');
    assert.equal(attributes.useTmpfs, true);
    assert.equal(attributes.tmpfsSize, 4000, 'half the decorator memory, before @resources');
    assert.equal(attributes.tmpfsPath, '/metaflow_temp');
    assert.deepEqual(attributes.persistentVolumeClaims, { data: '/mnt/data' });
    assert.equal(attributes.sharedMemory, 1024);
    assert.equal(attributes.qos, 'Guaranteed');
    assert.equal(attributes.port, 8080);
    assert.deepEqual(attributes.securityContext, { runAsUser: 1000, runAsNonRoot: true });
    assert.equal(attributes.timeoutSeconds, 1800);
  });

  it("lets @resources' defaults take part in the merge, as Metaflow does", () => {
    const { attributes } = resolveKubernetesAttributes({ step: step('small'), config: {} });
    assert.equal(attributes.cpu, '1');
    assert.equal(attributes.memory, '2048');
  });

  it('falls back to METAFLOW_KUBERNETES_* settings only where the decorator left the default', () => {
    const config = {
      METAFLOW_KUBERNETES_CPU: '4',
      METAFLOW_KUBERNETES_MEMORY: '16384',
      METAFLOW_KUBERNETES_NAMESPACE: 'runs',
      METAFLOW_KUBERNETES_CONTAINER_IMAGE: 'myacr.azurecr.io/base:3',
      METAFLOW_KUBERNETES_SECRETS: 'shared-a,shared-b',
      METAFLOW_KUBERNETES_LABELS: 'env=dev,team=platform',
      METAFLOW_KUBERNETES_ANNOTATIONS: 'note=x',
      METAFLOW_KUBERNETES_IMAGE_PULL_SECRETS: '["regcred"]',
      METAFLOW_KUBERNETES_TOLERATIONS: '[{"key": "spot", "operator": "Exists"}]',
      METAFLOW_KUBERNETES_NODE_SELECTOR: 'pool=cpu',
      METAFLOW_KUBERNETES_QOS: 'Guaranteed',
      METAFLOW_KUBERNETES_JOB_TTL_SECONDS_AFTER_FINISHED: '600',
      METAFLOW_DEFAULT_RUNTIME_LIMIT: '7200',
    };
    const { attributes, problems } = resolveKubernetesAttributes({ step: step('start'), config });
    assert.deepEqual(problems, []);
    assert.equal(attributes.cpu, '4');
    assert.equal(attributes.memory, '16384');
    assert.equal(attributes.namespace, 'runs');
    assert.equal(attributes.image, 'myacr.azurecr.io/base:3');
    assert.deepEqual(attributes.secrets, ['shared-a', 'shared-b']);
    assert.deepEqual(attributes.labels, { env: 'dev', team: 'platform' });
    assert.deepEqual(attributes.annotations, { note: 'x' });
    assert.deepEqual(attributes.imagePullSecrets, ['regcred']);
    assert.deepEqual(attributes.tolerations, [{ key: 'spot', operator: 'Exists' }]);
    assert.deepEqual(attributes.nodeSelector, { pool: 'cpu' });
    assert.equal(attributes.qos, 'Guaranteed');
    assert.equal(attributes.jobTtlSeconds, 600);
    assert.equal(attributes.timeoutSeconds, 7200);

    const sized = resolveKubernetesAttributes({ step: step('sized'), config }).attributes;
    assert.equal(sized.namespace, 'ml', 'the decorator wins over the setting');
    assert.deepEqual(sized.labels, { env: 'dev', team: 'vision' }, 'decorator labels merged over the setting');
    assert.deepEqual(sized.secrets, ['db-creds', 'shared-a', 'shared-b']);
  });

  it('applies --with kubernetes values to a step without @kubernetes, and ignores them where the step has its own', () => {
    const withSpec = { cpu: '3', memory: '6000', image: 'python:3.12', node_selector: 'pool=big' };
    const plain = resolveKubernetesAttributes({ step: step('end'), withSpec, config: {} });
    assert.deepEqual(plain.problems, []);
    assert.equal(plain.attributes.cpu, '3');
    assert.equal(plain.attributes.memory, '6000');
    assert.equal(plain.attributes.image, 'python:3.12');
    assert.deepEqual(plain.attributes.nodeSelector, { pool: 'big' });
    const own = resolveKubernetesAttributes({ step: step('start'), withSpec, config: {} });
    assert.equal(own.attributes.cpu, '1');
  });

  it('reports every bad value, naming the step and the attribute or setting to change', () => {
    const { problems } = resolveKubernetesAttributes({ step: step('bad'), config: {} });
    const byAttr = new Map<string | undefined, string[]>();
    for (const p of problems) {
      assert.equal(p.step, 'bad');
      byAttr.set(p.attribute, [...(byAttr.get(p.attribute) ?? []), p.message]);
    }
    const has = (attr: string, pattern: RegExp): void => assert.ok((byAttr.get(attr) ?? []).some((m) => pattern.test(m)), `${attr}: ${JSON.stringify(byAttr.get(attr))}`);
    has('cpu', /@kubernetes\(cpu=\.\.\.\) on step \*bad\*: cpu must be a number greater than 0/);
    has('memory', /ram is not a literal/);
    has('labels', /label bad .*"no spaces allowed" is not a valid label value/);
    has('qos', /"BestEffort" is not a supported QoS class; use Burstable or Guaranteed/);
    has('gpu_vendor', /"intel" is not supported/);
    has('node_selector', /"novalue" has no value/);
    has('image', /upper-case letters in its repository name.*METAFLOW_KUBERNETES_CONTAINER_IMAGE/);
    has('namespace', /"ML_space" is not a valid Kubernetes namespace name/);
    has('tolerations', /unknown key "colour"/);
    has('timeout', /30 s; on Kubernetes it must be at least 60 seconds/);
  });

  it('rejects @parallel with @catch and @batch with Kubernetes', () => {
    const messages = resolveKubernetesAttributes({ step: step('plain'), config: {} }).problems.map((p) => p.message);
    assert.ok(messages.some((m) => /@parallel with @catch/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /both AWS Batch \(@batch\) and Kubernetes/.test(m)), messages.join('\n'));
  });

  it('names the setting when a METAFLOW_KUBERNETES_* value is malformed', () => {
    const { problems } = resolveKubernetesAttributes({
      step: step('start'),
      config: { METAFLOW_KUBERNETES_TOLERATIONS: '[{"key": ', METAFLOW_KUBERNETES_LABELS: 'a=1,a=2', METAFLOW_KUBERNETES_CPU: 'lots' },
    });
    const attrs = problems.map((p) => p.attribute).sort();
    assert.deepEqual(attrs, ['METAFLOW_KUBERNETES_CPU', 'METAFLOW_KUBERNETES_LABELS', 'METAFLOW_KUBERNETES_TOLERATIONS']);
    assert.ok(problems.every((p) => p.message.includes(p.attribute!)));
  });
});
