// What AKS's workload identity webhook and the API server's token issuer do for a pod labelled
// `azure.workload.identity/use: "true"` whose service account names a client id: env AZURE_CLIENT_ID,
// AZURE_TENANT_ID, AZURE_AUTHORITY_HOST, AZURE_FEDERATED_TOKEN_FILE and a projected service-account token
// (an RS256 JWT, subject `system:serviceaccount:<ns>:<sa>`, audience api://AzureADTokenExchange).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { KubeObject } from './objectStore';

export const WI_USE_LABEL = 'azure.workload.identity/use';
export const WI_CLIENT_ID_ANNOTATION = 'azure.workload.identity/client-id';
export const WI_TENANT_ID_ANNOTATION = 'azure.workload.identity/tenant-id';
export const WI_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
export const WI_TOKEN_DIR = '/var/run/secrets/azure/tokens';
export const WI_TOKEN_FILE = 'azure-identity-token';
export const WI_VOLUME = 'azure-identity-token';

export interface WorkloadIdentityOptions {
  tenantId: string;
  authorityHost: string;
  /** The cluster's OIDC issuer URL (the `iss` claim). */
  issuer?: string;
}

export class ServiceAccountIssuer {
  readonly issuer: string;
  readonly keyId = randomUUID();
  private readonly privateKey: KeyObject;
  readonly publicKeyPem: string;

  constructor(issuer?: string) {
    this.issuer = issuer ?? `https://oidc.kube-simulator.invalid/${randomUUID()}/`;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    this.publicKeyPem = createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The issuer's JWKS, as the cluster's OIDC discovery serves it. */
  jwks(): { keys: object[] } {
    const jwk = createPublicKey(this.privateKey).export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.keyId, use: 'sig', alg: 'RS256' }] };
  }

  token(pod: KubeObject, serviceAccount: KubeObject, audience: string, expirationSeconds: number): string {
    const now = Math.floor(Date.now() / 1000);
    const ns = pod.metadata.namespace!;
    const sa = serviceAccount.metadata.name!;
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const header = part({ alg: 'RS256', kid: this.keyId, typ: 'JWT' });
    const claims = part({
      aud: [audience],
      exp: now + expirationSeconds,
      iat: now,
      nbf: now,
      iss: this.issuer,
      sub: `system:serviceaccount:${ns}:${sa}`,
      'kubernetes.io': { namespace: ns, pod: { name: pod.metadata.name, uid: pod.metadata.uid }, serviceaccount: { name: sa, uid: serviceAccount.metadata.uid } },
    });
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), this.privateKey).toString('base64url');
    return `${header}.${claims}.${signature}`;
  }
}

type Container = { name: string; env?: { name: string; value?: string }[]; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] };

/** The webhook's mutation of a pod at admission (only when it opted in and its service account has a client id). */
export function injectWorkloadIdentity(pod: KubeObject, serviceAccount: KubeObject | undefined, options: WorkloadIdentityOptions | undefined): void {
  if (!options || pod.metadata.labels?.[WI_USE_LABEL] !== 'true' || !serviceAccount) return;
  const annotations = serviceAccount.metadata.annotations ?? {};
  const clientId = pod.metadata.annotations?.[WI_CLIENT_ID_ANNOTATION] ?? annotations[WI_CLIENT_ID_ANNOTATION];
  if (!clientId) return;
  const tenantId = annotations[WI_TENANT_ID_ANNOTATION] ?? options.tenantId;
  const spec = pod.spec as { containers: Container[]; volumes?: object[] };
  const env = [
    { name: 'AZURE_CLIENT_ID', value: clientId },
    { name: 'AZURE_TENANT_ID', value: tenantId },
    { name: 'AZURE_FEDERATED_TOKEN_FILE', value: `${WI_TOKEN_DIR}/${WI_TOKEN_FILE}` },
    { name: 'AZURE_AUTHORITY_HOST', value: options.authorityHost },
  ];
  for (const container of spec.containers) {
    const names = new Set((container.env ?? []).map((e) => e.name));
    container.env = [...(container.env ?? []), ...env.filter((e) => !names.has(e.name))];
    container.volumeMounts = [...(container.volumeMounts ?? []), { name: WI_VOLUME, mountPath: WI_TOKEN_DIR, readOnly: true }];
  }
  spec.volumes = [
    ...(spec.volumes ?? []),
    { name: WI_VOLUME, projected: { defaultMode: 420, sources: [{ serviceAccountToken: { audience: WI_TOKEN_AUDIENCE, expirationSeconds: 3600, path: WI_TOKEN_FILE } }] } },
  ];
}
