// A Kubernetes API simulator for tests: an https server on 127.0.0.1 speaking the subset of the REST API
// Metaflow Studio uses (namespaces, service accounts, batch/v1 Jobs, Pods with logs, Events, the Argo
// custom resources), with a job controller and a kubelet that runs each pod's command as a local process.
// Product code reaches it only through the generated kubeconfig.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, NAMESPACES } from './apiServer';
import { EventRecorder } from './eventRecorder';
import { FaultInjector } from './faults';
import { JobController } from './jobController';
import { Kubelet, PODS, SERVICE_ACCOUNTS } from './kubelet';
import { type KubeObject, ObjectStore } from './objectStore';
import { PodLogs } from './podLogs';
import { RESOURCE_TYPES } from './resources';
import { DEFAULT_SCHEMAS_DIR, SchemaValidator } from './schemaValidator';
import { makeServerCertificate, writeKubeconfig } from './tlsAndKubeconfig';
import { WatchHub } from './watchHub';
import { ServiceAccountIssuer, type WorkloadIdentityOptions } from './workloadIdentity';

export { DEFAULT_UNSCHEDULABLE_MESSAGE, type Fault, FaultInjector, type PodMatch } from './faults';
export type { KubeObject } from './objectStore';
export { WI_CLIENT_ID_ANNOTATION, WI_USE_LABEL, WI_TOKEN_AUDIENCE } from './workloadIdentity';

export interface KubeSimulatorOptions {
  /** Namespaces that exist from the start (each with a `default` service account). Default: default, kube-system, kube-public. */
  namespaces?: string[];
  /** Service accounts created at start, e.g. one annotated for workload identity. */
  serviceAccounts?: { namespace: string; name: string; annotations?: Record<string, string>; labels?: Record<string, string> }[];
  /** Added to every container's environment before the container's own env (e.g. CA bundles: the image's trust store). */
  extraPodEnv?: Record<string, string>;
  /** AKS workload identity webhook settings; without them pods get no Azure identity. */
  workloadIdentity?: WorkloadIdentityOptions;
  /** Run containers in private mount namespaces (termination message file, volumes). Default true. */
  mountNamespace?: boolean;
  /** Pretend image pull duration (default 20 ms) and the back-off between failing pulls (default 300 ms). */
  pullDelayMs?: number;
  backOffMs?: number;
  /** Delay before the job controller replaces a failed pod (default 200 ms). */
  podRetryDelayMs?: number;
  /** How often an open watch with allowWatchBookmarks gets a BOOKMARK (default 1000 ms). */
  bookmarkIntervalMs?: number;
  /** Changes kept for watch resumption (default 5000). */
  historyLimit?: number;
  /** Context name in the kubeconfig (default `kube-simulator`). */
  contextName?: string;
  /** Default namespace of the kubeconfig's context (omitted when unset). */
  contextNamespace?: string;
  schemasDir?: string;
  /** Each request after it is answered. */
  onRequest?: (entry: { method: string; path: string; status: number }) => void;
}

export interface KubeSimulator {
  /** `https://127.0.0.1:<port>` */
  server: string;
  kubeconfigPath: string;
  contextName: string;
  /** The API server certificate (PEM), also in the kubeconfig. */
  caCert: string;
  faults: FaultInjector;
  /** The cluster's service-account token issuer (its JWKS verifies workload identity tokens). */
  serviceAccountIssuer: { issuer: string; publicKeyPem: string; jwks(): { keys: object[] } };
  /** Objects as stored, for assertions: `list('Job', 'default')`, `get('Pod', 'default', name)`. */
  list(kind: string, namespace?: string): KubeObject[];
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** The log of a container instance (0 = first), whole, as kept by the kubelet. */
  podLog(namespace: string, pod: string, container?: string, instance?: number): string | undefined;
  /** Where a pod's volume lives on this machine (`<root>/pods/<uid>/volumes/<name>`), for reading what a container wrote. */
  podVolumePath(podUid: string, volume: string): string;
  /** How many watch connections are open now. */
  openWatches(): number;
  stop(): Promise<void>;
}

function storeKeyOfKind(kind: string): string {
  const type = RESOURCE_TYPES.find((t) => t.kind === kind);
  if (!type) throw new Error(`The Kubernetes simulator has no kind ${kind}; it serves ${RESOURCE_TYPES.map((t) => t.kind).join(', ')}`);
  return `${type.group}/${type.plural}`;
}

