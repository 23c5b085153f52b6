// The REST front: authentication, injected API faults, discovery, CRUD with the real server's status codes
// and Status bodies, watches, pod logs. Kind-specific behaviour (defaulting, admission, controllers) is
// called from here; storage is the ObjectStore.
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { defaultJob, defaultPodSpec, qosClass, randomSuffix, validateLabels, validateName, validatePodSpec } from './defaults';
import { apiGroup, apiGroupList, apiResourceList, coreApiVersions, SERVER_VERSION } from './discovery';
import { type FaultInjector, quotaRefusal } from './faults';
import { JOBS, type JobController, type PropagationPolicy } from './jobController';
import { type Kubelet, PODS, SERVICE_ACCOUNTS } from './kubelet';
import type { KubeObject, ObjectStore } from './objectStore';
import { jsonPatch, mergePatch } from './patch';
import type { PodLogs } from './podLogs';
import { apiVersionOf, findType, isCustomResource, qualifiedName, type ResourceType } from './resources';
import type { SchemaValidator } from './schemaValidator';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, supportedFields } from './selectors';
import { alreadyExists, ApiError, badRequest, failure, invalid, notFound, pathNotFound } from './status';
import { toTable, wantsTable } from './tables';
import type { WatchHub } from './watchHub';
import { injectWorkloadIdentity, type WorkloadIdentityOptions } from './workloadIdentity';

export const NAMESPACES = '/namespaces';

export interface ApiServerDeps {
  store: ObjectStore;
  validator: SchemaValidator;
  faults: FaultInjector;
  watches: WatchHub;
  logs: PodLogs;
  kubelet: Kubelet;
  jobs: () => JobController;
  token: string;
  workloadIdentity?: WorkloadIdentityOptions;
  bookmarkIntervalMs: number;
  schemasDir: string;
  /** Every request, for tests that assert what a client asked (method, path with query). */
  onRequest?: (entry: { method: string; path: string; status: number }) => void;
}

type Route = { type: ResourceType; namespace?: string; name?: string; subresource?: string };

function storeKey(type: ResourceType): string {
  return `${type.group}/${type.plural}`;
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`${what}: json parse error: ${(error as Error).message}`);
  }
}

