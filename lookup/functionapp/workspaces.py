"""Which workspaces the function serves, and the check every incident must pass.

The allow-list (``ANOMALY_LOOKUP_ALLOWED_WORKSPACES``) names each workspace by both of its
identities, because a payload carries both and an attacker controls both:

* the Log Analytics **workspace id** (the customer id GUID) that the lookup queries;
* the workspace's **ARM resource id**
  (``/subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/
  workspaces/<name>``), under which the incident lives and the comment is written.

One entry is ``<workspace id>=<workspace resource id>``; entries are separated by commas,
semicolons or white space. An incident is served only if its workspace id (the payload's,
or the one the allow-list gives its ARM id) and the ARM coordinates of the incident (from
``workspaceInfo`` or the incident's ARM id, which must agree) are one entry of the list:
so a payload can neither query one allowed workspace and comment in another, nor name a
workspace outside the list by either half.

Without the setting the function serves the workspace of ``ANOMALY_LOOKUP_WORKSPACE_ID``
alone, known by its id only: the incident's ARM id cannot then be checked against it (the
health endpoint warns), and with neither setting no workspace is served at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lookup.errors import PayloadError, SettingsError
from lookup.models import Incident
from lookup.sentinel.comments import IncidentRef
from lookup.settings import is_guid

ENV_ALLOWED_WORKSPACES = "ANOMALY_LOOKUP_ALLOWED_WORKSPACES"

# Names as ARM allows them (resource groups: letters, digits, _ ( ) - and inner periods;
# workspaces: 4-63 letters, digits and hyphens). ``fullmatch`` everywhere: ``$`` would also
# match before a trailing newline.
_GROUP = r"[\w()\-.]{0,89}[\w()\-]"
_NAME = r"[A-Za-z0-9][A-Za-z0-9\-]{2,62}"
_SUBSCRIPTION = r"[\w\-]{1,64}"
_WORKSPACE_RESOURCE_ID = re.compile(
    rf"/subscriptions/(?P<sub>{_SUBSCRIPTION})/resourceGroups/(?P<rg>{_GROUP})"
    rf"/providers/Microsoft\.OperationalInsights/workspaces/(?P<ws>{_NAME})",
    re.IGNORECASE,
)
_INCIDENT_ID = re.compile(
    rf"(?P<workspace>/subscriptions/{_SUBSCRIPTION}/resourceGroups/{_GROUP}"
    rf"/providers/Microsoft\.OperationalInsights/workspaces/{_NAME})"
    r"/providers/Microsoft\.SecurityInsights/incidents/(?P<incident>[\w.()\-]{1,256})",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True)
class AllowedWorkspace:
    """One served workspace: its Log Analytics id and (unless id-only) its ARM resource id."""

    workspace_id: str
    #: ``None`` only for the default entry built from ``ANOMALY_LOOKUP_WORKSPACE_ID``.
    resource_id: str | None = None

    def __post_init__(self) -> None:
        if not is_guid(self.workspace_id):
            raise SettingsError(
                ENV_ALLOWED_WORKSPACES, f"{self.workspace_id[:80]!r} is not a workspace id GUID"
            )
        if self.resource_id is not None and not _WORKSPACE_RESOURCE_ID.fullmatch(self.resource_id):
            raise SettingsError(
                ENV_ALLOWED_WORKSPACES,
                f"{self.resource_id[:200]!r} is not a workspace resource id "
                "(/subscriptions/<id>/resourceGroups/<group>/providers/"
                "Microsoft.OperationalInsights/workspaces/<name>)",
            )

    def serves_id(self, workspace_id: str) -> bool:
        """Whether this entry is the workspace of ``workspace_id``."""
        return self.workspace_id.lower() == workspace_id.lower()

    def serves_resource(self, resource_id: str) -> bool:
        """Whether this entry is the workspace of the ARM ``resource_id`` (any case)."""
        return self.resource_id is not None and self.resource_id.lower() == resource_id.lower()

    def text(self) -> str:
        """The entry as the setting spells it."""
        return f"{self.workspace_id}={self.resource_id}" if self.resource_id else self.workspace_id


def parse_allowed_workspaces(text: str) -> tuple[AllowedWorkspace, ...]:
    """The entries of ``ANOMALY_LOOKUP_ALLOWED_WORKSPACES``.

    Raises:
        SettingsError: an entry is not ``<workspace id GUID>=<workspace resource id>``.
    """
    entries = []
    for item in _SEPARATORS.split(text.strip()):
        if not item:
            continue
        workspace_id, equals, resource_id = item.partition("=")
        if not equals or not resource_id:
            raise SettingsError(
                ENV_ALLOWED_WORKSPACES,
                f"{item[:200]!r} is not <workspace id>=<workspace resource id>",
            )
        entries.append(AllowedWorkspace(workspace_id.strip(), resource_id.strip().rstrip("/")))
    if not entries:
        raise SettingsError(ENV_ALLOWED_WORKSPACES, "names no workspace")
    return tuple(entries)


def served_workspaces(
    allowed: Sequence[AllowedWorkspace], default_workspace_id: str | None
) -> tuple[AllowedWorkspace, ...]:
    """The allow-list in force: the setting's, else the default workspace (id only)."""
    if allowed:
        return tuple(allowed)
    if default_workspace_id is not None:
        return (AllowedWorkspace(default_workspace_id),)
    return ()


