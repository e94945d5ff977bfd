"""The queue message: one accepted incident, from the HTTP or Event Grid trigger to the worker.

:func:`accept_payload` validates a payload (any shape the parser reads) into a
:class:`WorkItem`; :func:`encode_message` writes it as the queue message and
:func:`decode_message` reads it back.

The message carries the *parsed* incident, not the raw payload: trigger bodies of large
incidents hold every alert with its query text and can exceed a Storage queue message
(64 KiB after the runtime's Base64 encoding), while the parsed incident is a few hundred
bytes per entity. If even that is too large, the entities are left out and the worker lists
them with the incident list-entities API.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lookup.errors import PayloadError
from lookup.functionapp.settings import AppSettings
from lookup.functionapp.workspaces import check_arm_id, resolve_workspace
from lookup.models import Entity, EntityKind, Incident, SkippedEntity, WorkspaceRef
from lookup.sentinel.comments import IncidentRef, comment_id_for
from lookup.sentinel.payload import (
    SOURCE_ALERT_END,
    SOURCE_ALERT_GENERATED,
    SOURCE_CREATED,
    SOURCE_LAST_ACTIVITY,
    parse_incident,
)
from lookup.settings import is_guid
from lookup.timefmt import iso, parse_timestamp
from lookup.untrusted import check_alert_time, field_text, find_invalid_text, load_json

#: Version tag of the queue message layout.
MESSAGE_SCHEMA = "anomaly-lookup/incident@1"
#: Largest queue message written, in UTF-8 bytes: Storage allows 64 KiB per message and the
#: Functions runtime Base64-encodes it (4/3), which leaves 49,152 bytes; kept below that.
MAX_MESSAGE_BYTES = 48_000

_TITLE_CHARS_WHEN_TRIMMED = 500
#: Incident numbers are positive 32-bit counters per workspace; 2**63 - 1 leaves room.
_MAX_INCIDENT_NUMBER = 2**63 - 1
#: Where each alert time source sits in an incident trigger body (for error messages).
_TIME_FIELDS = {
    SOURCE_ALERT_END: "object.properties.alerts[].properties.endTimeUtc",
    SOURCE_ALERT_GENERATED: "TimeGenerated",
    SOURCE_LAST_ACTIVITY: "object.properties.lastActivityTimeUtc",
    SOURCE_CREATED: "object.properties.createdTimeUtc",
}


@dataclass(frozen=True)
class WorkItem:
    """One accepted incident: what the queue carries from the HTTP trigger to the worker."""

    tracking_id: str
    incident: Incident
    target: IncidentRef
    #: The Log Analytics workspace (customer id) the lookup queries.
    workspace_id: str
    received_at: datetime
    #: ``http`` or ``eventgrid``.
    source: str
    #: ``False`` when the entities must be listed with the API before the lookup (the
    #: payload had none, or they were left out of the message for size).
    has_entities: bool = True

    @property
    def comment_id(self) -> str:
        """The id of the incident's enrichment comment."""
        return comment_id_for(self.target)


# --- accepting a payload -------------------------------------------------------------------


def accept_payload(
    payload: object,
    settings: AppSettings,
    *,
    source: str,
    tracking_id: str | None = None,
    now: datetime | None = None,
) -> WorkItem:
    """Validate an incident payload (any accepted shape) into a :class:`WorkItem`.

    Checks what the lookup and the comment need and what the function may serve: a
    parseable incident, its ARM coordinates (``workspaceInfo`` and the incident's ARM id
    agreeing), a Log Analytics workspace id (the payload's ``workspaceId``, else the one the
    allow-list gives the incident's workspace) that the allow-list serves together with the
    incident's workspace (:mod:`lookup.functionapp.workspaces`), and an alert time whose
    analysis window exists.

    Raises:
        PayloadError: the payload cannot be used; ``field`` names the JSON path to fix.
        SettingsError: the function serves no workspace at all.
    """
    try:
        incident = parse_incident(payload)
    except (RecursionError, OverflowError) as exc:
        raise PayloadError("$", f"cannot be read: {type(exc).__name__}") from exc
    except PayloadError:
        raise
    except ValueError as exc:  # a number Python refuses to convert, inside a JSON string
        raise PayloadError("$", f"cannot be read: {str(exc)[:200]}") from exc
    try:
        target, workspace_id = _served_target(incident, settings)
    except PayloadError as exc:
        raise relocate(exc, payload) from exc
    return WorkItem(
        tracking_id=tracking_id or str(uuid.uuid4()),
        incident=incident,
        target=target,
        workspace_id=workspace_id,
        received_at=now or datetime.now(UTC),
        source=source,
        has_entities=bool(incident.entities or incident.skipped_entities),
    )


def _served_target(incident: Incident, settings: AppSettings) -> tuple[IncidentRef, str]:
    """The comment target and the workspace to query, checked against the allow-list."""
    payload_workspace = incident.workspace.workspace_id
    if payload_workspace is not None and not is_guid(payload_workspace):
        raise PayloadError(
            "workspaceId",
            f"not a Log Analytics workspace id (a GUID): {payload_workspace[:80]!r}",
            value=payload_workspace,
        )
    target = IncidentRef.from_incident(incident)
    check_arm_id(incident, target)
    workspace_id = resolve_workspace(payload_workspace, target, settings.served_workspaces)
    check_incident_values(incident, settings)
    return target, workspace_id


