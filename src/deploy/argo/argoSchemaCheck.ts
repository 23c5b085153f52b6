// Offline validation of compiled manifests against the pinned Argo Workflows schema, before anything is
// sent to a cluster. Kubernetes decodes custom resources strictly, so every object definition of the
// published schema (left open there) is closed: an unknown field is named here rather than dropped there.
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import type { ArgoKind } from './argoClient';
import type { Manifest } from './types';

const DEFINITIONS: Record<ArgoKind, string> = {
  WorkflowTemplate: 'io.argoproj.workflow.v1alpha1.WorkflowTemplate',
  CronWorkflow: 'io.argoproj.workflow.v1alpha1.CronWorkflow',
  Workflow: 'io.argoproj.workflow.v1alpha1.Workflow',
  Sensor: 'github.com.argoproj.argo_events.pkg.apis.events.v1alpha1.Sensor',
};

export type ManifestValidator = (kind: ArgoKind, manifest: Manifest) => string[];

/** A validator over the schema file (argo-workflows.schema.json); each message names the field. */
export function argoSchemaValidator(schemaFile: string): ManifestValidator {
  let schema: { definitions?: Record<string, Record<string, unknown>> };
  try {
    schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as typeof schema;
  } catch (err) {
    throw new Error(`The Argo Workflows schema ${schemaFile} cannot be read: ${(err as Error).message}`);
  }
  const definitions = schema.definitions ?? {};
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
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'argo', definitions }, 'argo');
  const compiled = new Map<ArgoKind, ValidateFunction>();
  return (kind, manifest) => {
    let validate = compiled.get(kind);
    if (!validate) {
      if (!definitions[DEFINITIONS[kind]]) return [`the schema ${schemaFile} has no definition ${DEFINITIONS[kind]}`];
      validate = ajv.compile({ $ref: `argo#/definitions/${DEFINITIONS[kind]}` });
      compiled.set(kind, validate);
    }
    if (validate(manifest)) return [];
    return (validate.errors ?? []).map((e) => {
      const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(root)';
      const extra = e.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty: string }).additionalProperty)}'` : '';
      return `${kind} ${at}: ${e.message ?? e.keyword}${extra}`;
    });
  };
}
