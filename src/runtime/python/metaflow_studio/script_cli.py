"""`python flow.py <verb> [options]` on the embedded runtime.

Metaflow users start flows by running the flow file as a script. With the embedded package on
PYTHONPATH there is no Metaflow command line in the interpreter, so the script hands its arguments to
the `metaflow-studio` command line instead, translated: Metaflow's top-level options (before the verb)
are accepted when they mean something here and refused by name when they do not, and the pathspecs
Metaflow takes without the flow name get it prefixed. `plan()` is the pure translation; `main()` finds
node and the command line, runs it as an argv list and hands back its exit status.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading

NODE_VAR = "METAFLOW_STUDIO_NODE"
CLI_VAR = "METAFLOW_STUDIO_CLI"
# Set by the extension when METAFLOW_STUDIO_NODE is VS Code's own Electron binary, which only acts as
# node with ELECTRON_RUN_AS_NODE=1; kept out of the terminal itself so other Electron apps start normally.
NODE_IS_ELECTRON_VAR = "METAFLOW_STUDIO_NODE_ELECTRON"
SYSROOT_VAR = "METAFLOW_DATASTORE_SYSROOT_LOCAL"

INSTALL_HINT = "or install Metaflow in this interpreter (pip install metaflow) to use its own command line"
# Lines the command line prints before a run starts, or to confirm a check: what --quiet leaves out.
QUIET_PREFIXES = (b"Creating local datastore in ", b"Metaflow Studio executing ", b"OK: ")


class ScriptCliError(Exception):
    """A command line that cannot be translated; the message says why and what to do instead."""


class Plan(object):
    """What to run: the `metaflow-studio` arguments, environment additions, and whether to drop chatter."""

    def __init__(self, cli_args, env, quiet):
        self.cli_args = cli_args
        self.env = env
        self.quiet = quiet


class _Help(Exception):
    def __init__(self, text):
        Exception.__init__(self, text)
        self.text = text


def _split(token):
    """`--name=value` -> ("name", "value"); `--name` -> ("name", None); anything else -> (None, None)."""
    if not token.startswith("--") or token == "--":
        return None, None
    name, eq, value = token[2:].partition("=")
    return name, (value if eq else None)


def _take_value(args, i, name, inline):
    """The value of option `name` at args[i] and the index after it."""
    if inline is not None:
        return inline, i + 1
    if i + 1 >= len(args):
        raise ScriptCliError("--%s needs a value" % name)
    return args[i + 1], i + 2


def _refuse_with(value):
    return ScriptCliError(
        "--with %s: adding decorators to every step from the command line is not supported by the embedded "
        "runtime of Metaflow Studio; put @%s on the steps in the flow file, %s."
        % (value, value.split(":")[0], INSTALL_HINT)
    )


_NULL_SIDECARS = {"event-logger": "nullSidecarLogger", "monitor": "nullSidecarMonitor"}


def _parse_top_level(args):
    """Metaflow's options before the verb: returns (quiet, datastore flag args, env additions, verb, rest)."""
    quiet = False
    datastore_args = []
    env = {}
    i = 0
    while i < len(args):
        token = args[i]
        if token in ("-h", "--help"):
            raise _Help(top_level_help())
        name, inline = _split(token)
        if name is None:
            return quiet, datastore_args, env, token, args[i + 1:]
        if name in ("quiet", "not-quiet"):
            quiet = name == "quiet"
            i += 1
        elif name in ("pylint", "no-pylint"):
            # Pylint is never run here; the flow's graph is checked statically before every run.
            i += 1
        elif name == "datastore":
            value, i = _take_value(args, i, name, inline)
            if value not in ("local", "azure"):
                raise ScriptCliError(
                    "--datastore %s: runs from `python FLOW.py` use the local datastore (--datastore local) or Azure Blob "
                    "(--datastore azure); %s." % (value, INSTALL_HINT)
                )
            datastore_args = ["--datastore", value]
        elif name == "datastore-root":
            value, i = _take_value(args, i, name, inline)
            root = os.path.abspath(value)
            if os.path.basename(root) != ".metaflow":
                raise ScriptCliError(
                    "--datastore-root %s: the embedded runtime keeps runs in a directory named .metaflow; "
                    "pass --datastore-root DIR/.metaflow or set %s=DIR." % (value, SYSROOT_VAR)
                )
            env[SYSROOT_VAR] = os.path.dirname(root)
        elif name in ("metadata", "environment"):
            value, i = _take_value(args, i, name, inline)
            if value != "local":
                raise ScriptCliError(
                    "--%s %s is not available on the embedded runtime, which records runs locally and runs "
                    "steps in this interpreter (--%s local); %s." % (name, value, name, INSTALL_HINT)
                )
        elif name in ("event-logger", "monitor"):
            value, i = _take_value(args, i, name, inline)
            # Metaflow's null sidecars (its defaults) switch logging/monitoring off; the run event stream is
            # this runtime's one record of a run, so only they have a meaning here.
            if value != _NULL_SIDECARS[name]:
                raise ScriptCliError(
                    "--%s %s: Metaflow's sidecar %ss are not available on the embedded runtime (only %s, which "
                    "turns it off); %s." % (name, value, name.replace("-", " "), _NULL_SIDECARS[name], INSTALL_HINT)
                )
        elif name == "with":
            value, i = _take_value(args, i, name, inline)
            raise _refuse_with(value)
        else:
            raise ScriptCliError(
                "the option %s (before the command) is not supported by the embedded runtime of Metaflow Studio "
                "(supported: --quiet, --datastore local, --datastore-root DIR/.metaflow, --metadata local, "
                "--environment local, --no-pylint); %s." % (token, INSTALL_HINT)
            )
    return quiet, datastore_args, env, "check", []


