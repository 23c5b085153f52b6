// Azure SDK failures turned into messages that name the account, the container and the fix. Role-based
// access only: a 403 names the data role to assign, never an account key.
export interface AzureErrorContext {
  account: string;
  container: string;
  endpoint: string;
  /** The blob or listing the operation was about, for the message. */
  what: string;
  /** Writing needs Storage Blob Data Contributor; reading needs Reader. */
  writing: boolean;
}

export type AzureFailureKind = 'container-missing' | 'not-found' | 'forbidden' | 'unauthenticated' | 'unreachable' | 'other';

export class AzureStorageError extends Error {
  constructor(
    readonly kind: AzureFailureKind,
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

interface RestLike {
  statusCode?: number;
  code?: string;
  name?: string;
  message?: string;
  details?: { errorCode?: string };
  cause?: unknown;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

function networkCode(err: RestLike): string | undefined {
  for (let e: RestLike | undefined = err, depth = 0; e && depth < 4; e = e.cause as RestLike | undefined, depth++) {
    if (e.code && UNREACHABLE.has(e.code)) return e.code;
    if (e.code === 'REQUEST_SEND_ERROR' && typeof e.message === 'string') {
      const m = /\b(E[A-Z_]+)\b/.exec(e.message);
      if (m) return m[1];
    }
  }
  return undefined;
}

export function describeAzureError(err: unknown, ctx: AzureErrorContext): AzureStorageError {
  if (err instanceof AzureStorageError) return err;
  const e = (err ?? {}) as RestLike;
  const where = `storage account "${ctx.account}", container "${ctx.container}"`;
  const code = e.details?.errorCode ?? e.code;
  const status = e.statusCode;
  const role = ctx.writing ? 'Storage Blob Data Contributor' : 'Storage Blob Data Reader (or Contributor to write runs)';
  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
    return new AzureStorageError('unauthenticated', `No Azure credential could get a token for ${where}: ${e.message ?? ''} Sign in with "Metaflow: Sign in to Azure" (or az login) and try again.`);
  }
  if (status === 404 && code === 'ContainerNotFound') {
    return new AzureStorageError('container-missing', `The container "${ctx.container}" does not exist in storage account "${ctx.account}" (${ctx.endpoint}). Create it (az storage container create --account-name ${ctx.account} --name ${ctx.container} --auth-mode login) or fix METAFLOW_DATASTORE_SYSROOT_AZURE.`, status);
  }
  if (status === 404) return new AzureStorageError('not-found', `${ctx.what} does not exist in ${where}`, status);
  if (status === 403 && (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo' || /expired|lifetime/i.test(e.message ?? ''))) {
    return new AzureStorageError('unauthenticated', `Azure rejected the token for ${where} (${code ?? 'authentication failed'}): it may have expired or be for another tenant or audience. Sign in again with "Metaflow: Sign in to Azure" (or az login) and retry.`, status);
  }
  if (status === 401) {
    return new AzureStorageError('unauthenticated', `Azure rejected the credentials for ${where} (${code ?? 'HTTP 401'}): the token expired or is not for Azure Storage. Sign in again with "Metaflow: Sign in to Azure" (or az login) and retry.`, status);
  }
  if (status === 403) {
    return new AzureStorageError('forbidden', `Access denied to ${ctx.what} in ${where} (${code ?? 'HTTP 403'}). Assign your account the "${role}" role on the storage account or the container "${ctx.container}" (role assignments can take a few minutes to apply).`, status);
  }
  const net = networkCode(e);
  if (net) {
    return new AzureStorageError('unreachable', `Cannot reach the blob endpoint ${ctx.endpoint} of ${where} (${net}). Check METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT, the network and any proxy or firewall.`);
  }
  const detail = e.message ?? String(err);
  return new AzureStorageError('other', `Azure Blob request for ${ctx.what} in ${where} failed${status ? ` (HTTP ${status}${code ? `, ${code}` : ''})` : ''}: ${detail.split('\n')[0]}`, status);
}
