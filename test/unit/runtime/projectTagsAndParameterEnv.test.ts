import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecoratorInfo, LiteralValue, ParameterInfo } from '../../../src/flow/types';
import { extractParameters, parameterEnvVar, ParameterError } from '../../../src/runtime/parameterValues';
import { projectSystemTags } from '../../../src/runtime/projectTags';
import { flowOf } from './flowBuilder';

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function projectFlow(attributes: Record<string, LiteralValue>) {
  const flow = flowOf('P', { start: { type: 'start', next: ['end'] }, end: { type: 'end' } });
  const deco: DecoratorInfo = { name: 'project', attributes, args: [], range };
  flow.decorators = [deco];
  return flow;
}

function flowWith(params: Array<Partial<ParameterInfo> & { name: string }>) {
  const flow = flowOf('P', { start: { type: 'start', next: ['end'] }, end: { type: 'end' } });
  flow.parameters = params.map((p) => ({ attribute: p.name, kind: 'Parameter', range, ...p }));
  return flow;
}

describe('@project system tags, as Metaflow names the branch', () => {
  it('a user branch by default, METAFLOW_OWNER before the user', () => {
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'proj' }), 'alice', {}), ['project:proj', 'project_branch:user.alice']);
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'proj' }), 'alice', { METAFLOW_OWNER: 'bob' }), ['project:proj', 'project_branch:user.bob']);
  });

  it('METAFLOW_BRANCH gives test.<branch>, METAFLOW_PRODUCTION prod or prod.<branch>', () => {
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'proj' }), 'alice', { METAFLOW_BRANCH: 'feat' }), ['project:proj', 'project_branch:test.feat']);
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'proj' }), 'alice', { METAFLOW_PRODUCTION: 'True' }), ['project:proj', 'project_branch:prod']);
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'proj' }), 'alice', { METAFLOW_PRODUCTION: '1', METAFLOW_BRANCH: 'b' }), ['project:proj', 'project_branch:prod.b']);
  });

  it('attributes of the decorator win over the variables', () => {
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'proj', branch: 'mine', production: true }), 'alice', { METAFLOW_BRANCH: 'feat' }), ['project:proj', 'project_branch:prod.mine']);
  });

  it('no tags for names it cannot know statically or that the task will refuse', () => {
    assert.deepEqual(projectSystemTags(flowOf('P', { start: { type: 'start', next: ['end'] }, end: { type: 'end' } }), 'alice', {}), []);
    assert.deepEqual(projectSystemTags(projectFlow({ name: { $expr: 'config_expr("cfg").project' } }), 'alice', {}), []);
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'Bad-Name' }), 'alice', {}), []);
    assert.deepEqual(projectSystemTags(projectFlow({ name: 'proj' }), 'alice', { METAFLOW_PRODUCTION: 'maybe' }), []);
  });
});

describe('parameters from METAFLOW_RUN_<NAME>', () => {
  it('names the variable as click does: dashes become underscores, upper case', () => {
    assert.equal(parameterEnvVar('num-epochs'), 'METAFLOW_RUN_NUM_EPOCHS');
    assert.equal(parameterEnvVar('alpha'), 'METAFLOW_RUN_ALPHA');
  });

  it('a required parameter set in the environment is not missing; its value is checked and named by its variable', () => {
    const flow = flowWith([{ name: 'num-epochs', type: 'int', required: true }]);
    assert.deepEqual(extractParameters(flow, [], { METAFLOW_RUN_NUM_EPOCHS: '4' }).values, {}, 'the task reads the variable itself');
    assert.throws(() => extractParameters(flow, [], {}), (e: Error) => e instanceof ParameterError && /METAFLOW_RUN_NUM_EPOCHS/.test(e.message));
    assert.throws(() => extractParameters(flow, [], { METAFLOW_RUN_NUM_EPOCHS: 'four' }), /parameter 'num-epochs' \(environment variable METAFLOW_RUN_NUM_EPOCHS\): 'four' is not a valid integer/);
    assert.deepEqual(extractParameters(flow, ['--num-epochs', '2'], { METAFLOW_RUN_NUM_EPOCHS: 'four' }).values, { 'num-epochs': '2' }, 'the command line wins');
  });
});
