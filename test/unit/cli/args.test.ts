import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { intOption, lastOption, parseVerbArgs } from '../../../src/cli/args';
import { UsageError } from '../../../src/cli/command';
import { lintReport } from '../../../src/cli/lintReport';

const RUN = { flow: { type: 'string' }, tag: { type: 'string' }, 'max-workers': { type: 'string' }, json: { type: 'boolean' }, 'no-pylint': { type: 'boolean' } } as const;

describe('verb arguments', () => {
  it('keeps positionals, repeated options in order and flags', () => {
    const p = parseVerbArgs(['flow.py', '--tag', 'a', '--tag=刺身 means sashimi', '--json', '--max-workers=4', '--no-pylint'], RUN, false);
    assert.deepEqual(p.positional, ['flow.py']);
    assert.deepEqual(p.options.get('tag'), ['a', '刺身 means sashimi']);
    assert.ok(p.flags.has('json') && p.flags.has('no-pylint'));
    assert.equal(intOption(p, 'max-workers'), 4);
    assert.equal(lastOption(p, 'flow'), undefined);
  });

  it('collects unknown options with their values, negative numbers included, for the flow to check', () => {
    const p = parseVerbArgs(['flow.py', '--alpha', '-1', '--name=x', '--flag', '--flow', 'F', '--beta', '2'], RUN, true);
    assert.deepEqual(p.unknown, ['--alpha', '-1', '--name=x', '--flag', '--beta', '2']);
    assert.deepEqual(p.positional, ['flow.py']);
    assert.equal(lastOption(p, 'flow'), 'F');
  });

  it('refuses unknown options where a verb has no parameters, a missing value and a non-number', () => {
    assert.throws(() => parseVerbArgs(['flow.py', '--alpha', '1'], RUN, false), (e: Error) => e instanceof UsageError && /unknown option --alpha/.test(e.message));
    assert.throws(() => parseVerbArgs(['flow.py', '--flow'], RUN, false), /--flow needs a value/);
    assert.throws(() => parseVerbArgs(['flow.py', '--json=yes'], RUN, false), /--json takes no value/);
    assert.throws(() => intOption(parseVerbArgs(['--max-workers', 'many'], RUN, false), 'max-workers'), /--max-workers must be a whole number, got 'many'/);
  });

  it('treats a short-looking argument as a positional, since no verb has short options', () => {
    assert.deepEqual(parseVerbArgs(['-ab', 'flow.py'], RUN, false).positional, ['-ab', 'flow.py']);
  });
});

describe('lint report shared by check and run', () => {
  it('lists syntax errors first, then each lint error, then a count', () => {
    const syntax = [{ message: 'invalid syntax', range: { start: { line: 2, character: 0 }, end: { line: 2, character: 1 } } }];
    const errors = [{ check: 'check_for_orphans', message: 'Step x is unreachable', line: 9 }];
    const r = lintReport('f.py', errors as never, syntax as never);
    assert.deepEqual(r.lines, ['f.py:3: syntax-error: invalid syntax', 'f.py:9: check_for_orphans: Step x is unreachable']);
    assert.equal(r.summary, '2 problems found in f.py.');
    assert.equal(lintReport('f.py', errors as never).summary, '1 problem found in f.py.');
  });
});
