// Editor Kubernetes settings to run config: the mapping to METAFLOW_KUBERNETES_* names (below environment
// and config files), and the refusals of a kubeconfig or context that cannot work, each naming its setting.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { MetaflowConfig } from '../../../src/config/metaflowConfig';
import {
  CONTEXT_SETTING,
  KUBECONFIG_SETTING,
  kubernetesEditorSettings,
  KubernetesSettingError,
  readKubeconfigContexts,
  resolveKubernetesTarget,
} from '../../../src/vscode/kubernetesSettings';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-settings-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, contexts: string[], current?: string): string {
  const file = path.join(dir, name);
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    ...contexts.flatMap((c) => [`- name: ${c}-cluster`, '  cluster:', `    server: https://${c}.example.test:443`]),
    'users:',
    '- name: someone',
    '  user:',
    '    token: not-a-real-token',
    'contexts:',
    ...contexts.flatMap((c) => [`- name: ${c}`, '  context:', `    cluster: ${c}-cluster`, '    user: someone']),
    ...(current ? [`current-context: ${current}`] : []),
  ].join('\n');
  fs.writeFileSync(file, `${yaml}\n`);
  return file;
}

function config(settings: Record<string, string>, env: NodeJS.ProcessEnv = {}, project?: Record<string, string>): MetaflowConfig {
  const start = fs.mkdtempSync(path.join(dir, 'flow-'));
  if (project) {
    fs.mkdirSync(path.join(start, '.metaflow'));
    fs.writeFileSync(path.join(start, '.metaflow', 'config.json'), JSON.stringify(project));
  }
  return MetaflowConfig.load({ env, startDir: start, homeDir: path.join(dir, 'nohome'), settings });
}

test('settings map to METAFLOW_KUBERNETES_* names; blank ones are left out', () => {
  const values: Record<string, unknown> = {
    'metaflow.kubernetes.namespace': ' ml-jobs ',
    'metaflow.kubernetes.serviceAccount': 'flows',
    'metaflow.kubernetes.image': 'myreg.azurecr.io/py:3.11',
    'metaflow.kubernetes.context': '',
    'metaflow.kubernetes.kubeconfig': '/somewhere',
  };
  assert.deepEqual(kubernetesEditorSettings((s) => values[s]), {
    METAFLOW_KUBERNETES_NAMESPACE: 'ml-jobs',
    METAFLOW_KUBERNETES_SERVICE_ACCOUNT: 'flows',
    METAFLOW_KUBERNETES_CONTAINER_IMAGE: 'myreg.azurecr.io/py:3.11',
  });
});

test('the kubeconfig setting, its current context and the settings make the target', () => {
  const file = kubeconfig('a.yaml', ['aks-dev', 'aks-prod'], 'aks-dev');
  const target = resolveKubernetesTarget({
    kubeconfigSetting: file,
    config: config({ METAFLOW_KUBERNETES_NAMESPACE: 'ml', METAFLOW_KUBERNETES_SERVICE_ACCOUNT: 'flows' }),
    env: {},
  });
  assert.deepEqual(target, { kubeconfigPath: file, context: 'aks-dev', server: 'https://aks-dev.example.test:443', cluster: 'aks-dev-cluster', namespace: 'ml', serviceAccount: 'flows' });
});

test('the environment wins over the settings; the namespace defaults to "default"', () => {
  const file = kubeconfig('b.yaml', ['aks-dev', 'aks-prod'], 'aks-dev');
  const target = resolveKubernetesTarget({
    kubeconfigSetting: '',
    config: config({ METAFLOW_KUBERNETES_CONTEXT: 'aks-dev', METAFLOW_KUBERNETES_CONTAINER_IMAGE: 'a:1' }, { METAFLOW_KUBERNETES_CONTEXT: 'aks-prod', METAFLOW_KUBERNETES_CONTAINER_IMAGE: 'b:2' }),
    env: { KUBECONFIG: file },
  });
  assert.equal(target.kubeconfigPath, file);
  assert.equal(target.context, 'aks-prod');
  assert.equal(target.image, 'b:2');
  assert.equal(target.namespace, 'default');
  assert.equal(target.serviceAccount, undefined);
});

test('a project config file wins over the settings', () => {
  const file = kubeconfig('c.yaml', ['aks-dev'], 'aks-dev');
  const target = resolveKubernetesTarget({ kubeconfigSetting: file, config: config({ METAFLOW_KUBERNETES_NAMESPACE: 'from-settings' }, {}, { METAFLOW_KUBERNETES_NAMESPACE: 'from-project' }), env: {} });
  assert.equal(target.namespace, 'from-project');
});

