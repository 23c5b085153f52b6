"""The first code a Metaflow Studio pod runs: fetch the code package, unpack it, hand over to the bootstrap.

The container runs `python -c <this file's source> <mode> ...` (contract: src/kube/podContract.ts). This
file is self-contained on purpose: it runs before the embedded package exists in the pod, so it may use
only the standard library and the Azure SDK the image carries (`azure-storage-blob`, `azure-identity`),
and cannot import `metaflow_studio.azure_credential`: that module is inside the package being fetched.
The workload-identity credential is therefore defined here, and azure_credential's chain imports it.

Steps: read METAFLOW_CODE_DS/SHA/URL and the blob endpoint; download the package blob (a few tries with a
short pause when the failure may pass); check its sha1; unpack it into `./metaflow_code` refusing absolute
paths, `..` and links that leave the folder; put its embedded package (`.mf_code`) first on sys.path and
PYTHONPATH; call `metaflow_studio.pod_bootstrap.main(argv)`. A failure here still writes the termination
message (`{"v":1,"result":{...,"exception":...}}`) so the executor can say why the pod failed.
"""

import hashlib
import io
import json
import os
import posixpath
import shutil
import sys
import tarfile
import time
import traceback

CODE_DIR = "metaflow_code"
EMBEDDED_DIR = ".mf_code"
ENV_CODE_DS = "METAFLOW_CODE_DS"
ENV_CODE_SHA = "METAFLOW_CODE_SHA"
ENV_CODE_URL = "METAFLOW_CODE_URL"
ENV_ENDPOINT = "METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT"
ENV_TERMINATION = "METAFLOW_STUDIO_TERMINATION_MESSAGE_PATH"
# Metaflow's name for the folder a pod unpacked its code package into; the bootstrap reads it.
ENV_EXTRACTED_ROOT = "METAFLOW_EXTRACTED_ROOT"
TERMINATION_MESSAGE_PATH = "/dev/termination-log"
MAX_TERMINATION_MESSAGE_BYTES = 4096
TERMINATION_MESSAGE_VERSION = 1
DOWNLOAD_ATTEMPTS = 4
DOWNLOAD_PAUSE_S = 2.0
STORAGE_SCOPE = "https://storage.azure.com/.default"
WORKLOAD_IDENTITY_ENV = ("AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID")


class LoaderError(Exception):
    """A failure with a message naming what to fix; `retry_allowed` is False when another attempt cannot help."""

    def __init__(self, message, retry_allowed=True, kind="MetaflowStudioPodError"):
        Exception.__init__(self, message)
        self.message = message
        self.retry_allowed = retry_allowed
        self.kind = kind


# ---------------------------------------------------------------- termination message


def termination_path(environ=None):
    environ = os.environ if environ is None else environ
    return environ.get(ENV_TERMINATION) or TERMINATION_MESSAGE_PATH


def failure_result(kind, message, tb, retry_allowed=True):
    """A TaskResult (src/runtime/workerProtocol.ts) for a pod that failed before or around its task."""
    return {"ok": False, "next": [], "retry_allowed": retry_allowed,
            "exception": {"type": kind, "message": message, "traceback": tb}}


def encode_message(payload):
    return json.dumps(dict({"v": TERMINATION_MESSAGE_VERSION}, **payload), separators=(",", ":")).encode("utf-8")


def fitted_failure_message(result):
    """`{"v":1,"result":...}` cut to the termination message's limit by shortening the traceback, then the
    message (used where the datastore cannot take the whole result)."""
    data = encode_message({"result": result})
    exc = result.get("exception")
    if len(data) <= MAX_TERMINATION_MESSAGE_BYTES or not exc:
        return data
    exc = dict(exc)
    for field in ("traceback", "message"):
        text = exc.get(field) or ""

        def with_kept(n, field=field, text=text):
            # Keep the end of a traceback (the raising frame) and the start of a message.
            kept = "" if n <= 0 else ("..." + text[len(text) - n:] if field == "traceback" else text[:n] + "...")
            return encode_message({"result": dict(result, exception=dict(exc, **{field: kept}))}), kept

        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(with_kept(mid)[0]) <= MAX_TERMINATION_MESSAGE_BYTES:
                lo = mid
            else:
                hi = mid - 1
        data, exc[field] = with_kept(lo)
        if len(data) <= MAX_TERMINATION_MESSAGE_BYTES:
            break
    return data


def write_termination_message(data, environ=None):
    """Write the message bytes; a pod without the file (a local test) only gets a note on stderr."""
    path = termination_path(environ)
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        sys.stderr.write("metaflow-studio: could not write the termination message to %s: %s\n" % (path, e))


def report_failure(kind, message, tb, retry_allowed=True):
    sys.stderr.write("metaflow-studio: %s\n" % message)
    sys.stderr.flush()
    write_termination_message(fitted_failure_message(failure_result(kind, message, tb, retry_allowed)))


