import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeFile } from '../../../src/flow/analyzeFile';
import type { FlowInfo, ParameterInfo } from '../../../src/flow/types';
import { analyzer, describeRun, finish, REPO_ROOT, runner, type Workspace, workspace } from './harness';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'flows');

function valueFor(p: ParameterInfo): string {
  switch (p.type) {
    case 'int':
      return '3';
    case 'float':
      return '0.5';
    case 'bool':
      return 'true';
    case 'JSONType':
      return '{"k": 1}';
    default:
      return 'value';
  }
}

describe('the language service fixtures run', () => {
  let ws: Workspace;
  const cases: Array<{ file: string; flow: FlowInfo }> = [];
  before(async () => {
    // lint_* and broken_* fixtures are invalid on purpose; the analyzer's verdict decides for the rest.
    const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.py') && !/^(lint|broken)_/.test(f)) : [];
    ws = workspace(...files.map((f) => path.join(FIXTURES, f)));
    // IncludeFile defaults name files beside the flow.
    fs.writeFileSync(path.join(ws.dir, 'data.csv'), 'a,b\n1,2\n');
    const a = await analyzer();
    for (const file of files) {
      const analysis = analyzeFile(a, ws.flow(file));
      if (analysis.syntaxErrors.length > 0) continue;
      for (const flow of analysis.flows) if (flow.errors.length === 0) cases.push({ file, flow });
    }
  });
  after(() => ws.cleanup());

  it('every valid fixture flow succeeds and the Client reads it back as successful', async () => {
    assert.ok(cases.length >= 10, `only ${cases.length} valid fixture flows found`);
    const r = await runner(ws);
    const failures: string[] = [];
    const todo = [...cases];
    const work = async () => {
      for (let c = todo.shift(); c; c = todo.shift()) {
        const args = c.flow.parameters.filter((p) => p.required && p.kind === 'Parameter').flatMap((p) => [`--${p.name}`, valueFor(p)]);
        // As in Metaflow, @kubernetes steps need a cloud datastore: on the local one the run is refused before it starts.
        if (c.flow.steps.some((s) => s.decorators.some((d) => d.name === 'kubernetes'))) {
          const refusal = await Promise.resolve()
            .then(() => finish(r.run({ flowFile: ws.flow(c.file), flowName: c.flow.name, parameterArgs: args })))
            .then(
            ({ result }) => `${result.status}: ${result.error ?? ''}`,
            (err: Error) => err.message,
          );
          if (!/METAFLOW_DEFAULT_DATASTORE=azure/.test(refusal)) failures.push(`${c.file} ${c.flow.name}: a local run of @kubernetes steps was not refused for its datastore (${refusal})`);
          continue;
        }
        const { result } = await finish(r.run({ flowFile: ws.flow(c.file), flowName: c.flow.name, parameterArgs: args }));
        if (result.status !== 'succeeded') {
          failures.push(`${c.file} ${c.flow.name}: ${result.error}`);
          continue;
        }
        const run = await describeRun(ws, `${c.flow.name}/${result.runId}`);
        if (!run.successful) failures.push(`${c.file} ${c.flow.name}: the Client does not see the run as successful`);
      }
    };
    await Promise.all([work(), work(), work()]);
    assert.deepEqual(failures, []);
  });
});
