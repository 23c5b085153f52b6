"""Azure failures as Metaflow exceptions: each names the account, container and what to do.

Flows catch `metaflow.exception.MetaflowException`; the Azure SDK's own errors (HttpResponseError,
ClientAuthenticationError, ServiceRequestError, ...) would otherwise reach them as foreign types with
long HTTP dumps. The SDKs are needed only for Azure, so their absence is a message, not an ImportError.
"""

import logging

from metaflow.exception import MetaflowException

INSTALL_HINT = "pip install azure-identity azure-storage-blob"


class MetaflowAzurePackageError(MetaflowException):
    headline = "Missing required packages 'azure-identity' and 'azure-storage-blob'"

    def __init__(self, missing=None):
        detail = " (no module named %r)" % missing if missing else ""
        MetaflowException.__init__(
            self,
            "The Azure datastore needs the Azure SDK for Python in the interpreter that runs the flow%s. "
            "Install it with: %s" % (detail, INSTALL_HINT),
        )


class MetaflowAzureAuthenticationError(MetaflowException):
    headline = "Azure authentication failed"


class MetaflowAzureResourceError(MetaflowException):
    headline = "Azure resource not found"


class MetaflowAzureAuthorizationError(MetaflowException):
    headline = "Azure access denied"


class MetaflowAzureStorageError(MetaflowException):
    headline = "Azure storage error"


def require_sdk():
    """Import the storage and identity SDKs or raise the install message."""
    try:
        import azure.identity  # noqa: F401
        import azure.storage.blob  # noqa: F401
    except ImportError as e:
        raise MetaflowAzurePackageError(getattr(e, "name", None) or str(e))
    quiet_sdk_logging()


def quiet_sdk_logging():
    """The SDKs log every HTTP request at INFO; identity logs each failed chain member at WARNING."""
    if logging.getLogger("azure").level == logging.NOTSET:
        logging.getLogger("azure").setLevel(logging.WARNING)
    if logging.getLogger("azure.identity").level == logging.NOTSET:
        logging.getLogger("azure.identity").setLevel(logging.ERROR)


def _status(err):
    return getattr(err, "status_code", None) or getattr(getattr(err, "response", None), "status_code", None)


def _code(err):
    return getattr(err, "error_code", None) or ""


def translate(err, account, container, action, endpoint=None):
    """A MetaflowException for an Azure SDK error raised while doing `action` on `account`/`container`."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

    where = "storage account %s, container %s" % (account, container)
    status = _status(err)
    code = str(_code(err))
    first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if isinstance(err, MetaflowException):
        return err
    if code == "ContainerNotFound":
        return MetaflowAzureResourceError(
            "Container '%s' does not exist in %s (while %s). Create it, or fix METAFLOW_DATASTORE_SYSROOT_AZURE "
            "(<container>/<prefix>)." % (container, account, action)
        )
    if status == 403 or code in ("AuthorizationPermissionMismatch", "AuthorizationFailure"):
        return MetaflowAzureAuthorizationError(
            "Access denied to %s while %s (%s). Assign the signed-in identity the 'Storage Blob Data Contributor' "
            "role on the container (or 'Storage Blob Data Reader' to read only)." % (where, action, code or status)
        )
    if isinstance(err, ClientAuthenticationError) or status == 401:
        return MetaflowAzureAuthenticationError(
            "Could not authenticate to %s while %s: %s. Sign in with 'Metaflow: Sign in to Azure', `az login`, or "
            "set the AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET environment variables; an expired "
            "sign-in must be renewed." % (where, action, first_line)
        )
    if isinstance(err, ServiceRequestError):
        return MetaflowAzureStorageError(
            "Cannot reach the blob service %sof %s while %s: %s. Check METAFLOW_AZURE_STORAGE_BLOB_SERVICE_ENDPOINT "
            "and the network." % ("%s " % endpoint if endpoint else "", where, action, first_line)
        )
    return MetaflowAzureStorageError("Azure error on %s while %s: %s" % (where, action, first_line))
