// The editor's Kubernetes settings and what a run on Kubernetes gets from them. Namespace, service account
// and image are Metaflow config names (METAFLOW_KUBERNETES_*), given to the runner below the environment and
// config files as every editor setting is; the kubeconfig and its context choose the cluster, and a value
// that cannot work (a file that is not there, a context the file does not have) is refused here, naming the
// setting or variable it came from, before anything starts. Pure (no `vscode`): unit-tested in plain Node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { ConfigValue, MetaflowConfig } from '../config/metaflowConfig';

export const KUBECONFIG_SETTING = 'metaflow.kubernetes.kubeconfig';
export const CONTEXT_SETTING = 'metaflow.kubernetes.context';
export const NAMESPACE_SETTING = 'metaflow.kubernetes.namespace';
export const SERVICE_ACCOUNT_SETTING = 'metaflow.kubernetes.serviceAccount';
export const IMAGE_SETTING = 'metaflow.kubernetes.image';

/** Config names of the cluster choice; the context has no Metaflow name (Metaflow uses the current one), so ours is named alike. */
export const KUBERNETES_CONFIG = {
  context: 'METAFLOW_KUBERNETES_CONTEXT',
  namespace: 'METAFLOW_KUBERNETES_NAMESPACE',
  serviceAccount: 'METAFLOW_KUBERNETES_SERVICE_ACCOUNT',
  image: 'METAFLOW_KUBERNETES_CONTAINER_IMAGE',
} as const;

/** Editor settings and the config names they stand for (the kubeconfig path is not a config name: KUBECONFIG is). */
export const KUBERNETES_EDITOR_SETTINGS: Readonly<Record<string, string>> = {
  [CONTEXT_SETTING]: KUBERNETES_CONFIG.context,
  [NAMESPACE_SETTING]: KUBERNETES_CONFIG.namespace,
  [SERVICE_ACCOUNT_SETTING]: KUBERNETES_CONFIG.serviceAccount,
  [IMAGE_SETTING]: KUBERNETES_CONFIG.image,
};

/** Kubernetes' own default namespace, Metaflow's default too. */
export const DEFAULT_NAMESPACE = 'default';

/** A value that cannot be used; `setting` is the editor setting to open when the value came from it. */
export class KubernetesSettingError extends Error {
  constructor(
    message: string,
    readonly setting?: string,
  ) {
    super(message);
  }
}

/** Setting values (as read from the editor) as `METAFLOW_*` names; blank values are left out so lower layers apply. */
export function kubernetesEditorSettings(read: (setting: string) => unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [setting, name] of Object.entries(KUBERNETES_EDITOR_SETTINGS)) {
    const value = read(setting);
    if (typeof value === 'string' && value.trim() !== '') out[name] = value.trim();
  }
  return out;
}

export interface KubernetesTarget {
  /** The kubeconfig file read (the setting's, the single file KUBECONFIG names, or ~/.kube/config). */
  kubeconfigPath: string;
  context: string;
  /** The cluster's API server, from the context's cluster entry. */
  server?: string;
  /** The context's cluster entry name (AKS names it after the cluster). */
  cluster?: string;
  namespace: string;
  serviceAccount?: string;
  image?: string;
}

export interface KubeconfigContexts {
  contexts: Array<{ name: string; cluster: string; server?: string }>;
  current?: string;
}

type Named<T> = Array<{ name?: unknown } & T>;

/**
 * The contexts a kubeconfig file defines; throws when it cannot be read or parsed. Only the names are read
 * (the YAML, not the Kubernetes client, which would cost every activation its load time).
 */
export function readKubeconfigContexts(file: string): KubeconfigContexts {
  const doc: unknown = parse(fs.readFileSync(file, 'utf8'));
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('it is not a YAML mapping of clusters, users and contexts');
  const config = doc as { clusters?: Named<{ cluster?: { server?: unknown } }>; contexts?: Named<{ context?: { cluster?: unknown } }>; 'current-context'?: unknown };
  const list = <T>(value: Named<T> | undefined, what: string): Named<T> => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new Error(`its "${what}" is not a list`);
    return value.filter((entry) => typeof entry?.name === 'string');
  };
  const servers = new Map(list(config.clusters, 'clusters').map((c) => [c.name as string, typeof c.cluster?.server === 'string' ? c.cluster.server : undefined]));
  const contexts = list(config.contexts, 'contexts').map((c) => {
    const cluster = typeof c.context?.cluster === 'string' ? c.context.cluster : '';
    const server = servers.get(cluster);
    return { name: c.name as string, cluster, ...(server ? { server } : {}) };
  });
  const current = config['current-context'];
  return { contexts, ...(typeof current === 'string' && current !== '' ? { current } : {}) };
}

export interface ResolveInput {
  /** Raw value of metaflow.kubernetes.kubeconfig. */
  kubeconfigSetting?: unknown;
  /** The run's config (env > config files > editor settings as kubernetesEditorSettings gives them). */
  config: Pick<MetaflowConfig, 'get'>;
  env: NodeJS.ProcessEnv;
  homeDir?: string;
  /** Where a relative kubeconfig setting is resolved from (the workspace folder). */
  baseDir?: string;
  readContexts?: (file: string) => KubeconfigContexts;
}

