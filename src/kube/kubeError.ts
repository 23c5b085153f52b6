// Kubernetes API failures as errors a user can act on. Built only from the API's Status object and the
// connection's error code: request headers (which carry the bearer token) never reach a message.
import { quotaExceededMessage } from './podFailure';

export interface KubeErrorInit {
  status?: number;
  reason?: string;
  hint: string;
}

export class KubeError extends Error {
  readonly status?: number;
  readonly reason?: string;
  /** What to do about it. */
  readonly hint: string;

  constructor(message: string, init: KubeErrorInit) {
    super(init.hint ? `${message}. ${init.hint}` : message);
    this.name = 'KubeError';
    this.status = init.status;
    this.reason = init.reason;
    this.hint = init.hint;
  }
}

/** The parts of a Kubernetes `Status` object the messages use. */
export interface ApiStatus {
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string; causes?: Array<{ field?: string; message?: string }> };
}

/** What the failing call was doing, for messages: `create Job in namespace ml`. */
export interface CallContext {
  action: string;
  contextName: string;
  server: string;
  namespace?: string;
}

/** The Status in an error body (a JSON string, an object, or nothing). */
function parseStatus(body: unknown): ApiStatus {
  if (typeof body === 'string') {
    try {
      return parseStatus(JSON.parse(body));
    } catch {
      return {};
    }
  }
  if (body && typeof body === 'object') return body as ApiStatus;
  return {};
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID']);
export const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET', 'ECONNABORTED']);

/** The system error code of a failed request, looking through wrapping errors. */
export function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function credentialsHint(ctx: CallContext): string {
  return `Refresh the credentials of context "${ctx.contextName}", e.g. az aks get-credentials --resource-group <group> --name <cluster> (and for Microsoft Entra ID clusters: kubelogin convert-kubeconfig -l azurecli)`;
}

/** A KubeError for an HTTP status from the API server. */
export function statusError(status: number, body: unknown, ctx: CallContext): KubeError {
  const s = parseStatus(body);
  const detail = s.message ?? '';
  const where = ctx.namespace ? ` in namespace ${ctx.namespace}` : '';
  switch (status) {
    case 401:
      return new KubeError(`could not ${ctx.action}: the cluster at ${ctx.server} rejected the credentials of context "${ctx.contextName}" (expired or invalid)`, { status, reason: 'Unauthorized', hint: credentialsHint(ctx) });
    case 403: {
      const quota = quotaExceededMessage(detail);
      if (quota) return new KubeError(`could not ${ctx.action}: ${quota}`, { status, reason: 'ExceededQuota', hint: '' });
      const rbac = /cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?/.exec(detail);
      const missing = rbac ? `${rbac[1]} ${rbac[2]}${rbac[3] ? `.${rbac[3]}` : ''}${where}` : ctx.action;
      return new KubeError(`could not ${ctx.action}: the identity of context "${ctx.contextName}" is not allowed to ${missing}${detail ? ` (${detail})` : ''}`, {
        status,
        reason: 'Forbidden',
        hint: `Ask a cluster administrator for a Role or ClusterRole granting "${missing}" (check with kubectl auth can-i ${rbac ? `${rbac[1]} ${rbac[2]}${rbac[3] ? `.${rbac[3]}` : ''}` : '...'}${ctx.namespace ? ` -n ${ctx.namespace}` : ''})`,
      });
    }
    case 404:
      return new KubeError(`could not ${ctx.action}: ${detail || 'not found'}`, { status, reason: 'NotFound', hint: '' });
    case 409:
      return new KubeError(`could not ${ctx.action}: ${detail || 'it already exists'}`, { status, reason: 'AlreadyExists', hint: 'Delete the existing object or pick another name' });
    case 422: {
      const causes = (s.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`).join('; ');
      return new KubeError(`could not ${ctx.action}: the API server refused it as invalid: ${causes || detail}`, { status, reason: 'Invalid', hint: '' });
    }
    case 429:
      return new KubeError(`could not ${ctx.action}: the API server at ${ctx.server} kept answering "too many requests"`, { status, reason: 'TooManyRequests', hint: 'Try again later, or run fewer tasks at once (--max-workers)' });
    default:
      return new KubeError(`could not ${ctx.action}: the API server at ${ctx.server} answered ${status}${detail ? ` (${detail})` : ''}`, { status, reason: s.reason, hint: status >= 500 ? 'The cluster may be overloaded or upgrading; try again' : '' });
  }
}

/** A KubeError for a request that got no HTTP answer. */
export function networkError(err: unknown, ctx: CallContext): KubeError {
  const code = networkCode(err);
  const cause = code ?? (err instanceof Error ? err.message : String(err));
  const unreachable = code !== undefined && UNREACHABLE.has(code);
  return new KubeError(`could not ${ctx.action}: cannot reach the cluster of context "${ctx.contextName}" at ${ctx.server} (${cause})`, {
    reason: unreachable ? 'Unreachable' : 'NetworkError',
    hint: `Check that the cluster is running and reachable from this machine (VPN, private cluster, firewall), or pick another context`,
  });
}
