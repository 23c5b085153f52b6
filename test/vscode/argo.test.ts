// Deploy to Argo Workflows from the editor, end to end in the real extension host, against the Kubernetes
// simulator (which validates every object against the pinned schemas) with the code package going to Azurite
// over https+OAuth: the manifests are shown as YAML, the confirmation is answered through the extension's API
// (a modal cannot be clicked from the extension host), the objects exist in the cluster; after an edit a second
// deploy opens the diff against what is deployed; Trigger submits a Workflow with the parameter given and the run
// is tracked by the run registry; Delete removes the objects. The deploy options chosen (answered through the
// same API, as the "Deploy options…" QuickPick would) reach the manifests and are remembered per flow; a
// deployment made by another user is refused until its production token is given, and can move to a new token.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ArgoDeployResult } from '../../src/vscode/argoCommands';
import type { OwnershipRefusal } from '../../src/vscode/deployAuthorization';
import type { DeployOptionValues } from '../../src/vscode/deployOptionsModel';
import { applyClusterSettings, type ClusterServices, clearClusterSettings, signInWithAzureCli, startClusterServices } from './clusterHarness';
import { api, closeAllEditors, waitFor } from './helpers';

const FLOW = `from metaflow import FlowSpec, Parameter, schedule, step


@schedule(daily=True)
class NightlyReportFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.5, help="Smoothing.")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NightlyReportFlow()
`;

const OWNED_FLOW = `from metaflow import FlowSpec, step


class SharedModelFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SharedModelFlow()
`;

interface Confirmation {
  message: string;
  detail: string;
}

function tabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs);
}

