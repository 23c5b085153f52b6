// "What triggers this flow" in the DAG panel: read from @schedule, @trigger and @trigger_on_finish as the
// compiler reads them, and carried by the panel's snapshot only when the flow has any.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFlowTriggers, flowTriggers } from '../../../../src/deploy/argo/flowTriggers';
import { createDagSnapshot } from '../../../../src/protocol/dagSnapshot';
import { flowFromSource, flowSource } from './argoFixtures';

const BODY = `    alpha = Parameter('alpha', default=1)
    when = Parameter('when', default='now')

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;

describe('flow triggers', () => {
  it('names the schedule with its time zone, the events with the parameters their payload fills', async () => {
    const flow = await flowFromSource(flowSource(BODY, `@schedule(cron='30 6 * * 1-5', timezone='Europe/Paris')\n@trigger(events=[{'name': 'data.ready', 'parameters': {'alpha': 'rows'}}, 'retrain'])\n`));
    assert.deepEqual(describeFlowTriggers(flowTriggers(flow)), [
      'Scheduled: cron "30 6 * * 1-5" in Europe/Paris',
      'On the event data.ready (payload fills alpha from rows)',
      'On the event retrain',
    ]);
  });

  it('fills every parameter from a single unmapped event, and names upstream flows', async () => {
    const single = await flowFromSource(flowSource(BODY, `@trigger(event='nightly')\n`));
    assert.deepEqual(describeFlowTriggers(flowTriggers(single)), ['On the event nightly (payload fills alpha, when)']);
    const upstream = await flowFromSource(flowSource(BODY, `@schedule(hourly=True)\n@trigger_on_finish(flows=['TrainFlow', {'name': 'Etl', 'project': 'lake', 'branch': 'prod'}])\n`));
    assert.deepEqual(describeFlowTriggers(flowTriggers(upstream)), ['Scheduled: cron "0 * * * ?" (UTC)', 'When a run of TrainFlow finishes', 'When a run of lake.prod.Etl finishes']);
  });

  it('is in the DAG snapshot only when something triggers the flow', async () => {
    const graph = { flow: 'F', nodes: [], edges: [], width: 0, height: 0 } as unknown as Parameters<typeof createDagSnapshot>[0]['graph'];
    const plain = await flowFromSource(flowSource(BODY));
    assert.equal(createDagSnapshot({ file: '/f.py', analysis: { flows: [plain] } as never, flow: plain, graph }).triggers, undefined);
    const daily = await flowFromSource(flowSource(BODY, '@schedule(daily=True)\n'));
    assert.deepEqual(createDagSnapshot({ file: '/f.py', analysis: { flows: [daily] } as never, flow: daily, graph }).triggers, ['Scheduled: cron "0 0 * * ?" (UTC)']);
  });
});
