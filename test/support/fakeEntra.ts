// A stand-in for Microsoft Entra ID's token endpoint as AKS workload identity uses it, over https on
// 127.0.0.1 (self-signed certificate, as test/support/azurite.ts makes them). A pod exchanges its federated
// service account token (a JWT the kubelet projects into AZURE_FEDERATED_TOKEN_FILE) for an access token:
//   POST /<tenant>/oauth2/v2.0/token   grant_type=client_credentials, client_id, scope,
//        client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer, client_assertion=<JWT>
// The assertion is checked as Entra checks it against a federated identity credential (issuer not
// verified, no signature): a JWT whose `aud` is api://AzureADTokenExchange, whose `sub` is
// system:serviceaccount:<namespace>:<name> (the expected one when given) and which has not expired.
// Refusals are answered as Entra answers them (AADSTS codes). The access token is one Azurite's OAuth mode
// accepts. Discovery documents an MSAL-based client may ask for are served too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azuriteAccessToken, makeCertificate } from './azurite';

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface FakeEntraOptions {
  tenantId?: string;
  /** The workload identity's client id (AZURE_CLIENT_ID); other ids are refused. */
  clientId?: string;
  /** The one service account subject federated with the identity; any well-formed one when absent. */
  subject?: string;
  /** Lifetime of the access tokens handed out. */
  accessTokenSeconds?: number;
}

/** What a request asked for and how it was answered (never the assertion or the token). */
export interface EntraRequest {
  method: string;
  path: string;
  status: number;
  grantType?: string;
  clientId?: string;
  scope?: string;
  subject?: string;
  /** The AADSTS code of a refusal. */
  error?: string;
}

export interface FakeEntra {
  /** The value of AZURE_AUTHORITY_HOST, e.g. `https://127.0.0.1:51234`. */
  authorityHost: string;
  tenantId: string;
  clientId: string;
  /** The server's certificate (PEM); trust it through REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  caCert: string;
  requests: EntraRequest[];
  stop(): Promise<void>;
}

/** A projected service account token of the shape the kubelet writes for workload identity (unsigned). */
export function federatedToken(options: { subject: string; audience?: string; expiresInSeconds?: number; issuer?: string }): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = {
    aud: [options.audience ?? TOKEN_EXCHANGE_AUDIENCE],
    iss: options.issuer ?? 'https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/',
    sub: options.subject,
    iat: now - 10,
    nbf: now - 10,
    exp: now + (options.expiresInSeconds ?? 3600),
  };
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'sim' })}.${part(claims)}.${Buffer.from('unsigned').toString('base64url')}`;
}

function decodeJwt(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface Refusal {
  status: number;
  error: string;
  code: number;
  description: string;
}

function refusal(status: number, error: string, code: number, description: string): Refusal {
  return { status, error, code, description: `AADSTS${code}: ${description}` };
}

/** Why Entra would refuse this client-credentials request, or undefined when it grants it. */
function checkTokenRequest(form: URLSearchParams, tenantId: string, clientId: string, subject: string | undefined): Refusal | undefined {
  if (form.get('grant_type') !== 'client_credentials') {
    return refusal(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`);
  }
  if (form.get('client_id') !== clientId) {
    return refusal(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory '${tenantId}'.`);
  }
  const scope = form.get('scope') ?? '';
  if (!scope.endsWith('/.default')) return refusal(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
  if (form.get('client_assertion_type') !== ASSERTION_TYPE || !form.get('client_assertion')) {
    return refusal(401, 'invalid_client', 7000215, 'Invalid client secret provided. A client assertion of type jwt-bearer is required.');
  }
  const claims = decodeJwt(form.get('client_assertion') ?? '');
  if (!claims) return refusal(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(TOKEN_EXCHANGE_AUDIENCE)) {
    return refusal(401, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${audiences.join(',')}'.`);
  }
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!/^system:serviceaccount:[^:]+:[^:]+$/.test(sub) || (subject !== undefined && sub !== subject)) {
    return refusal(401, 'invalid_client', 700213, `No matching federated identity record found for presented assertion subject '${sub}'.`);
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) {
    return refusal(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: object): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': data.length, 'cache-control': 'no-store' });
  res.end(data);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeEntra(options: FakeEntraOptions = {}): Promise<FakeEntra> {
  const tenantId = options.tenantId ?? '72f988bf-0000-4000-8000-00000000abcd';
  const clientId = options.clientId ?? 'a1b2c3d4-0000-4000-8000-0000000c11e7';
  const dir = mkdtempSync(join(tmpdir(), 'mfs-entra-'));
  const { cert, key } = makeCertificate(dir);
  const caCert = readFileSync(cert, 'utf8');
  const requests: EntraRequest[] = [];
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const record: EntraRequest = { method: req.method ?? '', path: url.pathname, status: 200 };
    requests.push(record);
    const answer = (status: number, body: object) => {
      record.status = status;
      send(res, status, body);
    };
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (req.method === 'POST' && tokenPath) {
      const form = new URLSearchParams(await readBody(req));
      record.grantType = form.get('grant_type') ?? undefined;
      record.clientId = form.get('client_id') ?? undefined;
      record.scope = form.get('scope') ?? undefined;
      const sub = decodeJwt(form.get('client_assertion') ?? '')?.sub;
      record.subject = typeof sub === 'string' ? sub : undefined;
      const refused =
        tokenPath[1] !== tenantId
          ? refusal(400, 'invalid_request', 90002, `Tenant '${tokenPath[1]}' not found. Check to make sure you have the correct tenant ID.`)
          : checkTokenRequest(form, tenantId, clientId, options.subject);
      if (refused) {
        record.error = `AADSTS${refused.code}`;
        answer(refused.status, {
          error: refused.error,
          error_description: `${refused.description}\r\nTrace ID: 00000000-0000-0000-0000-000000000000\r\nTimestamp: ${new Date().toISOString()}`,
          error_codes: [refused.code],
          timestamp: new Date().toISOString(),
          trace_id: '00000000-0000-0000-0000-000000000000',
          correlation_id: '00000000-0000-0000-0000-000000000000',
        });
        return;
      }
      const lifetime = options.accessTokenSeconds ?? 3599;
      const audience = (form.get('scope') ?? '').replace(/\/\.default$/, '');
      answer(200, {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: azuriteAccessToken({ audience, tenantId, expiresInSeconds: lifetime }),
      });
      return;
    }
    const oidc = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (req.method === 'GET' && oidc) {
      const tenant = oidc[1];
      answer(200, {
        issuer: `${base}/${tenant}/v2.0`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/devicecode`,
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        tenant_region_scope: 'WW',
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/common/discovery/instance') {
      const host = new URL(base).host;
      answer(200, {
        tenant_discovery_endpoint: `${base}/${tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
      return;
    }
    answer(404, { error: 'not_found', error_description: `The fake Entra endpoint does not serve ${req.method} ${url.pathname}.` });
  };

  const server = createServer({ cert: caCert, key: readFileSync(key) }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authorityHost: base,
    tenantId,
    clientId,
    caCertPath: cert,
    caCert,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
