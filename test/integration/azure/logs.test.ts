// `metaflow-studio logs` for runs on the Azure datastore: the task folders under `.metaflow` hold only
// `_meta`, so the logs are read from Blob (Azurite over https with OAuth), found through each task's
// local metadata; local runs in the same datastore still read their folders.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { showLogs } from '../../../src/runtime/inspectRun';
import { finish, writeFlow } from '../runtime/harness';
import { type AzureRunSetup, azureRunSetup } from './azureRunHarness';

const FLOW = `import sys
from metaflow import FlowSpec, current, retry, step


class AzureLogsFlow(FlowSpec):
    @step
    def start(self):
        self.items = [1, 2]
        print("start says hello")
        print("start warns", file=sys.stderr)
        self.next(self.each, foreach="items")

    @step
    def each(self):
        print("each of", self.input)
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.flaky)

    @retry(times=1, minutes_between_retries=0)
    @step
    def flaky(self):
        print("flaky attempt", current.retry_count)
        if current.retry_count == 0:
            raise ValueError("first attempt fails")
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AzureLogsFlow()
`;

describe('logs of runs on the Azure datastore (Azurite, https, OAuth)', () => {
  let az: AzureRunSetup;
  let runId: string;

  before(async () => {
    az = await azureRunSetup('mf-logs');
    writeFlow(az.ws, 'azure_logs_flow.py', FLOW);
    const runner = await az.runner();
    const { result } = await finish(runner.run({ flowFile: az.ws.flow('azure_logs_flow.py'), parameterArgs: [] }));
    assert.equal(result.status, 'succeeded', result.error);
    runId = result.runId!;
  });
  after(async () => {
    await az?.dispose();
  });

  async function logs(pathspec: string, extra: { streams?: Array<'stdout' | 'stderr'>; attempt?: number; env?: NodeJS.ProcessEnv } = {}) {
    let stdout = '';
    let stderr = '';
    const code = await showLogs(
      { pathspec, streams: extra.streams ?? ['stdout', 'stderr'], timestamps: false, attempt: extra.attempt },
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: az.ws.dir, env: extra.env ?? az.env() },
    );
    return { code, stdout, stderr };
  }

  it('prints a task\'s stdout and stderr from Blob, with nothing of the task data local', async () => {
    const local = path.join(az.ws.root, 'AzureLogsFlow', runId, 'start', '1');
    assert.deepEqual(fs.readdirSync(local), ['_meta']);
    const out = await logs(`AzureLogsFlow/${runId}/start/1`);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, 'start says hello\n');
    assert.equal(out.stderr, 'start warns\n');
    const onlyOut = await logs(`AzureLogsFlow/${runId}/start/1`, { streams: ['stdout'] });
    assert.equal(onlyOut.stdout, 'start says hello\n');
    assert.equal(onlyOut.stderr, '');
  });

  it('prints every task of a step with a header each', async () => {
    const out = await logs(`AzureLogsFlow/${runId}/each`, { streams: ['stdout'] });
    assert.equal(out.code, 0, out.stderr);
    const tasks = fs.readdirSync(path.join(az.ws.root, 'AzureLogsFlow', runId, 'each')).filter((t) => t !== '_meta').sort((a, b) => Number(a) - Number(b));
    assert.equal(tasks.length, 2);
    assert.equal(out.stdout, tasks.map((t, i) => `--- AzureLogsFlow/${runId}/each/${t} attempt 0 stdout ---\neach of ${i + 1}\n`).join(''));
  });

  it('shows the newest attempt by default and an earlier one with --attempt', async () => {
    const flaky = fs.readdirSync(path.join(az.ws.root, 'AzureLogsFlow', runId, 'flaky')).find((t) => t !== '_meta')!;
    const newest = await logs(`AzureLogsFlow/${runId}/flaky/${flaky}`);
    assert.equal(newest.stdout, 'flaky attempt 1\n');
    const first = await logs(`AzureLogsFlow/${runId}/flaky/${flaky}`, { attempt: 0 });
    assert.equal(first.stdout, 'flaky attempt 0\n');
    assert.match(first.stderr, /ValueError: first attempt fails/);
  });

  it('reports a Python without the Azure SDK with the install command, printing no partial logs', async () => {
    const out = await logs(`AzureLogsFlow/${runId}/start/1`, { env: az.env({ METAFLOW_STUDIO_PYTHON: 'python3' }) });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /pip install azure-identity azure-storage-blob/);
    assert.equal(out.stdout, '');
  });
});