# Verb options that have no counterpart here, with what to do instead.
_REFUSED = {
    "run": {
        "runner-attribute-file": "Metaflow's Runner API needs Metaflow installed",
        "namespace": "the Client API in steps sees the default namespace",
    },
    "resume": {
        "runner-attribute-file": "Metaflow's Runner API needs Metaflow installed",
        "run-id": "each resumed run gets a new id",
        "clone-only": "resume clones what succeeded and runs the rest",
        "reentrant": "resume clones what succeeded and runs the rest",
        "resume-identifier": "resume clones what succeeded and runs the rest",
    },
    "spin": {
        "skip-decorators": "spin runs the step with its decorators",
        "artifacts-module": "spin uses the artifacts of the origin run",
        "persist": "spin always saves the new task's artifacts (the origin run is not changed)",
        "no-persist": "spin always saves the new task's artifacts (the origin run is not changed)",
        "runner-attribute-file": "Metaflow's Runner API needs Metaflow installed",
    },
    "dump": {"file": "dump prints the values; redirect its output to keep them"},
}


def _check_refused(verb, args):
    refused = _REFUSED.get(verb, {})
    for i, token in enumerate(args):
        name, inline = _split(token)
        if name is None:
            continue
        if name == "with" and verb in ("run", "resume"):
            raise _refuse_with(inline if inline is not None else " ".join(args[i + 1:i + 2]))
        if name in refused:
            raise ScriptCliError("%s --%s is not supported by the embedded runtime: %s." % (verb, name, refused[name]))


def _flow_pathspec(flow_name, verb, value):
    """Metaflow's RUN/STEP[/TASK] (or FLOW/RUN/STEP[/TASK]) -> FLOW/RUN/STEP[/TASK]."""
    parts = value.split("/")
    if len(parts) in (3, 4) and parts[0] == flow_name:
        parts = parts[1:]
    if len(parts) not in (2, 3) or not all(parts):
        raise ScriptCliError(
            "%s takes RUN_ID/STEP or RUN_ID/STEP/TASK_ID (of flow %s), got '%s'" % (verb, flow_name, value)
        )
    return "/".join([flow_name] + parts)


def _positionals(args, valued):
    """Indexes of the positional arguments in `args`, skipping the values of the `valued` options."""
    found = []
    i = 0
    while i < len(args):
        name, inline = _split(args[i])
        if name is None:
            found.append(i)
        elif name in valued and inline is None:
            i += 1
        i += 1
    return found


def _map_spin(flow_name, args):
    indexes = _positionals(args, {"origin-run-id", "max-log-size", "run-id-file"})
    if len(indexes) != 1:
        raise ScriptCliError("spin takes one STEP (or RUN_ID/STEP): spin STEP [--origin-run-id RUN_ID]")
    target = args[indexes[0]]
    rest = args[:indexes[0]] + args[indexes[0] + 1:]
    parts = target.split("/")
    if len(parts) in (3, 4) and parts[0] == flow_name:
        parts = parts[1:]
    if len(parts) == 1 and parts[0]:
        return [parts[0]] + rest
    if len(parts) == 2 and all(parts):
        return [parts[1], "--origin-run-id", parts[0]] + rest
    if len(parts) == 3 and all(parts):
        raise ScriptCliError(
            "spin %s: spinning one task of a step is not supported; spin %s/%s runs the step on that run's inputs"
            % (target, parts[0], parts[1])
        )
    raise ScriptCliError("spin takes STEP, RUN_ID/STEP or %s/RUN_ID/STEP, got '%s'" % (flow_name, target))


