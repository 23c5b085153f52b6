import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { argoCommands } from '../../../../src/cli/argoCommands';
import type { CliIO } from '../../../../src/cli/command';
import { REPO } from './argoFixtures';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyObj = Record<string, any>;
const create = argoCommands.find((c) => c.name === 'argo-workflows create')!;

describe('argo-workflows create --only-json', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'argo-cli-'));
    fs.copyFileSync(path.join(REPO, 'test', 'integration', 'runtime', 'flows', 'nested_foreach_flow.py'), path.join(dir, 'flow.py'));
    fs.writeFileSync(path.join(dir, 'scheduled.py'), 'from metaflow import FlowSpec, step, schedule\n\n@schedule(hourly=True)\nclass HourlyFlow(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[], extraEnv: Record<string, string> = {}) {
    let stdout = '';
    let stderr = '';
    const io: CliIO = {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        USER: 'alice',
        METAFLOW_HOME: path.join(dir, 'home'),
        METAFLOW_DEFAULT_DATASTORE: 'azure',
        METAFLOW_DATASTORE_SYSROOT_AZURE: 'flows/prod',
        METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT: 'https://acct.blob.core.windows.net/',
        ...extraEnv,
      },
      onInterrupt: () => undefined,
    };
    const code = await create.run(args, io);
    return { code, stdout, stderr };
  }

  it('prints the WorkflowTemplate as JSON with the deployment token, the code package and the options', async () => {
    const r = await run(['flow.py', '--only-json', '--name', 'nested', '--max-workers', '4', '--tag', 'a', '--tag', 'b']);
    assert.equal(r.code, 0, r.stderr);
    const manifests = JSON.parse(r.stdout) as AnyObj[];
    assert.deepEqual(manifests.map((m) => m.kind), ['WorkflowTemplate']);
    const wt = manifests[0];
    assert.equal(wt.metadata.name, 'nested');
    assert.equal(wt.spec.parallelism, 4);
    assert.match(wt.metadata.annotations['metaflow/production_token'], /^nested-0-[a-z]{4}$/);
    assert.match(r.stderr, /production:nested-0-[a-z]{4}/);
    const start = wt.spec.templates.find((t: AnyObj) => t.name === 'start');
    const env = Object.fromEntries(start.container.env.filter((e: AnyObj) => 'value' in e).map((e: AnyObj) => [e.name, e.value]));
    assert.match(env.METAFLOW_CODE_SHA, /^[0-9a-f]{40}$/);
    assert.equal(env.METAFLOW_CODE_URL, `flows/prod/NestedForeachFlow/data/${env.METAFLOW_CODE_SHA.slice(0, 2)}/${env.METAFLOW_CODE_SHA}`);
    // The loader's source is the embedded package's, run with python3 -c.
    assert.match(wt.spec.templateDefaults.container.command[2], /def |import /);
    const cmd = start.container.args as string[];
    assert.deepEqual(cmd.filter((_, i) => cmd[i - 1] === '--tag'), ['a', 'b']);
  });

  it('--no-auto-emit-argo-events tells every deployed step not to publish its Argo Event', async () => {
    const env = async (args: string[]) => {
      const r = await run(['flow.py', '--only-json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      const start = (JSON.parse(r.stdout) as AnyObj[])[0].spec.templates.find((t: AnyObj) => t.name === 'start');
      return Object.fromEntries(start.container.env.filter((e: AnyObj) => 'value' in e).map((e: AnyObj) => [e.name, e.value]));
    };
    assert.equal((await env(['--no-auto-emit-argo-events'])).METAFLOW_STUDIO_AUTO_EMIT_ARGO_EVENTS, '0');
    assert.equal((await env([])).METAFLOW_STUDIO_AUTO_EMIT_ARGO_EVENTS, undefined);
  });

  it('--output yaml prints the CronWorkflow of a scheduled flow as a second document', async () => {
    const r = await run(['scheduled.py', '--only-json', '--output', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => d.kind), ['WorkflowTemplate', 'CronWorkflow']);
    assert.deepEqual(docs[1].spec.schedules, ['0 * * * ?']);
    assert.equal(parseYaml(r.stdout.split('---\n')[0]).metadata.name, 'hourlyflow');
  });

  it('a stored token is kept; --generate-new-token moves to the next one', async () => {
    fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'home', 'hourlyflow'), JSON.stringify({ production_token: 'hourlyflow-0-abcd' }));
    const kept = JSON.parse((await run(['scheduled.py', '--only-json'])).stdout)[0];
    assert.equal(kept.metadata.annotations['metaflow/production_token'], 'hourlyflow-0-abcd');
    const custom = JSON.parse((await run(['scheduled.py', '--only-json', '--new-token', 'production:team-1'])).stdout)[0];
    assert.equal(custom.metadata.annotations['metaflow/production_token'], 'team-1');
  });

  it('refuses a local datastore, naming the file and line, and prints nothing on stdout', async () => {
    const r = await run(['flow.py', '--only-json'], { METAFLOW_DEFAULT_DATASTORE: 'local' });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /flow\.py:\d+: Argo Workflows needs a cloud datastore/);
  });

  it('without --only-json it deploys, so it needs the cluster: a missing kubeconfig is named before anything is uploaded', async () => {
    const missing = path.join(dir, 'no-such-kubeconfig');
    const outcome = await run(['flow.py'], { KUBECONFIG: missing }).then(
      (r) => `${r.code} ${r.stderr}`,
      (err: Error) => err.message,
    );
    assert.match(outcome, /no-such-kubeconfig/);
  });
});
