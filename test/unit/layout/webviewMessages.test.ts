import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWebviewMessage, type ShownDrawing } from '../../../src/vscode/webviewMessages';

const shown: ShownDrawing = { file: '/home/u/flows/train.py', flow: 'TrainFlow', flows: ['TrainFlow', 'OtherFlow'] };

test('accepts every well-formed message about the drawing shown', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }, undefined), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'revealStep', file: shown.file, flow: 'TrainFlow', step: 'start' }, shown), {
    type: 'revealStep',
    file: shown.file,
    flow: 'TrainFlow',
    step: 'start',
  });
  assert.deepEqual(parseWebviewMessage({ type: 'selectFlow', file: shown.file, flow: 'OtherFlow' }, shown), { type: 'selectFlow', file: shown.file, flow: 'OtherFlow' });
  assert.deepEqual(parseWebviewMessage({ type: 'exportSvg', flow: 'TrainFlow', svg: '<svg/>' }, shown), { type: 'exportSvg', flow: 'TrainFlow', svg: '<svg/>' });
  assert.deepEqual(parseWebviewMessage({ type: 'error', message: 'DAG view: boom' }, undefined), { type: 'error', message: 'DAG view: boom' });
});

test('rejects values that are not messages of the protocol', () => {
  for (const value of [undefined, null, 'ready', 42, [], {}, { type: 'nope' }, { type: 7 }, { type: 'toString' }, { type: '__proto__' }]) {
    assert.equal(parseWebviewMessage(value, shown), undefined, JSON.stringify(value));
  }
});

test('rejects messages whose fields have the wrong type', () => {
  const bad: unknown[] = [
    { type: 'revealStep', file: shown.file, flow: 'TrainFlow' },
    { type: 'revealStep', file: shown.file, flow: 'TrainFlow', step: 3 },
    { type: 'revealStep', file: shown.file, flow: 'TrainFlow', step: '' },
    { type: 'selectFlow', file: shown.file, flow: { name: 'TrainFlow' } },
    { type: 'exportSvg', flow: 'TrainFlow', svg: ['<svg/>'] },
    { type: 'error', message: { toString: 'x' } },
  ];
  for (const value of bad) assert.equal(parseWebviewMessage(value, shown), undefined, JSON.stringify(value));
});

test('a webview may only refer to the file and flows it was given', () => {
  assert.equal(parseWebviewMessage({ type: 'revealStep', file: '/etc/passwd', flow: 'TrainFlow', step: 'start' }, shown), undefined);
  assert.equal(parseWebviewMessage({ type: 'revealStep', file: shown.file, flow: 'NotThere', step: 'start' }, shown), undefined);
  assert.equal(parseWebviewMessage({ type: 'selectFlow', file: 'vscode-remote://elsewhere/x.py', flow: 'TrainFlow' }, shown), undefined);
  assert.equal(parseWebviewMessage({ type: 'selectFlow', file: shown.file, flow: 'NotThere' }, shown), undefined);
  // The export's default file name is built from the flow name: only the flow drawn is accepted.
  assert.equal(parseWebviewMessage({ type: 'exportSvg', flow: '../../.bashrc', svg: '<svg/>' }, shown), undefined);
  assert.equal(parseWebviewMessage({ type: 'exportSvg', flow: 'OtherFlow', svg: '<svg/>' }, shown), undefined);
  // Nothing drawn: nothing to reveal, pick or export.
  assert.equal(parseWebviewMessage({ type: 'revealStep', file: shown.file, flow: 'TrainFlow', step: 'start' }, undefined), undefined);
  assert.equal(parseWebviewMessage({ type: 'exportSvg', flow: 'TrainFlow', svg: '<svg/>' }, undefined), undefined);
});

test('a long error message from the webview is cut before it reaches the log', () => {
  const parsed = parseWebviewMessage({ type: 'error', message: 'x'.repeat(100_000) }, undefined);
  assert.equal(parsed?.type, 'error');
  assert.ok(parsed.type === 'error' && parsed.message.length <= 2_001, `length ${parsed.type === 'error' ? parsed.message.length : 0}`);
});
