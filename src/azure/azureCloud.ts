// One cloud setting decides where sign-in, Blob Storage and Key Vault go, so the three can never disagree.
import { AzureAuthorityHosts } from '@azure/identity';

export type AzureCloudName = 'AzureCloud' | 'AzureChinaCloud' | 'AzureUSGovernment';

export const AZURE_CLOUD_NAMES: readonly AzureCloudName[] = ['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment'];

export interface AzureCloudConfig {
  name: AzureCloudName;
  /** Microsoft Entra ID authority host, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** `<account>.blob.<storageSuffix>` */
  storageSuffix: string;
  /** `<vault>.<keyVaultSuffix>` */
  keyVaultSuffix: string;
  /** The token scope Blob Storage accepts (the same audience in every cloud). */
  storageScope: string;
  keyVaultScope: string;
  /**
   * VS Code's authentication provider for this cloud: the public cloud is `microsoft`; the others go through
   * `microsoft-sovereign-cloud`, whose own setting `microsoft-sovereign-cloud.environment` names the cloud.
   */
  vscodeAuthProvider: 'microsoft' | 'microsoft-sovereign-cloud';
  /** The value `microsoft-sovereign-cloud.environment` must hold for this cloud (undefined for the public cloud). */
  vscodeSovereignEnvironment?: 'ChinaCloud' | 'USGovernment';
}

const CLOUDS: Record<AzureCloudName, AzureCloudConfig> = {
  AzureCloud: {
    name: 'AzureCloud',
    authorityHost: AzureAuthorityHosts.AzurePublicCloud,
    storageSuffix: 'core.windows.net',
    keyVaultSuffix: 'vault.azure.net',
    storageScope: 'https://storage.azure.com/.default',
    keyVaultScope: 'https://vault.azure.net/.default',
    vscodeAuthProvider: 'microsoft',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    authorityHost: AzureAuthorityHosts.AzureChina,
    storageSuffix: 'core.chinacloudapi.cn',
    keyVaultSuffix: 'vault.azure.cn',
    storageScope: 'https://storage.azure.com/.default',
    keyVaultScope: 'https://vault.azure.cn/.default',
    vscodeAuthProvider: 'microsoft-sovereign-cloud',
    vscodeSovereignEnvironment: 'ChinaCloud',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    authorityHost: AzureAuthorityHosts.AzureGovernment,
    storageSuffix: 'core.usgovcloudapi.net',
    keyVaultSuffix: 'vault.usgovcloudapi.net',
    storageScope: 'https://storage.azure.com/.default',
    keyVaultScope: 'https://vault.usgovcloudapi.net/.default',
    vscodeAuthProvider: 'microsoft-sovereign-cloud',
    vscodeSovereignEnvironment: 'USGovernment',
  },
};

export function isAzureCloudName(value: unknown): value is AzureCloudName {
  return typeof value === 'string' && (AZURE_CLOUD_NAMES as readonly string[]).includes(value);
}

/** The cloud's endpoints; an unknown name is refused with the accepted ones and where the value came from. */
export function azureCloudConfig(name: string = 'AzureCloud', origin = 'metaflow.azure.cloud'): AzureCloudConfig {
  if (!isAzureCloudName(name)) {
    throw new Error(`${origin} is "${name}", which is not an Azure cloud: use one of ${AZURE_CLOUD_NAMES.join(', ')}.`);
  }
  return CLOUDS[name];
}

/** https://<account>.blob.<suffix>/ for a storage account name in this cloud. */
export function blobServiceEndpoint(cloud: AzureCloudConfig, account: string): string {
  return `https://${account}.blob.${cloud.storageSuffix}/`;
}

/** https://<vault>.<suffix>/ for a Key Vault name in this cloud. */
export function keyVaultUrl(cloud: AzureCloudConfig, vault: string): string {
  return `https://${vault}.${cloud.keyVaultSuffix}/`;
}
