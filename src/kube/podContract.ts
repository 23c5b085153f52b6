// The contract between whoever starts a pod (the Kubernetes executor in src/runtime, the Argo compiler in
// src/deploy) and the pod's bootstrap in the embedded package (`metaflow_studio/pod_loader.py`, then
// `metaflow_studio/pod_bootstrap.py`). Both sides change together; test/unit/kube/podContract.test.ts and the
// Python tests check each side against this file.
//
// The container runs no shell: its command is an argv array,
//   [python, '-c', <source of metaflow_studio/pod_loader.py>, <mode>, ...mode arguments]
// (a Job: all of it in `command`; an Argo WorkflowTemplate: the first three once in `templateDefaults.container.command`
// and the mode arguments in each step's `args`, so the loader is not repeated in every step's template).
// The loader is self-contained (standard library + the Azure SDK the image must carry, as Metaflow's own
// pods need it): it downloads the code package named by the CODE_* variables from the datastore, checks its
// sha1, unpacks it into the working directory, puts the unpacked embedded package first on sys.path and
// hands over to `metaflow_studio.pod_bootstrap.main(argv)`.
//
// Modes:
//   task   Run one TaskSpec (the executor's mode). The spec is the JSON of `TaskSpec` in POD_ENV.taskSpec,
//          with `flow_file` relative to the unpacked package and `datastore_root` ignored (the pod keeps
//          metadata in its own `.metaflow` and syncs it to the datastore as Metaflow's local metadata
//          provider does: a tarball in the CAS named by the attempt's `local_metadata` metadata file).
//          The TaskResult goes to the termination message (TERMINATION_MESSAGE_PATH) as
//          `{"v":1,"result":<TaskResult>}`; when that exceeds MAX_TERMINATION_MESSAGE_BYTES it is stored in the
//          datastore at `<Flow>/<run>/<step>/<task>/<attempt>.studio_result.json` and the message is
//          `{"v":1,"result_key":"<that path relative to the sysroot>"}`. Exit code 0 when the step succeeded.
//   argo   Run one step of an Argo workflow: arguments `--step S --run-id R --creation-timestamp T
//          --input-paths P [--split-index I] [--root-input-path P] [--split-cardinality N]
//          [--retry-count N] --max-user-code-retries N [--param NAME=VALUE]... --outputs DIR`.
//          The bootstrap derives the deterministic task id (reference §5.4) and writes the output
//          parameters into DIR: `task_id`, and as the step requires `splits` (JSON list), `split_cardinality`,
//          `switch_step`.

/** Environment variable names the pod's bootstrap reads. Metaflow's own names where Metaflow has one. */
export const POD_ENV = {
  /** Datastore type of the code package (`azure`). */
  codeDs: 'METAFLOW_CODE_DS',
  /** sha1 hex of the code package tarball. */
  codeSha: 'METAFLOW_CODE_SHA',
  /** Path of the package blob relative to the blob endpoint: `<container>/<prefix>/<Flow>/data/<sha[:2]>/<sha>`. */
  codeUrl: 'METAFLOW_CODE_URL',
  /** Azure datastore root, `<container>/<prefix>`. */
  azureSysroot: 'METAFLOW_DATASTORE_SYSROOT_AZURE',
  azureEndpoint: 'METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT',
  defaultDatastore: 'METAFLOW_DEFAULT_DATASTORE',
  /** mode task: the TaskSpec JSON. */
  taskSpec: 'METAFLOW_STUDIO_TASK_SPEC',
  /** Where the termination message is written; equal to the container's `terminationMessagePath`. */
  terminationMessagePath: 'METAFLOW_STUDIO_TERMINATION_MESSAGE_PATH',
  /** Set to `1` in every pod Metaflow Studio starts (Metaflow's `METAFLOW_KUBERNETES_WORKLOAD`). */
  kubernetesWorkload: 'METAFLOW_KUBERNETES_WORKLOAD',
  /** mode argo: `0` when the deployment asked its steps not to publish Argo Events (`--no-auto-emit-argo-events`). */
  autoEmitArgoEvents: 'METAFLOW_STUDIO_AUTO_EMIT_ARGO_EVENTS',
} as const;

export const POD_MODES = ['task', 'argo'] as const;
export type PodMode = (typeof POD_MODES)[number];

export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** Kubernetes truncates termination messages at 4096 bytes. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
export const TERMINATION_MESSAGE_VERSION = 1;

/** What the bootstrap writes to the termination message (mode task). */
export type PodTerminationMessage =
  | { v: 1; result: import('../runtime/workerProtocol').TaskResult }
  | { v: 1; result_key: string };

/** Where the argo mode writes its output parameters (an emptyDir volume mounted there). */
export const ARGO_OUTPUTS_DIR = '/mnt/out';
export const ARGO_OUTPUT_FILES = {
  taskId: 'task_id',
  splits: 'splits',
  splitCardinality: 'split_cardinality',
  switchStep: 'switch_step',
} as const;

/** The module the container's `python -c` runs, shipped in the embedded package. */
export const POD_LOADER_MODULE_FILE = 'metaflow_studio/pod_loader.py';