def _map_inspect(flow_name, verb, args):
    """dump and logs: the pathspec gets the flow's name; Metaflow's --no-* spellings are dropped."""
    if verb == "logs" and args and args[0] == "show":
        args = args[1:]
    if verb == "logs" and args and args[0] == "scrub":
        raise ScriptCliError("logs scrub is not supported by the embedded runtime; %s" % INSTALL_HINT)
    valued = {"attempt"} if verb == "logs" else {"max-value-size", "include"}
    indexes = _positionals(args, valued)
    if len(indexes) != 1:
        raise ScriptCliError("%s takes one RUN_ID/STEP or RUN_ID/STEP/TASK_ID" % verb)
    out = []
    for i, token in enumerate(args):
        if i == indexes[0]:
            out.append(_flow_pathspec(flow_name, verb, token))
        elif token in ("--no-private", "--no-timestamps", "--no-both"):
            continue
        else:
            out.append(token)
    return out


def plan(flow_name, flow_file, argv, python_executable=None):
    """Translates `argv` (what followed `python FLOW.py`) into a Plan, or raises ScriptCliError / _Help."""
    quiet, datastore_args, env, verb, rest = _parse_top_level(list(argv))
    if verb == "help":
        raise _Help(top_level_help())
    if verb not in VERB_HELP:
        raise ScriptCliError(
            "'%s' is not a command of the embedded runtime (commands: %s); %s."
            % (verb, ", ".join(sorted(VERB_HELP)), INSTALL_HINT)
        )
    if "--help" in rest or "-h" in rest:
        raise _Help("Usage: python %s %s\n" % (os.path.basename(flow_file), VERB_HELP[verb]))
    _check_refused(verb, rest)
    env["METAFLOW_STUDIO_PYTHON"] = python_executable or sys.executable
    target = [os.path.abspath(flow_file), "--flow", flow_name]
    if verb in ("check", "show"):
        # Metaflow's --warnings concerns pylint, which is not run here.
        extra = [a for a in rest if a not in ("--warnings", "--no-warnings")]
        return Plan([verb] + target + extra, env, quiet)
    if verb == "run":
        return Plan(["run"] + target + datastore_args + rest, env, quiet)
    if verb == "resume":
        return Plan(["resume"] + target + datastore_args + rest, env, quiet)
    if verb == "spin":
        mapped = _map_spin(flow_name, rest)
        return Plan(["spin", target[0], mapped[0], "--flow", flow_name] + datastore_args + mapped[1:], env, quiet)
    return Plan([verb] + _map_inspect(flow_name, verb, rest), env, quiet)


VERB_HELP = {
    "run": "run [--<parameter> VALUE]... [--max-workers N] [--max-num-splits N] [--max-log-size MB] [--tag T]... "
           "[--run-id-file FILE]",
    "resume": "resume [STEP] [--origin-run-id RUN_ID] [--max-workers N] [--max-num-splits N] [--tag T]... "
              "[--run-id-file FILE]",
    "spin": "spin STEP|RUN_ID/STEP [--origin-run-id RUN_ID] [--run-id-file FILE]",
    "show": "show",
    "check": "check",
    "dump": "dump RUN_ID/STEP[/TASK_ID] [--private] [--max-value-size N] [--include NAME,...]",
    "logs": "logs RUN_ID/STEP[/TASK_ID] [--stdout | --stderr] [--timestamps] [--attempt N]",
}


def top_level_help(script="FLOW.py"):
    lines = [
        "Usage: python %s [OPTIONS] COMMAND [ARGS]..." % script,
        "",
        "This flow runs on the embedded runtime of Metaflow Studio (Metaflow is not installed in this",
        "interpreter). The same commands: metaflow-studio run %s, ..." % script,
        "",
        "Commands:",
    ]
    lines += ["  " + VERB_HELP[v] for v in ("run", "resume", "spin", "show", "check", "dump", "logs")]
    lines += [
        "",
        "Options (before the command):",
        "  --quiet                     leave out the messages before a run and check's confirmation",
        "  --datastore local|azure     the local datastore, or Azure Blob (METAFLOW_DATASTORE_SYSROOT_AZURE)",
        "  --datastore-root DIR/.metaflow",
        "  --metadata local, --environment local, --no-pylint   accepted; nothing else to choose here",
        "",
    ]
    return "\n".join(lines)


