// "Run Flow on Kubernetes (AKS)" and the pod behind a task, in the real extension host, against the
// Kubernetes API simulator started here in the host process (the extension reaches it only through the
// kubeconfig the settings name): the command is contributed; a kubeconfig or context setting that cannot
// work is refused naming the setting, and starts nothing; a missing service account fails the pre-flight and
// offers the cluster setup, whose document is filled with the settings' values; "Show Pod" reads a real
// pod's phase, Events and log through the cluster API.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { KubernetesProblem } from '../../src/vscode/kubernetesCommands';
import { startKubeSimulator, type KubeSimulator } from '../support/kubeSim';
import { api, closeAllEditors, EXTENSION_ID, fixture, open, waitFor } from './helpers';

const GREET = 'runs/greet_flow.py';
const KUBERNETES_SETTINGS = ['kubeconfig', 'context', 'namespace', 'serviceAccount', 'image'];

async function setting(name: string, value: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('metaflow.kubernetes').update(name, value, vscode.ConfigurationTarget.Workspace);
}

/** Runs `command` and returns what the user was told (the refusal the Kubernetes commands report). */
async function refusal(command: () => Thenable<unknown>): Promise<{ result: unknown; problem: KubernetesProblem }> {
  const exports = await api();
  let problem: KubernetesProblem | undefined;
  const subscription = exports.kubernetes.onDidReport((p) => (problem = p));
  try {
    const result = await command();
    return { result, problem: await waitFor('the refusal', () => problem) };
  } finally {
    subscription.dispose();
  }
}

