// A step's `@kubernetes` attributes resolved as Metaflow resolves them (reference §4.1): decorator (or
// `--with kubernetes:k=v`) values, METAFLOW_KUBERNETES_* fallbacks, the max-merge with `@resources`, the run time
// limit from `@timeout`. Every problem is collected (not thrown) so the user sees them all at once, each naming
// the step and the attribute or setting to change.
import type { DecoratorInfo, StepInfo } from '../flow/types';
import { taskPolicy } from '../runtime/taskPolicy';
import {
  AttributeError,
  formatNumber,
  readBoolean,
  readDict,
  readDictList,
  readNumber,
  readString,
  readStringList,
  readStringMap,
  type ValueSource,
} from './attributeReaders';
import { imageProblem, parseImageReference } from './imageReference';
import { KUBERNETES_DEFAULTS, KUBERNETES_SETTINGS, RESOURCES_DEFAULTS } from './kubernetesSettings';
import { labelKeyProblem, labelValueProblem, parseKeyValueList } from './labelValues';

export interface KubernetesAttributes {
  cpu: string;
  /** MB */
  memory: string;
  /** MB */
  disk: string;
  gpu?: number;
  gpuVendor: 'nvidia' | 'amd';
  image: string;
  imagePullPolicy?: string;
  imagePullSecrets: string[];
  serviceAccount?: string;
  namespace: string;
  /** Kubernetes Secret names given to the container as `envFrom` (decorator's, then METAFLOW_KUBERNETES_SECRETS). */
  secrets: string[];
  nodeSelector: Record<string, string>;
  tolerations: Array<Record<string, unknown>>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  useTmpfs: boolean;
  tmpfsTempdir: boolean;
  /** MiB */
  tmpfsSize?: number;
  tmpfsPath: string;
  /** claim name -> mount path */
  persistentVolumeClaims: Record<string, string>;
  /** MiB of /dev/shm */
  sharedMemory?: number;
  qos: 'Burstable' | 'Guaranteed';
  computePool?: string;
  /** A Kubernetes SecurityContext (camelCase keys). */
  securityContext?: Record<string, unknown>;
  port?: number;
  timeoutSeconds: number;
  /** METAFLOW_KUBERNETES_JOB_TTL_SECONDS_AFTER_FINISHED; the Job's `ttlSecondsAfterFinished`. */
  jobTtlSeconds?: number;
}

export interface KubernetesProblem {
  step: string;
  /** The decorator attribute (`cpu`) or the setting (`METAFLOW_KUBERNETES_CPU`) to change. */
  attribute?: string;
  message: string;
}

export interface ResolveKubernetesInput {
  step: StepInfo;
  /** `--with kubernetes:k=v` values; used only when the step has no `@kubernetes` of its own, as in Metaflow. */
  withSpec?: Record<string, unknown>;
  /** METAFLOW_* settings by full name. */
  config: Record<string, string | undefined>;
  /** 'major.minor' of the launching interpreter, for the default image `python:<v>`. */
  pythonVersion?: string;
}

const TOLERATION_KEYS: Record<string, string> = {
  key: 'key',
  operator: 'operator',
  value: 'value',
  effect: 'effect',
  toleration_seconds: 'tolerationSeconds',
  tolerationSeconds: 'tolerationSeconds',
};
const SECURITY_CONTEXT_KEYS: Record<string, string> = {
  privileged: 'privileged',
  allow_privilege_escalation: 'allowPrivilegeEscalation',
  run_as_user: 'runAsUser',
  run_as_group: 'runAsGroup',
  run_as_non_root: 'runAsNonRoot',
};
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const COMPUTE_POOL_LABEL = 'outerbounds.co/compute-pool';

class Resolver {
  readonly problems: KubernetesProblem[] = [];
  private readonly decoratorAttrs: Record<string, unknown>;
  private readonly written: (attr: string) => string;

  constructor(
    private readonly input: ResolveKubernetesInput,
    kubernetes: DecoratorInfo | undefined,
  ) {
    this.decoratorAttrs = kubernetes ? kubernetes.attributes : (input.withSpec ?? {});
    this.written = kubernetes ? (a) => `@kubernetes(${a}=...) on step *${input.step.name}*` : (a) => `--with kubernetes:${a}=... for step *${input.step.name}*`;
  }

  problem(attribute: string | undefined, message: string): void {
    this.problems.push({ step: this.input.step.name, attribute, message });
  }

  /** Reads a value, turning a reader's error into a problem and the value into undefined. */
  read<T>(src: ValueSource, value: unknown, reader: (src: ValueSource, value: unknown) => T | undefined): T | undefined {
    try {
      return reader(src, value);
    } catch (err) {
      if (!(err instanceof AttributeError)) throw err;
      this.problem(src.attribute, err.message);
      return undefined;
    }
  }