# ---------------------------------------------------------------- credential


def _read_token_file(path):
    def read():
        # Read on every request: the kubelet rotates the projected service account token in place.
        with open(path, "r") as f:
            return f.read().strip()

    return read


def workload_identity_credential(environ=None):
    """The pod's federated credential when AKS workload identity injected its variables, else None."""
    environ = os.environ if environ is None else environ
    if not all(environ.get(name) for name in WORKLOAD_IDENTITY_ENV):
        return None
    import azure.identity as identity

    token_file = environ["AZURE_FEDERATED_TOKEN_FILE"]
    client_id = environ["AZURE_CLIENT_ID"]
    tenant_id = environ["AZURE_TENANT_ID"]
    authority = environ.get("AZURE_AUTHORITY_HOST")
    kwargs = {"authority": authority} if authority else {}
    if hasattr(identity, "WorkloadIdentityCredential"):
        return identity.WorkloadIdentityCredential(tenant_id=tenant_id, client_id=client_id, token_file_path=token_file, **kwargs)
    try:
        return identity.ClientAssertionCredential(tenant_id, client_id, _read_token_file(token_file), **kwargs)
    except TypeError:
        # Some 1.13 betas pass `authority` on to object.__init__; their token client reads AZURE_AUTHORITY_HOST itself.
        return identity.ClientAssertionCredential(tenant_id, client_id, _read_token_file(token_file))


def pod_credential(environ=None):
    credential = workload_identity_credential(environ)
    if credential is not None:
        return credential
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


# ---------------------------------------------------------------- download


def package_location(environ=None):
    """(endpoint, container, blob name, sha) from the environment, naming any variable that is missing."""
    environ = os.environ if environ is None else environ
    missing = [name for name in (ENV_CODE_DS, ENV_CODE_SHA, ENV_CODE_URL, ENV_ENDPOINT) if not environ.get(name)]
    if missing:
        raise LoaderError("The pod's environment lacks %s: the code package cannot be located. The Kubernetes executor "
                          "sets these; a pod started by hand must set them too." % ", ".join(missing), retry_allowed=False)
    ds = environ[ENV_CODE_DS]
    if ds != "azure":
        raise LoaderError("%s=%r: only the azure datastore can carry a code package to a pod." % (ENV_CODE_DS, ds), retry_allowed=False)
    sha = environ[ENV_CODE_SHA].strip().lower()
    if len(sha) != 40 or any(c not in "0123456789abcdef" for c in sha):
        raise LoaderError("%s=%r is not a sha1 (40 hex digits)." % (ENV_CODE_SHA, environ[ENV_CODE_SHA]), retry_allowed=False)
    url = environ[ENV_CODE_URL].strip().strip("/")
    container, _, blob = url.partition("/")
    if not container or not blob:
        raise LoaderError("%s=%r is not of the form <container>/<blob path>." % (ENV_CODE_URL, environ[ENV_CODE_URL]), retry_allowed=False)
    return environ[ENV_ENDPOINT].rstrip("/"), container, blob, sha


def _is_transient(err):
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    if isinstance(err, (ServiceRequestError, ServiceResponseError, OSError)):
        return True
    status = getattr(err, "status_code", None)
    return isinstance(err, HttpResponseError) and (status is None or status == 429 or status >= 500)


def _explain(err, where):
    from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError

    status = getattr(err, "status_code", None)
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    if isinstance(err, ResourceNotFoundError):
        return "The code package %s does not exist (%s). Was it uploaded to this storage account?" % (where, first)
    if isinstance(err, ClientAuthenticationError) or status in (401, 403):
        return ("The pod may not read the code package %s (%s). Its workload identity (AZURE_CLIENT_ID) needs the "
                "'Storage Blob Data Contributor' role on the storage account, and the service account a federated "
                "credential for it." % (where, first))
    return "The code package %s could not be downloaded: %s: %s" % (where, type(err).__name__, first)


