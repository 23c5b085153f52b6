import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageProblem, isAzureContainerRegistry, parseImageReference } from '../../../src/kube/imageReference';
import { isValidLabelValue, labelKeyProblem, parseKeyValueList, sanitizeLabelValue } from '../../../src/kube/labelValues';

describe('image references', () => {
  it('splits registry, repository, tag and digest as the container runtime does', () => {
    assert.deepEqual(parseImageReference('python:3.11'), { registry: undefined, repository: 'python', tag: '3.11', digest: undefined });
    assert.deepEqual(parseImageReference('team/train'), { registry: undefined, repository: 'team/train', tag: undefined, digest: undefined });
    assert.equal(parseImageReference('myacr.azurecr.io/team/train:1.0')?.registry, 'myacr.azurecr.io');
    assert.equal(parseImageReference('localhost:5000/img')?.registry, 'localhost:5000');
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.equal(parseImageReference(`ghcr.io/org/img@${digest}`)?.digest, digest);
  });

  it('explains malformed references', () => {
    for (const bad of ['', 'py thon:3', 'Team/Train', 'img:', 'img::1', 'a//b', '-img', `img@sha256:xyz`]) {
      assert.ok(imageProblem(bad), `${JSON.stringify(bad)} should be refused`);
    }
    assert.match(imageProblem('Team/Train') ?? '', /upper-case/);
    assert.equal(imageProblem('python:3.11'), undefined);
  });

  it('recognises Azure Container Registry hosts', () => {
    assert.equal(isAzureContainerRegistry('myacr.azurecr.io/team/train:1'), true);
    assert.equal(isAzureContainerRegistry('python:3.11'), false);
    assert.equal(isAzureContainerRegistry('ghcr.io/azurecr.io/x'), false);
  });
});

describe('label values', () => {
  it('keeps valid values and makes others valid without collisions', () => {
    assert.equal(sanitizeLabelValue('TrainFlow'), 'TrainFlow');
    const a = sanitizeLabelValue('user:ana@example.com');
    const b = sanitizeLabelValue('user:ana#example.com');
    assert.ok(isValidLabelValue(a) && isValidLabelValue(b), `${a} ${b}`);
    assert.notEqual(a, b);
    const long = sanitizeLabelValue('x'.repeat(100));
    assert.ok(isValidLabelValue(long) && long.length <= 63, long);
    assert.ok(isValidLabelValue(sanitizeLabelValue('___')));
  });

  it('checks keys and parses k=v lists', () => {
    assert.equal(labelKeyProblem('app.kubernetes.io/name'), undefined);
    assert.ok(labelKeyProblem('has space'));
    assert.ok(labelKeyProblem('Bad_Prefix/name'));
    assert.deepEqual(parseKeyValueList('a=1, b=x=y,c', false), { a: '1', b: 'x=y', c: '' });
    assert.throws(() => parseKeyValueList('a', true), /"a" has no value/);
    assert.throws(() => parseKeyValueList('a=1,a=2', true), /"a" is given twice/);
  });
});
