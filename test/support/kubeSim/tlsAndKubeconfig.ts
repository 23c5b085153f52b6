// The simulator's https identity (a self-signed certificate for 127.0.0.1 made by openssl) and the
// kubeconfig that is the only way product code finds the simulator: one cluster, one user with a bearer
// token, one context, current.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function makeServerCertificate(dir: string): { cert: string; key: string; certPath: string } {
  const certPath = join(dir, 'apiserver.crt');
  const keyPath = join(dir, 'apiserver.key');
  const result = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-keyout', keyPath, '-out', certPath, '-subj', '/CN=kube-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc'],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`openssl could not make the simulator's certificate: ${result.stderr || result.error?.message}`);
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), certPath };
}

export interface KubeconfigSpec {
  path: string;
  server: string;
  caCert: string;
  token: string;
  clusterName: string;
  contextName: string;
  userName: string;
  namespace?: string;
}

export function writeKubeconfig(spec: KubeconfigSpec): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.clusterName, cluster: { server: spec.server, 'certificate-authority-data': Buffer.from(spec.caCert).toString('base64') } }],
    users: [{ name: spec.userName, user: { token: spec.token } }],
    contexts: [{ name: spec.contextName, context: { cluster: spec.clusterName, user: spec.userName, ...(spec.namespace ? { namespace: spec.namespace } : {}) } }],
    'current-context': spec.contextName,
    preferences: {},
  };
  writeFileSync(spec.path, stringify(config), { mode: 0o600 });
}