def check_served(item: WorkItem, settings: AppSettings) -> None:
    """Re-check a decoded queue message as :func:`accept_payload` checked its payload.

    A queue message can be written by anyone with access to the queue, not only by
    :func:`encode_message`: the worker serves it only if the allow-list serves it and its
    values would not fail every try.

    Raises:
        PayloadError: the message's workspace or incident is not served, or a value is out
            of range.
        SettingsError: the function serves no workspace at all.
    """
    check_arm_id(item.incident, item.target)
    workspace_id = resolve_workspace(item.workspace_id, item.target, settings.served_workspaces)
    if workspace_id.lower() != item.workspace_id.lower():  # pragma: no cover - defensive
        raise PayloadError("workspaceId", "not the workspace the allow-list gives the incident")
    check_incident_values(item.incident, settings)


def check_incident_values(incident: Incident, settings: AppSettings) -> None:
    """Values the worker would fail on every try: refused once, at the door.

    Raises:
        PayloadError: an alert time whose analysis window leaves the datetime range, or an
            incident number that is not a plausible one.
    """
    field = _TIME_FIELDS.get(incident.alert_time_source, "incident.alertTime")
    check_alert_time(incident.alert_time, settings.lookup, field=field)
    number = incident.number
    if number is not None and not 0 <= number <= _MAX_INCIDENT_NUMBER:
        raise PayloadError(
            "object.properties.incidentNumber",
            f"not an incident number: {str(number)[:40]}",
        )


def relocate(error: PayloadError, payload: object) -> PayloadError:
    """The same error, with ``field`` replaced by where the bad value sits in the payload.

    Coordinates checked after parsing (workspace id, ARM names) may come from different
    fields (``workspaceInfo`` or the incident's ARM id) and under wrappers (``body``,
    ``data``); the path of the value as posted is what the caller can fix.
    """
    if not error.value:
        return error
    try:
        document = (
            load_json(payload, unicode=False) if isinstance(payload, str | bytes) else payload
        )
    except PayloadError:
        return error
    exact: list[str] = []
    partial: list[str] = []
    _find_value(document, error.value, exact, partial)
    leaf = error.field.rsplit(".", 1)[-1].lower()
    named = [path for path in exact if re.split(r"[.\[]", path)[-1].lower() == leaf]
    candidates = named or exact or partial
    if not candidates:
        return error
    return error.with_field(field_text(candidates[0]))


