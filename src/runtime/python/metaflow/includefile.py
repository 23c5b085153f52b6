"""`IncludeFile`: a parameter whose value is the content of a local file, read when the run starts.

Stored as Metaflow does (`includefile.py`, UploaderV2): the file's bytes go gzip'd (level 3) to
`<datatools root>/<Flow>/<sha1 of the bytes>`, and the artifact is an `IncludedFile` descriptor
pointing there, which steps and the Client decode back to the content. Runs on the Azure datastore
upload to `METAFLOW_DATATOOLS_AZUREROOT` (default `<sysroot>/data`) with the url `azure://<root>/<Flow>/<sha>`.
"""

import gzip
import hashlib
import os
import posixpath

from .exception import MetaflowException
from .parameters import Parameter, ParameterError, parameter_env_var

UPLOADER_TYPE = "uploader-v2"


class IncludedFile(object):
    """Pickled under Metaflow's name with the same state, so either Client can decode it."""

    def __init__(self, descriptor):
        self._descriptor = descriptor
        self._cached_size = None

    @property
    def descriptor(self):
        return self._descriptor

    @property
    def size(self):
        return self._descriptor.get("size")

    def decode(self, name, var_type="Artifact"):
        url = self._descriptor.get("url", "")
        known = self._descriptor.get("type") in ("uploader-v1", "uploader-v2", "external")
        if known and url.startswith(AZURE_SCHEME):
            data = _read_azure(url, name, var_type)
        elif known and url.startswith("local://"):
            path = url[len("local://"):]
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise MetaflowException("%s '%s': the included file %s cannot be read: %s" % (var_type, name, path, e.strerror))
        else:
            raise MetaflowException(
                "%s '%s' is an IncludeFile stored at %s, which this runtime cannot read (only local:// and azure:// files)."
                % (var_type, name, url or "an unknown location")
            )
        if self._descriptor.get("sub-type", "uploaded") == "uploaded" or self._descriptor.get("type") == "uploader-v1":
            data = gzip.decompress(data)
        if self._descriptor.get("is_text", True):
            return data.decode(self._descriptor.get("encoding") or "utf-8")
        return data


AZURE_SCHEME = "azure://"
AZURE_DATATOOLS_ENV = "METAFLOW_DATATOOLS_AZUREROOT"


def _container_store(key):
    """Metaflow's Azure IncludeFile client roots its storage at the container and names the blob by the
    whole `<container>/<path>` key; the same store here keeps the blob names Metaflow writes and reads."""
    from metaflow_studio.azure_storage import ENDPOINT_ENV, AzureBlobStore, parse_sysroot

    container, _ = parse_sysroot(key, AZURE_DATATOOLS_ENV)
    return AzureBlobStore(container, os.environ.get(ENDPOINT_ENV))


def _read_azure(url, name, var_type):
    key = url[len(AZURE_SCHEME):]
    data = _container_store(key).load(key)
    if data is None:
        raise MetaflowException("%s '%s': the included file %s does not exist in Azure Blob." % (var_type, name, url))
    return data


def azure_datatools_root(ds_root):
    """Metaflow's DATATOOLS_AZUREROOT: the setting, else `data` under the Azure datastore root."""
    return os.environ.get(AZURE_DATATOOLS_ENV) or posixpath.join(ds_root, "data")


def datatools_root(datastore_root):
    """Where Metaflow's local IncludeFile uploads go (`DATATOOLS_LOCALROOT`)."""
    configured = os.environ.get("METAFLOW_DATATOOLS_LOCALROOT")
    if configured:
        return configured
    sysroot = os.environ.get("METAFLOW_DATASTORE_SYSROOT_LOCAL")
    if sysroot:
        return os.path.join(sysroot, "data")
    return os.path.join(datastore_root, "data")


class IncludeFile(Parameter):
    def __init__(self, name, required=None, is_text=True, encoding="utf-8", help=None, **kwargs):
        super(IncludeFile, self).__init__(name, required=required, help=help, type=str, **kwargs)
        self.is_text = is_text
        self.encoding = encoding

    def value_from(self, raw, context):
        """Read the file (command-line path, else the default) and return its content."""
        path = raw if raw is not None else self.resolve_default(context)
        if path is None:
            if self.required:
                raise ParameterError(
                    "IncludeFile '%s' is required: give it a file path (--%s PATH, or the environment variable %s)."
                    % (self.name, self.name, parameter_env_var(self.name))
                )
            return None
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ParameterError("IncludeFile '%s': cannot read %s: %s" % (self.name, os.path.abspath(path), e.strerror))
        if self.is_text:
            try:
                data.decode(self.encoding)
            except UnicodeDecodeError as e:
                raise ParameterError("IncludeFile '%s': %s is not %s text: %s" % (self.name, path, self.encoding, e))
        return data

    def store(self, data, flow_name, datastore_root, write, backend=None):
        """Upload the bytes like Metaflow's UploaderV2 and return the `IncludedFile` artifact; runs on the
        Azure datastore (`backend`) upload to its datatools root in Blob."""
        sha = hashlib.sha1(data).hexdigest()
        if backend is not None and getattr(backend, "ds_type", "local") == "azure":
            from metaflow_studio.azure_storage import parse_sysroot

            root = azure_datatools_root(backend.ds_root)
            parse_sysroot(root, AZURE_DATATOOLS_ENV)
            key = posixpath.join(root, flow_name, sha)
            _container_store(key).save(key, gzip.compress(data, compresslevel=3), overwrite=False)
            url = AZURE_SCHEME + key
        else:
            path = os.path.join(datatools_root(datastore_root), flow_name, sha)
            if not os.path.exists(path):
                write(path, gzip.compress(data, compresslevel=3))
            url = "local://%s" % path
        return IncludedFile(
            {
                "type": UPLOADER_TYPE,
                "url": url,
                "is_text": self.is_text,
                "encoding": self.encoding,
                "note": "Internal representation of IncludeFile",
                "sub-type": "uploaded",
                "size": len(data),
            }
        )

    def load_parameter(self, value):
        if isinstance(value, IncludedFile):
            return value.decode(self.name, var_type="Parameter")
        return value
