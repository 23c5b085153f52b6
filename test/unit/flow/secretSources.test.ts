// Literal @secrets sources are checked in the editor before any run, with the rules the task applies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { INVALID_SECRET_SOURCE, checkSecretSources, keyVaultIdProblem } from '../../../src/flow/secretSources';
import type { FlowAnalyzer, FlowInfo } from '../../../src/flow/types';
import { analyzeText, newAnalyzer, onlyFlow, textAt } from './analyzeSource';

const FIXTURES = resolve(__dirname, '../../fixtures/secrets');

describe('@secrets sources in the editor', () => {
  let analyzer: FlowAnalyzer;
  const analyze = (file: string): { flow: FlowInfo; text: string } => {
    const text = readFileSync(resolve(FIXTURES, file), 'utf8');
    return { flow: onlyFlow(analyzeText(analyzer, text)), text };
  };
  before(async () => {
    analyzer = await newAnalyzer();
  });

  test('every valid source form, and sources known only at run time, give no error', () => {
    assert.deepEqual(analyze('valid_secret_sources_flow.py').flow.errors, []);
  });

  test('each broken rule is an error on its step, under the decorator, naming the id and the rule', () => {
    const { flow, text } = analyze('invalid_secret_sources_flow.py');
    assert.ok(flow.errors.every((e) => e.check === INVALID_SECRET_SOURCE));
    const byStep = (step: string) => flow.errors.filter((e) => e.steps[0] === step).map((e) => e.message);
    assert.match(byStep('start')[0], /Key Vault secret id 'https:\/\/myvault\.example\.com\/secrets\/x': the vault host 'myvault\.example\.com' must end with one of \.vault\.azure\.net/);
    assert.match(byStep('vault_name')[0], /the vault name 'my--vault' must be 3-24 letters, digits or '-', without '--'/);
    assert.match(byStep('object_type')[0], /the object type 'keys' is not 'secrets'/);
    assert.match(byStep('secret_name')[0], /the secret name '1password' must start with a letter/);
    assert.match(byStep('version')[0], /the version '1234' must be 32 letters or digits/);
    assert.match(byStep('path')[0], /'a\/b\/c' is neither <name>, <name>\/<version>/);
    assert.match(byStep('untyped_url')[0], /unknown secrets backend type 'https:\/\/myvault'.*write 'az-key-vault\.https:\/\/myvault\.vault\.azure\.net\/secrets\/x'/);
    assert.deepEqual(byStep('dict_form').map((m) => m.replace(/^@secrets on step 'dict_form': /, '')), [
      "Key Vault secret id 'has_underscore': the secret name 'has_underscore' must start with a letter and hold up to 127 letters, digits or '-'",
      "a dict source needs an 'id'",
      'a source must be a string or a dict, not 42',
    ]);
    assert.deepEqual(byStep('clash').map((m) => m.replace(/^@secrets on step 'clash': /, '')), [
      `'other' and 'az-key-vault.db-password' would both set 'db_password'; give one of them options={"env_var_name": ...}`,
      "'az-key-vault.METAFLOW-TOKEN' would set 'METAFLOW_TOKEN', and secrets may not set variables starting with 'METAFLOW_'",
    ]);
    assert.deepEqual(byStep('end'), []);
    const start = flow.errors.find((e) => e.steps[0] === 'start')!;
    assert.equal(start.line, 5);
    assert.match(textAt(text, start.range), /^@secrets\(sources=\["az-key-vault\.https:\/\/myvault\.example\.com/);
  });

  test('a flow with an invalid secret id fails `check`, as lint errors do', () => {
    const text = `from metaflow import FlowSpec, secrets, step\n\nclass F(FlowSpec):\n    @secrets(sources=["az-key-vault.bad_name"])\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n`;
    const flow = onlyFlow(analyzeText(analyzer, text));
    assert.equal(flow.errors.length, 1);
    assert.equal(flow.errors[0].line, 4);
  });
});

describe('Key Vault ids', () => {
  test('full URLs on every sovereign cloud, short ids with and without a version', () => {
    for (const id of [
      'https://myvault.vault.azure.net/secrets/x',
      'https://myvault.vault.azure.cn/secrets/x/',
      'https://myvault.vault.usgovcloudapi.net/secrets/x/ec96f02080254f109c51a1f14cdb1931',
      'https://myvault.vault.microsoftazure.de/secrets/x',
      'db-password',
      'db-password/ec96f02080254f109c51a1f14cdb1931',
      'a'.repeat(127),
    ]) {
      assert.equal(keyVaultIdProblem(id).problem, undefined, id);
    }
    assert.equal(keyVaultIdProblem('https://myvault.vault.azure.net/secrets/db-pass').name, 'db-pass');
    assert.match(keyVaultIdProblem('a'.repeat(128)).problem!, /must start with a letter and hold up to 127/);
    assert.match(keyVaultIdProblem('').problem!, /empty/);
    assert.match(keyVaultIdProblem('https://ab.vault.azure.net/secrets/x').problem!, /vault name 'ab'/);
    assert.match(keyVaultIdProblem('https://myvault.vault.azure.net/secrets').problem!, /must be \/secrets\/<name>\[\/<version>\]/);
  });

  test('non-literal sources are left to run time', () => {
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
    const deco = (sources: unknown) => ({ name: 'secrets', attributes: { sources } as never, args: [], range });
    assert.deepEqual(checkSecretSources([{ name: 's', decorators: [deco({ $expr: 'SOURCES' }), deco([{ $expr: 'x' }, { type: { $expr: 'T' }, id: 'bad_name' }])] }]), []);
    assert.equal(checkSecretSources([{ name: 's', decorators: [deco('az-key-vault.x')] }])[0].message, "@secrets on step 's': sources must be a list of strings or dicts");
  });
});