  attr<T>(name: string, reader: (src: ValueSource, value: unknown) => T | undefined): T | undefined {
    return this.read({ attribute: name, written: this.written(name) }, this.decoratorAttrs[name], reader);
  }

  setting<T>(key: keyof typeof KUBERNETES_SETTINGS, reader: (src: ValueSource, value: unknown) => T | undefined): T | undefined {
    const name = KUBERNETES_SETTINGS[key];
    return this.read({ attribute: name, written: `the setting ${name}` }, this.input.config[name], reader);
  }

  /** Metaflow's `k=v,k2=v2` settings. */
  keyValueSetting(key: 'labels' | 'annotations' | 'nodeSelector', requireValue: boolean): Record<string, string> {
    const name = KUBERNETES_SETTINGS[key];
    const text = this.input.config[name];
    if (!text) return {};
    try {
      return parseKeyValueList(text, requireValue);
    } catch (err) {
      this.problem(name, `the setting ${name}: ${(err as Error).message} (write key=value,key2=value2)`);
      return {};
    }
  }
}

function positive(r: Resolver, attribute: string, value: string, written: string): void {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) r.problem(attribute, `${written}: ${attribute} must be a number greater than 0, not ${JSON.stringify(value)}`);
}

function resolveImage(r: Resolver, input: ResolveKubernetesInput): string {
  const image = r.attr('image', readString) ?? r.setting('image', readString) ?? `python:${input.pythonVersion ?? '3'}`;
  const registry = r.setting('registry', readString);
  const parsed = parseImageReference(image);
  // Only an image without a registry gets the configured one, as in Metaflow.
  const full = registry && parsed && !parsed.registry ? `${registry.replace(/\/+$/, '')}/${image}` : image;
  const problem = imageProblem(full);
  if (problem) r.problem('image', `step *${input.step.name}*: ${problem}. Fix @kubernetes(image=...) or ${KUBERNETES_SETTINGS.image}${registry ? ` / ${KUBERNETES_SETTINGS.registry}` : ''}`);
  return full;
}

/** Metaflow's max-merge of cpu/memory/disk with `@resources` (its defaults included). */
function mergeResources(r: Resolver, step: StepInfo, values: Record<'cpu' | 'memory' | 'disk', string>): { gpu?: number; sharedMemory?: number } {
  const resources = step.decorators.find((d) => d.name === 'resources');
  if (!resources) return {};
  const out: { gpu?: number; sharedMemory?: number } = {};
  const src = (a: string): ValueSource => ({ attribute: a, written: `@resources(${a}=...) on step *${step.name}*` });
  for (const key of ['cpu', 'memory', 'disk'] as const) {
    const given = r.read(src(key), resources.attributes[key] ?? RESOURCES_DEFAULTS[key], readNumber);
    if (given === undefined) continue;
    const mine = Number(values[key]);
    if (Number.isFinite(mine)) values[key] = formatNumber(Math.max(mine, given));
  }
  out.gpu = r.read(src('gpu'), resources.attributes.gpu, readNumber);
  out.sharedMemory = r.read(src('shared_memory'), resources.attributes.shared_memory, readNumber);
  return out;
}

function resolveTimeout(r: Resolver, input: ResolveKubernetesInput): number {
  let seconds = r.setting('runtimeLimit', readNumber) ?? KUBERNETES_DEFAULTS.runtimeLimitSeconds;
  try {
    const { timeoutMs } = taskPolicy(input.step, 'remote');
    if (timeoutMs > 0) seconds = Math.ceil(timeoutMs / 1000);
  } catch (err) {
    // Other decorators' errors are the scheduler's to report; only @timeout's concern the pod's deadline.
    const message = (err as Error).message;
    if (message.startsWith('@timeout')) r.problem('timeout', message);
  }
  if (seconds < KUBERNETES_DEFAULTS.minTimeoutSeconds) {
    r.problem('timeout', `the timeout of step *${input.step.name}* is ${seconds} s; on Kubernetes it must be at least ${KUBERNETES_DEFAULTS.minTimeoutSeconds} seconds: raise @timeout (or ${KUBERNETES_SETTINGS.runtimeLimit})`);
  }
  return seconds;
}

function checkLabels(r: Resolver, step: string, what: 'labels' | 'annotations', values: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) r.problem(what, `step *${step}*: ${what} (from @kubernetes(${what}=...) or ${KUBERNETES_SETTINGS[what]}): ${keyProblem}`);
    const valueProblem = what === 'labels' ? labelValueProblem(value) : undefined;
    if (valueProblem) r.problem(what, `step *${step}*: label ${key} (from @kubernetes(labels=...) or ${KUBERNETES_SETTINGS.labels}): ${valueProblem}`);
  }
}