function expandHome(value: string, home: string): string {
  return value === '~' || value.startsWith('~/') ? path.join(home, value.slice(1)) : value;
}

/** How a message names where a config value came from. */
function origin(name: string, value: ConfigValue, setting: string): string {
  if (value.source === 'env') return `the environment variable ${name}`;
  if (value.source === 'settings') return `the setting ${setting}`;
  return `${name} in ${value.file ?? value.source}`;
}

function kubeconfigFile(input: ResolveInput, home: string): { file: string; setting?: string; what: string } {
  const raw = typeof input.kubeconfigSetting === 'string' ? input.kubeconfigSetting.trim() : '';
  if (raw) {
    const expanded = expandHome(raw, home);
    const file = path.isAbsolute(expanded) ? expanded : path.resolve(input.baseDir ?? home, expanded);
    return { file, setting: KUBECONFIG_SETTING, what: `The setting ${KUBECONFIG_SETTING} names ${file}` };
  }
  const fromEnv = input.env.KUBECONFIG?.split(path.delimiter).filter((p) => p !== '') ?? [];
  if (fromEnv.length > 0) {
    const file = fromEnv.find((p) => fs.existsSync(p)) ?? fromEnv[0];
    return { file, what: `The environment variable KUBECONFIG names ${file}` };
  }
  const file = path.join(home, '.kube', 'config');
  return { file, setting: KUBECONFIG_SETTING, what: `No kubeconfig is set (${KUBECONFIG_SETTING} is empty and KUBECONFIG unset), so ${file} is read` };
}

/**
 * The cluster, namespace, service account and image a run on Kubernetes uses. Throws KubernetesSettingError
 * naming the setting (or variable, or config file) whose value cannot work, and what to do about it.
 */
export function resolveKubernetesTarget(input: ResolveInput): KubernetesTarget {
  const home = input.homeDir ?? os.homedir();
  const kubeconfig = kubeconfigFile(input, home);
  if (!fs.existsSync(kubeconfig.file)) {
    throw new KubernetesSettingError(
      `${kubeconfig.what}, but that file does not exist. Get one for your AKS cluster with "az aks get-credentials --resource-group <resource-group> --name <cluster>", or set ${KUBECONFIG_SETTING} to your kubeconfig file.`,
      kubeconfig.setting ?? KUBECONFIG_SETTING,
    );
  }
  let contexts: KubeconfigContexts;
  try {
    contexts = (input.readContexts ?? readKubeconfigContexts)(kubeconfig.file);
  } catch (err) {
    throw new KubernetesSettingError(`${kubeconfig.what}, but it cannot be read as a kubeconfig: ${err instanceof Error ? err.message : String(err)}`, kubeconfig.setting ?? KUBECONFIG_SETTING);
  }
  const names = contexts.contexts.map((c) => c.name);
  const listed = names.length > 0 ? `it defines ${names.map((n) => `"${n}"`).join(', ')}` : 'it defines no context';
  const wanted = input.config.get(KUBERNETES_CONFIG.context);
  let context: string;
  if (wanted) {
    if (!names.includes(wanted.value)) {
      throw new KubernetesSettingError(
        `The Kubernetes context "${wanted.value}" (from ${origin(KUBERNETES_CONFIG.context, wanted, CONTEXT_SETTING)}) is not in the kubeconfig ${kubeconfig.file}: ${listed}. Choose one of those, or leave ${CONTEXT_SETTING} empty to use the kubeconfig's current context.`,
        wanted.source === 'settings' ? CONTEXT_SETTING : undefined,
      );
    }
    context = wanted.value;
  } else if (contexts.current && names.includes(contexts.current)) {
    context = contexts.current;
  } else {
    throw new KubernetesSettingError(
      contexts.current
        ? `The kubeconfig ${kubeconfig.file} has current-context "${contexts.current}", which it does not define (${listed}). Set ${CONTEXT_SETTING} to the context of your AKS cluster.`
        : `The kubeconfig ${kubeconfig.file} has no current context (${listed}). Set ${CONTEXT_SETTING} to the context of your AKS cluster, or run "kubectl config use-context <context>".`,
      CONTEXT_SETTING,
    );
  }
  const entry = contexts.contexts.find((c) => c.name === context);
  const value = (name: string) => input.config.get(name)?.value;
  return {
    kubeconfigPath: kubeconfig.file,
    context,
    ...(entry?.server ? { server: entry.server } : {}),
    ...(entry?.cluster ? { cluster: entry.cluster } : {}),
    namespace: value(KUBERNETES_CONFIG.namespace) ?? DEFAULT_NAMESPACE,
    ...(value(KUBERNETES_CONFIG.serviceAccount) ? { serviceAccount: value(KUBERNETES_CONFIG.serviceAccount) } : {}),
    ...(value(KUBERNETES_CONFIG.image) ? { image: value(KUBERNETES_CONFIG.image) } : {}),
  };
}
