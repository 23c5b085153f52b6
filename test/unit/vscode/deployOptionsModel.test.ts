// The editor's deploy options: what each target offers, how typed text is checked and read, what is
// remembered, and how options given to the command by a caller are refused with the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkGivenOptions,
  deployOptionsKey,
  describeOption,
  onlyFieldsOf,
  optionText,
  readOptionText,
  summarizeOptions,
  toAirflowOptions,
  toArgoOptions,
  validateOptionText,
} from '../../../src/vscode/deployOptionsModel';

test('empty text is always accepted: it means Metaflow\'s default', () => {
  for (const field of ['maxWorkers', 'workflowTimeout', 'workflowPriority', 'tags', 'namespace', 'name', 'workerPool', 'isPausedUponCreation'] as const) {
    assert.equal(validateOptionText(field, '  '), undefined, field);
    assert.equal(readOptionText(field, ''), undefined, field);
  }
});

test('max workers and the workflow timeout are whole numbers of at least 1, named by their flag', () => {
  assert.equal(validateOptionText('maxWorkers', '12'), undefined);
  assert.match(validateOptionText('maxWorkers', '0') ?? '', /--max-workers.*at least 1.*100/);
  assert.match(validateOptionText('maxWorkers', '2.5') ?? '', /whole number/);
  assert.match(validateOptionText('workflowTimeout', '-3') ?? '', /--workflow-timeout/);
  assert.equal(readOptionText('maxWorkers', ' 12 '), 12);
});

test('the priority may be negative; text fields refuse spaces; paused upon creation is yes or no', () => {
  assert.equal(validateOptionText('workflowPriority', '-5'), undefined);
  assert.equal(readOptionText('workflowPriority', '-5'), -5);
  assert.match(validateOptionText('workflowPriority', 'high') ?? '', /--workflow-priority/);
  assert.match(validateOptionText('namespace', 'my ns') ?? '', /--namespace.*spaces/);
  assert.equal(validateOptionText('isPausedUponCreation', 'Yes'), undefined);
  assert.equal(readOptionText('isPausedUponCreation', 'Yes'), true);
  assert.equal(readOptionText('isPausedUponCreation', 'no'), false);
  assert.match(validateOptionText('isPausedUponCreation', 'maybe') ?? '', /yes or no/);
});

test('tags split on commas and spaces and read back as typed', () => {
  const tags = readOptionText('tags', 'nightly, team:ml  v2');
  assert.deepEqual(tags, ['nightly', 'team:ml', 'v2']);
  assert.equal(optionText('tags', { tags: ['nightly', 'v2'] }), 'nightly, v2');
});

test('each target keeps only its own fields, and empty tag lists are dropped', () => {
  const values = { name: 'nightly', maxWorkers: 4, workflowPriority: 3, workerPool: 'big', tags: [], isPausedUponCreation: true, namespace: 'ml' };
  assert.deepEqual(onlyFieldsOf('argo', values), { maxWorkers: 4, workflowPriority: 3, namespace: 'ml' });
  assert.deepEqual(onlyFieldsOf('airflow', values), { name: 'nightly', maxWorkers: 4, workerPool: 'big', isPausedUponCreation: true });
  assert.deepEqual(toArgoOptions(values), { namespace: 'ml', maxWorkers: 4, workflowTimeout: undefined, workflowPriority: 3, tags: undefined });
  assert.deepEqual(toAirflowOptions(values), { name: 'nightly', maxWorkers: 4, workflowTimeout: undefined, workerPool: 'big', tags: undefined, isPausedUponCreation: true });
});

test('the summary names what differs from the defaults, and says so when nothing does', () => {
  assert.equal(summarizeOptions('argo', {}), "Metaflow's defaults");
  assert.equal(summarizeOptions('argo', { workerPool: 'ignored for argo' }), "Metaflow's defaults");
  assert.equal(summarizeOptions('argo', { maxWorkers: 7, tags: ['a', 'b'] }), 'max workers 7, tags a, b');
  assert.equal(describeOption('maxWorkers', {}), '100 (default)');
  assert.equal(describeOption('maxWorkers', { maxWorkers: 7 }), '7');
});

test('options are remembered per target, flow file and flow', () => {
  const a = deployOptionsKey('argo', 'file:///w/flow.py', 'AFlow');
  assert.notEqual(a, deployOptionsKey('airflow', 'file:///w/flow.py', 'AFlow'));
  assert.notEqual(a, deployOptionsKey('argo', 'file:///w/flow.py', 'BFlow'));
  assert.notEqual(a, deployOptionsKey('argo', 'file:///w/other.py', 'AFlow'));
});

test('options given to the command are checked like typed ones, and an unknown one is named', () => {
  assert.deepEqual(checkGivenOptions('argo', { maxWorkers: 3, tags: ['x'] }), { values: { maxWorkers: 3, tags: ['x'] } });
  assert.deepEqual(checkGivenOptions('airflow', { isPausedUponCreation: true, workerPool: 'p' }), { values: { workerPool: 'p', isPausedUponCreation: true } });
  const unknown = checkGivenOptions('argo', { workerPool: 'p' });
  assert.ok('problem' in unknown && /'workerPool' is not a deploy option of Argo Workflows/.test(unknown.problem), JSON.stringify(unknown));
  const bad = checkGivenOptions('argo', { maxWorkers: 0 });
  assert.ok('problem' in bad && /--max-workers/.test(bad.problem), JSON.stringify(bad));
  assert.ok('problem' in checkGivenOptions('argo', 'maxWorkers=3'));
});
