// The Azure datastore's configuration, validated as Metaflow validates it (`parse_azure_full_path`):
// a root is `<container>[/<blob prefix>]`, never normalized, and refused when it starts or ends with
// `/`, contains `//` or has an empty container. Each refusal shows the value, where it came from and
// the rule, so it can be fixed without reading Metaflow's source.
import type { ConfigValue, MetaflowConfig } from '../../config/metaflowConfig';

export const AZURE_SETTINGS = {
  defaultDatastore: 'METAFLOW_DEFAULT_DATASTORE',
  sysroot: 'METAFLOW_DATASTORE_SYSROOT_AZURE',
  endpoint: 'METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT',
  cardRoot: 'METAFLOW_CARD_AZUREROOT',
  datatoolsRoot: 'METAFLOW_DATATOOLS_AZUREROOT',
} as const;

/** Editor settings (`metaflow.*`) and the Metaflow names they stand for; env and config files win over them. */
export const AZURE_EDITOR_SETTINGS: Record<string, string> = {
  'metaflow.datastore': AZURE_SETTINGS.defaultDatastore,
  'metaflow.azure.datastoreSysroot': AZURE_SETTINGS.sysroot,
  'metaflow.azure.blobServiceEndpoint': AZURE_SETTINGS.endpoint,
  'metaflow.azure.cardRoot': AZURE_SETTINGS.cardRoot,
};

export type DatastoreKind = 'local' | 'azure';

export interface AzurePath {
  container: string;
  /** Blob name prefix without slashes at either end; undefined when the root is the container itself. */
  prefix?: string;
}

export interface AzureDatastoreConfig {
  endpoint: string;
  /** Account name from the endpoint (for messages). */
  account: string;
  sysroot: string;
  root: AzurePath;
  cardRoot: string;
  datatoolsRoot: string;
}

export class AzureConfigError extends Error {}

function origin(name: string, value: ConfigValue | undefined): string {
  if (!value) return name;
  if (value.source === 'env') return `${name} (environment)`;
  if (value.file) return `${name} in ${value.file}`;
  if (value.source === 'settings') return `${name} (editor setting ${Object.entries(AZURE_EDITOR_SETTINGS).find(([, v]) => v === name)?.[0] ?? name})`;
  return name;
}

/** Metaflow's rules for `<container>[/<prefix>]`; `what` names the setting and where it came from. */
export function parseAzurePath(value: string, what: string): AzurePath {
  const show = `${what}="${value}"`;
  const rule = 'it must be <container>[/<blob prefix>], e.g. "metaflow-data/studio"';
  if (value.endsWith('/')) throw new AzureConfigError(`${show} ends with "/": ${rule}, with no trailing slash`);
  if (value.startsWith('/')) throw new AzureConfigError(`${show} starts with "/": ${rule}, with no leading slash`);
  if (value.includes('//')) throw new AzureConfigError(`${show} contains "//": ${rule}, with single slashes between its parts`);
  const slash = value.indexOf('/');
  const container = slash < 0 ? value : value.slice(0, slash);
  if (!container) throw new AzureConfigError(`${show} has an empty container: ${rule}`);
  const prefix = slash < 0 ? undefined : value.slice(slash + 1);
  return prefix ? { container, prefix } : { container };
}

/** `https://<account>.blob.core.windows.net/`, or Azurite's `http://127.0.0.1:10000/<account>`. */
export function parseBlobEndpoint(value: string, what: string): { endpoint: string; account: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AzureConfigError(`${what}="${value}" is not a URL: it must be the storage account's blob endpoint, e.g. https://<account>.blob.core.windows.net/`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AzureConfigError(`${what}="${value}" must be an https:// blob endpoint, e.g. https://<account>.blob.core.windows.net/`);
  }
  if (url.search || url.hash) {
    throw new AzureConfigError(`${what}="${value}" must not carry a query or fragment (no SAS tokens or keys: access is role-based, through your Azure sign-in)`);
  }
  const isIp = /^[\d.]+$/.test(url.hostname) || url.hostname === 'localhost';
  const account = isIp ? url.pathname.split('/').filter(Boolean)[0] ?? '' : url.hostname.split('.')[0];
  if (!account) throw new AzureConfigError(`${what}="${value}" names no storage account: an emulator endpoint must end with the account, e.g. http://127.0.0.1:10000/devstoreaccount1`);
  return { endpoint: value.replace(/\/+$/, ''), account };
}

/** Which datastore runs use: METAFLOW_DEFAULT_DATASTORE (or `metaflow.datastore`), `local` by default. */
export function datastoreKind(config: MetaflowConfig): DatastoreKind {
  const value = config.get(AZURE_SETTINGS.defaultDatastore);
  const kind = value?.value ?? 'local';
  if (kind !== 'local' && kind !== 'azure') {
    throw new AzureConfigError(`${origin(AZURE_SETTINGS.defaultDatastore, value)}="${kind}" is not a datastore this extension can use: use "local" or "azure"`);
  }
  return kind;
}

/** The Azure datastore's settings; a missing or invalid one is an error naming it and how to set it. */
export function azureDatastoreConfig(config: MetaflowConfig): AzureDatastoreConfig {
  const sysrootValue = config.get(AZURE_SETTINGS.sysroot);
  const endpointValue = config.get(AZURE_SETTINGS.endpoint);
  if (!sysrootValue) {
    throw new AzureConfigError(`${AZURE_SETTINGS.sysroot} is not set: set it (environment, .metaflow/config.json, ~/.metaflowconfig/config.json or the metaflow.azure.datastoreSysroot setting) to <container>[/<blob prefix>]`);
  }
  if (!endpointValue) {
    throw new AzureConfigError(`Must configure ${AZURE_SETTINGS.endpoint} (or the metaflow.azure.blobServiceEndpoint setting) to the storage account's blob endpoint, e.g. https://<account>.blob.core.windows.net/`);
  }
  const sysroot = sysrootValue.value;
  const root = parseAzurePath(sysroot, origin(AZURE_SETTINGS.sysroot, sysrootValue));
  const { endpoint, account } = parseBlobEndpoint(endpointValue.value, origin(AZURE_SETTINGS.endpoint, endpointValue));
  const cardValue = config.get(AZURE_SETTINGS.cardRoot);
  const datatoolsValue = config.get(AZURE_SETTINGS.datatoolsRoot);
  const cardRoot = cardValue?.value ?? `${sysroot}/mf.cards`;
  const datatoolsRoot = datatoolsValue?.value ?? `${sysroot}/data`;
  if (cardValue) parseAzurePath(cardRoot, origin(AZURE_SETTINGS.cardRoot, cardValue));
  if (datatoolsValue) parseAzurePath(datatoolsRoot, origin(AZURE_SETTINGS.datatoolsRoot, datatoolsValue));
  return { endpoint, account, sysroot, root, cardRoot, datatoolsRoot };
}
