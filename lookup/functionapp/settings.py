"""What the function app is deployed with: workspace, endpoints, queue, identity.

:class:`AppSettings` holds the app settings that say *where* the function works and *as
whom* (``infra/app/function-app.bicep`` sets them; ``local.settings.example.json`` lists
them), plus the lookup's own tunables (:class:`lookup.settings.Settings`, field
``lookup``). The app reads and validates them once, at start-up, with
:meth:`AppSettings.from_env`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lookup.azure_clients import DEFAULT_ARM_ENDPOINT, DEFAULT_LOGS_ENDPOINT
from lookup.errors import SettingsError
from lookup.functionapp.workspaces import (
    ENV_ALLOWED_WORKSPACES,
    AllowedWorkspace,
    parse_allowed_workspaces,
    served_workspaces,
)
from lookup.settings import Settings, is_guid

# Environment variable (app setting) names, also used by infra/ and local.settings.example.json.
ENV_WORKSPACE_ID = "ANOMALY_LOOKUP_WORKSPACE_ID"
ENV_LOGS_ENDPOINT = "ANOMALY_LOOKUP_LOGS_ENDPOINT"
ENV_ARM_ENDPOINT = "ANOMALY_LOOKUP_ARM_ENDPOINT"
ENV_SENTINEL_API_VERSION = "ANOMALY_LOOKUP_SENTINEL_API_VERSION"
ENV_QUEUE_NAME = "ANOMALY_LOOKUP_QUEUE_NAME"
ENV_MANAGED_IDENTITY_CLIENT_ID = "AZURE_CLIENT_ID"
# ENV_ALLOWED_WORKSPACES = "ANOMALY_LOOKUP_ALLOWED_WORKSPACES" (lookup.functionapp.workspaces)
__all__ = [
    "ENV_ALLOWED_WORKSPACES",
    "ENV_ARM_ENDPOINT",
    "ENV_LOGS_ENDPOINT",
    "ENV_MANAGED_IDENTITY_CLIENT_ID",
    "ENV_QUEUE_NAME",
    "ENV_SENTINEL_API_VERSION",
    "ENV_WORKSPACE_ID",
    "AppSettings",
]

_API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
_QUEUE_NAME = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class AppSettings:
    """The function app's deployment settings, and the lookup settings it runs with."""

    #: Default Log Analytics workspace (customer id) when a payload has none.
    workspace_id: str | None = None
    #: Log Analytics query endpoint (sovereign clouds: ``https://api.loganalytics.us``, ...).
    logs_endpoint: str = DEFAULT_LOGS_ENDPOINT
    #: Resource Manager endpoint of the Sentinel write-back (and of the portal links).
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    #: Microsoft.SecurityInsights REST version sent on every call.
    sentinel_api_version: str = "2025-09-01"
    #: The work queue; the poison queue is ``<name>-poison``.
    queue_name: str = "incident-lookups"
    #: The user-assigned managed identity ``DefaultAzureCredential`` uses.
    managed_identity_client_id: str | None = None
    #: The workspaces the function serves (``ANOMALY_LOOKUP_ALLOWED_WORKSPACES``); empty:
    #: only the default workspace (see :attr:`served_workspaces`).
    allowed_workspaces: tuple[AllowedWorkspace, ...] = ()
    #: The lookup's tunables (the ``ANOMALY_LOOKUP_*`` settings not listed above).
    lookup: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`SettingsError` naming the first invalid setting."""
        if self.workspace_id is not None and not is_guid(self.workspace_id):
            raise SettingsError(ENV_WORKSPACE_ID, "must be a workspace (customer) id GUID")
        for name, url in (
            (ENV_LOGS_ENDPOINT, self.logs_endpoint),
            (ENV_ARM_ENDPOINT, self.arm_endpoint),
        ):
            if not url.startswith("https://"):
                raise SettingsError(name, "must be an https:// URL")
        if not _API_VERSION.fullmatch(self.sentinel_api_version):
            raise SettingsError(ENV_SENTINEL_API_VERSION, "must look like 2025-09-01")
        if not _QUEUE_NAME.fullmatch(self.queue_name):
            raise SettingsError(ENV_QUEUE_NAME, "is not a valid Storage queue name")
        if self.managed_identity_client_id is not None and not is_guid(
            self.managed_identity_client_id
        ):
            raise SettingsError(ENV_MANAGED_IDENTITY_CLIENT_ID, "must be a client id GUID")
        if (
            self.allowed_workspaces
            and self.workspace_id is not None
            and not any(e.serves_id(self.workspace_id) for e in self.allowed_workspaces)
        ):
            raise SettingsError(
                ENV_WORKSPACE_ID, f"the default workspace is not in {ENV_ALLOWED_WORKSPACES}"
            )

    @property
    def served_workspaces(self) -> tuple[AllowedWorkspace, ...]:
        """The allow-list in force: the setting's, else the default workspace by its id."""
        return served_workspaces(self.allowed_workspaces, self.workspace_id)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        """Build the settings from app settings (unset or empty ones keep their defaults).

        The lookup settings are read and checked first (:meth:`Settings.from_env`).

        Raises:
            SettingsError: a variable is present but not valid.
        """
        env = os.environ if environ is None else environ
        lookup = Settings.from_env(env)
        values: dict[str, str] = {}
        for name, attr in _ENV_FIELDS:
            raw = env.get(name, "").strip()
            if raw:
                values[attr] = raw
        allowed = env.get(ENV_ALLOWED_WORKSPACES, "").strip()
        return cls(
            lookup=lookup,
            allowed_workspaces=parse_allowed_workspaces(allowed) if allowed else (),
            **values,
        )


_ENV_FIELDS: tuple[tuple[str, str], ...] = (
    (ENV_WORKSPACE_ID, "workspace_id"),
    (ENV_LOGS_ENDPOINT, "logs_endpoint"),
    (ENV_ARM_ENDPOINT, "arm_endpoint"),
    (ENV_SENTINEL_API_VERSION, "sentinel_api_version"),
    (ENV_QUEUE_NAME, "queue_name"),
    (ENV_MANAGED_IDENTITY_CLIENT_ID, "managed_identity_client_id"),
)
