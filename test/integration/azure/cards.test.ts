// Cards of runs on the Azure datastore (Azurite over https with OAuth) go to METAFLOW_CARD_AZUREROOT,
// by default `<sysroot>/mf.cards`, in Metaflow's card layout; `get_cards` reads them back from there.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { finish, writeFlow } from '../runtime/harness';
import { type AzureRunSetup, azureRunSetup, execAzurePython } from './azureRunHarness';

const FLOW = `from metaflow import FlowSpec, card, current, step
from metaflow.cards import Markdown


class AzureCardFlow(FlowSpec):
    @card
    @card(type="blank", id="notes")
    @step
    def start(self):
        self.answer = 42
        current.card["notes"].append(Markdown("# Notes from Azure"))
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AzureCardFlow()
`;

const READ_CARDS = String.raw`
import json, sys
from metaflow import namespace
from metaflow.cards import get_cards
namespace(None)
cards = get_cards(sys.argv[1])
notes = get_cards(sys.argv[1], id="notes")
print(json.dumps({"types": sorted(c.type for c in cards), "notes": [("Notes from Azure" in c.get()) for c in notes],
                  "paths": sorted(c.path for c in cards), "default_has_answer": "42" in get_cards(sys.argv[1], type="default")[0].get()}))
`;

describe('cards of runs on the Azure datastore (Azurite, https, OAuth)', () => {
  let az: AzureRunSetup;

  before(async () => {
    az = await azureRunSetup('mf-cards');
    writeFlow(az.ws, 'azure_card_flow.py', FLOW);
  });
  after(async () => {
    await az?.dispose();
  });

  async function runWith(env: NodeJS.ProcessEnv): Promise<string> {
    const runner = await az.runner(env);
    const { result } = await finish(runner.run({ flowFile: az.ws.flow('azure_card_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    return result.runId!;
  }

  async function cardBlobs(root: string, runId: string): Promise<string[]> {
    const dir = `AzureCardFlow/runs/${runId}/steps/start/tasks/1/cards`;
    return (await az.storage(root).listChildren(dir)).map((e) => e.name).sort();
  }

  it('writes cards under <sysroot>/mf.cards in Metaflow\'s layout, nothing locally, and get_cards reads them', async () => {
    const env = az.env();
    const runId = await runWith(env);
    const names = await cardBlobs('mf-cards/studio/mf.cards', runId);
    assert.equal(names.length, 2, names.join(', '));
    assert.match(names.find((n) => n.startsWith('blank-')) ?? '', /^blank-notes-[0-9a-f]+\.html$/);
    assert.match(names.find((n) => n.startsWith('default-')) ?? '', /^default-[0-9a-f]+\.html$/);
    assert.equal(fs.existsSync(path.join(az.ws.root, 'mf.cards')), false, 'no local card store for an Azure run');

    const read = JSON.parse(await execAzurePython(['-c', READ_CARDS, `AzureCardFlow/${runId}/start/1`], { ...env, METAFLOW_DATASTORE_SYSROOT_LOCAL: az.ws.dir }, az.ws.dir)) as {
      types: string[];
      notes: boolean[];
      paths: string[];
      default_has_answer: boolean;
    };
    assert.deepEqual(read.types, ['blank', 'default']);
    assert.deepEqual(read.notes, [true]);
    assert.ok(read.default_has_answer);
    assert.deepEqual(read.paths, names.map((n) => `mf-cards/studio/mf.cards/AzureCardFlow/runs/${runId}/steps/start/tasks/1/cards/${n}`).sort());
  });

  it('uses METAFLOW_CARD_AZUREROOT when it is set, for writing and for get_cards', async () => {
    const env = az.env({ METAFLOW_CARD_AZUREROOT: 'mf-cards/elsewhere/cards' });
    const runId = await runWith(env);
    assert.equal((await cardBlobs('mf-cards/elsewhere/cards', runId)).length, 2);
    assert.deepEqual(await cardBlobs('mf-cards/studio/mf.cards', runId), []);
    const read = JSON.parse(await execAzurePython(['-c', READ_CARDS, `AzureCardFlow/${runId}/start/1`], { ...env, METAFLOW_DATASTORE_SYSROOT_LOCAL: az.ws.dir }, az.ws.dir)) as { types: string[] };
    assert.deepEqual(read.types, ['blank', 'default']);
  });
});
