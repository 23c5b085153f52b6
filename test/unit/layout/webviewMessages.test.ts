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

const withRun: ShownDrawing = { ...shown, steps: ['start', 'train', 'end'], taskPathspecs: new Set(['TrainFlow/7/train/3']) };

test('step actions, run flow, task logs and live are accepted for the drawing and run shown', () => {
  for (const action of ['runStep', 'resumeFromStep', 'showTasks']) {
    assert.deepEqual(parseWebviewMessage({ type: 'stepAction', action, file: shown.file, flow: 'TrainFlow', step: 'train' }, withRun), {
      type: 'stepAction',
      action,
      file: shown.file,
      flow: 'TrainFlow',
      step: 'train',
    });
  }
  assert.deepEqual(parseWebviewMessage({ type: 'runFlow', file: shown.file, flow: 'TrainFlow' }, withRun), { type: 'runFlow', file: shown.file, flow: 'TrainFlow' });
  assert.deepEqual(parseWebviewMessage({ type: 'showTaskLogs', pathspec: 'TrainFlow/7/train/3' }, withRun), { type: 'showTaskLogs', pathspec: 'TrainFlow/7/train/3' });
  assert.deepEqual(parseWebviewMessage({ type: 'showLive' }, withRun), { type: 'showLive' });
});

test('run requests must name the drawn flow, one of its steps, and a task of the run shown', () => {
  const bad: unknown[] = [
    { type: 'stepAction', action: 'deleteEverything', file: shown.file, flow: 'TrainFlow', step: 'train' },
    { type: 'stepAction', action: 'runStep', file: shown.file, flow: 'TrainFlow', step: 'not_a_step' },
    // Another flow of the file is not drawn: its steps were never shown.
    { type: 'stepAction', action: 'runStep', file: shown.file, flow: 'OtherFlow', step: 'start' },
    { type: 'stepAction', action: 'runStep', file: '/elsewhere/flow.py', flow: 'TrainFlow', step: 'train' },
    { type: 'stepAction', action: 'toString', file: shown.file, flow: 'TrainFlow', step: 'train' },
    { type: 'runFlow', file: shown.file, flow: 'OtherFlow' },
    { type: 'runFlow', file: '/elsewhere/flow.py', flow: 'TrainFlow' },
    { type: 'showTaskLogs', pathspec: 'TrainFlow/7/train/4' },
    { type: 'showTaskLogs', pathspec: '../../../etc/passwd' },
    { type: 'showTaskLogs', pathspec: ['TrainFlow/7/train/3'] },
  ];
  for (const value of bad) assert.equal(parseWebviewMessage(value, withRun), undefined, JSON.stringify(value));
  // Nothing drawn, or no run shown: nothing to run or open.
  assert.equal(parseWebviewMessage({ type: 'runFlow', file: shown.file, flow: 'TrainFlow' }, undefined), undefined);
  assert.equal(parseWebviewMessage({ type: 'showTaskLogs', pathspec: 'TrainFlow/7/train/3' }, shown), undefined);
  assert.equal(parseWebviewMessage({ type: 'stepAction', action: 'runStep', file: shown.file, flow: 'TrainFlow', step: 'train' }, shown), undefined);
  assert.equal(parseWebviewMessage({ type: 'showLive' }, undefined), undefined);
});
