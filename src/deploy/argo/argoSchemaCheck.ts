// Offline validation of compiled manifests against the pinned Argo Workflows schema (schemas/ in the
// repository), before anything is sent to a cluster. The build compiles that schema into plain functions
// (dist/argoValidators.js), so the extension and the command line validate without compiling code at run
// time; unbundled (tests, `tsx`), and for a schema file named by the user, Ajv compiles it here.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ArgoKind } from './argoClient';
import { ARGO_AJV_OPTIONS, ARGO_DEFINITIONS, closeArgoDefinitions, type SchemaDefinitions } from './argoSchemaDefinitions';
import type { Manifest } from './types';

export type ManifestValidator = (kind: ArgoKind, manifest: Manifest) => string[];

/** The generated module's shape: one standalone validator per kind. */
type GeneratedValidators = Record<ArgoKind, ValidateFunction>;

export const GENERATED_VALIDATORS_FILE = 'argoValidators.js';

function describe(kind: ArgoKind, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    const extra = e.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty: string }).additionalProperty)}'` : '';
    return `${kind} ${at}: ${e.message ?? e.keyword}${extra}`;
  });
}

/** A validator over a schema file (argo-workflows.schema.json), compiled now; each message names the field. */
export function argoSchemaValidator(schemaFile: string): ManifestValidator {
  let schema: { definitions?: SchemaDefinitions };
  try {
    schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as typeof schema;
  } catch (err) {
    throw new Error(`The Argo Workflows schema ${schemaFile} cannot be read: ${(err as Error).message}`);
  }
  const definitions = closeArgoDefinitions(schema.definitions ?? {});
  const ajv = new Ajv2020({ ...ARGO_AJV_OPTIONS });
  ajv.addSchema({ $id: 'argo', definitions }, 'argo');
  const compiled = new Map<ArgoKind, ValidateFunction>();
  return (kind, manifest) => {
    let validate = compiled.get(kind);
    if (!validate) {
      if (!definitions[ARGO_DEFINITIONS[kind]]) return [`the schema ${schemaFile} has no definition ${ARGO_DEFINITIONS[kind]}`];
      validate = ajv.compile({ $ref: `argo#/definitions/${ARGO_DEFINITIONS[kind]}` });
      compiled.set(kind, validate);
    }
    return validate(manifest) ? [] : describe(kind, validate.errors);
  };
}

/** The schema the project pins, from the repository (unbundled runs). */
export const PINNED_SCHEMA_FILE = path.join(__dirname, '..', '..', '..', 'schemas', 'argo-workflows.schema.json');

/**
 * The validator of the pinned schema: the build's generated functions beside the running bundle, or, unbundled,
 * the repository's schema compiled now.
 */
export function pinnedArgoValidator(): ManifestValidator {
  const generated = path.join(__dirname, GENERATED_VALIDATORS_FILE);
  if (existsSync(generated)) {
    const validators = createRequire(__filename)(generated) as GeneratedValidators;
    return (kind, manifest) => {
      const validate = validators[kind];
      return validate(manifest) ? [] : describe(kind, validate.errors);
    };
  }
  if (existsSync(PINNED_SCHEMA_FILE)) return argoSchemaValidator(PINNED_SCHEMA_FILE);
  throw new Error(`the Argo Workflows schema is missing from this installation (${generated}): rebuild with \`npm run build\``);
}
