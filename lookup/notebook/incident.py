"""From a notebook, on a real workspace: an incident by id or number, looked up in one call.

:func:`lookup_incident` does the notebook's whole job: it reads the incident and its
entities from Sentinel (``azure-mgmt-securityinsight``: ``incidents.list`` with an
``incidentNumber`` filter when given a number, ``incidents.get``, ``incidents.list_entities``),
runs the lookup on the workspace's Log Analytics tables and returns the report, exactly as
the function app would compute it for the same incident. Credentials and clients come from
:mod:`lookup.azure_clients`, like the command line's and the function app's.

The caller needs read access to the workspace: Microsoft Sentinel Reader (incidents and
entities) and Log Analytics Reader, or any role holding both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from lookup import azure_clients
from lookup.engine import ProgressCallback, run_lookup
from lookup.errors import AnomalyLookupError, SinkError
from lookup.report import Report
from lookup.sentinel.comments import IncidentRef
from lookup.settings import Settings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from lookup.sentinel.comments import SentinelIncidents

__all__ = [
    "DEFAULT_SENTINEL_API_VERSION",
    "IncidentError",
    "Workspace",
    "fetch_incident",
    "lookup_incident",
]

#: The Microsoft.SecurityInsights REST version, the function app's default
#: (``ANOMALY_LOOKUP_SENTINEL_API_VERSION``).
DEFAULT_SENTINEL_API_VERSION = "2025-09-01"

_WORKSPACE_ARM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.OperationalInsights/workspaces/(?P<ws>[^/]+)/?$",
    re.IGNORECASE,
)
#: Key spellings of a workspace's settings: msticpy's (``msticpyconfig.yaml``,
#: ``WorkspaceConfig``) and the ``config.json`` of Sentinel's own notebooks.
_CONFIG_KEYS = {
    "workspace_id": ("WorkspaceId", "workspace_id"),
    "subscription_id": ("SubscriptionId", "subscription_id"),
    "resource_group": ("ResourceGroup", "resource_group"),
    "workspace_name": ("WorkspaceName", "workspace_name"),
    "tenant_id": ("TenantId", "tenant_id"),
}

T = TypeVar("T")


class IncidentError(AnomalyLookupError):
    """The incident could not be read from Sentinel; ``status`` is the HTTP status, if any."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Workspace:
    """A Sentinel workspace: its ARM coordinates and its Log Analytics workspace id."""

    subscription_id: str
    resource_group: str
    workspace_name: str
    #: The Log Analytics workspace (customer) id, a GUID: where the queries go.
    workspace_id: str
    tenant_id: str | None = None

    @property
    def arm_id(self) -> str:
        """The workspace's ARM resource id."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{self.workspace_name}"
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Workspace:
        """From a notebook's workspace settings.

        Takes msticpy's keys (``WorkspaceId``, ``SubscriptionId``, ``ResourceGroup``,
        ``WorkspaceName``, ``TenantId``: a workspace of ``msticpyconfig.yaml``, or one
        workspace of what ``MicrosoftSentinel.get_workspace_details_from_url`` returns) or
        those of the ``config.json`` Sentinel's notebooks write (``workspace_id``,
        ``subscription_id``, ``resource_group``, ``workspace_name``, ``tenant_id``).

        Raises:
            ValueError: a key is missing.
        """
        values: dict[str, str | None] = {}
        for field_name, keys in _CONFIG_KEYS.items():
            found = next((config[k] for k in keys if config.get(k)), None)
            if found is None and field_name != "tenant_id":
                raise ValueError(f"workspace settings lack {' or '.join(keys)}")
            values[field_name] = None if found is None else str(found)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_arm_id(
        cls, arm_id: str, workspace_id: str, *, tenant_id: str | None = None
    ) -> Workspace:
        """From the workspace's ARM resource id and its workspace (customer) id.

        Raises:
            ValueError: ``arm_id`` is not a Log Analytics workspace's resource id.
        """
        match = _WORKSPACE_ARM_ID.match(arm_id.strip())
        if match is None:
            raise ValueError(
                "not a workspace resource id: expected /subscriptions/<id>/resourceGroups/"
                f"<group>/providers/Microsoft.OperationalInsights/workspaces/<name>, got {arm_id!r}"
            )
        return cls(match["sub"], match["rg"], match["ws"], workspace_id, tenant_id)


def _workspace(
    workspace: Workspace | Mapping[str, Any] | str, workspace_id: str | None
) -> Workspace:
    if isinstance(workspace, Workspace):
        return workspace
    if isinstance(workspace, str):
        if not workspace_id:
            raise ValueError("a workspace given by its ARM id needs workspace_id= as well")
        return Workspace.from_arm_id(workspace, workspace_id)
    return Workspace.from_config(workspace)


def _incident_key(incident: str | int) -> tuple[str | None, int | None]:
    """(incident id, None) or (None, incident number) from what the caller gave."""
    if isinstance(incident, bool):
        raise TypeError("an incident is an id (text) or a number (int), not a bool")
    if isinstance(incident, int):
        return None, incident
    text = incident.strip().rstrip("/")
    if text.isdigit():
        return None, int(text)
    if "/incidents/" in text.lower():
        text = text.rsplit("/", 1)[-1]  # the incident's ARM id
    return text, None


def lookup_incident(
    incident: str | int,
    workspace: Workspace | Mapping[str, Any] | str,
    *,
    workspace_id: str | None = None,
    settings: Settings | None = None,
    at: datetime | None = None,
    credential: TokenCredential | None = None,
    progress: ProgressCallback | None = None,
    arm_endpoint: str = azure_clients.DEFAULT_ARM_ENDPOINT,
    logs_endpoint: str = azure_clients.DEFAULT_LOGS_ENDPOINT,
    api_version: str = DEFAULT_SENTINEL_API_VERSION,
    arm_client_options: Mapping[str, Any] | None = None,
    logs_client_options: Mapping[str, Any] | None = None,
) -> Report:
    """Look up a Sentinel incident of a real workspace: read it, query its logs, report.

    Args:
        incident: the incident's id (its ``name``, a GUID), its ARM id, or its number
            (``4711`` or ``"4711"``, as the portal shows it).
        workspace: a :class:`Workspace`, a workspace settings mapping (msticpy's or
            Sentinel notebooks' keys, see :meth:`Workspace.from_config`), or the
            workspace's ARM id with ``workspace_id``.
        workspace_id: the Log Analytics workspace id, with an ARM id as ``workspace``.
        settings: the lookup's tunables (from the environment by default).
        at: overrides the alert time (default: the incident's ``lastActivityTimeUtc``).
        credential: defaults to ``DefaultAzureCredential`` (``az login``, environment,
            managed identity).
        progress: called after each table.
        arm_endpoint: Azure Resource Manager (sovereign clouds have their own).
        logs_endpoint: the Log Analytics query API (sovereign clouds have their own).
        api_version: the Microsoft.SecurityInsights REST version.
        arm_client_options: extra ``SecurityInsights`` keywords (``connection_verify``, ...).
        logs_client_options: extra ``LogsQueryClient`` keywords.

    Raises:
        IncidentError: the incident cannot be read (not found, no access, no token).
        PayloadError: the incident as Sentinel returned it cannot be parsed.
        ValueError: the workspace is incompletely described.
    """
    target = _workspace(workspace, workspace_id)
    credential = credential if credential is not None else azure_clients.azure_credential()
    sentinel = azure_clients.sentinel_incidents(
        credential,
        target.subscription_id,
        arm_endpoint=arm_endpoint,
        api_version=api_version,
        options=arm_client_options,
    )
    try:
        body, entities = fetch_incident(sentinel, target, incident)
    finally:
        sentinel.client.close()
    return _run_on_log_analytics(
        body,
        entities,
        target,
        credential,
        settings=settings,
        at=at,
        progress=progress,
        logs_endpoint=logs_endpoint,
        logs_client_options=logs_client_options,
    )


def _run_on_log_analytics(
    body: Mapping[str, Any],
    entities: Mapping[str, Any],
    target: Workspace,
    credential: TokenCredential,
    *,
    settings: Settings | None,
    at: datetime | None,
    progress: ProgressCallback | None,
    logs_endpoint: str,
    logs_client_options: Mapping[str, Any] | None,
) -> Report:
    """The lookup of a fetched incident on the workspace's Log Analytics tables."""
    from lookup.backends.log_analytics import LogAnalyticsBackend

    settings = settings if settings is not None else Settings.from_env()
    # The incident as the automation-rule trigger body carries it: the REST incident as
    # ``object``, with the workspace it lives in.
    payload = {
        "workspaceId": target.workspace_id,
        "workspaceInfo": {
            "SubscriptionId": target.subscription_id,
            "ResourceGroupName": target.resource_group,
            "WorkspaceName": target.workspace_name,
        },
        "object": body,
    }
    client = azure_clients.logs_query_client(
        credential, endpoint=logs_endpoint, options=logs_client_options
    )
    try:
        with LogAnalyticsBackend(client, target.workspace_id, settings=settings) as backend:
            return run_lookup(
                payload, backend, settings=settings, at=at, entities=entities, progress=progress
            )
    finally:
        client.close()


def fetch_incident(
    sentinel: SentinelIncidents, workspace: Workspace, incident: str | int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The REST incident (raw JSON) and its list-entities response.

    Raises:
        IncidentError: not found (a number no incident has, an unknown id), no access.
    """
    incident_id, number = _incident_key(incident)
    ops = sentinel.client.incidents
    rg, name = workspace.resource_group, workspace.workspace_name
    where = f"workspace {workspace.workspace_name}"
    if incident_id is None:
        found = _call(
            f"find incident number {number}",
            where,
            lambda: [
                getattr(i, "name", None)  # the SDK types the items as lists; they are incidents
                for i in ops.list(
                    rg,
                    name,
                    filter=f"properties/incidentNumber eq {number}",
                    top=1,
                    api_version=sentinel.api_version,
                )
            ],
        )
        if not found or not found[0]:
            raise IncidentError(f"no incident number {number} in {where}", status=404)
        incident_id = str(found[0])
    ref = IncidentRef(workspace.subscription_id, rg, name, incident_id)

    def raw_json(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
        return json.loads(pipeline_response.http_response.text())

    body = _call(
        f"read incident {incident_id}",
        where,
        lambda: ops.get(rg, name, ref.incident_id, api_version=sentinel.api_version, cls=raw_json),
    )
    if not isinstance(body, dict):
        raise IncidentError(f"incident {incident_id}: the answer is not a JSON object")
    try:
        entities = sentinel.list_entities(ref)
    except SinkError as exc:
        raise IncidentError(str(exc), status=exc.status) from exc
    return body, entities


def _call(action: str, where: str, call: Callable[[], T]) -> T:
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    try:
        return call()
    except ClientAuthenticationError as exc:  # no token (az login?), or ARM refused it
        status = getattr(exc, "status_code", None)
        raise IncidentError(
            f"cannot {action}: not signed in to Azure: {exc}", status=status
        ) from exc
    except HttpResponseError as exc:
        status = exc.status_code
        reason = getattr(getattr(exc, "error", None), "message", None) or exc.reason or str(exc)
        if status == 404:
            text = f"cannot {action}: not found in {where} ({reason})"
        elif status == 403:
            text = (
                f"cannot {action}: HTTP 403: reading incidents needs Microsoft Sentinel Reader on "
                f"{where} ({reason})"
            )
        else:
            text = f"cannot {action}: HTTP {status}: {reason}"
        raise IncidentError(text, status=status) from exc