suite('Deploy to Argo Workflows, end to end', function () {
  this.timeout(180_000);
  let services: ClusterServices;
  let signOut: (() => Promise<void>) | undefined;
  let savedHome: string | undefined;
  let flowUri: vscode.Uri;
  const confirmations: Confirmation[] = [];
  let answers: vscode.Disposable | undefined;
  /** What the "Deploy options…" prompt answers (given what was remembered); by default, the remembered options. */
  let chooseOptions: (remembered: DeployOptionValues) => DeployOptionValues | undefined = (remembered) => remembered;
  const remembered: DeployOptionValues[] = [];
  /** What the production token prompt answers for a refusal; by default, nothing (the deploy stays refused). */
  let authorize: (refusal: OwnershipRefusal) => { token: string; generateNewToken?: boolean } | undefined = () => undefined;
  const refusals: OwnershipRefusal[] = [];
  let savedUser: string | undefined;
  /** Where the first deploy put the objects. */
  let namespace = '';

  suiteSetup(async function () {
    this.timeout(120_000);
    const exports = await api();
    services = await startClusterServices('argodeploy');
    signOut = await signInWithAzureCli(services.dir);
    await applyClusterSettings(services, { 'metaflow.kubernetes.image': 'python:3.11' });
    // Production tokens are kept under METAFLOW_HOME (else ~/.metaflowconfig): a folder of this suite's.
    savedHome = process.env.METAFLOW_HOME;
    savedUser = process.env.METAFLOW_USER;
    process.env.METAFLOW_HOME = path.join(services.dir, 'metaflow-home');
    flowUri = services.writeFlow('nightly_report_flow.py', FLOW);
    answers = exports.argo.answerPrompts({
      confirm: (message, detail) => {
        confirmations.push({ message, detail });
        return true;
      },
      form: () => ({ parameterArgs: ['--alpha', '0.9'], tags: [] }),
      options: (_flow, given) => {
        remembered.push(given);
        return chooseOptions(given);
      },
      authorize: (refusal) => {
        refusals.push(refusal);
        return authorize(refusal);
      },
    });
  });

  suiteTeardown(async () => {
    answers?.dispose();
    const exports = await api();
    for (const run of exports.runs.active()) if (run.state.runId.startsWith('argo-')) run.handle.cancel();
    if (savedHome === undefined) delete process.env.METAFLOW_HOME;
    else process.env.METAFLOW_HOME = savedHome;
    if (savedUser === undefined) delete process.env.METAFLOW_USER;
    else process.env.METAFLOW_USER = savedUser;
    await closeAllEditors();
    await clearClusterSettings();
    await signOut?.();
    await services?.stop();
  });

  test('the first deploy shows every manifest as YAML, asks, and creates the WorkflowTemplate and CronWorkflow in the cluster', async () => {
    const result = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', flowUri);
    assert.equal(result.error, undefined, result.error);
    assert.ok(result.plan && result.report, 'the deploy was planned and applied');
    const { plan } = result;
    namespace = plan.namespace;
    assert.deepEqual(plan.objects.map((o) => `${o.kind}:${o.action}`), ['WorkflowTemplate:create', 'CronWorkflow:create']);

    // The manifests, as one YAML document per object, in an editor.
    const manifests = result.shown.map((u) => vscode.Uri.parse(u)).find((u) => u.path.endsWith('/manifests.yaml'));
    assert.ok(manifests, result.shown.join(', '));
    assert.ok(tabs().some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === manifests.toString()), 'the manifests are shown');
    const yaml = (await vscode.workspace.openTextDocument(manifests)).getText();
    assert.match(yaml, /^kind: WorkflowTemplate$/m);
    assert.match(yaml, /^kind: CronWorkflow$/m);
    assert.ok(yaml.includes(`name: ${plan.name}`), 'named as deployed');

    // Confirmed once, naming the cluster and what it will do.
    assert.equal(confirmations.length, 1);
    assert.ok(confirmations[0].message.includes(`namespace ${plan.namespace} of cluster ${services.sim.contextName}`), confirmations[0].message);
    assert.match(confirmations[0].detail, /WorkflowTemplate .*: create/);

    const template = services.sim.get('WorkflowTemplate', plan.namespace, plan.name);
    assert.ok(template, `WorkflowTemplate ${plan.namespace}/${plan.name} exists`);
    const cron = services.sim.get('CronWorkflow', plan.namespace, plan.name);
    assert.ok(cron, `CronWorkflow ${plan.namespace}/${plan.name} exists`);
    const cronSpec = cron.spec as { schedule?: string; schedules?: string[]; workflowSpec: { workflowTemplateRef: { name: string } } };
    assert.equal(cronSpec.workflowSpec.workflowTemplateRef.name, plan.name);
    assert.ok((cronSpec.schedules ?? [cronSpec.schedule]).some((s) => s === '0 0 * * ?'), JSON.stringify(cronSpec));
  });

  test('after an edit, a second deploy opens the diff against the deployed template and replaces it', async () => {
    const exports = await api();
    const document = await vscode.workspace.openTextDocument(flowUri);
    const edit = new vscode.WorkspaceEdit();
    const at = document.getText().indexOf('default=0.5');
    edit.replace(flowUri, new vscode.Range(document.positionAt(at), document.positionAt(at + 'default=0.5'.length)), 'default=0.75');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await document.save();
    await waitFor('the edit analysed', async () => (await exports.documents.whenAnalysed(document))?.analysis.flows[0]?.parameters[0]?.default === 0.75);
    confirmations.length = 0;

    const result = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', flowUri);
    assert.equal(result.error, undefined, result.error);
    assert.ok(result.plan && result.report);
    const template = result.plan.objects.find((o) => o.kind === 'WorkflowTemplate');
    assert.equal(template?.action, 'replace');
    assert.ok(template.changes.length > 0, 'the changed fields are named');

    const diff = tabs().find((t) => t.input instanceof vscode.TabInputTextDiff);
    assert.ok(diff, `a diff is open: ${tabs().map((t) => t.label).join(', ')}`);
    const input = diff.input as vscode.TabInputTextDiff;
    assert.ok(input.original.path.endsWith('/deployed-workflowtemplate.yaml'), input.original.toString());
    const deployedText = (await vscode.workspace.openTextDocument(input.original)).getText();
    const compiledText = (await vscode.workspace.openTextDocument(input.modified)).getText();
    assert.ok(deployedText.includes('0.5') && !deployedText.includes('0.75'), 'the left side is what was deployed');
    assert.ok(compiledText.includes('0.75'), 'the right side is the edited flow');
    assert.equal(confirmations.length, 1);
    assert.match(confirmations[0].detail, /WorkflowTemplate .*: replace \(\d+ fields\)/);

    const stored = services.sim.get('WorkflowTemplate', result.plan.namespace, result.plan.name);
    assert.ok(JSON.stringify(stored?.spec).includes('0.75'), 'the cluster holds the new template');
  });

  test('Trigger Argo Workflow submits a Workflow with the parameter given, and the run is tracked', async () => {
    const exports = await api();
    const result = await vscode.commands.executeCommand<{ workflowName: string; runId: string; namespace: string } | undefined>('metaflow.triggerArgoWorkflow', flowUri);
    assert.ok(result, 'a Workflow was submitted');
    assert.equal(result.runId, `argo-${result.workflowName}`);
    const workflow = services.sim.get('Workflow', result.namespace, result.workflowName);
    assert.ok(workflow, `Workflow ${result.namespace}/${result.workflowName} exists`);
    const spec = workflow.spec as { workflowTemplateRef: { name: string }; arguments?: { parameters?: Array<{ name: string; value: string }> } };
    assert.ok(result.workflowName.startsWith(`${spec.workflowTemplateRef.name}-`));
    assert.deepEqual(spec.arguments?.parameters?.find((p) => p.name === 'alpha'), { name: 'alpha', value: '0.9' });
    const run = await waitFor('the run in the registry', () => [...exports.runs.active(), ...exports.runs.recent()].find((r) => r.state.runId === result.runId));
    assert.equal(run.state.flow, 'NightlyReportFlow');
    assert.equal(run.flowFile, flowUri.fsPath);
  });

  test('Delete Argo Deployment removes the template and the schedule from the cluster', async () => {
    confirmations.length = 0;
    const before = services.sim.list('WorkflowTemplate', namespace).map((o) => o.metadata.name);
    assert.equal(before.length, 1);
    const deleted = await vscode.commands.executeCommand<string[] | undefined>('metaflow.deleteArgoDeployment', flowUri);
    assert.ok(deleted, 'the deployment was deleted');
    assert.equal(confirmations.length, 1, 'Delete asked first');
    assert.ok(deleted.some((d) => d.includes('WorkflowTemplate')), deleted.join(', '));
    assert.ok(deleted.some((d) => d.includes('CronWorkflow')), deleted.join(', '));
    await waitFor('the objects gone', () => services.sim.list('WorkflowTemplate', namespace).length === 0 && services.sim.list('CronWorkflow', namespace).length === 0);
    assert.ok(fs.existsSync(path.join(services.dir, 'metaflow-home')), 'the production token was kept under METAFLOW_HOME');
  });
  test('the deploy options chosen reach the manifests (parallelism is max workers) and are offered again for this flow', async () => {
    const chosen: DeployOptionValues = { maxWorkers: 7, workflowTimeout: 3600, workflowPriority: 5, tags: ['nightly', 'team:ml'] };
    chooseOptions = () => chosen;
    confirmations.length = 0;
    remembered.length = 0;
    const result = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', flowUri);
    assert.equal(result.error, undefined, result.error);
    assert.ok(result.plan && result.report);
    const template = services.sim.get('WorkflowTemplate', result.plan.namespace, result.plan.name);
    assert.ok(template, 'the template was created');
    const spec = template.spec as { parallelism?: number; activeDeadlineSeconds?: number; priority?: number };
    assert.equal(spec.parallelism, 7);
    assert.equal(spec.activeDeadlineSeconds, 3600);
    assert.equal(spec.priority, 5);
    const annotations = (template.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    assert.deepEqual(JSON.parse(annotations['metaflow/tags'] ?? '[]'), ['nightly', 'team:ml']);
    assert.match(confirmations[0].detail, /Options: max workers 7, workflow timeout \(seconds\) 3600, workflow priority 5, tags nightly, team:ml\./);

    // The next deploy of this flow starts from what was chosen; going back to the defaults changes the template back.
    chooseOptions = () => ({});
    const again = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', flowUri);
    assert.equal(again.error, undefined, again.error);
    assert.deepEqual(remembered[1], chosen);
    const reset = services.sim.get('WorkflowTemplate', result.plan.namespace, result.plan.name);
    assert.equal((reset?.spec as { parallelism?: number }).parallelism, 100, "Metaflow's default max workers");

    // Options given to the command by a caller are checked like typed ones.
    const refused = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', flowUri, { maxWorkers: 0 });
    assert.match(refused.error ?? '', /--max-workers\) must be a whole number of at least 1/);
    chooseOptions = (given) => given;
  });

  test("another user's deployment is refused until its production token is given; then it is replaced under that token, or moved to a new one", async () => {
    const owned = services.writeFlow('shared_model_flow.py', OWNED_FLOW);
    process.env.METAFLOW_USER = 'alice';
    process.env.METAFLOW_HOME = path.join(services.dir, 'alice-home');
    const first = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', owned);
    assert.equal(first.error, undefined, first.error);
    assert.ok(first.plan && first.report);
    const { name, namespace: ns, tokenPrefix } = first.plan;
    const annotationsNow = () => (services.sim.get('WorkflowTemplate', ns, name)?.metadata as { annotations: Record<string, string> }).annotations;
    const aliceToken = annotationsNow()['metaflow/production_token'];
    assert.equal(annotationsNow()['metaflow/owner'], 'alice');
    assert.equal(first.plan.runNamespace, `production:${aliceToken}`);

    // Bob, without the token: asked, declines, and nothing changes.
    process.env.METAFLOW_USER = 'bob';
    process.env.METAFLOW_HOME = path.join(services.dir, 'bob-home');
    refusals.length = 0;
    authorize = () => undefined;
    const refused = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', owned);
    assert.match(refused.error ?? '', /was made by alice/);
    assert.equal(refused.report, undefined);
    assert.equal(refusals.length, 1);
    assert.deepEqual({ owner: refusals[0].owner, name: refusals[0].name, retry: refusals[0].retry }, { owner: 'alice', name, retry: false });
    assert.equal(annotationsNow()['metaflow/owner'], 'alice', 'the deployment is untouched');

    // A wrong token is asked for again; the right one (as the namespace of its runs) deploys under it.
    refusals.length = 0;
    confirmations.length = 0;
    authorize = (refusal) => ({ token: refusal.retry ? `production:${aliceToken}` : 'not-the-token' });
    const authorized = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', owned);
    assert.equal(authorized.error, undefined, authorized.error);
    assert.ok(authorized.plan && authorized.report, 'deployed after the token was given');
    assert.deepEqual(refusals.map((r) => r.retry), [false, true]);
    assert.equal(authorized.plan.runNamespace, `production:${aliceToken}`);
    assert.equal(annotationsNow()['metaflow/owner'], 'bob');
    assert.equal(annotationsNow()['metaflow/production_token'], aliceToken);
    assert.equal(confirmations.length, 1);
    assert.ok(!confirmations[0].detail.includes('new production token'), confirmations[0].detail);
    // Kept where Metaflow keeps production tokens, so Bob's next deploy needs no token.
    const bobStored = JSON.parse(fs.readFileSync(path.join(services.dir, 'bob-home', tokenPrefix), 'utf8')) as { production_token: string };
    assert.equal(bobStored.production_token, aliceToken);

    // Carol, with the token, moves the deployment to a new one: a new namespace for its runs.
    process.env.METAFLOW_USER = 'carol';
    process.env.METAFLOW_HOME = path.join(services.dir, 'carol-home');
    refusals.length = 0;
    confirmations.length = 0;
    authorize = () => ({ token: aliceToken, generateNewToken: true });
    const moved = await vscode.commands.executeCommand<ArgoDeployResult>('metaflow.deployToArgoWorkflows', owned);
    assert.equal(moved.error, undefined, moved.error);
    assert.ok(moved.plan && moved.report);
    assert.equal(refusals.length, 1);
    assert.equal(moved.plan.tokenGenerated, true);
    const newToken = annotationsNow()['metaflow/production_token'];
    assert.notEqual(newToken, aliceToken);
    assert.equal(moved.plan.runNamespace, `production:${newToken}`);
    assert.equal(annotationsNow()['metaflow/owner'], 'carol');
    assert.match(confirmations[0].detail, /new production token: the runs made so far stay in their old namespace/);
    authorize = () => undefined;
  });
  test('Create Airflow DAG writes the options given into the DAG, and the next DAG of the flow starts from them', async () => {
    const dagFile = path.join(services.dir, 'nightly_report_dag.py');
    const options = { name: 'nightly_report', maxWorkers: 3, workerPool: 'big-pool', tags: ['nightly'], isPausedUponCreation: true };
    const outcome = await vscode.commands.executeCommand<{ ok: boolean; dagId?: string; problems?: unknown[] } | undefined>('metaflow.createAirflowDag', flowUri, vscode.Uri.file(dagFile), options);
    assert.ok(outcome?.ok, JSON.stringify(outcome?.problems));
    assert.equal(outcome.dagId, 'nightly_report');
    // The DAG's settings are in its CONFIG literal, which opens the file after the header and imports.
    const config = () => fs.readFileSync(dagFile, 'utf8').split('\nPOD_SHIM = ')[0];
    assert.match(config(), /["']max_active_tasks["']: 3\b/);
    assert.match(config(), /["']pool["']: ["']big-pool["']/);
    assert.match(config(), /["']is_paused_upon_creation["']: True\b/);
    assert.match(config(), /["']tags["']: \[\s*["']nightly["'],?\s*\]/);

    // Without options, a second DAG of this flow is made with the ones remembered.
    const second = path.join(services.dir, 'nightly_report_dag_again.py');
    const again = await vscode.commands.executeCommand<{ ok: boolean; dagId?: string } | undefined>('metaflow.createAirflowDag', flowUri, vscode.Uri.file(second));
    assert.ok(again?.ok);
    assert.equal(again.dagId, 'nightly_report');
    assert.match(fs.readFileSync(second, 'utf8'), /["']max_active_tasks["']: 3\b/);
  });
});
