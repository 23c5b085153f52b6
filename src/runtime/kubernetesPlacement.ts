// Which tasks of a run go to Kubernetes: the steps decorated `@kubernetes`, or every step under
// `--with kubernetes`. The `_parameters` task, resume clones and a `@catch` fallback attempt (one past the
// user-code retries, as Metaflow runs it on the launcher) stay local.
import type { FlowInfo } from '../flow/types';
import type { TaskSpec } from './workerProtocol';

/** The runner option the CLI and the editor's "Run Flow on Kubernetes (AKS)" fill in. */
export interface KubernetesRunOptions {
  /** `--with kubernetes`: every step runs on the cluster, not only the `@kubernetes` ones. */
  withAll: boolean;
  /** Attributes given with `--with kubernetes:k=v,...` (they apply to every Kubernetes step). */
  spec?: Record<string, unknown>;
  /** `--kubernetes-context`: the kubeconfig context; the current one when absent. */
  context?: string;
  /** `--kubernetes-namespace`: overrides METAFLOW_KUBERNETES_NAMESPACE and the decorator's default. */
  namespace?: string;
  /** A kubeconfig other than the default (KUBECONFIG, ~/.kube/config). */
  kubeconfigPath?: string;
}

export const KUBERNETES_DECORATOR = 'kubernetes';

export function kubernetesSteps(flow: FlowInfo, options: KubernetesRunOptions | undefined): Set<string> {
  const steps = new Set<string>();
  for (const step of flow.steps) {
    if (options?.withAll || step.decorators.some((d) => d.name === KUBERNETES_DECORATOR)) steps.add(step.name);
  }
  return steps;
}

export type Placement = 'local' | 'kubernetes';

export function placeTask(task: TaskSpec, kubernetes: ReadonlySet<string>): Placement {
  if (task.kind !== 'step' || !kubernetes.has(task.step)) return 'local';
  return task.attempt > task.max_user_code_retries ? 'local' : 'kubernetes';
}

/**
 * Metaflow's decorator spec syntax after `name:`: `k=v` pairs split at commas that start another `k=`; each
 * value is JSON when it parses as JSON (lists, dicts, numbers, quoted strings), else a number, else the text.
 */
export function parseDecoratorSpec(text: string): Record<string, unknown> {
  const attrs: Record<string, unknown> = {};
  if (text.trim() === '') return attrs;
  for (const part of text.split(/,(?=[\s\w]+=)/)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`'${part}' in '${text}' is not attribute=value (e.g. cpu=2,memory=8000)`);
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    attrs[name] = parseValue(raw);
  }
  return attrs;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw.replace(/\\"/g, '"'));
  } catch {
    if (/^[+-]?\d+$/.test(raw)) return Number(raw);
    if (raw !== '' && Number.isFinite(Number(raw))) return Number(raw);
    return raw;
  }
}

/** `--with kubernetes` or `--with kubernetes:cpu=2,...`; undefined for another decorator. */
export function parseWithKubernetes(value: string): Record<string, unknown> | undefined {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  if (name.trim() !== KUBERNETES_DECORATOR) return undefined;
  return colon < 0 ? {} : parseDecoratorSpec(value.slice(colon + 1));
}
