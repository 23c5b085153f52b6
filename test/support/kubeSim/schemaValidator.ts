// Validates objects against the official schemas the way the API server decodes them: strictly. The
// published schemas leave objects open (no additionalProperties), so every object definition with
// properties is closed here; an unknown field becomes a "strict decoding error" (400) naming the field,
// a wrong JSON type a decoding error (400), a missing or unsupported value an Invalid (422) with causes.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { SchemaSource } from './resources';
import { badRequest, invalid, type StatusCause } from './status';

/** `../shared/schemas` beside the repository checkout. */
export const DEFAULT_SCHEMAS_DIR = resolve(__dirname, '..', '..', '..', '..', 'shared', 'schemas');

type Schema = Record<string, unknown>;

const INT_OR_STRING = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { anyOf: [{ type: 'string' }, { type: 'number' }] };

function closeDefinitions(definitions: Record<string, Schema>): void {
  for (const [name, def] of Object.entries(definitions)) {
    if (name.endsWith('util.intstr.IntOrString')) {
      definitions[name] = { ...INT_OR_STRING };
      continue;
    }
    if (name.endsWith('api.resource.Quantity')) {
      definitions[name] = { ...QUANTITY };
      continue;
    }
    // Argo Events' K8SResource holds any object (a trigger's Workflow); its published byte-string form is Go's wire form.
    if (name.endsWith('argo_events.pkg.apis.events.v1alpha1.K8SResource')) {
      definitions[name] = { type: 'object' };
      continue;
    }
    const properties = def.properties as Record<string, unknown> | undefined;
    // Some published top-level kinds (Argo Events' Sensor) leave out apiVersion and kind; every object has them.
    if (name.includes('argo_events') && properties?.metadata && properties.spec && !properties.apiVersion) Object.assign(properties, { apiVersion: { type: 'string' }, kind: { type: 'string' } });
    if (def.properties && def.additionalProperties === undefined && !def['x-kubernetes-preserve-unknown-fields']) {
      def.additionalProperties = false;
    }
  }
}

/** `/spec/template/spec/containers/0/foo` -> `spec.template.spec.containers[0].foo` */
export function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const part of parts) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let node: unknown = root;
  for (const part of instancePath.split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

export class SchemaValidator {
  private readonly ajv: { kubernetes: Ajv; argo: Ajv };
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(schemasDir = DEFAULT_SCHEMAS_DIR) {
    const k8sPath = join(schemasDir, 'kubernetes.swagger.json');
    const argoPath = join(schemasDir, 'argo-workflows.schema.json');
    let k8s: Schema;
    let argo: Schema;
    try {
      k8s = JSON.parse(readFileSync(k8sPath, 'utf8')) as Schema;
      argo = JSON.parse(readFileSync(argoPath, 'utf8')) as Schema;
    } catch (error) {
      throw new Error(`The Kubernetes simulator validates against ${k8sPath} and ${argoPath}; they could not be read: ${(error as Error).message}`);
    }
    closeDefinitions(k8s.definitions as Record<string, Schema>);
    closeDefinitions(argo.definitions as Record<string, Schema>);
    const options = { strict: false, allErrors: true, validateFormats: false };
    const kubernetes = new Ajv(options);
    kubernetes.addSchema({ $id: 'k8s', definitions: k8s.definitions }, 'k8s');
    const argoAjv = new Ajv2020(options);
    argoAjv.addSchema({ $id: 'argo', definitions: argo.definitions }, 'argo');
    this.ajv = { kubernetes, argo: argoAjv };
  }

  private validator(source: SchemaSource, definition: string): ValidateFunction {
    const key = `${source}:${definition}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      const id = source === 'kubernetes' ? 'k8s' : 'argo';
      fn = this.ajv[source].compile({ $ref: `${id}#/definitions/${definition}` });
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** Throws the ApiError the API server would answer for `object`; returns when it decodes and validates. */
  check(source: SchemaSource, definition: string, object: unknown, kind: string, group: string): void {
    const validate = this.validator(source, definition);
    if (validate(object)) return;
    const errors = (validate.errors ?? []) as ErrorObject[];
    const name = String((object as { metadata?: { name?: string; generateName?: string } })?.metadata?.name ?? (object as { metadata?: { generateName?: string } })?.metadata?.generateName ?? '');
    const unknown = errors.filter((e) => e.keyword === 'additionalProperties');
    if (unknown.length) {
      const fields = [...new Set(unknown.map((e) => fieldPath(e.instancePath, String((e.params as { additionalProperty: string }).additionalProperty))))];
      throw badRequest(`strict decoding error: ${fields.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    // A value that is neither of an anyOf's types reports each branch's type error; one message is enough.
    const typeError = errors.find((e) => e.keyword === 'type');
    if (typeError) {
      const actual = jsonTypeOf(valueAt(object, typeError.instancePath));
      const expected = (typeError.params as { type: string | string[] }).type;
      throw badRequest(
        `${kind} in version "${definition.split('.').slice(-2, -1)[0] ?? ''}" cannot be handled as a ${kind}: json: cannot unmarshal ${actual} into Go struct field ${fieldPath(typeError.instancePath)} of type ${Array.isArray(expected) ? expected.join(' or ') : expected}`,
      );
    }
    const causes: StatusCause[] = [];
    for (const e of errors) {
      if (e.keyword === 'required') {
        causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: fieldPath(e.instancePath, String((e.params as { missingProperty: string }).missingProperty)) });
      } else if (e.keyword === 'enum' || e.keyword === 'const') {
        const allowed = e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues : [(e.params as { allowedValue: unknown }).allowedValue];
        causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(valueAt(object, e.instancePath))}: supported values: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, field: fieldPath(e.instancePath) });
      } else if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if') {
        causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${e.message ?? e.keyword}`, field: fieldPath(e.instancePath) });
      }
    }
    throw invalid(kind, group, name, causes.length ? causes : [{ reason: 'FieldValueInvalid', message: 'Invalid value', field: '' }]);
  }
}

