// The one-time cluster setup a run on AKS needs, as a markdown document of the exact commands, filled with
// the user's values where the editor knows them: pods reach Blob Storage with workload identity, which takes
// an OIDC issuer on the cluster, a managed identity, a service account annotated with the identity's client
// id, a federated credential binding the two, and a data role on the storage account. Pure, unit-tested.

export interface ClusterSetupValues {
  /** The kubeconfig context (AKS names it after the cluster). */
  context?: string;
  /** The context's cluster entry name. */
  cluster?: string;
  namespace: string;
  serviceAccount?: string;
  /** Storage account of the Azure datastore, from its blob endpoint. */
  storageAccount?: string;
  /** The Azure datastore root, `<container>[/<prefix>]`. */
  sysroot?: string;
  /** Why the document was opened (a failed pre-flight's message), shown first. */
  reason?: string;
}

/** The service account suggested when none is set: workload identity needs one of its own. */
export const SUGGESTED_SERVICE_ACCOUNT = 'metaflow-studio';
const IDENTITY = 'metaflow-studio-pods';
const FEDERATED_CREDENTIAL = 'metaflow-studio';

/** A word safe in a POSIX shell as it is; anything else single-quoted. */
function sh(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function known(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

export function renderClusterSetup(values: ClusterSetupValues): string {
  const cluster = known(values.cluster) ? values.cluster : known(values.context) ? values.context : undefined;
  const serviceAccount = known(values.serviceAccount) ? values.serviceAccount : SUGGESTED_SERVICE_ACCOUNT;
  const namespace = values.namespace;
  const vars = [
    `RESOURCE_GROUP=<resource-group of the cluster>`,
    `CLUSTER=${cluster ? sh(cluster) : '<AKS cluster name>'}`,
    `LOCATION=<region of the cluster, e.g. westeurope>`,
    `NAMESPACE=${sh(namespace)}`,
    `SERVICE_ACCOUNT=${sh(serviceAccount)}`,
    `IDENTITY=${IDENTITY}`,
    `STORAGE_ACCOUNT=${known(values.storageAccount) ? sh(values.storageAccount) : '<storage account of the datastore>'}`,
  ];
  const lines: string[] = ['# Cluster setup for runs on Kubernetes (AKS)', ''];
  if (known(values.reason)) lines.push(`> ${values.reason.replace(/\n/g, '\n> ')}`, '');
  lines.push(
    'Pods of a run read and write the datastore in Azure Blob Storage with **workload identity**: a managed',
    'identity that the pod\'s service account stands for. This is done once per cluster and namespace, by',
    'someone allowed to change the cluster and assign roles. Run the commands in a shell signed in with',
    '`az login` and with `kubectl` pointed at the cluster.',
    '',
    '## What this document was filled with',
    '',
    `| | |`,
    `|---|---|`,
    `| Kubernetes context | ${known(values.context) ? `\`${values.context}\`` : '_not known_'} |`,
    `| Cluster | ${cluster ? `\`${cluster}\`` : '_not known_'} |`,
    `| Namespace | \`${namespace}\` (setting \`metaflow.kubernetes.namespace\`) |`,
    `| Service account | \`${serviceAccount}\`${known(values.serviceAccount) ? ' (setting `metaflow.kubernetes.serviceAccount`)' : ' (suggested: set `metaflow.kubernetes.serviceAccount` to it)'} |`,
    `| Storage account | ${known(values.storageAccount) ? `\`${values.storageAccount}\`` : '_not known: set `metaflow.azure.blobServiceEndpoint`_'} |`,
    `| Datastore root | ${known(values.sysroot) ? `\`${values.sysroot}\`` : '_not known: set `metaflow.azure.datastoreSysroot`_'} |`,
    '',
    'Fill in what is in angle brackets.',
    '',
    '```sh',
    ...vars,
    '```',
    '',
    '## 1. Turn on the OIDC issuer and workload identity on the cluster',
    '',
    '```sh',
    'az aks update --resource-group "$RESOURCE_GROUP" --name "$CLUSTER" --enable-oidc-issuer --enable-workload-identity',
    'AKS_OIDC_ISSUER="$(az aks show --resource-group "$RESOURCE_GROUP" --name "$CLUSTER" --query oidcIssuerProfile.issuerUrl --output tsv)"',
    '```',
    '',
    '## 2. Create the managed identity the pods act as',
    '',
    '```sh',
    'az identity create --resource-group "$RESOURCE_GROUP" --name "$IDENTITY" --location "$LOCATION"',
    'CLIENT_ID="$(az identity show --resource-group "$RESOURCE_GROUP" --name "$IDENTITY" --query clientId --output tsv)"',
    '```',
    '',
    '## 3. Create the namespace and the service account, annotated with the identity',
    '',
    '```sh',
    ...(namespace === 'default' ? [] : ['kubectl create namespace "$NAMESPACE"']),
    'kubectl create serviceaccount "$SERVICE_ACCOUNT" --namespace "$NAMESPACE"',
    'kubectl annotate serviceaccount "$SERVICE_ACCOUNT" --namespace "$NAMESPACE" azure.workload.identity/client-id="$CLIENT_ID"',
    '```',
    '',
    '## 4. Let the service account sign in as the identity (federated credential)',
    '',
    '```sh',
    `az identity federated-credential create --name ${FEDERATED_CREDENTIAL} --identity-name "$IDENTITY" --resource-group "$RESOURCE_GROUP" \\`,
    '  --issuer "$AKS_OIDC_ISSUER" --subject "system:serviceaccount:$NAMESPACE:$SERVICE_ACCOUNT" --audience api://AzureADTokenExchange',
    '```',
    '',
    '## 5. Give the identity access to the datastore',
    '',
    '```sh',
    'az role assignment create --assignee "$CLIENT_ID" --role "Storage Blob Data Contributor" \\',
    '  --scope "$(az storage account show --name "$STORAGE_ACCOUNT" --query id --output tsv)"',
    '```',
    '',
    '## 6. Tell the editor',
    '',
    `Set \`metaflow.kubernetes.serviceAccount\` to \`${serviceAccount}\` and \`metaflow.kubernetes.namespace\` to \`${namespace}\``,
    '(or `METAFLOW_KUBERNETES_SERVICE_ACCOUNT` / `METAFLOW_KUBERNETES_NAMESPACE` in the environment or a Metaflow config file,',
    'which take precedence), then run "Metaflow: Run Flow on Kubernetes (AKS)" again. Role assignments can take a few',
    'minutes to apply.',
    '',
  );
  return lines.join('\n');
}

/** Whether a pre-flight failure is one the cluster setup fixes: a namespace or service account that is not there. */
export function needsClusterSetup(message: string): boolean {
  return /\b(namespaces?|service ?accounts?|serviceaccounts?)\b/i.test(message) && /\b(not found|does not exist|doesn't exist|is missing|missing|no such)\b/i.test(message);
}
