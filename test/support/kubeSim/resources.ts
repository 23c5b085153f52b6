// The resource kinds the simulator serves: where each lives in the REST tree and which schema definition
// validates it. One table, read by discovery, routing, validation and the Table printer.

export type SchemaSource = 'kubernetes' | 'argo';

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  schema?: { source: SchemaSource; definition: string };
  /** Objects the API computes (kubectl may not create them). */
  readOnly?: boolean;
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'], schema: { source: 'kubernetes', definition: 'io.k8s.api.core.v1.Namespace' } },
  { group: '', version: 'v1', plural: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, verbs: CRUD, shortNames: ['sa'], schema: { source: 'kubernetes', definition: 'io.k8s.api.core.v1.ServiceAccount' } },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, verbs: CRUD, shortNames: ['po'], categories: ['all'], schema: { source: 'kubernetes', definition: 'io.k8s.api.core.v1.Pod' } },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, verbs: CRUD, shortNames: ['ev'], schema: { source: 'kubernetes', definition: 'io.k8s.api.core.v1.Event' } },
  { group: 'batch', version: 'v1', plural: 'jobs', singular: 'job', kind: 'Job', namespaced: true, verbs: CRUD, categories: ['all'], schema: { source: 'kubernetes', definition: 'io.k8s.api.batch.v1.Job' } },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowtemplates', singular: 'workflowtemplate', kind: 'WorkflowTemplate', namespaced: true, verbs: CRUD, shortNames: ['wftmpl'], schema: { source: 'argo', definition: 'io.argoproj.workflow.v1alpha1.WorkflowTemplate' } },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'cronworkflows', singular: 'cronworkflow', kind: 'CronWorkflow', namespaced: true, verbs: CRUD, shortNames: ['cwf', 'cronwf'], schema: { source: 'argo', definition: 'io.argoproj.workflow.v1alpha1.CronWorkflow' } },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows', singular: 'workflow', kind: 'Workflow', namespaced: true, verbs: CRUD, shortNames: ['wf'], schema: { source: 'argo', definition: 'io.argoproj.workflow.v1alpha1.Workflow' } },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'sensors', singular: 'sensor', kind: 'Sensor', namespaced: true, verbs: CRUD, shortNames: ['sn'], schema: { source: 'argo', definition: 'github.com.argoproj.argo_events.pkg.apis.events.v1alpha1.Sensor' } },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] },
];

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `jobs.batch`, `pods`: how the API server names a resource in messages. */
export function qualifiedName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** Built-in kinds come back in lists without kind/apiVersion on each item; custom resources keep them. */
export function isCustomResource(type: ResourceType): boolean {
  return type.group === 'argoproj.io';
}
