// The pinned Argo schema as the project validates against it: shared by the run-time validator and the
// build-time generator (scripts/gen-argo-validators.ts), so both close the same definitions the same way.
import type { ArgoKind } from './argoClient';

export const ARGO_DEFINITIONS: Record<ArgoKind, string> = {
  WorkflowTemplate: 'io.argoproj.workflow.v1alpha1.WorkflowTemplate',
  CronWorkflow: 'io.argoproj.workflow.v1alpha1.CronWorkflow',
  Workflow: 'io.argoproj.workflow.v1alpha1.Workflow',
  Sensor: 'github.com.argoproj.argo_events.pkg.apis.events.v1alpha1.Sensor',
};

export type SchemaDefinitions = Record<string, Record<string, unknown>>;

/**
 * Kubernetes decodes custom resources strictly, so every object definition of the published schema (left open
 * there) is closed: an unknown field is named here rather than dropped by the cluster. Mutates and returns `definitions`.
 */
export function closeArgoDefinitions(definitions: SchemaDefinitions): SchemaDefinitions {
  for (const [name, def] of Object.entries(definitions)) {
    if (name.endsWith('util.intstr.IntOrString')) definitions[name] = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
    else if (name.endsWith('api.resource.Quantity')) definitions[name] = { anyOf: [{ type: 'string' }, { type: 'number' }] };
    // Argo Events' K8SResource holds any object (the Workflow a trigger submits): the published schema's byte string is its wire form in Go.
    else if (name.endsWith('argo_events.pkg.apis.events.v1alpha1.K8SResource')) definitions[name] = { type: 'object' };
    else {
      const properties = def.properties as Record<string, unknown> | undefined;
      // The published Sensor leaves out apiVersion and kind, which every object has.
      if (name.includes('argo_events') && properties?.metadata && properties.spec && !properties.apiVersion) Object.assign(properties, { apiVersion: { type: 'string' }, kind: { type: 'string' } });
      if (def.properties && def.additionalProperties === undefined && !def['x-kubernetes-preserve-unknown-fields']) def.additionalProperties = false;
    }
  }
  return definitions;
}

/** Ajv options both validators use: every error reported, formats not checked (Kubernetes checks them itself). */
export const ARGO_AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: false } as const;
