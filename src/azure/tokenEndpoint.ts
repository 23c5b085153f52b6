// The token endpoint for tasks this machine runs: a small HTTP server on 127.0.0.1 (random port) answering
// GET /token?scope=... with a token from the editor's credential chain, so a flow's Azure clients use the account
// VS Code signed in with, no `az login` needed. Each run gets its own secret, revoked when the run ends; a
// request without a live secret gets 401 and learns nothing else.
//
// Contract (in full in tokenEndpointContract.ts, which the embedded Python package codes against):
//   env  METAFLOW_STUDIO_AZURE_TOKEN_ENDPOINT=http://127.0.0.1:<port>/token  METAFLOW_STUDIO_AZURE_TOKEN_SECRET=<secret>
//   GET <endpoint>?scope=<scope>[&tenant=<id>]  with header X-Metaflow-Studio-Token-Secret: <secret>
//   200 {"access_token", "expires_on": <epoch seconds>, "token_type": "Bearer"}
//   400/401/503 {"error": "invalid_request" | "unauthorized" | "credential_unavailable", "message"}
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/core-auth';
import {
  TOKEN_ENDPOINT_ENV,
  TOKEN_ROUTE,
  TOKEN_SECRET_ENV,
  TOKEN_SECRET_HEADER,
  type TokenEndpointError,
  type TokenEndpointErrorCode,
  type TokenEndpointResponse,
} from './tokenEndpointContract';

/** What one run's tasks receive; revoke() once the run has ended. */
export interface TokenGrant {
  env: Record<string, string>;
  revoke(): void;
}

export interface TokenEndpointDeps {
  /** Read at each request, so a cloud, tenant or account change applies to running tasks too. */
  credential: () => TokenCredential;
  /** Diagnostics without tokens or secrets (the caller's sink may redact again). */
  log?: (line: string) => void;
}

// A scope is a resource URI or a bare permission; anything with whitespace or control characters is refused.
const SCOPE = /^[\x21-\x7e]{1,512}$/;
const TENANT = /^[A-Za-z0-9.-]{1,128}$/;
const STATUS: Record<TokenEndpointErrorCode, number> = { invalid_request: 400, unauthorized: 401, credential_unavailable: 503 };

export class TaskTokenEndpoint {
  private server?: Promise<http.Server>;
  private readonly secrets = new Set<string>();

  constructor(private readonly deps: TokenEndpointDeps) {}

  /** Starts the server on first use and makes a secret for one run. */
  async grant(): Promise<TokenGrant> {
    const server = await (this.server ??= this.listen());
    const { port } = server.address() as AddressInfo;
    const secret = randomBytes(32).toString('base64url');
    this.secrets.add(secret);
    return {
      env: { [TOKEN_ENDPOINT_ENV]: `http://127.0.0.1:${port}${TOKEN_ROUTE}`, [TOKEN_SECRET_ENV]: secret },
      revoke: () => this.secrets.delete(secret),
    };
  }

  /** The live secrets, for log redaction. */
  liveSecrets(): Iterable<string> {
    return this.secrets;
  }

  async dispose(): Promise<void> {
    this.secrets.clear();
    const server = await this.server?.catch(() => undefined);
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      void this.answer(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      });
    });
    return new Promise((resolve, reject) => {
      server.once('error', (err) => {
        this.server = undefined;
        reject(new Error(`the Azure token endpoint for tasks could not listen on 127.0.0.1: ${err.message}`));
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  }

  private authorized(req: http.IncomingMessage): boolean {
    const given = req.headers[TOKEN_SECRET_HEADER.toLowerCase()];
    if (typeof given !== 'string') return false;
    const presented = Buffer.from(given);
    for (const secret of this.secrets) {
      const expected = Buffer.from(secret);
      if (expected.length === presented.length && timingSafeEqual(expected, presented)) return true;
    }
    return false;
  }

  private async answer(req: http.IncomingMessage): Promise<{ status: number; body: TokenEndpointResponse | TokenEndpointError }> {
    const fail = (error: TokenEndpointErrorCode, message: string) => ({ status: STATUS[error], body: { error, message } });
    if (!this.authorized(req)) return fail('unauthorized', `missing or wrong ${TOKEN_SECRET_HEADER} header (the secret is given to each run's tasks in ${TOKEN_SECRET_ENV})`);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== TOKEN_ROUTE) return fail('invalid_request', `only GET ${TOKEN_ROUTE}?scope=... is served`);
    const scopes = url.searchParams.getAll('scope');
    if (scopes.length === 0) return fail('invalid_request', 'no scope: ask for e.g. ?scope=https://storage.azure.com/.default');
    const bad = scopes.find((s) => !SCOPE.test(s));
    if (bad !== undefined) return fail('invalid_request', `scope "${bad.slice(0, 80)}" is not a scope (1-512 printable characters, no spaces)`);
    const tenant = url.searchParams.get('tenant') ?? undefined;
    if (tenant !== undefined && !TENANT.test(tenant)) return fail('invalid_request', 'tenant must be a tenant id or domain');
    try {
      const token = await this.deps.credential().getToken(scopes, tenant ? { tenantId: tenant } : undefined);
      if (!token) return fail('credential_unavailable', `no Azure credential gave a token for ${scopes.join(' ')}`);
      return { status: 200, body: { access_token: token.token, expires_on: Math.floor(token.expiresOnTimestamp / 1000), token_type: 'Bearer' } };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.log?.(`A task asked for an Azure token for ${scopes.join(' ')}, and none could be had:\n${message}`);
      return fail('credential_unavailable', message);
    }
  }
}