/** Containers see their own files only inside a private mount namespace; say so plainly when that cannot work. */
function checkMountNamespaces(): void {
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `The Kubernetes simulator runs each container in a private mount namespace (unshare --mount, needs root or CAP_SYS_ADMIN), which failed here: ${(probe.stderr || probe.error?.message || '').trim()}. Run the tests as root, or pass mountNamespace: false (then containers share the host's /dev/termination-log and volume paths).`,
    );
  }
}

export async function startKubeSimulator(options: KubeSimulatorOptions = {}): Promise<KubeSimulator> {
  if (options.mountNamespace ?? true) checkMountNamespaces();
  const root = mkdtempSync(join(tmpdir(), 'mfs-kubesim-'));
  const schemasDir = options.schemasDir ?? DEFAULT_SCHEMAS_DIR;
  const validator = new SchemaValidator(schemasDir);
  const store = new ObjectStore(options.historyLimit);
  const events = new EventRecorder(store);
  const logs = new PodLogs();
  const watches = new WatchHub(store);
  const faults = new FaultInjector({ dropWatches: () => watches.dropAll(), compact: () => store.compact() });
  const issuer = new ServiceAccountIssuer(options.workloadIdentity?.issuer);
  const kubelet = new Kubelet(store, events, logs, faults, issuer, {
    rootDir: root,
    nodeName: 'aks-nodepool1-38290472-vmss000000',
    hostIP: '10.224.0.4',
    extraPodEnv: options.extraPodEnv ?? {},
    mountNamespace: options.mountNamespace ?? true,
    pullDelayMs: options.pullDelayMs ?? 20,
    backOffMs: options.backOffMs ?? 300,
  });
  const token = randomBytes(24).toString('hex');
  const api = new ApiServer({
    store,
    validator,
    faults,
    watches,
    logs,
    kubelet,
    // The job controller creates pods through the API server's admission; it is built right after.
    jobs: () => jobController,
    token,
    workloadIdentity: options.workloadIdentity,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    schemasDir,
    onRequest: options.onRequest,
  });
  const jobController: JobController = new JobController(store, events, kubelet, (pod) => api.createPod(pod), { podRetryDelayMs: options.podRetryDelayMs ?? 200 });

  for (const ns of options.namespaces ?? ['default', 'kube-system', 'kube-public']) {
    store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    api.createDefaultServiceAccount(ns);
  }
  for (const sa of options.serviceAccounts ?? []) {
    if (!store.has(NAMESPACES, undefined, sa.namespace)) throw new Error(`Kubernetes simulator option serviceAccounts: namespace "${sa.namespace}" is not in options.namespaces`);
    if (store.has(SERVICE_ACCOUNTS, sa.namespace, sa.name)) continue;
    store.create(SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa.name, namespace: sa.namespace, annotations: sa.annotations, labels: sa.labels } });
  }
  kubelet.start();
  jobController.start();

  const { cert, key } = makeServerCertificate(root);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert, key }, (req, res) => void api.handle(req, res));
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the Kubernetes simulator could not listen on 127.0.0.1');
  const url = `https://127.0.0.1:${address.port}`;
  const contextName = options.contextName ?? 'kube-simulator';
  const kubeconfigPath = join(root, 'kubeconfig');
  writeKubeconfig({ path: kubeconfigPath, server: url, caCert: cert, token, clusterName: 'kube-simulator', contextName, userName: 'kube-simulator-user', namespace: options.contextNamespace });

  let stopped = false;
  return {
    server: url,
    kubeconfigPath,
    contextName,
    caCert: cert,
    faults,
    serviceAccountIssuer: issuer,
    list: (kind, namespace) => store.list(storeKeyOfKind(kind), namespace),
    get: (kind, namespace, name) => store.get(storeKeyOfKind(kind), namespace, name),
    podLog: (namespace, podName, container, instance = 0) => {
      const pod = store.get(PODS, namespace, podName);
      if (!pod) return undefined;
      const name = container ?? (pod.spec as { containers: { name: string }[] }).containers[0].name;
      return logs.get(pod.metadata.uid!, name, instance)?.text();
    },
    podVolumePath: (podUid, volume) => join(root, 'pods', podUid, 'volumes', volume),
    openWatches: () => watches.openCount,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      jobController.stop();
      await kubelet.stop();
      watches.endAll();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

