// The Python that follows CONFIG in a generated DAG file: it turns CONFIG into Airflow objects and holds no
// deployment facts of its own (those are all in CONFIG, written by airflowCompiler.ts). It is written for
// Airflow 2.3+ with the cncf-kubernetes provider 4.2+ (dynamic task mapping, `container_resources`) and
// picks the spelling of the few arguments that were renamed later by asking the installed classes.
// It must not contain a backtick or a dollar-brace (it lives in a template literal) nor `{{` (Jinja).
export const AIRFLOW_DAG_RUNTIME = `
TASK_ID_XCOM_KEY = CONFIG["xcom_keys"]["task_id"]
CARDINALITY_XCOM_KEY = CONFIG["xcom_keys"]["foreach_cardinality"]


def _run_id_creator(parts):
    return hashlib.md5("-".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:12]


def _json_dump(value):
    return json.dumps(value)


def _accepts(cls, name):
    return name in inspect.signature(cls.__init__).parameters


def _duration(value):
    return None if value is None else timedelta(seconds=value["seconds"])


class MetaflowStudioPodOperator(KubernetesPodOperator):
    """A step of the flow. Downstream steps learn its Metaflow task id from XCom; a foreach split returns
    the list its body is mapped over, because dynamic task mapping maps only over return values."""

    def __init__(self, *args, mapper_arr=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapper_arr = mapper_arr

    def execute(self, context):
        result = super().execute(context)
        if not isinstance(result, dict):
            return None
        if TASK_ID_XCOM_KEY in result:
            context["ti"].xcom_push(key=TASK_ID_XCOM_KEY, value=result[TASK_ID_XCOM_KEY])
        if CARDINALITY_XCOM_KEY in result:
            return list(range(int(result[CARDINALITY_XCOM_KEY])))
        return None


def _pod_arguments(step):
    pod = step["pod"]
    env = [k8s.V1EnvVar(name=name, value=value) for name, value in sorted(pod["env"].items())]
    env += [
        k8s.V1EnvVar(name=name, value_from=k8s.V1EnvVarSource(field_ref=k8s.V1ObjectFieldSelector(field_path=path)))
        for name, path in sorted(CONFIG["downward_api_env"].items())
    ]
    args = dict(
        task_id=step["name"],
        name=pod["pod_name"],
        namespace=pod["namespace"],
        image=pod["image"],
        cmds=[CONFIG["python"], "-c", POD_SHIM, POD_LOADER_BASE64, "argo"],
        arguments=step["arguments"],
        env_vars=env,
        env_from=[k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=s)) for s in pod["secrets"]],
        labels=pod["labels"],
        annotations=pod["annotations"],
        node_selector=pod["node_selector"] or None,
        tolerations=[k8s.V1Toleration(**t) for t in pod["tolerations"]] or None,
        image_pull_secrets=[k8s.V1LocalObjectReference(name=s) for s in pod["image_pull_secrets"]] or None,
        service_account_name=pod["service_account_name"],
        container_resources=k8s.V1ResourceRequirements(requests=pod["resources"]["requests"], limits=pod["resources"]["limits"] or None),
        startup_timeout_seconds=pod["startup_timeout_seconds"],
        in_cluster=pod["in_cluster"],
        get_logs=True,
        do_xcom_push=True,
        log_events_on_failure=True,
        reattach_on_restart=False,
        retries=step["retries"],
        execution_timeout=_duration(step["execution_timeout"]),
    )
    for key in ("kubernetes_conn_id", "cluster_context", "config_file"):
        if pod.get(key) is not None:
            args[key] = pod[key]
    if step["retry_delay"] is not None:
        args["retry_delay"] = _duration(step["retry_delay"])
    if _accepts(KubernetesPodOperator, "on_finish_action"):
        args["on_finish_action"] = "delete_pod"
    else:
        args["is_delete_operator_pod"] = True
    return {key: value for key, value in args.items() if value is not None}


def _sensor(spec):
    args = dict(spec["args"])
    if "execution_delta" in args:
        args["execution_delta"] = _duration(args["execution_delta"])
    if spec["operator"] == "ExternalTaskSensor":
        try:
            from airflow.sensors.external_task import ExternalTaskSensor as sensor_class
        except ImportError:  # Airflow 3 moved it to the standard provider
            from airflow.providers.standard.sensors.external_task import ExternalTaskSensor as sensor_class
    else:
        from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor as sensor_class
    return sensor_class(task_id=spec["name"], **args)


def _params():
    params = dict()
    for p in CONFIG["params"]:
        extra = dict((k, p[k]) for k in ("type", "description") if k in p)
        params[p["name"]] = Param(p["default"], **extra)
    return params


def _dag():
    spec = dict(CONFIG["dag"])
    default_args = dict(spec.pop("default_args"))
    for key in ("execution_timeout", "retry_delay"):
        default_args[key] = _duration(default_args[key])
    schedule = spec.pop("schedule")
    spec["schedule" if _accepts(DAG, "schedule") else "schedule_interval"] = schedule
    spec["start_date"] = datetime.fromisoformat(spec["start_date"])
    if "dagrun_timeout" in spec:
        spec["dagrun_timeout"] = _duration(spec["dagrun_timeout"])
    return DAG(
        default_args=default_args,
        params=_params(),
        user_defined_filters=dict(run_id_creator=_run_id_creator, json_dump=_json_dump),
        **spec
    )


def _build(dag):
    tasks = dict()
    with dag:
        for spec in CONFIG["sensors"]:
            tasks[spec["name"]] = _sensor(spec)
        for step in CONFIG["steps"]:
            if step["mapped_over"] is None:
                tasks[step["name"]] = MetaflowStudioPodOperator(**_pod_arguments(step))
            else:
                split = tasks[step["mapped_over"]]
                tasks[step["name"]] = MetaflowStudioPodOperator.partial(**_pod_arguments(step)).expand(mapper_arr=split.output)
        for step in CONFIG["steps"]:
            for upstream in step["upstream"]:
                tasks[upstream] >> tasks[step["name"]]
    return dag


dag = _build(_dag())
`;
