import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDagSnapshot, flowLevelErrors, pickFlow } from '../../../src/protocol/dagSnapshot';
import { FlowLayout } from '../../../src/layout/flowLayout';
import type { FileAnalysis } from '../../../src/flow/types';
import { buildFlow, showcaseFlow } from '../layout/flowBuilder';

function analysisOf(...flows: ReturnType<typeof buildFlow>[]): FileAnalysis {
  return { isFlowFile: true, flows, syntaxErrors: [] };
}

test('picks the requested flow while the file still defines it, else the first one', () => {
  const a = buildFlow('AFlow', [{ name: 'start', next: ['end'] }, { name: 'end' }]);
  const b = buildFlow('BFlow', [{ name: 'start', next: ['end'] }, { name: 'end' }]);
  assert.equal(pickFlow(analysisOf(a, b), 'BFlow')?.name, 'BFlow');
  assert.equal(pickFlow(analysisOf(a, b), 'Renamed')?.name, 'AFlow');
  assert.equal(pickFlow(analysisOf(a, b))?.name, 'AFlow');
  assert.equal(pickFlow(analysisOf()), undefined);
});

test('keeps errors about the whole flow for the banner, with their line, and leaves step errors to the nodes', async () => {
  const flow = buildFlow('BadFlow', [{ name: 'start', next: ['end'] }, { name: 'end' }], {
    errors: [
      { check: 'check_reserved_words', message: 'Step name "next" is reserved.', steps: ['start'], line: 12 },
      { check: 'check_start_end', message: 'The flow has two start steps.', steps: [], line: 7 },
    ],
  });
  assert.deepEqual(flowLevelErrors(flow), ['Line 7: The flow has two start steps.']);
  const other = buildFlow('OtherFlow', [{ name: 'start', next: ['end'] }, { name: 'end' }]);
  const graph = await new FlowLayout().layout(flow);
  const snapshot = createDagSnapshot({ file: 'flows/bad.py', analysis: analysisOf(flow, other), flow, graph, run: { runId: '17', status: 'running' } });
  assert.deepEqual(snapshot.flows, ['BadFlow', 'OtherFlow']);
  assert.equal(snapshot.graph, graph);
  assert.deepEqual(snapshot.flowErrors, ['Line 7: The flow has two start steps.']);
  assert.deepEqual(snapshot.run, { runId: '17', status: 'running' });
  assert.equal(snapshot.file, 'flows/bad.py');
});

test('a snapshot without a run has no run field, so the view shows no run status', async () => {
  const flow = showcaseFlow();
  const snapshot = createDagSnapshot({ file: 'f.py', analysis: analysisOf(flow), flow, graph: await new FlowLayout().layout(flow) });
  assert.equal('run' in snapshot, false);
  assert.deepEqual(JSON.parse(JSON.stringify(snapshot)), snapshot, 'a snapshot survives postMessage serialization unchanged');
});
