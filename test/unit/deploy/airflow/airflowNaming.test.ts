// The DAG id and production-token prefix of an Airflow deployment: a @project flow is named and owns its
// tokens as its Argo deployment does, so both targets of one project branch share the production namespace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { airflowNaming, compileAirflow } from '../../../../src/deploy/airflow/airflowCompiler';
import { resolveWorkflowName } from '../../../../src/deploy/names';
import { compileInput, flowOf } from './compileHelpers';

const PROJECT_FLOW = `from metaflow import FlowSpec, step, project
@project(name="ranking")
class TrainFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

describe('airflow naming', () => {
  it('a @project flow is <project>.<branch>.<Flow> with the project branch token prefix Argo uses', async () => {
    const flow = await flowOf(PROJECT_FLOW);
    const naming = airflowNaming(flow, {}, 'alice', {});
    assert.equal(naming.dagId, 'ranking.user.alice.TrainFlow');
    assert.equal(naming.isProject, true);
    assert.match(naming.tokenPrefix, /^mfprj-[a-z2-7]{16}$/);
    assert.equal(naming.tokenPrefix, resolveWorkflowName({ flowName: 'TrainFlow', project: { project: 'ranking', branch: 'user.alice' } }).tokenPrefix);
    const prod = airflowNaming(flow, {}, 'alice', { METAFLOW_PRODUCTION: 'true' });
    assert.equal(prod.dagId, 'ranking.prod.TrainFlow');
    assert.notEqual(prod.tokenPrefix, naming.tokenPrefix);
  });

  it('--name replaces the DAG id; a flow without @project is named after itself', async () => {
    const flow = await flowOf(PROJECT_FLOW);
    assert.deepEqual(airflowNaming(flow, { name: 'nightly_dag' }, 'alice', {}), { dagId: 'nightly_dag', tokenPrefix: 'nightly-dag', isProject: false });
    const plain = await flowOf(PROJECT_FLOW.replace('@project(name="ranking")\n', ''));
    assert.deepEqual(airflowNaming(plain, {}, 'alice', {}), { dagId: 'TrainFlow', tokenPrefix: 'trainflow', isProject: false });
  });

  it("the DAG's tasks carry the project annotations", async () => {
    const flow = await flowOf(PROJECT_FLOW);
    const compiled = compileAirflow(compileInput(flow));
    assert.deepEqual(compiled.problems, []);
    assert.match(compiled.source, /"metaflow\/project_name": "ranking"/);
    assert.match(compiled.source, /"metaflow\/branch_name": "user\.alice"/);
    assert.match(compiled.source, /"metaflow\/project_flow_name": "ranking\.user\.alice\.TrainFlow"/);
  });
});
