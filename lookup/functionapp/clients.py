"""Where the worker gets its clients: :class:`Services`, and the Azure one, :class:`AzureServices`.

The credential and the SDK clients are built by :mod:`lookup.azure_clients` (the one place
that builds them, shared with the CLI); :class:`AzureServices` builds them lazily for the
function app's settings and keeps them for every invocation of the instance. Tests replace
it with clients of local fakes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from lookup import azure_clients
from lookup.functionapp.settings import AppSettings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.monitor.query import LogsQueryClient

    from lookup.backends.base import Backend
    from lookup.sentinel.comments import SentinelIncidents


class Services(Protocol):
    """Where the worker gets its clients (replaced in tests by clients of local fakes)."""

    def backend(self, workspace_id: str) -> Backend:
        """A Log Analytics backend for one workspace."""
        ...

    def incidents(self, subscription_id: str) -> SentinelIncidents:
        """The Sentinel incidents API (comments, entities) of one subscription."""
        ...


class AzureServices:
    """Real Azure clients, built on first use and shared by the invocations of an instance.

    One credential (``DefaultAzureCredential``: the user-assigned managed identity named by
    ``AZURE_CLIENT_ID`` in Azure, a developer sign-in locally), one ``LogsQueryClient``
    (so all lookups of the instance share its query gate), one ``SecurityInsights``
    client per subscription.
    """

    def __init__(
        self,
        settings: AppSettings,
        *,
        credential: TokenCredential | None = None,
        logs_client_options: Mapping[str, Any] | None = None,
        arm_client_options: Mapping[str, Any] | None = None,
        backend_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Prepare clients for ``settings`` (endpoints, API version, identity).

        Args:
            settings: the function app's settings.
            credential: overrides ``DefaultAzureCredential``.
            logs_client_options: extra ``LogsQueryClient`` keywords (``connection_verify``).
            arm_client_options: extra ``SecurityInsights`` keywords (``connection_verify``,
                ``transport``, retry keywords overriding
                :data:`~lookup.sentinel.comments.ARM_RETRY_SETTINGS`, ``attempt_timeout`` and
                ``max_retry_after`` of the
                :class:`~lookup.sentinel.arm_retry.BoundedRetryPolicy` every client gets).
            backend_options: extra ``LogAnalyticsBackend`` keywords (``retry``).
        """
        self.settings = settings
        self._credential = credential
        self._logs_options = dict(logs_client_options or {})
        self._arm_options = dict(arm_client_options or {})
        self._backend_options = dict(backend_options or {})
        self._lock = threading.Lock()
        self._logs_client: LogsQueryClient | None = None
        self._sentinel: dict[str, SentinelIncidents] = {}

    def credential(self) -> TokenCredential:
        """The shared credential."""
        with self._lock:
            if self._credential is None:
                self._credential = azure_clients.azure_credential(
                    self.settings.managed_identity_client_id
                )
            return self._credential

    def backend(self, workspace_id: str) -> Backend:
        """A Log Analytics backend on the shared client."""
        from lookup.backends.log_analytics import LogAnalyticsBackend

        credential = self.credential()
        with self._lock:
            if self._logs_client is None:
                self._logs_client = azure_clients.logs_query_client(
                    credential, endpoint=self.settings.logs_endpoint, options=self._logs_options
                )
            client = self._logs_client
        return LogAnalyticsBackend(
            client, workspace_id, settings=self.settings.lookup, **self._backend_options
        )

    def incidents(self, subscription_id: str) -> SentinelIncidents:
        """The incidents API of ``subscription_id`` (client cached per subscription)."""
        credential = self.credential()
        with self._lock:
            found = self._sentinel.get(subscription_id)
            if found is None:
                found = azure_clients.sentinel_incidents(
                    credential,
                    subscription_id,
                    arm_endpoint=self.settings.arm_endpoint,
                    api_version=self.settings.sentinel_api_version,
                    options=_with_bounded_retries(self._arm_options),
                )
                self._sentinel[subscription_id] = found
            return found


_POLICY_KEYWORDS = ("attempt_timeout", "max_retry_after")


def _with_bounded_retries(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with a :class:`~lookup.sentinel.arm_retry.BoundedRetryPolicy`.

    The policy takes :data:`~lookup.sentinel.comments.ARM_RETRY_SETTINGS` and the retry
    keywords of ``options``; an explicit ``retry_policy`` is kept as it is.
    """
    from lookup.sentinel.arm_retry import bounded_retry_policy
    from lookup.sentinel.comments import ARM_RETRY_SETTINGS

    out = {k: v for k, v in options.items() if k not in _POLICY_KEYWORDS}
    if "retry_policy" not in out:
        overrides = {
            k: v for k, v in options.items() if k.startswith("retry_") or k in _POLICY_KEYWORDS
        }
        out["retry_policy"] = bounded_retry_policy(ARM_RETRY_SETTINGS, **overrides)
    return out