export class ApiServer {
  constructor(private readonly deps: ApiServerDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    let status = 200;
    try {
      if (req.headers.authorization !== `Bearer ${this.deps.token}`) throw new ApiError(failure(401, 'Unauthorized', 'Unauthorized'));
      const fault = this.deps.faults.takeApiFault(method, url.pathname);
      if (fault) {
        const reason = fault.status === 429 ? 'TooManyRequests' : fault.status === 503 ? 'ServiceUnavailable' : fault.status === 504 ? 'Timeout' : 'InternalError';
        const message = fault.message ?? (fault.status === 429 ? 'Too many requests, please try again later.' : 'an error on the server ("") has prevented the request from succeeding');
        const headers: Record<string, string> = fault.retryAfterSeconds !== undefined || fault.status === 429 ? { 'Retry-After': String(fault.retryAfterSeconds ?? 1) } : {};
        throw new ApiError(failure(fault.status, reason, message, fault.status === 429 ? { retryAfterSeconds: fault.retryAfterSeconds ?? 1 } : undefined), headers);
      }
      status = await this.route(req, res, url, method);
    } catch (error) {
      if (error instanceof ApiError) {
        status = error.status.code;
        send(res, status, error.status, error.headers);
      } else {
        status = 500;
        send(res, 500, failure(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`));
      }
    }
    this.deps.onRequest?.({ method, path: `${url.pathname}${url.search}`, status });
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<number> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const get = method === 'GET';
    if (get && parts.length === 1 && parts[0] === 'version') return this.ok(res, SERVER_VERSION);
    if (get && parts.length === 1 && parts[0] === 'api') return this.ok(res, coreApiVersions());
    if (get && parts.length === 1 && parts[0] === 'apis') return this.ok(res, apiGroupList());
    if (get && parts.length === 2 && parts[0] === 'api') return this.okOr404(res, apiResourceList('', parts[1]));
    if (get && parts.length === 2 && parts[0] === 'apis') return this.okOr404(res, apiGroup(parts[1]));
    if (get && parts.length === 3 && parts[0] === 'apis') return this.okOr404(res, apiResourceList(parts[1], parts[2]));
    if (get && parts.join('/') === 'openapi/v2') {
      const file = join(this.deps.schemasDir, 'kubernetes.swagger.json');
      if (!existsSync(file)) throw pathNotFound();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      createReadStream(file).pipe(res);
      return 200;
    }
    const route = this.resolve(parts);
    if (!route) throw pathNotFound();
    const query = url.searchParams;
    const { type, name, subresource } = route;
    if (type.kind === 'SelfSubjectAccessReview') {
      if (method !== 'POST' || name) throw new ApiError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
      const review = parseJson(await readBody(req), 'SelfSubjectAccessReview') as KubeObject;
      return this.send(res, 201, { ...review, apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, status: { allowed: true, reason: 'the Kubernetes simulator allows every request' } });
    }
    if (route.namespace !== undefined && type.plural !== 'namespaces' && !this.deps.store.has(NAMESPACES, undefined, route.namespace) && method !== 'GET') {
      throw notFound('namespaces', route.namespace, '', 'namespaces');
    }
    if (subresource) {
      if (type.kind === 'Pod' && subresource === 'log' && get) return this.podLog(res, route, query);
      if (subresource === 'status' && get) return this.ok(res, this.getObject(route));
      throw pathNotFound();
    }
    if (!name) {
      if (get) return query.get('watch') === 'true' || query.get('watch') === '1' ? this.watch(req, res, route, query) : this.list(req, res, route, query);
      if (method === 'POST') return this.create(req, res, route, query);
      if (method === 'DELETE') return this.deleteCollection(req, res, route, query);
    } else {
      if (get) return this.ok(res, this.getObject(route));
      if (method === 'PUT') return this.update(req, res, route, query);
      if (method === 'PATCH') return this.patch(req, res, route, query);
      if (method === 'DELETE') return this.delete(req, res, route, query);
    }
    throw new ApiError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  }

  /** `/api/v1/...` or `/apis/<g>/<v>/...` -> the resource, namespace, name and subresource addressed. */
  private resolve(parts: string[]): Route | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) [group, version, rest] = ['', parts[1], parts.slice(2)];
    else if (parts[0] === 'apis' && parts.length >= 4) [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
    else return undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const type = findType(group, version, rest[2]);
      if (!type || !type.namespaced || rest.length > 5) return undefined;
      return { type, namespace: rest[1], name: rest[3], subresource: rest[4] };
    }
    const type = findType(group, version, rest[0]);
    if (!type || rest.length > 3) return undefined;
    if (type.namespaced && rest.length > 1) return undefined;
    return { type, name: rest[1], subresource: rest[2] };
  }

  private ok(res: ServerResponse, body: unknown): number {
    send(res, 200, body);
    return 200;
  }

  private okOr404(res: ServerResponse, body: unknown): number {
    if (body === undefined) throw pathNotFound();
    return this.ok(res, body);
  }

  private send(res: ServerResponse, code: number, body: unknown): number {
    send(res, code, body);
    return code;
  }

  private notFound(route: Route, name: string): ApiError {
    return notFound(qualifiedName(route.type), name, route.type.group, route.type.plural);
  }

  private getObject(route: Route): KubeObject {
    const found = this.deps.store.get(storeKey(route.type), route.namespace, route.name!);
    if (!found) throw this.notFound(route, route.name!);
    return found;
  }

  private selection(route: Route, query: URLSearchParams): (o: KubeObject) => boolean {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'), supportedFields(route.type.kind));
    return (o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o);
  }

  private list(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): number {
    const matches = this.selection(route, query);
    const items = this.deps.store.list(storeKey(route.type), route.namespace).filter(matches);
    const resourceVersion = String(this.deps.store.resourceVersion);
    if (wantsTable(req.headers.accept)) return this.ok(res, toTable(route.type, items, resourceVersion));
    const custom = isCustomResource(route.type);
    return this.ok(res, {
      kind: `${route.type.kind}List`,
      apiVersion: apiVersionOf(route.type),
      metadata: { resourceVersion },
      items: items.map((o) => {
        if (custom) return o;
        const { kind: _kind, apiVersion: _apiVersion, ...rest } = o;
        return rest;
      }),
    });
  }

  private watch(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): number {
    const timeout = query.get('timeoutSeconds');
    this.deps.watches.serve(req, res, {
      resource: storeKey(route.type),
      kind: route.type.kind,
      apiVersion: apiVersionOf(route.type),
      namespace: route.namespace,
      matches: this.selection(route, query),
      resourceVersion: query.get('resourceVersion') ?? undefined,
      allowBookmarks: query.get('allowWatchBookmarks') === 'true',
      sendInitialEvents: query.get('sendInitialEvents') === 'true',
      timeoutSeconds: timeout ? Number(timeout) : undefined,
      bookmarkIntervalMs: this.deps.bookmarkIntervalMs,
    });
    return 200;
  }

  private decode(route: Route, text: string): KubeObject {
    const object = parseJson(text, `couldn't get version/kind`) as KubeObject;
    if (object === null || typeof object !== 'object' || Array.isArray(object)) throw badRequest('Object \'Kind\' is missing in the request body');
    const expected = apiVersionOf(route.type);
    object.apiVersion ??= expected;
    object.kind ??= route.type.kind;
    if (object.apiVersion !== expected) throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${expected})`);
    if (object.kind !== route.type.kind) throw badRequest(`the kind in the data (${object.kind}) does not match the expected kind (${route.type.kind})`);
    object.metadata ??= {};
    if (route.namespace !== undefined) {
      if (object.metadata.namespace !== undefined && object.metadata.namespace !== route.namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      object.metadata.namespace = route.namespace;
    }
    return object;
  }

  private validate(route: Route, object: KubeObject): void {
    if (route.type.schema) this.deps.validator.check(route.type.schema.source, route.type.schema.definition, object, route.type.kind, route.type.group);
  }

  private async create(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): Promise<number> {
    const object = this.decode(route, await readBody(req));
    this.validate(route, object);
    const meta = object.metadata;
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'selfLink']) delete meta[field];
    if (!meta.name) {
      if (!meta.generateName) throw invalid(route.type.kind, route.type.group, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    const causes = [...validateName(meta.name, route.type.kind), ...validateLabels(meta.labels, 'metadata.labels')];
    if (causes.length) throw invalid(route.type.kind, route.type.group, meta.name, causes);
    const key = storeKey(route.type);
    if (this.deps.store.has(key, route.namespace, meta.name)) throw alreadyExists(qualifiedName(route.type), meta.name, route.type.group, route.type.plural);
    meta.uid = randomUUID();
    this.admit(route.type, object);
    if (query.get('dryRun') === 'All') {
      return this.send(res, 201, { ...object, metadata: { ...object.metadata, creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } });
    }
    const created = this.deps.store.create(key, object);
    if (route.type.kind === 'Namespace') this.createDefaultServiceAccount(created.metadata.name!);
    return this.send(res, 201, created);
  }

  /** Defaulting, semantic validation and admission plugins for a new object (mutates it). */
  private admit(type: ResourceType, object: KubeObject): void {
    if (type.kind === 'Job' || isCustomResource(type)) object.metadata.generation = 1;
    if (type.kind === 'Namespace') {
      object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name! };
      object.spec = { finalizers: ['kubernetes'] };
      object.status = { phase: 'Active' };
    }
    if (type.kind === 'Job') {
      const spec = object.spec as { template?: { spec?: Parameters<typeof validatePodSpec>[0] } } | undefined;
      if (!spec?.template?.spec) throw invalid('Job', 'batch', object.metadata.name!, [{ reason: 'FieldValueRequired', field: 'spec.template.spec.containers', message: 'Required value' }]);
      const causes = [...validatePodSpec(spec.template.spec, 'spec.template.spec'), ...defaultJob(object)];
      if (causes.length) throw invalid('Job', 'batch', object.metadata.name!, causes);
      this.checkQuota(object);
      object.status = {};
    }
    if (type.kind === 'Pod') this.admitPod(object);
  }

  private admitPod(pod: KubeObject): void {
    const spec = pod.spec as Parameters<typeof validatePodSpec>[0] | undefined;
    if (!spec) throw invalid('Pod', '', pod.metadata.name!, [{ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' }]);
    const causes = validatePodSpec(spec, 'spec');
    if (causes.length) throw invalid('Pod', '', pod.metadata.name!, causes);
    defaultPodSpec(spec);
    const ns = pod.metadata.namespace!;
    const sa = this.deps.store.get(SERVICE_ACCOUNTS, ns, spec.serviceAccountName!);
    if (!sa) {
      throw new ApiError(failure(403, 'Forbidden', `pods "${pod.metadata.name}" is forbidden: error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`, { name: pod.metadata.name, kind: 'pods' }));
    }
    injectWorkloadIdentity(pod, sa, this.deps.workloadIdentity);
    this.checkQuota(pod);
    pod.status = { phase: 'Pending', qosClass: qosClass(spec) };
  }

  /** The ResourceQuota admission plugin: the last word, after defaulting and the mutating plugins. */
  private checkQuota(object: KubeObject): void {
    const quota = this.deps.faults.quotaFault(object);
    if (!quota) return;
    const job = object.kind === 'Job';
    throw new ApiError(failure(403, 'Forbidden', quotaRefusal(quota, object), { name: object.metadata.name, ...(job ? { group: 'batch' } : {}), kind: job ? 'jobs' : 'pods' }));
  }

    /** Creates a pod as if POSTed (the job controller's path): admission, then storage. */
  createPod(pod: KubeObject): KubeObject {
    pod.metadata.uid = randomUUID();
    this.admitPod(pod);
    return this.deps.store.create(PODS, pod);
  }

  createDefaultServiceAccount(namespace: string): void {
    if (!this.deps.store.has(SERVICE_ACCOUNTS, namespace, 'default')) {
      this.deps.store.create(SERVICE_ACCOUNTS, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
    }
  }

  private async update(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): Promise<number> {
    const object = this.decode(route, await readBody(req));
    if (object.metadata.name !== undefined && object.metadata.name !== route.name) throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${route.name})`);
    object.metadata.name = route.name;
    return this.replace(res, route, object, query);
  }

  private replace(res: ServerResponse, route: Route, object: KubeObject, query: URLSearchParams): number {
    const current = this.getObject(route);
    this.validate(route, object);
    const rv = object.metadata.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      throw new ApiError(failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(route.type)} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: route.name, group: route.type.group || undefined, kind: route.type.plural }));
    }
    const causes = validateLabels(object.metadata.labels, 'metadata.labels');
    if (causes.length) throw invalid(route.type.kind, route.type.group, route.name!, causes);
    object.metadata.uid = current.metadata.uid;
    object.metadata.creationTimestamp = current.metadata.creationTimestamp;
    if (current.metadata.generation !== undefined) {
      object.metadata.generation = current.metadata.generation + (JSON.stringify(object.spec) !== JSON.stringify(current.spec) ? 1 : 0);
    }
    if (query.get('dryRun') === 'All') return this.ok(res, object);
    return this.ok(res, this.deps.store.replace(storeKey(route.type), object));
  }

  private async patch(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): Promise<number> {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    const body = parseJson(await readBody(req), 'error decoding patch');
    const current = this.getObject(route);
    let patched: unknown;
    if (contentType === 'application/merge-patch+json') patched = mergePatch(current, body);
    else if (contentType === 'application/json-patch+json') patched = jsonPatch(current, body);
    else if (contentType === 'application/strategic-merge-patch+json' && !isCustomResource(route.type)) patched = mergePatch(current, body);
    else throw new ApiError(failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${isCustomResource(route.type) ? '' : ', application/strategic-merge-patch+json'}`));
    const object = patched as KubeObject;
    object.metadata = { ...(object.metadata ?? {}), name: route.name, namespace: route.namespace };
    delete object.metadata.resourceVersion;
    return this.replace(res, route, object, query);
  }

  private async deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<{ propagationPolicy?: PropagationPolicy; gracePeriodSeconds?: number; dryRun: boolean }> {
    const text = await readBody(req);
    const body = (text.trim() ? parseJson(text, 'DeleteOptions') : {}) as { propagationPolicy?: string; gracePeriodSeconds?: number; dryRun?: string[]; orphanDependents?: boolean };
    const policy = query.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents === false ? 'Background' : body.orphanDependents ? 'Orphan' : undefined);
    if (policy !== undefined && !['Foreground', 'Background', 'Orphan'].includes(policy)) {
      throw invalid('DeleteOptions', '', '', [{ reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
    }
    const grace = query.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
    return { propagationPolicy: policy as PropagationPolicy | undefined, gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace), dryRun: query.get('dryRun') === 'All' || (body.dryRun ?? []).includes('All') };
  }

  private deleteOne(route: Route, name: string, options: { propagationPolicy?: PropagationPolicy; gracePeriodSeconds?: number }): KubeObject | undefined {
    const { type, namespace } = route;
    if (type.kind === 'Job') return this.deps.jobs().deleteJob(namespace!, name, options.propagationPolicy ?? 'Orphan');
    if (type.kind === 'Pod') return this.deps.kubelet.deletePod(namespace!, name, options.gracePeriodSeconds);
    if (type.kind === 'Namespace') {
      // Namespace deletion removes everything in it, as the namespace controller does.
      for (const key of [JOBS, PODS, SERVICE_ACCOUNTS, '/events', 'argoproj.io/workflowtemplates', 'argoproj.io/cronworkflows', 'argoproj.io/workflows', 'argoproj.io/sensors']) {
        for (const o of this.deps.store.list(key, name)) {
          if (key === JOBS) this.deps.jobs().deleteJob(name, o.metadata.name!, 'Background');
          else if (key === PODS) this.deps.kubelet.deletePod(name, o.metadata.name!, 0);
          else this.deps.store.remove(key, name, o.metadata.name!);
        }
      }
    }
    return this.deps.store.remove(storeKey(type), namespace, name);
  }

  private async delete(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): Promise<number> {
    const options = await this.deleteOptions(req, query);
    const current = this.getObject(route);
    if (options.dryRun) return this.ok(res, current);
    const result = this.deleteOne(route, route.name!, options);
    if (!result) throw this.notFound(route, route.name!);
    return this.ok(res, result);
  }

  private async deleteCollection(req: IncomingMessage, res: ServerResponse, route: Route, query: URLSearchParams): Promise<number> {
    const options = await this.deleteOptions(req, query);
    const matches = this.selection(route, query);
    const items = this.deps.store.list(storeKey(route.type), route.namespace).filter(matches);
    const deleted = options.dryRun ? items : items.map((o) => this.deleteOne({ ...route, namespace: o.metadata.namespace }, o.metadata.name!, options)).filter((o): o is KubeObject => !!o);
    return this.ok(res, { kind: `${route.type.kind}List`, apiVersion: apiVersionOf(route.type), metadata: { resourceVersion: String(this.deps.store.resourceVersion) }, items: deleted });
  }

  private podLog(res: ServerResponse, route: Route, query: URLSearchParams): number {
    const pod = this.getObject(route);
    const spec = pod.spec as { containers: { name: string }[] };
    const names = spec.containers.map((c) => c.name);
    const podName = pod.metadata.name!;
    let container = query.get('container');
    if (!container) {
      if (names.length !== 1) throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
      container = names[0];
    }
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
    const status = (pod.status ?? {}) as { containerStatuses?: { name: string; restartCount: number; state: { waiting?: { reason: string } }; lastState: { terminated?: object } }[] };
    const cs = status.containerStatuses?.find((c) => c.name === container);
    const previous = query.get('previous') === 'true';
    let instance = cs?.restartCount ?? 0;
    if (previous) {
      if (!cs?.lastState?.terminated || instance === 0) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
      instance -= 1;
    }
    const log = this.deps.logs.get(pod.metadata.uid!, container, instance);
    if (!log) {
      const waiting = cs?.state?.waiting?.reason ?? 'ContainerCreating';
      const why = waiting === 'ErrImagePull' || waiting === 'ImagePullBackOff' ? 'trying and failing to pull image' : waiting;
      throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${why}`);
    }
    const timestamps = query.get('timestamps') === 'true';
    const format = (l: { time: string; text: string }) => (timestamps ? `${l.time} ${l.text}` : l.text);
    const tail = query.get('tailLines');
    const sinceSeconds = query.get('sinceSeconds');
    let lines = log.lines;
    if (sinceSeconds) {
      const since = Date.now() - Number(sinceSeconds) * 1000;
      lines = lines.filter((l) => Date.parse(l.time.replace(/\.(\d{3})\d*Z$/, '.$1Z')) >= since);
    }
    if (tail !== null && tail !== '') lines = lines.slice(Math.max(0, lines.length - Number(tail)));
    let text = lines.map(format).join('');
    const limitBytes = query.get('limitBytes');
    if (limitBytes) text = Buffer.from(text).subarray(0, Number(limitBytes)).toString('utf8');
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    if (query.get('follow') !== 'true' || log.ended || limitBytes) {
      res.end(text);
      return 200;
    }
    res.write(text);
    const stop = log.follow((line) => {
      if (line === null) {
        stop();
        res.end();
      } else res.write(format(line));
    });
    res.on('close', stop);
    return 200;
  }
}

