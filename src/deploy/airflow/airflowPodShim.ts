// The program each Airflow pod runs first: `python3 -c <this> <pod loader source, base64> argo <args>`.
// It starts the pod loader (podContract.ts) as a child with the argo mode's arguments, then turns the output
// files the argo mode wrote into the one file Airflow's KubernetesPodOperator reads back as XCom
// (`/airflow/xcom/return.json`). The loader travels base64'd because Airflow renders every command argument
// as a Jinja template, and Python source may hold `{{`. This source itself must never contain `{{`, `{%`
// or `{#` for the same reason (a unit test checks).
import { ARGO_OUTPUT_FILES } from '../../kube/podContract';
import { FOREACH_CARDINALITY_XCOM_KEY, TASK_ID_XCOM_KEY } from './airflowMacros';

/** Where the KubernetesPodOperator's XCom sidecar reads the task's return value. */
export const AIRFLOW_XCOM_FILE = '/airflow/xcom/return.json';
/** A writable folder in any image, for the argo mode's output files (Airflow mounts no emptyDir there). */
export const AIRFLOW_OUTPUTS_DIR = '/tmp/metaflow-studio-outputs';

export const AIRFLOW_POD_SHIM = [
  'import base64, json, os, subprocess, sys',
  'loader = base64.b64decode(sys.argv[1]).decode("utf-8")',
  'args = sys.argv[2:]',
  'outputs = args[args.index("--outputs") + 1]',
  'code = subprocess.call([sys.executable, "-c", loader] + args)',
  'if code == 0:',
  '    result = dict()',
  `    with open(os.path.join(outputs, ${JSON.stringify(ARGO_OUTPUT_FILES.taskId)})) as f:`,
  `        result[${JSON.stringify(TASK_ID_XCOM_KEY)}] = f.read().strip()`,
  `    cardinality = os.path.join(outputs, ${JSON.stringify(ARGO_OUTPUT_FILES.splitCardinality)})`,
  '    if os.path.exists(cardinality):',
  '        with open(cardinality) as f:',
  `            result[${JSON.stringify(FOREACH_CARDINALITY_XCOM_KEY)}] = int(f.read().strip())`,
  `    xcom = os.environ.get("METAFLOW_STUDIO_XCOM_FILE", ${JSON.stringify(AIRFLOW_XCOM_FILE)})`,
  '    os.makedirs(os.path.dirname(xcom), exist_ok=True)',
  '    with open(xcom, "w") as f:',
  '        json.dump(result, f)',
  'sys.exit(code)',
  '',
].join('\n');
