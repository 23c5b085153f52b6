# Starts one container's process for the Kubernetes simulator. Run inside a private mount namespace
# (`unshare --mount --propagation private`), it bind-mounts the pod's own files and directories over the
# paths the container expects (its termination message file, its volumes), then replaces itself with the
# container's command. argv: <json: {"mounts": [[source, target, "file"|"dir"], ...]}> -- <command...>
# A failure to start is reported on fd 3 (closed on a successful exec) and exits 128, as a runtime's
# StartError; the container's own stdout/stderr stay the command's.
import json
import os
import subprocess
import sys


def fail(message):
    try:
        os.write(3, message.encode("utf-8", "replace"))
    except OSError:
        pass
    sys.exit(128)


def main():
    argv = sys.argv[1:]
    if len(argv) < 3 or argv[1] != "--":
        fail("launcher: usage: SPEC -- COMMAND...")
    spec = json.loads(argv[0])
    command = argv[2:]
    for source, target, kind in spec.get("mounts", []):
        # The mount point must exist; it is created once on the host (an empty file or directory) and
        # only ever covered by per-pod bind mounts inside private namespaces.
        if kind == "dir":
            os.makedirs(target, exist_ok=True)
        elif not os.path.exists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        result = subprocess.run(["mount", "--bind", source, target], capture_output=True, text=True)
        if result.returncode != 0:
            fail("failed to mount %s at %s: %s" % (source, target, result.stderr.strip()))
    os.set_inheritable(3, False)
    try:
        os.execvpe(command[0], command, os.environ)
    except OSError as error:
        os.set_inheritable(3, True)
        fail('exec: "%s": %s' % (command[0], "executable file not found in $PATH" if isinstance(error, FileNotFoundError) else error.strerror))


main()
