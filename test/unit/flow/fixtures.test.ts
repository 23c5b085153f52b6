// Every flow in test/fixtures/flows against its <name>.expected.json (the `graph --json` output).
// The expected graphs (types, next, matching joins, order, graph_structure, failing checks and
// their lines) were confirmed against Metaflow's own graph and lint code.
// UPDATE_FLOW_FIXTURES=1 rewrites the expected files after an intended change.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { before, describe, test } from 'node:test';
import { createFlowAnalyzer } from '../../../src/flow/analyzer';
import { toGraphJson } from '../../../src/flow/graphJson';
import { CHECKS } from '../../../src/flow/lint';
import type { FlowAnalyzer, GraphJson, StepType } from '../../../src/flow/types';
import { fixtureFiles } from './fixturePaths';

const update = process.env.UPDATE_FLOW_FIXTURES === '1';

describe('flow fixture corpus', () => {
  let analyzer: FlowAnalyzer;
  const results = new Map<string, GraphJson>();
  before(async () => {
    analyzer = await createFlowAnalyzer();
  });

  for (const file of fixtureFiles()) {
    test(basename(file), () => {
      const expectedPath = file.replace(/\.py$/, '.expected.json');
      const actual = toGraphJson(analyzer.analyze(file, readFileSync(file, 'utf8')));
      results.set(basename(file), actual);
      if (update) writeFileSync(expectedPath, `${JSON.stringify(actual, null, 2)}\n`);
      assert.ok(existsSync(expectedPath), `${expectedPath} is missing (run with UPDATE_FLOW_FIXTURES=1 to create it)`);
      assert.deepEqual(actual, JSON.parse(readFileSync(expectedPath, 'utf8')));
    });
  }

  test('the corpus has at least 40 flows and covers every step type and every check', () => {
    const files = fixtureFiles();
    const expected = files.map((f) => JSON.parse(readFileSync(f.replace(/\.py$/, '.expected.json'), 'utf8')) as GraphJson);
    const flows = expected.flatMap((e) => e.flows);
    assert.ok(flows.length >= 40, `only ${flows.length} flows`);
    const types = new Set(flows.flatMap((f) => f.steps.map((s) => s.type)));
    const allTypes: StepType[] = ['start', 'linear', 'join', 'end', 'split-static', 'split-foreach', 'split-parallel', 'split-switch'];
    assert.deepEqual(allTypes.filter((t) => !types.has(t)), []);
    const checks = new Set(flows.flatMap((f) => f.errors.map((e) => e.check)));
    const missing = CHECKS.filter((c) => !c.optional && !checks.has(c.name)).map((c) => c.name);
    assert.deepEqual(missing, []);
  });
});
