import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { base32, resolveWorkflowName, sanitizeArgoName, sensorName } from '../../../../src/deploy/names';
import { nextToken, productionNamespace, resolveProductionToken, TokenStore, tokenAt } from '../../../../src/deploy/productionToken';

describe('workflow names', () => {
  it('base32 matches RFC 4648', () => {
    assert.equal(base32(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(base32(Buffer.from('f')), 'MY');
  });

  it('flow names are sanitised into resource names', () => {
    assert.equal(resolveWorkflowName({ flowName: 'DemoFlow' }).name, 'demoflow');
    assert.equal(sanitizeArgoName('__My_Flow@v+2'), 'myflowv2');
    assert.equal(sanitizeArgoName('proj.user.a_-.Flow'), 'proj.user.a.flow');
    assert.equal(resolveWorkflowName({ flowName: 'DemoFlow' }).tokenPrefix, 'demoflow');
  });

  it('@project names are <project>.<branch>.<flow>, shortened with a hash past 45 characters', () => {
    const short = resolveWorkflowName({ flowName: 'BenchFlow', project: { project: 'myproj', branch: 'user.bob' } });
    assert.equal(short.name, 'myproj.user.bob.benchflow');
    assert.match(short.tokenPrefix, /^mfprj-[a-z2-7]{16}$/);
    const long = resolveWorkflowName({ flowName: 'AVeryLongFlowNameForTraining', project: { project: 'recommendations_platform', branch: 'user.someone_long' } });
    assert.ok(long.name.length <= 45, long.name);
    assert.match(long.name, /^[a-z]([a-z0-9.-]*[a-z0-9])?$/);
    assert.match(long.name, /-[a-z2-7]{5}$/);
    assert.equal(long.problem, undefined);
    assert.equal(resolveWorkflowName({ flowName: 'AVeryLongFlowNameForTraining', project: { project: 'recommendations_platform', branch: 'user.someone_long' } }).name, long.name);
  });

  it('--name with a @project is refused', () => {
    assert.match(resolveWorkflowName({ flowName: 'F', name: 'x', project: { project: 'p', branch: 'prod' } }).problem!, /--name cannot be used with a @project flow/);
  });

  it('sensor names have no dots', () => {
    assert.equal(sensorName('proj.prod.flow'), 'proj-prod-flow');
  });
});

describe('production tokens', () => {
  it('are a deterministic sequence per prefix', () => {
    assert.match(tokenAt('demoflow', 0), /^demoflow-0-[a-z]{4}$/);
    assert.equal(tokenAt('demoflow', 3), tokenAt('demoflow', 3));
    assert.notEqual(tokenAt('demoflow', 0), tokenAt('otherflow', 0).replace('otherflow', 'demoflow'));
    assert.equal(nextToken('demoflow'), tokenAt('demoflow', 0));
    assert.equal(nextToken('demoflow', tokenAt('demoflow', 0)), tokenAt('demoflow', 1));
    assert.equal(nextToken('demoflow', 'custom-token'), undefined);
    assert.equal(productionNamespace('x-0-abcd'), 'production:x-0-abcd');
  });

  const base = { name: 'demoflow', tokenPrefix: 'demoflow', isProject: false, user: 'alice' };

  it('a first deployment gets the first token; a redeploy keeps the deployed one', () => {
    assert.deepEqual(resolveProductionToken(base), { token: tokenAt('demoflow', 0), generated: true });
    assert.deepEqual(resolveProductionToken({ ...base, existing: { user: 'alice', token: 'demoflow-0-zzzz' } }), { token: 'demoflow-0-zzzz', generated: false });
  });

  it("someone else's deployment needs --authorize with its token (production: prefix accepted)", () => {
    const existing = { user: 'bob', token: tokenAt('demoflow', 0) };
    const refused = resolveProductionToken({ ...base, existing });
    assert.ok('problem' in refused);
    assert.match(refused.problem, /made by bob; .* --authorize TOKEN/);
    assert.deepEqual(resolveProductionToken({ ...base, existing, authorize: `production:${existing.token}` }), { token: existing.token, generated: false });
    assert.deepEqual(resolveProductionToken({ ...base, existing, stored: existing.token }), { token: existing.token, generated: false });
  });

  it('--generate-new-token moves to the next token; --new-token sets one, not for @project', () => {
    const existing = { user: 'alice', token: tokenAt('demoflow', 0) };
    assert.deepEqual(resolveProductionToken({ ...base, existing, generateNewToken: true }), { token: tokenAt('demoflow', 1), generated: true });
    assert.deepEqual(resolveProductionToken({ ...base, existing, newToken: 'production:mine-1' }), { token: 'mine-1', generated: false });
    const afterCustom = resolveProductionToken({ ...base, existing: { user: 'alice', token: 'mine-1' }, generateNewToken: true });
    assert.ok('problem' in afterCustom && /cannot follow a token given with --new-token/.test(afterCustom.problem));
    const project = resolveProductionToken({ ...base, isProject: true, newToken: 'x' });
    assert.ok('problem' in project && /--new-token cannot be used with a @project/.test(project.problem));
  });

  it('are stored per prefix in the folder the caller gives, as {"production_token": ...}', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokens-'));
    try {
      const store = new TokenStore(path.join(dir, 'home'));
      assert.equal(store.load('demoflow'), undefined);
      store.store('demoflow', 'demoflow-0-abcd');
      assert.equal(store.load('demoflow'), 'demoflow-0-abcd');
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'home', 'demoflow'), 'utf8')), { production_token: 'demoflow-0-abcd' });
      fs.writeFileSync(path.join(dir, 'home', 'broken'), '{');
      assert.throws(() => store.load('broken'), /broken is not valid JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