def _find_value(document: object, value: str, exact: list[str], partial: list[str]) -> None:
    """Collect the paths of strings equal to ``value`` and of strings containing it."""
    stack: list[tuple[object, str]] = [(document, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if node == value:
                exact.append(path or "$")
            elif value in node:
                partial.append(path or "$")
        elif isinstance(node, Mapping):
            items = [(child, f"{path}.{key}" if path else str(key)) for key, child in node.items()]
            stack.extend(reversed(items))
        elif isinstance(node, list):
            stack.extend(reversed([(c, f"{path}[{i}]") for i, c in enumerate(node)]))


# --- writing the message -------------------------------------------------------------------


def encode_message(item: WorkItem) -> str:
    """The queue message for a work item: compact JSON, at most :data:`MAX_MESSAGE_BYTES`.

    Too large a message leaves the entities out (the worker lists them with the API), then
    shortens the title and drops the incident URL.

    Raises:
        PayloadError: the message cannot be made small enough (only for absurd ids), or it
            holds text that is not valid Unicode (a lone surrogate escape in the payload):
            ``value`` is that text, for :func:`relocate`.
    """
    incident = item.incident
    body = _message_dict(item)
    invalid = find_invalid_text(body)
    if invalid is not None:
        path, value = invalid
        raise PayloadError(
            field_text(path),
            "holds a lone UTF-16 surrogate (an escape such as \\ud800 that is not part of a "
            "pair): not valid Unicode text, it cannot be queued",
            value=value,
        )
    text = _dumps(body)
    if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES and item.has_entities:
        body["incident"]["entities"] = None
        body["incident"]["skippedEntities"] = []
        body["entitiesTrimmed"] = True
        text = _dumps(body)
    if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
        body["incident"]["title"] = (incident.title or "")[:_TITLE_CHARS_WHEN_TRIMMED] or None
        body["incident"]["url"] = None
        text = _dumps(body)
    if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise PayloadError("$", "the incident's identifiers are too long to queue")
    return text


def _dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _message_dict(item: WorkItem) -> dict[str, Any]:
    incident = item.incident
    workspace = incident.workspace
    return {
        "schema": MESSAGE_SCHEMA,
        "trackingId": item.tracking_id,
        "receivedAt": iso(item.received_at),
        "source": item.source,
        "workspaceId": item.workspace_id,
        "incident": {
            "armId": incident.arm_id,
            "name": incident.name,
            "number": incident.number,
            "title": incident.title,
            "severity": incident.severity,
            "url": incident.url,
            "alertTime": iso(incident.alert_time),
            "alertTimeSource": incident.alert_time_source,
            "workspace": {
                "workspaceId": workspace.workspace_id,
                "subscriptionId": workspace.subscription_id,
                "resourceGroup": workspace.resource_group,
                "workspaceName": workspace.workspace_name,
            },
            "entities": (
                [
                    {"kind": str(e.kind), "value": e.value, "identifiers": list(e.identifiers)}
                    for e in incident.entities
                ]
                if item.has_entities
                else None
            ),
            "skippedEntities": [
                {"kind": s.kind, "reason": s.reason, "name": s.name}
                for s in incident.skipped_entities
            ],
        },
    }


# --- reading it back ------------------------------------------------------------------------


def decode_message(body: bytes | str) -> WorkItem:
    """The work item of a queue message written by :func:`encode_message`.

    Nothing but :class:`PayloadError` comes out of it, whatever the bytes: a message can be
    crafted by anyone who can write to the queue.

    Raises:
        PayloadError: the message is not one of ours (``field`` names the culprit).
    """
    try:
        return _decode(body)
    except PayloadError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise PayloadError("$", f"not a message of ours: {type(exc).__name__}") from exc


def _decode(body: bytes | str) -> WorkItem:
    try:
        document = load_json(body)
    except PayloadError as exc:
        raise PayloadError(exc.field, f"the queue message is not JSON: {exc.message}") from exc
    reader = _Reader(document, "")
    schema = reader.text("schema")
    if schema != MESSAGE_SCHEMA:
        raise PayloadError("schema", f"expected {MESSAGE_SCHEMA!r}, got {schema!r}", value=schema)
    raw = reader.sub("incident")
    has_entities = raw.get("entities") is not None
    incident = _decode_incident(raw, has_entities)
    workspace_id = reader.text("workspaceId")
    if not is_guid(workspace_id):
        raise PayloadError("workspaceId", "not a workspace id GUID", value=workspace_id)
    return WorkItem(
        tracking_id=reader.text("trackingId"),
        incident=incident,
        target=IncidentRef.from_incident(incident),
        workspace_id=workspace_id,
        received_at=reader.time("receivedAt"),
        source=reader.text("source"),
        has_entities=has_entities,
    )


def _decode_incident(raw: _Reader, has_entities: bool) -> Incident:
    workspace = raw.sub("workspace")
    entities: list[Entity] = []
    if has_entities:
        for index, entry in enumerate(raw.items("entities")):
            item = _Reader(entry, f"incident.entities[{index}]")
            try:
                kind = EntityKind(item.text("kind"))
            except ValueError as exc:
                raise PayloadError(item.path("kind"), "unknown entity kind") from exc
            identifiers = tuple(item.text_list("identifiers"))
            entities.append(Entity(kind, item.text("value"), identifiers))
    skipped = []
    for index, entry in enumerate(raw.items("skippedEntities")):
        item = _Reader(entry, f"incident.skippedEntities[{index}]")
        skipped.append(SkippedEntity(item.text("kind"), item.text("reason"), item.opt_text("name")))
    number = raw.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise PayloadError("incident.number", "expected an integer")
    return Incident(
        alert_time=raw.time("alertTime"),
        alert_time_source=raw.text("alertTimeSource"),
        entities=tuple(entities),
        skipped_entities=tuple(skipped),
        arm_id=raw.opt_text("armId"),
        name=raw.opt_text("name"),
        number=number,
        title=raw.opt_text("title"),
        severity=raw.opt_text("severity"),
        url=raw.opt_text("url"),
        workspace=WorkspaceRef(
            workspace.opt_text("workspaceId"),
            workspace.opt_text("subscriptionId"),
            workspace.opt_text("resourceGroup"),
            workspace.opt_text("workspaceName"),
        ),
    )


class _Reader:
    """Typed access to one object of a queue message, with error paths."""

    def __init__(self, value: object, prefix: str) -> None:
        if not isinstance(value, Mapping):
            raise PayloadError(prefix or "$", "expected an object")
        self.value: Mapping[str, object] = value
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def get(self, key: str) -> object:
        return self.value.get(key)

    def sub(self, key: str) -> _Reader:
        return _Reader(self.value.get(key), self.path(key))

    def text(self, key: str) -> str:
        value = self.value.get(key)
        if not isinstance(value, str):
            raise PayloadError(self.path(key), "expected a string")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.value.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise PayloadError(self.path(key), "expected a string or null")
        return value

    def items(self, key: str) -> list[object]:
        value = self.value.get(key)
        if not isinstance(value, list):
            raise PayloadError(self.path(key), "expected an array")
        return value

    def text_list(self, key: str) -> list[str]:
        values = self.items(key)
        if not all(isinstance(v, str) for v in values):
            raise PayloadError(self.path(key), "expected an array of strings")
        return [str(v) for v in values]

    def time(self, key: str) -> datetime:
        text = self.text(key)
        try:
            return parse_timestamp(text)
        except ValueError as exc:
            raise PayloadError(self.path(key), str(exc), value=text) from exc
