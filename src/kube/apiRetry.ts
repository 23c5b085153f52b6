// Calls to the API server retried where a retry is safe and useful (429, 5xx, a dropped connection), with
// exponential backoff that honours Retry-After, a bounded number of attempts, and every failure a KubeError.
import { type CallContext, KubeError, networkCode, networkError, statusError, TRANSIENT_NETWORK } from './kubeError';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };

/** The HTTP answer inside a client error (`ApiException` has code/body/headers; a watch error has statusCode). */
function httpFailure(err: unknown): { status: number; body: unknown; headers: Record<string, string> } | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; headers?: unknown };
  const status = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined) return undefined;
  return { status, body: e.body, headers: (e.headers && typeof e.headers === 'object' ? e.headers : {}) as Record<string, string> };
}

function retryAfterMs(headers: Record<string, string>): number | undefined {
  const raw = headers['retry-after'] ?? headers['Retry-After'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The KubeError for any failure of a call. */
export function toKubeError(err: unknown, ctx: CallContext): KubeError {
  if (err instanceof KubeError) return err;
  const http = httpFailure(err);
  return http ? statusError(http.status, http.body, ctx) : networkError(err, ctx);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryHooks<T> {
  /**
   * Called before retrying after a failure that may have taken effect (a 5xx or a dropped connection on a
   * create): a value found here is the call's result, so a retried create never makes a second object.
   */
  recover?: () => Promise<T | undefined>;
}

export async function callWithRetry<T>(fn: () => Promise<T>, ctx: CallContext, policy: RetryPolicy, hooks: RetryHooks<T> = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const http = httpFailure(err);
      const code = http ? undefined : networkCode(err);
      const retryable = http ? http.status === 429 || http.status >= 500 : code !== undefined && TRANSIENT_NETWORK.has(code);
      if (!retryable || attempt >= policy.maxAttempts) throw toKubeError(err, ctx);
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1) * (1 + Math.random() * 0.2));
      const wait = Math.min(policy.maxDelayMs, (http && retryAfterMs(http.headers)) ?? backoff);
      await sleep(wait);
      // A 429 was refused before any effect; anything else may have been applied.
      if (hooks.recover && http?.status !== 429) {
        const found = await hooks.recover().catch(() => undefined);
        if (found !== undefined) return found;
      }
    }
  }
}
