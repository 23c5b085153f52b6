// The failing line of a flow file from a task's stderr, as the embedded worker prints it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateFailure } from '../../../src/vscode/runDiagnosticsTraceback';

const FLOW = '/home/user/project/fail_flow.py';

test('takes the deepest frame in the flow file and the exception line', () => {
  const stderr = [
    'Traceback (most recent call last):',
    '  File "/ext/dist/python/metaflow_studio/step_task.py", line 343, in run_step',
    '    step_func()',
    `  File "${FLOW}", line 16, in explode`,
    '    helper(self.compute())',
    `  File "${FLOW}", line 5, in helper`,
    '    raise ValueError("boom %s" % x)',
    '  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads',
    '    return _default_decoder.decode(s)',
    'ValueError: boom 3',
    '<flow FailFlow step explode> failed.',
  ];
  assert.deepEqual(locateFailure(stderr, FLOW, 'linux'), { line: 5, message: 'ValueError: boom 3' });
});

test('with chained exceptions, the last traceback is the one that ended the task', () => {
  const stderr = [
    'Traceback (most recent call last):',
    `  File "${FLOW}", line 10, in start`,
    '    int("x")',
    "ValueError: invalid literal for int() with base 10: 'x'",
    '',
    'During handling of the above exception, another exception occurred:',
    '',
    'Traceback (most recent call last):',
    `  File "${FLOW}", line 12, in start`,
    '    raise RuntimeError("could not parse")',
    'RuntimeError: could not parse',
  ];
  assert.deepEqual(locateFailure(stderr, FLOW, 'linux'), { line: 12, message: 'RuntimeError: could not parse' });
});

test('no traceback, or none through the flow file, gives nothing', () => {
  assert.equal(locateFailure(['plain output', 'Killed'], FLOW, 'linux'), undefined);
  assert.equal(locateFailure(['Traceback (most recent call last):', '  File "/other.py", line 3, in f', '    x', 'KeyError: 1'], FLOW, 'linux'), undefined);
});

test('paths compare case-insensitively on Windows and macOS only', () => {
  const stderr = ['Traceback (most recent call last):', '  File "/HOME/User/Project/FAIL_FLOW.py", line 7, in start', '    1/0', 'ZeroDivisionError: division by zero'];
  assert.equal(locateFailure(stderr, FLOW, 'linux'), undefined);
  assert.deepEqual(locateFailure(stderr, FLOW, 'darwin'), { line: 7, message: 'ZeroDivisionError: division by zero' });
});