test('a relative or ~ kubeconfig setting is resolved from the workspace folder or home', () => {
  kubeconfig('rel.yaml', ['x'], 'x');
  assert.equal(resolveKubernetesTarget({ kubeconfigSetting: 'rel.yaml', baseDir: dir, config: config({}), env: {} }).kubeconfigPath, path.join(dir, 'rel.yaml'));
  fs.mkdirSync(path.join(dir, 'home', '.kube'), { recursive: true });
  fs.copyFileSync(path.join(dir, 'rel.yaml'), path.join(dir, 'home', '.kube', 'config'));
  assert.equal(resolveKubernetesTarget({ kubeconfigSetting: '~/.kube/config', homeDir: path.join(dir, 'home'), config: config({}), env: {} }).kubeconfigPath, path.join(dir, 'home', '.kube', 'config'));
  assert.equal(resolveKubernetesTarget({ homeDir: path.join(dir, 'home'), config: config({}), env: {} }).kubeconfigPath, path.join(dir, 'home', '.kube', 'config'));
});

test('a kubeconfig setting naming a missing file is refused naming the setting', () => {
  const missing = path.join(dir, 'nope.yaml');
  assert.throws(
    () => resolveKubernetesTarget({ kubeconfigSetting: missing, config: config({}), env: { KUBECONFIG: kubeconfig('d.yaml', ['x'], 'x') } }),
    (err: unknown) => err instanceof KubernetesSettingError && err.setting === KUBECONFIG_SETTING && err.message.includes(KUBECONFIG_SETTING) && err.message.includes(missing) && err.message.includes('does not exist'),
  );
});

test('no kubeconfig at all says how to get one', () => {
  assert.throws(
    () => resolveKubernetesTarget({ homeDir: path.join(dir, 'empty-home'), config: config({}), env: {} }),
    (err: unknown) => err instanceof KubernetesSettingError && err.setting === KUBECONFIG_SETTING && /az aks get-credentials/.test(err.message),
  );
});

test('a context setting the kubeconfig does not define is refused naming the setting and listing the contexts', () => {
  const file = kubeconfig('e.yaml', ['aks-dev', 'aks-prod'], 'aks-dev');
  assert.throws(
    () => resolveKubernetesTarget({ kubeconfigSetting: file, config: config({ METAFLOW_KUBERNETES_CONTEXT: 'aks-typo' }), env: {} }),
    (err: unknown) =>
      err instanceof KubernetesSettingError && err.setting === CONTEXT_SETTING && err.message.includes(`the setting ${CONTEXT_SETTING}`) && err.message.includes('"aks-typo"') && err.message.includes('"aks-dev", "aks-prod"'),
  );
});

test('a context from the environment that is not defined names the variable, not the setting', () => {
  const file = kubeconfig('f.yaml', ['aks-dev'], 'aks-dev');
  assert.throws(
    () => resolveKubernetesTarget({ kubeconfigSetting: file, config: config({}, { METAFLOW_KUBERNETES_CONTEXT: 'elsewhere' }), env: {} }),
    (err: unknown) => err instanceof KubernetesSettingError && err.setting === undefined && err.message.includes('environment variable METAFLOW_KUBERNETES_CONTEXT'),
  );
});

test('a kubeconfig without a current context asks for the context setting', () => {
  const file = kubeconfig('g.yaml', ['aks-dev']);
  assert.throws(
    () => resolveKubernetesTarget({ kubeconfigSetting: file, config: config({}), env: {} }),
    (err: unknown) => err instanceof KubernetesSettingError && err.setting === CONTEXT_SETTING && err.message.includes('no current context'),
  );
});

test('a file that is not a kubeconfig is refused naming the setting', () => {
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, 'clusters: [ unclosed\n');
  assert.throws(
    () => resolveKubernetesTarget({ kubeconfigSetting: file, config: config({}), env: {} }),
    (err: unknown) => err instanceof KubernetesSettingError && err.setting === KUBECONFIG_SETTING && err.message.includes('cannot be read as a kubeconfig'),
  );
});

test('readKubeconfigContexts lists contexts with their servers', () => {
  const file = kubeconfig('h.yaml', ['one', 'two'], 'two');
  assert.deepEqual(readKubeconfigContexts(file), {
    contexts: [
      { name: 'one', cluster: 'one-cluster', server: 'https://one.example.test:443' },
      { name: 'two', cluster: 'two-cluster', server: 'https://two.example.test:443' },
    ],
    current: 'two',
  });
});
