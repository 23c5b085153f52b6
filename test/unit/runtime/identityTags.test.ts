import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identitySystemTags } from '../../../src/runtime/identityTags';

describe('identity system tags of a run', () => {
  it('a run started by hand is the user\'s, on the dev runtime', () => {
    assert.deepEqual(identitySystemTags('alice', {}), ['runtime:dev', 'user:alice']);
  });

  it('a run of a deployment is in the production namespace of its token, on the runtime that started it', () => {
    assert.deepEqual(identitySystemTags('alice', { METAFLOW_PRODUCTION_TOKEN: 'trainflow-0-abcd', METAFLOW_RUNTIME_NAME: 'argo-workflows' }), ['runtime:argo-workflows', 'production:trainflow-0-abcd']);
  });

  it('an empty token is no token', () => {
    assert.deepEqual(identitySystemTags('bob', { METAFLOW_PRODUCTION_TOKEN: '' }), ['runtime:dev', 'user:bob']);
  });
});
