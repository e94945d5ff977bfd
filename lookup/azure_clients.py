"""The one place that builds the Azure credential and SDK clients.

Both entry points use it: the CLI's ``--log-analytics`` path
(:func:`lookup.backends.log_analytics.create_backend`) and the function app
(:class:`lookup.functionapp.clients.AzureServices`, which keeps one of each per instance).
The SDKs are imported on call, so importing this module costs nothing and a missing
package shows up as an :class:`ImportError` where a client is first needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.monitor.query import LogsQueryClient

    from lookup.sentinel.comments import SentinelIncidents

#: Public-cloud endpoints; sovereign clouds have their own (``https://api.loganalytics.us``,
#: ``https://management.usgovcloudapi.net``, ...).
DEFAULT_LOGS_ENDPOINT = "https://api.loganalytics.io"
DEFAULT_ARM_ENDPOINT = "https://management.azure.com"


def azure_credential(managed_identity_client_id: str | None = None) -> TokenCredential:
    """``DefaultAzureCredential``: environment, managed identity, developer sign-in.

    ``managed_identity_client_id`` selects a user-assigned identity; without it the SDK
    reads ``AZURE_CLIENT_ID`` itself.
    """
    from azure.identity import DefaultAzureCredential

    if managed_identity_client_id:
        return DefaultAzureCredential(managed_identity_client_id=managed_identity_client_id)
    return DefaultAzureCredential()


def logs_query_client(
    credential: TokenCredential,
    *,
    endpoint: str = DEFAULT_LOGS_ENDPOINT,
    options: Mapping[str, Any] | None = None,
) -> LogsQueryClient:
    """A Log Analytics query client; the token audience follows ``endpoint``.

    ``options`` are extra ``LogsQueryClient`` keywords (e.g. ``connection_verify`` for a
    proxy's CA bundle).
    """
    from azure.monitor.query import LogsQueryClient

    return LogsQueryClient(credential, endpoint=endpoint, **dict(options or {}))


def sentinel_incidents(
    credential: TokenCredential,
    subscription_id: str,
    *,
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT,
    api_version: str,
    options: Mapping[str, Any] | None = None,
) -> SentinelIncidents:
    """The Sentinel incidents API (comments, entities) of one subscription.

    A ``SecurityInsights`` client on ``arm_endpoint`` with token scope
    ``<endpoint>/.default`` and :data:`~lookup.sentinel.comments.ARM_RETRY_SETTINGS`;
    ``options`` (``connection_verify``, ``transport``, retry keywords) override them.
    ``api_version`` is sent on every call (the SDK ignores a client-level one).
    """
    from azure.mgmt.securityinsight import SecurityInsights

    from lookup.sentinel.comments import ARM_RETRY_SETTINGS, SentinelIncidents

    endpoint = arm_endpoint.rstrip("/")
    client = SecurityInsights(
        credential,
        subscription_id,
        base_url=endpoint,
        credential_scopes=[f"{endpoint}/.default"],
        **{**ARM_RETRY_SETTINGS, **dict(options or {})},
    )
    return SentinelIncidents(client, api_version=api_version)
