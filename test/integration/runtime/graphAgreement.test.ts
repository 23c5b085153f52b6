// One graph: the embedded Python package builds its own graph inside the task process (it must: the
// `_graph_info` Metaflow's client reads is written from the flow class after its mutators ran), while
// the scheduler walks src/flow's. This proves the two agree on every step's type, transitions,
// foreach artifact, switch condition and cases, and matching join, over every flow the project ships.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeFile } from '../../../src/flow/analyzeFile';
import type { FlowAnalyzer } from '../../../src/flow/types';
import { analyzer, PYTHON_DIR, REPO_ROOT } from './harness';

const CORPORA = ['test/fixtures/flows', 'test/python/flows', 'test/integration/runtime/flows'].map((d) => path.join(REPO_ROOT, d));

interface StepShape {
  type: string;
  next: string[];
  foreach?: string;
  condition?: string;
  switch_cases?: Record<string, string>;
  matching_join?: string;
}

// Imports each file as the worker does and prints every flow's graph as the worker builds it.
const PYTHON_GRAPHS = `
import json, os, sys
# What the flows print while imported goes to stderr, as in the worker; the answer uses the real stdout.
answer = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
from metaflow_studio.flowloader import load_flow, _flow_classes
from metaflow_studio.graph import FlowGraph
out = {}
for path in sys.argv[1:]:
    try:
        loaded = load_flow(path, None)
    except BaseException as e:
        out[path] = {"error": "%s: %s" % (type(e).__name__, e)}
        continue
    flows = {}
    for cls in _flow_classes(loaded.module):
        graph = FlowGraph(cls)
        steps = {}
        for node in graph:
            d = graph._node_dict(node)
            shape = {"type": d["type"], "next": d["next"]}
            for src, dst in (("foreach_artifact", "foreach"), ("condition", "condition"), ("switch_cases", "switch_cases"), ("matching_join", "matching_join")):
                if d.get(src) is not None:
                    shape[dst] = d[src]
            steps[node.name] = shape
        flows[cls.__name__] = steps
    out[path] = {"flows": flows}
answer.write(json.dumps(out))
answer.flush()
`;

describe('one graph: the worker and src/flow agree', () => {
  let flowAnalyzer: FlowAnalyzer;
  before(async () => {
    // The harness's shared analyzer: other suites in this process use it too, so it is not disposed here.
    flowAnalyzer = await analyzer();
  });

  it('on every lint-clean flow of the fixture corpora that Python can import', () => {
    const files = CORPORA.flatMap((dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.py')).map((f) => path.join(dir, f)));
    const expected = new Map<string, Map<string, Record<string, StepShape>>>();
    for (const file of files) {
      const analysis = analyzeFile(flowAnalyzer, file);
      if (analysis.syntaxErrors.length > 0) continue;
      const flows = new Map<string, Record<string, StepShape>>();
      for (const flow of analysis.flows) {
        if (flow.errors.length > 0) continue;
        const steps: Record<string, StepShape> = {};
        for (const s of flow.steps) {
          const shape: StepShape = { type: s.type, next: s.next };
          if (s.foreach !== undefined) shape.foreach = s.foreach;
          if (s.condition !== undefined) shape.condition = s.condition;
          if (s.switchCases !== undefined) shape.switch_cases = s.switchCases;
          if (s.matchingJoin !== undefined) shape.matching_join = s.matchingJoin;
          steps[s.name] = shape;
        }
        flows.set(flow.name, steps);
      }
      if (flows.size > 0) expected.set(file, flows);
    }
    const r = spawnSync(process.env.METAFLOW_STUDIO_PYTHON ?? 'python3', ['-c', PYTHON_GRAPHS, ...expected.keys()], {
      env: { ...process.env, PYTHONPATH: PYTHON_DIR, METAFLOW_USER: 'tester' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    const actual = JSON.parse(r.stdout) as Record<string, { error?: string; flows?: Record<string, Record<string, StepShape>> }>;
    let compared = 0;
    const importFailures: string[] = [];
    for (const [file, flows] of expected) {
      const got = actual[file];
      if (got.error) {
        importFailures.push(`${path.relative(REPO_ROOT, file)}: ${got.error}`);
        continue;
      }
      for (const [name, steps] of flows) {
        assert.deepEqual(got.flows?.[name], steps, `${path.relative(REPO_ROOT, file)} ${name}`);
        compared += 1;
      }
    }
    // Files that fail on import on purpose (broken flows, missing optional packages) are few; the rest are compared.
    assert.ok(compared >= 40, `compared ${compared} flows; import failures: ${importFailures.join('; ')}`);
    process.stdout.write(`# graphs compared: ${compared} flows; not importable here: ${importFailures.length}\n`);
  });
});