def sign_in(credential):
    """One token before the first request: a refused sign-in is reported as such, at once (inside the blob
    client it would be retried and then surface as an unreadable storage error)."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        credential.get_token(STORAGE_SCOPE)
    except ClientAuthenticationError as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        if workload_identity_credential() is not None:
            raise LoaderError("Microsoft Entra ID refused the pod's workload identity (AZURE_CLIENT_ID=%s): %s. The identity "
                              "needs a federated credential for the pod's service account (subject "
                              "system:serviceaccount:<namespace>:<service account>)." % (os.environ.get("AZURE_CLIENT_ID"), first),
                              retry_allowed=False, kind="MetaflowAzureAuthenticationError")
        raise LoaderError("The pod could not sign in to Azure: %s. Set up workload identity for its service account, or "
                          "another credential DefaultAzureCredential finds." % first, retry_allowed=False,
                          kind="MetaflowAzureAuthenticationError")


def download_package(endpoint, container, blob_name, credential=None, attempts=DOWNLOAD_ATTEMPTS, pause=DOWNLOAD_PAUSE_S):
    try:
        from azure.storage.blob import BlobClient
    except ImportError as e:
        raise LoaderError("The pod's Python lacks the Azure SDK (%s): the image needs the packages azure-storage-blob and "
                          "azure-identity." % e, retry_allowed=False, kind="MetaflowAzurePackageError")
    where = "%s/%s at %s" % (container, blob_name, endpoint)
    credential = credential if credential is not None else pod_credential()
    sign_in(credential)
    client = BlobClient(endpoint, container, blob_name, credential=credential)
    for attempt in range(1, attempts + 1):
        try:
            return client.download_blob().readall()
        except Exception as e:
            if attempt < attempts and _is_transient(e):
                sys.stderr.write("metaflow-studio: download of the code package failed (try %d of %d: %s); trying again\n"
                                 % (attempt, attempts, type(e).__name__))
                time.sleep(pause * attempt)
                continue
            raise LoaderError(_explain(e, where), retry_allowed=_is_transient(e))
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- unpack


def check_sha(blob, sha, where):
    actual = hashlib.sha1(blob).hexdigest()
    if actual != sha:
        raise LoaderError("The code package %s has sha1 %s but %s names %s: it is damaged or not the package of this run."
                          % (where, actual, ENV_CODE_SHA, sha), retry_allowed=False)


def unsafe_member_reason(member):
    name = member.name
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return "a '..' component"
    if member.isdev() or member.isfifo():
        return "a device or fifo"
    if member.issym() or member.islnk():
        link = member.linkname.replace("\\", "/")
        if link.startswith("/") or (len(link) > 1 and link[1] == ":"):
            return "a link to an absolute path"
        # Symbolic links are relative to their folder, hard links to the archive root.
        base = posixpath.dirname(name) if member.issym() else ""
        target = posixpath.normpath(posixpath.join(base, link))
        if target == ".." or target.startswith("../"):
            return "a link leading out of the package"
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return "an entry of an unsupported type"
    return None


def extract_package(blob, dest):
    """Unpack a gzip'd tar into `dest` (replaced if present), refusing any entry that could write outside it."""
    try:
        archive = tarfile.open(fileobj=io.BytesIO(blob), mode="r:*")
        members = archive.getmembers()
    except (tarfile.TarError, EOFError, OSError) as e:
        raise LoaderError("The code package is not a readable tar archive: %s" % e, retry_allowed=False)
    for member in members:
        reason = unsafe_member_reason(member)
        if reason:
            raise LoaderError("The code package was refused: its entry %r is %s." % (member.name, reason), retry_allowed=False)
    staging = dest + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    try:
        archive.extractall(staging, members=members, **kwargs)
    except (tarfile.TarError, OSError) as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise LoaderError("The code package could not be unpacked: %s" % e, retry_allowed=False)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(staging, dest)
    return dest


def activate(code_dir, environ=None):
    """Embedded package first on sys.path and on PYTHONPATH (the task may start Python processes of its own)."""
    environ = os.environ if environ is None else environ
    embedded = os.path.join(code_dir, EMBEDDED_DIR)
    if not os.path.isdir(os.path.join(embedded, "metaflow_studio")):
        raise LoaderError("The code package has no %s/metaflow_studio: it was not built by Metaflow Studio." % EMBEDDED_DIR,
                          retry_allowed=False)
    sys.path.insert(0, embedded)
    current = environ.get("PYTHONPATH")
    environ["PYTHONPATH"] = embedded + (os.pathsep + current if current else "")
    environ[ENV_EXTRACTED_ROOT] = code_dir


def fetch_and_unpack(base_dir, environ=None):
    endpoint, container, blob_name, sha = package_location(environ)
    blob = download_package(endpoint, container, blob_name)
    check_sha(blob, sha, "%s/%s" % (container, blob_name))
    return extract_package(blob, os.path.join(base_dir, CODE_DIR))


def main(argv):
    if not argv:
        report_failure("MetaflowStudioPodError", "The pod loader needs a mode argument (task or argo).", "", retry_allowed=False)
        return 2
    try:
        code_dir = fetch_and_unpack(os.getcwd())
        activate(code_dir)
    except LoaderError as e:
        report_failure(e.kind, e.message, "", e.retry_allowed)
        return 1
    except Exception as e:
        report_failure(type(e).__name__, "The pod could not prepare its code package: %s" % e, traceback.format_exc())
        return 1
    from metaflow_studio import pod_bootstrap

    return pod_bootstrap.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
