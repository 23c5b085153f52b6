// The pinned Argo schema the product validates with: the repository's copy is the reference schema, and the
// functions the build generates from it judge manifests exactly as Ajv compiling the schema does.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { argoSchemaValidator, PINNED_SCHEMA_FILE, pinnedArgoValidator } from '../../../../src/deploy/argo/argoSchemaCheck';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const REFERENCE = path.resolve(REPO, '..', 'shared', 'schemas', 'argo-workflows.schema.json');

const template = (spec: Record<string, unknown>) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'WorkflowTemplate',
  metadata: { name: 'helloflow' },
  spec: { entrypoint: 'HelloFlow', templates: [{ name: 'start', container: { image: 'python:3.11', args: ['argo'] } }], ...spec },
});

describe('the pinned Argo schema', () => {
  it('is the reference schema, byte for byte', () => {
    assert.equal(readFileSync(PINNED_SCHEMA_FILE, 'utf8'), readFileSync(REFERENCE, 'utf8'));
  });

  it('the build-time functions accept a valid template and name an unknown or mistyped field, as the run-time compile does', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'argo-validators-'));
    try {
      const out = path.join(dir, 'argoValidators.js');
      execFileSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'scripts', 'gen-argo-validators.ts'), out], { cwd: REPO });
      const generated = createRequire(__filename)(out) as Record<string, ((m: unknown) => boolean) & { errors?: unknown[] }>;
      const compiled = argoSchemaValidator(PINNED_SCHEMA_FILE);
      const cases = [
        template({}),
        template({ parallelizm: 3 }),
        template({ parallelism: 'three' }),
        template({ templateDefaults: { container: { name: 'main', image: 'python:3.11', command: ['python3', '-c', 'pass'] } } }),
      ];
      const verdicts = cases.map((m) => generated.WorkflowTemplate(m));
      assert.deepEqual(verdicts, [true, false, false, true]);
      assert.deepEqual(cases.map((m) => compiled('WorkflowTemplate', m).length === 0), verdicts);
      assert.match(compiled('WorkflowTemplate', cases[1]).join('\n'), /spec: must NOT have additional properties 'parallelizm'/);
      assert.match(pinnedArgoValidator()('WorkflowTemplate', cases[2]).join('\n'), /spec\.parallelism: must be integer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