function renameKeys(r: Resolver, step: string, attribute: string, value: Record<string, unknown>, names: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const name = names[k];
    if (name === undefined) r.problem(attribute, `step *${step}*: ${attribute} has the unknown key "${k}"; allowed keys are ${[...new Set(Object.keys(names))].join(', ')}`);
    else out[name] = v;
  }
  return out;
}

export function resolveKubernetesAttributes(input: ResolveKubernetesInput): { attributes: KubernetesAttributes; problems: KubernetesProblem[] } {
  const { step } = input;
  const kubernetes = step.decorators.find((d) => d.name === 'kubernetes');
  const r = new Resolver(input, kubernetes);
  const written = (a: string): string => (kubernetes ? `@kubernetes(${a}=...) on step *${step.name}*` : `--with kubernetes:${a}=... for step *${step.name}*`);

  // A value left at its default gives way to the setting, as in Metaflow.
  const sized = (key: 'cpu' | 'memory' | 'disk'): string => {
    const own = r.attr(key, readNumber);
    if (own !== undefined && formatNumber(own) !== KUBERNETES_DEFAULTS[key]) return formatNumber(own);
    const fromSetting = r.setting(key, readNumber);
    return fromSetting !== undefined ? formatNumber(fromSetting) : KUBERNETES_DEFAULTS[key];
  };
  const sizes = { cpu: sized('cpu'), memory: sized('memory'), disk: sized('disk') };

  const useTmpfsAttr = r.attr('use_tmpfs', readBoolean);
  let tmpfsSize = r.attr('tmpfs_size', readNumber);
  const useTmpfs = Boolean(useTmpfsAttr) || (tmpfsSize !== undefined && tmpfsSize > 0);
  // Half of the memory (before @resources is merged in, as Metaflow computes it) when tmpfs is on without a size.
  if (useTmpfs && tmpfsSize === undefined) tmpfsSize = Math.floor(Number(sizes.memory) / 2);
  if (tmpfsSize !== undefined && (!Number.isInteger(tmpfsSize) || tmpfsSize <= 0)) {
    r.problem('tmpfs_size', `${written('tmpfs_size')}: tmpfs_size must be a whole number of MiB greater than 0, not ${tmpfsSize}`);
  }

  const merged = mergeResources(r, step, sizes);
  for (const key of ['cpu', 'memory', 'disk'] as const) positive(r, key, sizes[key], written(key));

  let gpu = merged.gpu ?? r.attr('gpu', readNumber);
  if (gpu !== undefined && (!Number.isInteger(gpu) || gpu < 0)) {
    r.problem('gpu', `${written('gpu')}: gpu must be a whole number, not ${gpu}`);
    gpu = undefined;
  }
  const vendor = (r.attr('gpu_vendor', readString) ?? r.setting('gpuVendor', readString) ?? KUBERNETES_DEFAULTS.gpuVendor).toLowerCase();
  if (vendor !== 'nvidia' && vendor !== 'amd') r.problem('gpu_vendor', `${written('gpu_vendor')}: GPU vendor "${vendor}" is not supported; use "nvidia" or "amd" (or set ${KUBERNETES_SETTINGS.gpuVendor})`);

  let sharedMemory = merged.sharedMemory ?? r.attr('shared_memory', readNumber) ?? r.setting('sharedMemory', readNumber);
  if (sharedMemory !== undefined && (!Number.isInteger(sharedMemory) || sharedMemory <= 0)) {
    r.problem('shared_memory', `${written('shared_memory')}: shared_memory must be a whole number of MiB greater than 0, not ${sharedMemory}`);
    sharedMemory = undefined;
  }

  const namespace = r.attr('namespace', readString) ?? r.setting('namespace', readString) ?? KUBERNETES_DEFAULTS.namespace;
  if (!DNS_LABEL.test(namespace)) r.problem('namespace', `step *${step.name}*: namespace "${namespace}" is not a valid Kubernetes namespace name (lower-case letters, digits and '-', at most 63); fix @kubernetes(namespace=...) or ${KUBERNETES_SETTINGS.namespace}`);

  const imagePullPolicy = r.attr('image_pull_policy', readString) ?? r.setting('imagePullPolicy', readString);
  if (imagePullPolicy !== undefined && !PULL_POLICIES.includes(imagePullPolicy)) {
    r.problem('image_pull_policy', `step *${step.name}*: image_pull_policy "${imagePullPolicy}" must be one of ${PULL_POLICIES.join(', ')} (@kubernetes(image_pull_policy=...) or ${KUBERNETES_SETTINGS.imagePullPolicy})`);
  }

  const nodeSelectorAttr = kubernetes?.attributes.node_selector ?? input.withSpec?.node_selector;
  let nodeSelector: Record<string, string> | undefined;
  if (typeof nodeSelectorAttr === 'string' && !nodeSelectorAttr.trim().startsWith('{')) {
    try {
      nodeSelector = parseKeyValueList(nodeSelectorAttr, true);
    } catch (err) {
      r.problem('node_selector', `${written('node_selector')}: ${(err as Error).message} (write "key=value,key2=value2" or a dict)`);
    }
  } else {
    nodeSelector = r.attr('node_selector', readStringMap);
  }
  if (!nodeSelector || Object.keys(nodeSelector).length === 0) nodeSelector = r.keyValueSetting('nodeSelector', true);
  const computePool = r.attr('compute_pool', readString);
  if (computePool) nodeSelector = { ...nodeSelector, [COMPUTE_POOL_LABEL]: computePool };

  const tolerationsRaw = r.attr('tolerations', readDictList) ?? r.setting('tolerations', readDictList) ?? [];
  const tolerations = tolerationsRaw.map((t) => renameKeys(r, step.name, 'tolerations', t, TOLERATION_KEYS));

  const labels = { ...r.keyValueSetting('labels', false), ...(r.attr('labels', readStringMap) ?? {}) };
  const annotations = { ...r.keyValueSetting('annotations', false), ...(r.attr('annotations', readStringMap) ?? {}) };
  checkLabels(r, step.name, 'labels', labels);
  checkLabels(r, step.name, 'annotations', annotations);

  const qosText = r.attr('qos', readString) ?? r.setting('qos', readString) ?? KUBERNETES_DEFAULTS.qos;
  const qos = qosText.toLowerCase() === 'guaranteed' ? 'Guaranteed' : 'Burstable';
  if (!['guaranteed', 'burstable'].includes(qosText.toLowerCase())) {
    r.problem('qos', `step *${step.name}*: "${qosText}" is not a supported QoS class; use Burstable or Guaranteed (@kubernetes(qos=...) or ${KUBERNETES_SETTINGS.qos})`);
  }

  const securityContextRaw = r.attr('security_context', readDict);
  const securityContext = securityContextRaw ? renameKeys(r, step.name, 'security_context', securityContextRaw, SECURITY_CONTEXT_KEYS) : undefined;

  const port = r.attr('port', readNumber) ?? r.setting('port', readNumber);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) r.problem('port', `${written('port')}: port must be a whole number from 1 to 65535, not ${port}`);

  const secrets = [...new Set([...(r.attr('secrets', readStringList) ?? []), ...(r.setting('secrets', readStringList) ?? [])])];
  const names = step.decorators.map((d) => d.name);
  if (names.includes('batch')) r.problem(undefined, `step *${step.name}* is marked for both AWS Batch (@batch) and Kubernetes; remove one of them`);
  if (names.includes('parallel') && names.includes('catch')) r.problem(undefined, `step *${step.name}* has @parallel with @catch, which Kubernetes runs do not support; remove @catch`);

  const attributes: KubernetesAttributes = {
    cpu: sizes.cpu,
    memory: sizes.memory,
    disk: sizes.disk,
    gpu,
    gpuVendor: vendor === 'amd' ? 'amd' : 'nvidia',
    image: resolveImage(r, input),
    imagePullPolicy,
    imagePullSecrets: r.attr('image_pull_secrets', readStringList) ?? r.setting('imagePullSecrets', readStringList) ?? [],
    serviceAccount: r.attr('service_account', readString) ?? r.setting('serviceAccount', readString),
    namespace,
    secrets,
    nodeSelector,
    tolerations,
    labels,
    annotations,
    useTmpfs,
    tmpfsTempdir: r.attr('tmpfs_tempdir', readBoolean) ?? true,
    tmpfsSize: useTmpfs ? tmpfsSize : undefined,
    tmpfsPath: r.attr('tmpfs_path', readString) ?? KUBERNETES_DEFAULTS.tmpfsPath,
    persistentVolumeClaims: r.attr('persistent_volume_claims', readStringMap) ?? r.setting('persistentVolumeClaims', readStringMap) ?? {},
    sharedMemory,
    qos,
    computePool,
    securityContext,
    port,
    timeoutSeconds: resolveTimeout(r, input),
    jobTtlSeconds: r.setting('jobTtl', readNumber) ?? KUBERNETES_DEFAULTS.jobTtlSeconds,
  };
  return { attributes, problems: r.problems };
}
