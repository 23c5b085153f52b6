"""Blob access for the Azure datastore: Metaflow's Azure layout in `<container>/<prefix>`.

Reference §3.1: a datastore path `p` is the blob `<prefix>/p`; there are no `_meta` sidecar blobs, a
blob's own metadata `metaflow_user_attributes` (JSON) holds what the local store keeps beside it.
Large blobs go up in parallel 16 MB blocks and come down in parallel ranges, the SDK's own way.
"""

import json
import os
import posixpath

from .azure_errors import MetaflowAzureStorageError, require_sdk, translate

ROOT_ENV = "METAFLOW_DATASTORE_SYSROOT_AZURE"
ENDPOINT_ENV = "METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT"
USER_ATTRIBUTES = "metaflow_user_attributes"
UPLOAD_CONCURRENCY = 16
DOWNLOAD_CONCURRENCY = 4
CLIENT_TUNING = {
    "max_single_put_size": 64 << 20,
    "max_block_size": 16 << 20,
    "max_single_get_size": 32 << 20,
    "max_chunk_get_size": 16 << 20,
    "connection_data_block_size": 256 << 10,
}


def parse_sysroot(value, setting=ROOT_ENV):
    """`<container>[/<prefix>]` -> (container, prefix or None), refusing what Metaflow refuses, never normalizing."""
    rules = (
        (value.endswith("/"), "may not end with '/'"),
        (value.startswith("/"), "may not start with '/'"),
        ("//" in value, "may not contain '//'"),
        (value.split("/", 1)[0] == "", "needs a container name before the first '/'"),
    )
    for broken, rule in rules:
        if broken:
            raise MetaflowAzureStorageError("%s=%r is not a valid Azure root: it %s (form: <container>/<prefix>)." % (setting, value, rule))
    container, _, prefix = value.partition("/")
    return container, prefix or None


def account_of(endpoint):
    """The account name shown in messages: the host's first label, or the path's first part for emulators."""
    from urllib.parse import urlparse

    parsed = urlparse(endpoint)
    host = parsed.hostname or endpoint
    if host in ("127.0.0.1", "localhost") and parsed.path.strip("/"):
        return parsed.path.strip("/").split("/")[0]
    return host.split(".")[0]


class AzureBlobStore(object):
    """One datastore root in one blob service. `path`s are datastore-relative, '/'-separated."""

    def __init__(self, root, endpoint, credential=None):
        if not endpoint:
            raise MetaflowAzureStorageError(
                "The Azure datastore needs %s (e.g. https://<account>.blob.core.windows.net/)." % ENDPOINT_ENV
            )
        self.root = root
        self.endpoint = endpoint
        self.container, self.prefix = parse_sysroot(root)
        self.account = account_of(endpoint)
        require_sdk()
        from azure.storage.blob import BlobServiceClient

        if credential is None:
            from .azure_credential import create_azure_credential

            credential = create_azure_credential()
        self._service = BlobServiceClient(endpoint, credential=credential, **CLIENT_TUNING)
        self._container = self._service.get_container_client(self.container)

    def full_uri(self, path):
        """The string form Metaflow shows for a blob: `<container>/<prefix>/<path>`."""
        return posixpath.join(self.root, path)

    def blob_name(self, path):
        return posixpath.join(self.prefix, path) if self.prefix else path

    def _fail(self, err, action):
        return translate(err, self.account, self.container, action, self.endpoint)

    def exists(self, path):
        try:
            return self._container.get_blob_client(self.blob_name(path)).exists()
        except Exception as e:
            raise self._fail(e, "checking %s" % self.full_uri(path))

    def save(self, path, data, attributes=None, overwrite=True):
        """Upload bytes; returns False when `overwrite` is False and the blob exists (nothing written)."""
        from azure.core.exceptions import ResourceExistsError

        metadata = {USER_ATTRIBUTES: json.dumps(attributes)} if attributes is not None else None
        blob = self._container.get_blob_client(self.blob_name(path))
        try:
            blob.upload_blob(data, overwrite=overwrite, metadata=metadata, max_concurrency=UPLOAD_CONCURRENCY)
        except ResourceExistsError:
            if overwrite:
                raise
            return False
        except Exception as e:
            raise self._fail(e, "writing %s" % self.full_uri(path))
        return True

    def load(self, path, with_attributes=False):
        """Bytes of a blob (and its user attributes), or None when it does not exist."""
        from azure.core.exceptions import ResourceNotFoundError

        blob = self._container.get_blob_client(self.blob_name(path))
        try:
            downloader = blob.download_blob(max_concurrency=DOWNLOAD_CONCURRENCY)
            data = downloader.readall()
        except ResourceNotFoundError as e:
            if getattr(e, "error_code", None) == "ContainerNotFound":
                raise self._fail(e, "reading %s" % self.full_uri(path))
            return (None, None) if with_attributes else None
        except Exception as e:
            raise self._fail(e, "reading %s" % self.full_uri(path))
        if not with_attributes:
            return data
        raw = (downloader.properties.metadata or {}).get(USER_ATTRIBUTES)
        return data, (json.loads(raw) if raw else None)

    def list_names(self, path):
        """Names directly under a datastore 'directory' (blobs and prefixes, without the trailing '/')."""
        start = self.blob_name(path).rstrip("/") + "/"
        try:
            return [item.name[len(start) :].rstrip("/") for item in self._container.walk_blobs(name_starts_with=start)]
        except Exception as e:
            raise self._fail(e, "listing %s" % self.full_uri(path))

    def list_blobs_with_times(self, path):
        """(name, last-modified seconds) of the blobs directly under a datastore 'directory'."""
        start = self.blob_name(path).rstrip("/") + "/"
        try:
            return [(item.name[len(start):], item.last_modified.timestamp())
                    for item in self._container.walk_blobs(name_starts_with=start)
                    if getattr(item, "last_modified", None) is not None]
        except Exception as e:
            raise self._fail(e, "listing %s" % self.full_uri(path))

    def check_container(self):
        """Fail early, with the fix, when the container is missing or not readable."""
        try:
            self._container.get_container_properties()
        except Exception as e:
            raise self._fail(e, "opening the datastore %s" % self.root)

    def close(self):
        self._service.close()