suite('Kubernetes in the editor', function () {
  this.timeout(120_000);
  let sim: KubeSimulator;

  suiteSetup(async () => {
    await api();
    // The simulator's kubelet runs each container through a launcher script beside its module; this suite
    // is bundled into one file, so the script is put beside the bundle.
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    fs.copyFileSync(path.join(root, 'test', 'support', 'kubeSim', 'containerLauncher.py'), path.join(__dirname, 'containerLauncher.py'));
    sim = await startKubeSimulator({ namespaces: ['default', 'ml'] });
    await vscode.workspace.getConfiguration('metaflow.run').update('promptForParameters', false, vscode.ConfigurationTarget.Workspace);
  });

  suiteTeardown(async () => {
    for (const name of KUBERNETES_SETTINGS) await setting(name, undefined);
    await vscode.workspace.getConfiguration('metaflow.run').update('promptForParameters', undefined, vscode.ConfigurationTarget.Workspace);
    await sim?.stop();
  });

  teardown(closeAllEditors);

  test('the command is contributed as "Run Flow on Kubernetes (AKS)" with its settings, and registered', async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { commands: Array<{ command: string; title: string; category: string }>; configuration: { properties: Record<string, unknown> } };
    };
    const command = manifest.contributes.commands.find((c) => c.command === 'metaflow.runFlowOnKubernetes');
    assert.deepEqual(command && { title: command.title, category: command.category }, { title: 'Run Flow on Kubernetes (AKS)', category: 'Metaflow' });
    for (const name of KUBERNETES_SETTINGS) assert.ok(manifest.contributes.configuration.properties[`metaflow.kubernetes.${name}`], `metaflow.kubernetes.${name} is contributed`);
    const registered = await vscode.commands.getCommands(true);
    for (const id of ['metaflow.runFlowOnKubernetes', 'metaflow.showKubernetesSetup', 'metaflow.showPod']) assert.ok(registered.includes(id), `${id} is registered`);
  });

  test('a kubeconfig setting naming a missing file is refused naming the setting, and nothing starts', async () => {
    const exports = await api();
    const missing = path.join(path.dirname(sim.kubeconfigPath), 'no-such-kubeconfig');
    await setting('kubeconfig', missing);
    const before = exports.runs.recent().length + exports.runs.active().length;
    const { result, problem } = await refusal(() => vscode.commands.executeCommand('metaflow.runFlowOnKubernetes', fixture(GREET), 'GreetFlow'));
    assert.equal(result, undefined);
    assert.equal(problem.setting, 'metaflow.kubernetes.kubeconfig');
    assert.match(problem.message, /The setting metaflow\.kubernetes\.kubeconfig names .*no-such-kubeconfig, but that file does not exist/);
    assert.equal(exports.runs.recent().length + exports.runs.active().length, before, 'no run was started');
  });

  test('a context the kubeconfig does not define is refused naming the context setting and the contexts there are', async () => {
    await setting('kubeconfig', sim.kubeconfigPath);
    await setting('context', 'aks-typo');
    try {
      const { result, problem } = await refusal(() => vscode.commands.executeCommand('metaflow.runFlowOnKubernetes', fixture(GREET), 'GreetFlow'));
      assert.equal(result, undefined);
      assert.equal(problem.setting, 'metaflow.kubernetes.context');
      assert.ok(problem.message.includes(`"aks-typo" (from the setting metaflow.kubernetes.context) is not in the kubeconfig`), problem.message);
      assert.ok(problem.message.includes(`it defines "${sim.contextName}"`), problem.message);
    } finally {
      await setting('context', undefined);
    }
  });

  test('a service account missing in the namespace fails the pre-flight and offers the cluster setup, filled with the settings', async () => {
    await setting('kubeconfig', sim.kubeconfigPath);
    await setting('namespace', 'ml');
    await setting('serviceAccount', 'flow-runner');
    try {
      const { result, problem } = await refusal(() => vscode.commands.executeCommand('metaflow.runFlowOnKubernetes', fixture(GREET), 'GreetFlow'));
      assert.equal(result, undefined);
      assert.equal(problem.offersSetup, true, problem.message);
      assert.match(problem.message, /flow-runner/);
      assert.match(problem.message, new RegExp(`context ${sim.contextName}`));

      await open(GREET);
      const editor = await vscode.commands.executeCommand<vscode.TextEditor>('metaflow.showKubernetesSetup');
      const text = editor.document.getText();
      assert.equal(editor.document.uri.scheme, 'metaflow-kubernetes', 'a read-only document');
      assert.match(text, /^NAMESPACE=ml$/m);
      assert.match(text, /^SERVICE_ACCOUNT=flow-runner$/m);
      assert.match(text, /^CLUSTER=kube-simulator$/m);
      assert.ok(text.includes('az aks update --resource-group "$RESOURCE_GROUP" --name "$CLUSTER" --enable-oidc-issuer --enable-workload-identity'));
      assert.ok(text.includes('azure.workload.identity/client-id="$CLIENT_ID"'));
      assert.ok(text.includes('"Storage Blob Data Contributor"'));
    } finally {
      await setting('namespace', undefined);
      await setting('serviceAccount', undefined);
    }
  });

  test('"Show Pod" shows a task pod\'s phase, its Events and its last log lines, read through the cluster API', async () => {
    await setting('kubeconfig', sim.kubeconfigPath);
    const config = new k8s.KubeConfig();
    config.loadFromFile(sim.kubeconfigPath);
    const batch = config.makeApiClient(k8s.BatchV1Api);
    const job = await batch.createNamespacedJob({
      namespace: 'default',
      body: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { generateName: 't-4e5f6a7b-' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'start', image: 'python:3.11', command: ['python3', '-c', "print('hello from the pod'); print('second line')"] }],
            },
          },
        },
      },
    });
    const jobName = job.metadata!.name!;
    const pod = await waitFor(
      'the pod to succeed',
      () => sim.list('Pod', 'default').find((p) => (p.metadata.labels ?? {})['job-name'] === jobName && (p.status as { phase?: string } | undefined)?.phase === 'Succeeded'),
      60_000,
    );
    const podName = pod.metadata.name!;
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('metaflow.showPod', {
      pathspec: 'GreetFlow/1/start/1',
      attempt: 0,
      executor: { kind: 'kubernetes', context: sim.contextName, namespace: 'default', job: jobName, pod: podName },
    });
    const lines = editor.document.getText().split('\n');
    assert.equal(lines[0], `Pod ${podName}`);
    assert.ok(lines.includes('Task:            GreetFlow/1/start/1 (attempt 0)'), lines.join('\n'));
    assert.ok(lines.includes(`Context:         ${sim.contextName}`));
    assert.ok(lines.includes('Phase:           Succeeded'));
    assert.ok(lines.some((l) => /^ {2}start \(python:3\.11\): Terminated: Completed, exit code 0/.test(l)), lines.join('\n'));
    const events = lines.slice(lines.indexOf('Events:') + 1, lines.indexOf('Last log lines (container start):'));
    assert.ok(events.some((l) => /\bScheduled\b/.test(l)) && events.some((l) => /\bStarted\b/.test(l)), events.join('\n'));
    const tail = lines.slice(lines.indexOf('Last log lines (container start):') + 1);
    assert.deepEqual(tail.slice(0, 2), ['  hello from the pod', '  second line']);
  });

  test('"Show Pod" of a task that did not run on Kubernetes shows nothing', async () => {
    const result = await vscode.commands.executeCommand('metaflow.showPod', 'GreetFlow/999/start/1');
    assert.equal(result, undefined);
  });
});
