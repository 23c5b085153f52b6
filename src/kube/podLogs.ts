// Pod logs over the API server's `log` subresource, read line by line. A plain HTTPS request (credentials
// applied by the kubeconfig) so the end of a followed stream, normal or not, is always seen.
import * as http from 'node:http';
import * as https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { KubeConfig } from '@kubernetes/client-node';
import { type CallContext, networkError, statusError } from './kubeError';

export interface LogOptions {
  previous?: boolean;
  /** Each line is prefixed by the kubelet's RFC 3339 time, which is parsed off and passed as `ts`. */
  timestamps?: boolean;
  /** RFC 3339; only lines after it (to resume a stream that ended early). */
  sinceTime?: string;
}

export interface LogStream {
  stop(): void;
  /** Resolves when the stream ends (the container exited, or stop()); rejects with a KubeError. */
  done: Promise<void>;
}

/** `2026-01-10T10:00:00.123456789Z text` -> time and text. */
export function splitTimestamp(line: string): { text: string; ts?: number } {
  const space = line.indexOf(' ');
  const ts = space > 0 ? Date.parse(line.slice(0, space)) : Number.NaN;
  return Number.isNaN(ts) ? { text: line } : { text: line.slice(space + 1), ts };
}

export function streamPodLog(
  kc: KubeConfig,
  ctx: CallContext,
  target: { namespace: string; pod: string; container: string; follow: boolean },
  options: LogOptions,
  onLine: (line: string, ts?: number) => void,
): LogStream {
  const server = kc.getCurrentCluster()?.server ?? ctx.server;
  const url = new URL(`${server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/log`);
  url.searchParams.set('container', target.container);
  if (target.follow) url.searchParams.set('follow', 'true');
  if (options.previous) url.searchParams.set('previous', 'true');
  if (options.timestamps) url.searchParams.set('timestamps', 'true');
  if (options.sinceTime) url.searchParams.set('sinceTime', options.sinceTime);

  let request: http.ClientRequest | undefined;
  let stopped = false;
  const emit = (raw: string): void => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (options.timestamps) {
      const { text, ts } = splitTimestamp(line);
      onLine(text, ts);
    } else onLine(line);
  };

  const done = (async () => {
    const requestOptions: https.RequestOptions = { method: 'GET', headers: {} };
    await kc.applyToHTTPSOptions(requestOptions);
    await new Promise<void>((resolve, reject) => {
      if (stopped) return resolve();
      const transport = url.protocol === 'http:' ? http : https;
      request = transport.request(url, requestOptions, (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => reject(statusError(status, body, ctx)));
          response.on('error', () => reject(statusError(status, body, ctx)));
          return;
        }
        const decoder = new StringDecoder('utf8');
        let pending = '';
        const flush = (final: boolean): void => {
          const parts = pending.split('\n');
          pending = final ? '' : parts.pop()!;
          for (const part of final ? parts.filter((p, i) => p !== '' || i < parts.length - 1) : parts) emit(part);
        };
        response.on('data', (chunk: Buffer) => {
          pending += decoder.write(chunk);
          flush(false);
        });
        const finish = (): void => {
          pending += decoder.end();
          flush(true);
          resolve();
        };
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', (err) => (stopped ? finish() : reject(networkError(err, ctx))));
      });
      request.on('error', (err) => (stopped ? resolve() : reject(networkError(err, ctx))));
      request.end();
    });
  })();
  return {
    stop: () => {
      stopped = true;
      request?.destroy();
    },
    done,
  };
}
