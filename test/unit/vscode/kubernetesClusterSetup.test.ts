// The cluster setup document: the exact az/kubectl commands, filled with the user's values where known
// and plain placeholders where not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needsClusterSetup, renderClusterSetup, SUGGESTED_SERVICE_ACCOUNT } from '../../../src/vscode/kubernetesClusterSetup';

test('filled with the cluster, namespace, service account and storage account', () => {
  const doc = renderClusterSetup({ context: 'aks-dev', cluster: 'aks-dev', namespace: 'ml-jobs', serviceAccount: 'flows', storageAccount: 'mfdata', sysroot: 'metaflow/studio' });
  assert.match(doc, /^CLUSTER=aks-dev$/m);
  assert.match(doc, /^NAMESPACE=ml-jobs$/m);
  assert.match(doc, /^SERVICE_ACCOUNT=flows$/m);
  assert.match(doc, /^STORAGE_ACCOUNT=mfdata$/m);
  assert.ok(doc.includes('az aks update --resource-group "$RESOURCE_GROUP" --name "$CLUSTER" --enable-oidc-issuer --enable-workload-identity'));
  assert.ok(doc.includes('az identity create --resource-group "$RESOURCE_GROUP" --name "$IDENTITY"'));
  assert.ok(doc.includes('kubectl create namespace "$NAMESPACE"'));
  assert.ok(doc.includes('kubectl create serviceaccount "$SERVICE_ACCOUNT" --namespace "$NAMESPACE"'));
  assert.ok(doc.includes('azure.workload.identity/client-id="$CLIENT_ID"'));
  assert.ok(doc.includes('az identity federated-credential create'));
  assert.ok(doc.includes('--subject "system:serviceaccount:$NAMESPACE:$SERVICE_ACCOUNT" --audience api://AzureADTokenExchange'));
  assert.ok(doc.includes('--role "Storage Blob Data Contributor"'));
  assert.ok(doc.includes('`metaflow/studio`'));
  assert.ok(!doc.includes('_not known'));
});

test('unknown values stay placeholders; the default namespace is not created; a service account is suggested', () => {
  const doc = renderClusterSetup({ namespace: 'default' });
  assert.match(doc, /^CLUSTER=<AKS cluster name>$/m);
  assert.match(doc, /^STORAGE_ACCOUNT=<storage account of the datastore>$/m);
  assert.match(doc, new RegExp(`^SERVICE_ACCOUNT=${SUGGESTED_SERVICE_ACCOUNT}$`, 'm'));
  assert.ok(!doc.includes('kubectl create namespace'));
  assert.ok(doc.includes('set `metaflow.azure.blobServiceEndpoint`'));
  assert.ok(doc.includes(`set \`metaflow.kubernetes.serviceAccount\` to it`));
});

test('the context stands for the cluster when the cluster entry is not known; odd values are quoted for the shell', () => {
  const doc = renderClusterSetup({ context: "it's mine", namespace: 'team a' });
  assert.match(doc, /^CLUSTER='it'\\''s mine'$/m);
  assert.match(doc, /^NAMESPACE='team a'$/m);
});

test('the reason it was opened comes first', () => {
  const doc = renderClusterSetup({ namespace: 'ml', reason: 'Service account "flows" does not exist in namespace "ml".' });
  const [title, , quote] = doc.split('\n');
  assert.equal(title, '# Cluster setup for runs on Kubernetes (AKS)');
  assert.equal(quote, '> Service account "flows" does not exist in namespace "ml".');
});

test('pre-flight failures about a missing namespace or service account call for the setup; others do not', () => {
  for (const m of ['Service account "flows" does not exist in namespace "ml"', 'namespaces "ml" not found', 'the namespace ml is missing: kubectl create namespace ml']) assert.equal(needsClusterSetup(m), true, m);
  for (const m of ['connect ECONNREFUSED 127.0.0.1:6443', 'image name "Bad Image" is malformed', 'credentials of context aks-dev were rejected (401)']) assert.equal(needsClusterSetup(m), false, m);
});
