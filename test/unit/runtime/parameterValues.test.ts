import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParameterInfo } from '../../../src/flow/types';
import { extractParameters, ParameterError } from '../../../src/runtime/parameterValues';
import { flowOf } from './flowBuilder';

const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
function flowWith(params: Array<Partial<ParameterInfo> & { name: string }>) {
  const flow = flowOf('P', { start: { type: 'start', next: ['end'] }, end: { type: 'end' } });
  flow.parameters = params.map((p) => ({ attribute: p.name, kind: 'Parameter', range, ...p }));
  return flow;
}

describe('flow parameters from the command line', () => {
  const flow = flowWith([
    { name: 'alpha', type: 'float', default: 0.5 },
    { name: 'num_epochs', type: 'int', default: 3 },
    { name: 'debug', type: 'bool', default: false },
    { name: 'config', type: 'JSONType', default: '{}' },
  ]);

  it('takes --name value, --name=value, dashed names and bool flags', () => {
    const { values, rest } = extractParameters(flow, ['--alpha', '0.1', '--num-epochs=7', '--debug', '--max-workers', '2']);
    assert.deepEqual(values, { alpha: '0.1', num_epochs: '7', debug: 'true' });
    assert.deepEqual(rest, ['--max-workers', '2']);
    assert.deepEqual(extractParameters(flow, ['--no-debug']).values, { debug: 'false' });
  });

  it('names the parameter whose value has the wrong type', () => {
    assert.throws(() => extractParameters(flow, ['--alpha', 'fast']), (e: Error) => e instanceof ParameterError && /parameter 'alpha' \(--alpha\): 'fast' is not a valid float/.test(e.message));
    assert.throws(() => extractParameters(flow, ['--num_epochs', '2.5']), /parameter 'num_epochs'.*not a valid integer/);
    assert.throws(() => extractParameters(flow, ['--config', '{bad']), /parameter 'config'.*not valid JSON/);
  });

  it('requires required parameters without a default', () => {
    assert.throws(() => extractParameters(flowWith([{ name: 'x', required: true }]), []), /parameter 'x' is required: pass --x VALUE/);
  });
});