def check_arm_id(incident: Incident, target: IncidentRef) -> None:
    """The incident's own ARM id must name the incident the coordinates name.

    ``workspaceInfo`` and the ARM id (``object.id``) both locate the incident; the comment
    goes where the coordinates point, so an ARM id that says otherwise is refused rather
    than silently ignored.

    Raises:
        PayloadError: the ARM id is not an incident id, or names another incident.
    """
    arm_id = incident.arm_id or ""
    match = _INCIDENT_ID.fullmatch(arm_id)
    if match is None:
        raise PayloadError(
            "object.id",
            "not a Microsoft Sentinel incident ARM id (/subscriptions/<id>/resourceGroups/"
            "<group>/providers/Microsoft.OperationalInsights/workspaces/<name>/providers/"
            f"Microsoft.SecurityInsights/incidents/<id>): {arm_id[:200]!r}",
            value=arm_id,
        )
    if match["workspace"].lower() != target.workspace_arm_id.lower():
        raise PayloadError(
            "object.id",
            f"the incident's ARM id is in workspace {match['workspace'][:300]} but "
            f"workspaceInfo names {target.workspace_arm_id}: they must agree",
            value=arm_id,
        )
    if match["incident"].lower() != target.incident_id.lower():
        raise PayloadError(
            "object.name",
            f"the incident's name {target.incident_id!r} is not the last segment of its ARM id",
            value=target.incident_id,
        )


def resolve_workspace(
    payload_workspace_id: str | None,
    target: IncidentRef,
    served: Iterable[AllowedWorkspace],
) -> str:
    """The workspace id to query for an incident, if the allow-list serves it.

    ``payload_workspace_id`` is the payload's ``workspaceId`` (``None`` when it has none).

    Raises:
        SettingsError: no workspace is served at all (a configuration problem).
        PayloadError: the workspace id or the incident's workspace is not served, or the
            two name different workspaces.
    """
    entries = tuple(served)
    if not entries:
        raise SettingsError(
            ENV_ALLOWED_WORKSPACES,
            "no workspace is served: set it to <workspace id>=<workspace resource id> "
            "(or set ANOMALY_LOOKUP_WORKSPACE_ID)",
        )
    resource_id = target.workspace_arm_id
    if payload_workspace_id is None:
        by_resource = [e for e in entries if e.serves_resource(resource_id)]
        id_only = [e for e in entries if e.resource_id is None]
        if by_resource or id_only:
            return (by_resource or id_only)[0].workspace_id
        raise PayloadError(
            "object.id",
            f"the incident's workspace {resource_id} is not one this function serves "
            f"({ENV_ALLOWED_WORKSPACES})",
            value=target.workspace_name,
        )
    if not is_guid(payload_workspace_id):
        raise PayloadError(
            "workspaceId",
            f"not a Log Analytics workspace id (a GUID): {payload_workspace_id[:80]!r}",
            value=payload_workspace_id,
        )
    matching = [e for e in entries if e.serves_id(payload_workspace_id)]
    if not matching:
        raise PayloadError(
            "workspaceId",
            f"workspace {payload_workspace_id} is not one this function serves "
            f"({ENV_ALLOWED_WORKSPACES})",
            value=payload_workspace_id,
        )
    if any(e.resource_id is None or e.serves_resource(resource_id) for e in matching):
        return payload_workspace_id
    raise PayloadError(
        "workspaceId",
        f"workspace {payload_workspace_id} is {matching[0].resource_id}, but the incident is "
        f"in {resource_id}: the workspace id and the incident must name the same workspace",
        value=payload_workspace_id,
    )