class CliNotFound(Exception):
    pass


def _is_script(path):
    return path.lower().endswith((".js", ".cjs", ".mjs"))


def locate_cli(env, package_dir, which=shutil.which):
    """(argv prefix, environment additions) that start the `metaflow-studio` command line."""
    configured = env.get(CLI_VAR)
    if configured:
        if not os.path.isfile(configured):
            raise CliNotFound("%s is set to '%s', which is not a file" % (CLI_VAR, configured))
        cli = configured
    else:
        beside = [
            os.path.join(package_dir, os.pardir, "cli.js"),  # the extension: dist/python and dist/cli.js
            os.path.join(package_dir, os.pardir, os.pardir, os.pardir, "dist", "cli.js"),  # the source tree
        ]
        cli = next((os.path.normpath(p) for p in beside if os.path.isfile(p)), None)
        if cli is None:
            installed = which("metaflow-studio")
            # A Windows .cmd shim would need a shell to start; those users set the variables instead.
            if installed and not installed.lower().endswith((".cmd", ".bat")):
                return [installed], {}
            raise CliNotFound("the metaflow-studio command line was not found beside %s" % package_dir)
    if not _is_script(cli):
        return [cli], {}
    node = env.get(NODE_VAR)
    if node:
        if not os.path.isfile(node):
            raise CliNotFound("%s is set to '%s', which is not a file" % (NODE_VAR, node))
        extra = {"ELECTRON_RUN_AS_NODE": "1"} if env.get(NODE_IS_ELECTRON_VAR) == "1" else {}
        return [node, cli], extra
    node = which("node")
    if not node:
        raise CliNotFound("node was not found on PATH (needed to start %s)" % cli)
    return [node, cli], {}


def _relay_quietly(source, sink):
    for line in iter(source.readline, b""):
        if not line.startswith(QUIET_PREFIXES):
            sink.write(line)
            sink.flush()


def execute(command, env, quiet):
    """Runs the command line; returns its exit status (128 + the signal after Ctrl-C or SIGTERM: 130, 143)."""
    posix = os.name == "posix"
    kwargs = {}
    if posix:
        # Its own process group: a Ctrl-C reaches it once, from here, so it cancels the run cleanly
        # instead of receiving the terminal's signal and ours and stopping at once.
        kwargs["preexec_fn"] = os.setpgrp
    if quiet:
        kwargs["stdout"] = subprocess.PIPE
    child = subprocess.Popen(command, env=env, **kwargs)
    relay = None
    if quiet:
        relay = threading.Thread(target=_relay_quietly, args=(child.stdout, _binary(sys.stdout)))
        relay.daemon = True
        relay.start()
    interrupted = [0]

    def forward(signum, _frame):
        interrupted[0] = signum
        if posix and child.poll() is None:
            try:
                child.send_signal(signum)
            except OSError:
                pass

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, forward)
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:
                # Windows: the console sent Ctrl-C to the child as well; keep waiting for it to stop.
                interrupted[0] = signal.SIGINT
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if relay is not None:
        relay.join()
    if interrupted[0]:
        return 128 + int(interrupted[0])
    return code if code >= 0 else 128 - code


def _binary(stream):
    return getattr(stream, "buffer", stream)


def _package_dir():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(flow_name, flow_file, argv=None, env=None):
    """`python FLOW.py ...`: runs the translated command line and exits with its status."""
    argv = sys.argv[1:] if argv is None else argv
    env = dict(os.environ if env is None else env)
    script = os.path.basename(flow_file)
    try:
        the_plan = plan(flow_name, flow_file, argv)
    except _Help as shown:
        sys.stdout.write(shown.text.replace("FLOW.py", script))
        sys.exit(0)
    except ScriptCliError as err:
        sys.stderr.write("python %s: %s\nRun 'python %s --help' for the commands and options.\n" % (script, err, script))
        sys.exit(2)
    try:
        prefix, extra_env = locate_cli(env, _package_dir())
    except CliNotFound as err:
        sys.stderr.write(
            "%s uses the embedded Metaflow runtime of Metaflow Studio, but %s. Set %s to the path of node "
            "and %s to the path of the extension's dist/cli.js (VS Code's terminals get both from the "
            "extension), or run `metaflow-studio %s` instead.\n"
            % (script, err, NODE_VAR, CLI_VAR, " ".join(the_plan.cli_args))
        )
        sys.exit(1)
    env.update(extra_env)
    env.update(the_plan.env)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(execute(prefix + the_plan.cli_args, env, the_plan.quiet))
