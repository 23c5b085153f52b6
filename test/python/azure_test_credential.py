"""Test-only Azure client provider: Azurite's documented development account over shared key.

Azurite over plain http accepts shared-key requests only, and the Azure SDK sends bearer tokens only
over https, so tests of the datastore against http Azurite select this provider through
METAFLOW_DEFAULT_AZURE_CLIENT_PROVIDER=azure_test_credential:azurite_credential. Product code has no key path.
"""

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_credential():
    from azure.core.credentials import AzureNamedKeyCredential

    return AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY)
