"""Incident payloads, in every shape they arrive in, → one :class:`~lookup.models.Incident`.

Accepted shapes (each may also arrive as JSON text or bytes):

* the Sentinel incident trigger body a Logic App forwards with ``@triggerBody()``:
  ``{"workspaceId", "workspaceInfo": {"SubscriptionId", ...}, "object": {"id", "name",
  "properties": {..., "relatedEntities": [...], "alerts": [...]}}}``;
* the same wrapped as ``{"body": ...}`` (how a Logic App run stores trigger outputs);
* the REST incident resource ``{"id", "name", "properties": {...}}``, with the entities
  from the list-entities API passed as ``entities=`` or put beside it under ``"entities"``
  (also as ``{"incident": ..., "entities": ...}``), in any response shape: ``{"entities":
  [...]}``, ``{"value": [...]}``, the expand answer ``{"value": {"entities": [...]}}``;
* an Event Grid event (``{"eventType", "data", ...}``, also a batch of one) or a
  CloudEvent (``{"specversion", "data" | "data_base64", ...}``) whose data is one of these;
* the Sentinel *alert* trigger body (a SecurityAlert with PascalCase keys and flat
  ``Entities``), so alert-level automation can use the same function, and a SecurityAlert
  row as Log Analytics returns it (``EndTime``, ``Entities`` as JSON text or ``""``).

Every malformed field raises :class:`~lookup.errors.PayloadError` naming its JSON path as
posted (for example ``body.object.properties.relatedEntities[2].kind``; ``$`` is the whole
payload), so the HTTP trigger can answer 400 with it. Entity kinds the lookup does not search
are reported as skipped, never fatal, and an incident without usable entities is valid.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lookup.entities import entities_from_payload, json_type
from lookup.errors import PayloadError
from lookup.models import Incident, WorkspaceRef
from lookup.timefmt import parse_timestamp

#: ``alert_time_source`` values.
SOURCE_ALERT_END = "alert endTimeUtc"
SOURCE_ALERT_GENERATED = "alert TimeGenerated"
SOURCE_LAST_ACTIVITY = "incident lastActivityTimeUtc"
SOURCE_CREATED = "incident createdTimeUtc"
SOURCE_OVERRIDE = "override"

_MAX_WRAPPING = 6

_WORKSPACE_ARM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.OperationalInsights/workspaces/(?P<ws>[^/]+)(?:/|$)",
    re.IGNORECASE,
)


def parse_incident(
    payload: object, *, at: datetime | None = None, entities: object | None = None
) -> Incident:
    """Parse any accepted incident payload into an :class:`Incident`.

    Args:
        payload: the payload as parsed JSON, or JSON text/bytes.
        at: overrides the alert time (a naive datetime is taken as UTC).
        entities: an entities API response (list entities ``{"entities": [...]}``, newer
            ``{"value": [...]}``, expand ``{"value": {"entities": [...]}}``), one entity or
            a plain entity list, merged with the payload's own entities (duplicates once).

    Returns:
        The incident, with the alert time in UTC and its source in ``alert_time_source``:
        the latest alert ``endTimeUtc``, else ``lastActivityTimeUtc``, else
        ``createdTimeUtc``, unless ``at`` is given.

    Raises:
        PayloadError: the payload is malformed; ``field`` is the JSON path of the culprit.
    """
    located = _locate(_decode(payload, "$"), "", 0)
    if entities is not None:
        located.entity_sources.append(_Source(entities, "entities"))
    if located.shape == "alert":
        return _from_alert(located, at)
    return _from_incident(located, at)


# --- unwrapping ------------------------------------------------------------------------


@dataclass
class _Source:
    value: object
    path: str


@dataclass
class _Located:
    shape: str  # "trigger", "rest" or "alert"
    root: Mapping[str, object]
    path: str
    entity_sources: list[_Source] = field(default_factory=list)


def _join(path: str, key: str) -> str:
    if not path or path == "$":
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _where(path: str) -> str:
    return path or "$"


def _decode(value: object, path: str) -> object:
    """JSON text or bytes → parsed JSON; anything else is returned as is."""
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            value = bytes(value).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PayloadError(path, f"not UTF-8 text: {exc.reason}") from exc
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise PayloadError(
                path, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from exc
    return value


def _is_event(value: object) -> bool:
    return isinstance(value, Mapping) and (
        ("eventType" in value and "data" in value) or "specversion" in value
    )


def _locate(value: object, path: str, depth: int) -> _Located:
    """Peel wrappers (``body``, Event Grid, CloudEvents) off until an incident is found."""
    if depth > _MAX_WRAPPING:
        raise PayloadError(_where(path), "too many nested wrappers around the incident")
    if isinstance(value, list | tuple):
        if len(value) == 1 and _is_event(value[0]):
            return _locate(value[0], _join(path, "[0]"), depth + 1)
        raise PayloadError(
            _where(path),
            "expected a JSON object; an array is accepted only as an Event Grid batch of "
            f"exactly one event (got {len(value)} item(s))",
        )
    if not isinstance(value, Mapping):
        raise PayloadError(_where(path), f"expected a JSON object, got {json_type(value)}")
    if "object" in value:
        return _Located("trigger", value, path, _sibling_entities(value, path))
    if "eventType" in value and "data" in value:
        data_path = _join(path, "data")
        return _locate(_decode(value["data"], data_path), data_path, depth + 1)
    if "specversion" in value:
        return _locate(_cloud_event_data(value, path), _join(path, "data"), depth + 1)
    if "body" in value:
        body_path = _join(path, "body")
        return _locate(_decode(value["body"], body_path), body_path, depth + 1)
    if "incident" in value:
        located = _locate(value["incident"], _join(path, "incident"), depth + 1)
        located.entity_sources.extend(_sibling_entities(value, path))
        return located
    if "SystemAlertId" in value:
        return _Located("alert", value, path)
    if "properties" in value:
        return _Located("rest", value, path, _sibling_entities(value, path))
    raise PayloadError(
        _join(path, "object"),
        "missing: expected a Sentinel incident trigger body (object.properties), "
        "a REST incident (properties), or an event wrapping one",
    )


def _sibling_entities(value: Mapping[str, object], path: str) -> list[_Source]:
    if "entities" not in value or value["entities"] is None:
        return []
    return [_Source(value["entities"], _join(path, "entities"))]


def _cloud_event_data(event: Mapping[str, object], path: str) -> object:
    if "data" in event:
        return _decode(event["data"], _join(path, "data"))
    encoded = event.get("data_base64")
    if encoded is None:
        raise PayloadError(_join(path, "data"), "missing: the CloudEvent carries no data")
    where = _join(path, "data_base64")
    if not isinstance(encoded, str):
        raise PayloadError(where, f"expected a base64 string, got {json_type(encoded)}")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(where, "not valid base64") from exc
    return _decode(raw, where)


# --- typed field access ----------------------------------------------------------------


def _mapping(parent: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
    where = _join(path, key)
    value = parent.get(key)
    if value is None:
        raise PayloadError(where, "missing")
    if not isinstance(value, Mapping):
        raise PayloadError(where, f"expected an object, got {json_type(value)}")
    return value


def _opt_mapping(parent: Mapping[str, object], key: str, path: str) -> Mapping[str, object] | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise PayloadError(_join(path, key), f"expected an object, got {json_type(value)}")
    return value


def _opt_list(parent: Mapping[str, object], key: str, path: str) -> Sequence[object]:
    value = parent.get(key)
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise PayloadError(_join(path, key), f"expected an array, got {json_type(value)}")
    return value


def _opt_str(parent: Mapping[str, object], key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(_join(path, key), f"expected a string, got {json_type(value)}")
    return value.strip() or None


def _opt_int(parent: Mapping[str, object], key: str, path: str) -> int | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise PayloadError(_join(path, key), f"expected an integer, got {json_type(value)}")


def _opt_time(parent: Mapping[str, object], key: str, path: str) -> datetime | None:
    value = parent.get(key)
    if value is None or value == "":
        return None
    where = _join(path, key)
    if not isinstance(value, str):
        raise PayloadError(where, f"expected an ISO 8601 string, got {json_type(value)}")
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise PayloadError(where, str(exc)) from exc


def _any_case(mapping: Mapping[str, object], key: str, path: str) -> str | None:
    """A string field whose key casing varies between producers (``workspaceInfo``)."""
    if key in mapping:
        return _opt_str(mapping, key, path)
    for actual in mapping:
        if actual.casefold() == key.casefold():
            return _opt_str(mapping, actual, path)
    return None


def _override(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# --- shapes ----------------------------------------------------------------------------


def _collect_entities(
    own: Sequence[object], own_path: str, sources: Sequence[_Source]
) -> tuple[list[object], list[str]]:
    raws: list[object] = list(own)
    paths = [_join(own_path, f"[{i}]") for i in range(len(own))]
    for source in sources:
        items, items_path = _entity_items(_decode(source.value, source.path), source.path)
        raws.extend(items)
        paths.extend(_join(items_path, f"[{i}]") for i in range(len(items)))
    return raws, paths


def _entity_items(value: object, path: str) -> tuple[Sequence[object], str]:
    """The entity array of any entities response, and its JSON path.

    Accepted: a plain array; ``{"entities": [...], "metaData": [...]}`` (incident list
    entities); ``{"value": [...]}`` (entity lists of newer API versions, workspace entities);
    ``{"value": {"entities": [...], "edges": [...]}}`` (entity expand, alert entities); one
    entity object (``{"kind", "properties"}``, as the get-entity API answers).
    """
    for _ in range(2):
        if not isinstance(value, Mapping):
            break
        if "kind" in value and "properties" in value:
            return [value], path
        if "entities" in value:
            value, path = value["entities"], _join(path, "entities")
        elif "value" in value:
            value, path = value["value"], _join(path, "value")
        else:
            return [], path
    if value is None:
        return [], path
    if not isinstance(value, list | tuple):
        raise PayloadError(
            path, f"expected a list-entities response or an entity array, got {json_type(value)}"
        )
    return value, path


def _from_incident(located: _Located, at: datetime | None) -> Incident:
    root, path = located.root, located.path
    if located.shape == "trigger":
        obj_path = _join(path, "object")
        obj = _mapping(root, "object", path)
    else:
        obj_path, obj = path, root
    props_path = _join(obj_path, "properties")
    props = _mapping(obj, "properties", obj_path)

    arm_id = _opt_str(obj, "id", obj_path)
    related = _opt_list(props, "relatedEntities", props_path)
    alerts = _opt_list(props, "alerts", props_path)
    alerts_path = _join(props_path, "alerts")
    alert_props: list[tuple[Mapping[str, object], str]] = []
    for i, alert in enumerate(alerts):
        alert_path = _join(alerts_path, f"[{i}]")
        if not isinstance(alert, Mapping):
            raise PayloadError(alert_path, f"expected an object, got {json_type(alert)}")
        properties = _opt_mapping(alert, "properties", alert_path)
        if properties is not None:
            alert_props.append((properties, _join(alert_path, "properties")))

    if at is not None:
        alert_time, source = _override(at), SOURCE_OVERRIDE
    else:
        alert_time, source = _incident_time(props, props_path, alert_props)

    raws, paths = _collect_entities(
        related, _join(props_path, "relatedEntities"), located.entity_sources
    )
    found, skipped = entities_from_payload(raws, paths=paths)
    return Incident(
        alert_time=alert_time,
        alert_time_source=source,
        entities=found,
        skipped_entities=skipped,
        arm_id=arm_id,
        name=_opt_str(obj, "name", obj_path),
        number=_opt_int(props, "incidentNumber", props_path),
        title=_opt_str(props, "title", props_path),
        severity=_opt_str(props, "severity", props_path),
        url=_opt_str(props, "incidentUrl", props_path) or _provider_url(props, props_path),
        workspace=_incident_workspace(located, arm_id, alert_props),
    )


def _provider_url(props: Mapping[str, object], props_path: str) -> str | None:
    # Incidents managed in the Defender portal link there (IncidentAdditionalData).
    extra = _opt_mapping(props, "additionalData", props_path)
    if extra is None:
        return None
    return _opt_str(extra, "providerIncidentUrl", _join(props_path, "additionalData"))


def _incident_time(
    props: Mapping[str, object],
    props_path: str,
    alert_props: Sequence[tuple[Mapping[str, object], str]],
) -> tuple[datetime, str]:
    ends = [
        moment
        for properties, where in alert_props
        if (moment := _opt_time(properties, "endTimeUtc", where)) is not None
    ]
    if ends:
        return max(ends), SOURCE_ALERT_END
    last_activity = _opt_time(props, "lastActivityTimeUtc", props_path)
    if last_activity is not None:
        return last_activity, SOURCE_LAST_ACTIVITY
    created = _opt_time(props, "createdTimeUtc", props_path)
    if created is not None:
        return created, SOURCE_CREATED
    raise PayloadError(
        _join(props_path, "createdTimeUtc"),
        "missing: no alert endTimeUtc, lastActivityTimeUtc or createdTimeUtc to anchor the "
        "lookup (pass an explicit alert time to override)",
    )


def _incident_workspace(
    located: _Located,
    arm_id: str | None,
    alert_props: Sequence[tuple[Mapping[str, object], str]],
) -> WorkspaceRef:
    root, path = located.root, located.path
    workspace_id: str | None = None
    subscription = resource_group = workspace_name = None
    if located.shape == "trigger":
        workspace_id = _opt_str(root, "workspaceId", path)
        info = _opt_mapping(root, "workspaceInfo", path)
        if info is not None:
            info_path = _join(path, "workspaceInfo")
            subscription = _any_case(info, "SubscriptionId", info_path)
            resource_group = _any_case(info, "ResourceGroupName", info_path)
            workspace_name = _any_case(info, "WorkspaceName", info_path)
            workspace_id = workspace_id or _any_case(info, "WorkspaceId", info_path)
    if workspace_id is None:
        workspace_id = _workspace_id_from_alerts(alert_props)
    match = _WORKSPACE_ARM_ID.match(arm_id or "")
    if match is not None:
        subscription = subscription or match["sub"]
        resource_group = resource_group or match["rg"]
        workspace_name = workspace_name or match["ws"]
    return WorkspaceRef(workspace_id, subscription, resource_group, workspace_name)


def _workspace_id_from_alerts(
    alert_props: Sequence[tuple[Mapping[str, object], str]],
) -> str | None:
    # REST incidents carry no workspaceId; their alerts name it in resourceIdentifiers.
    for properties, _ in alert_props:
        identifiers = properties.get("resourceIdentifiers")
        if not isinstance(identifiers, list):
            continue
        for item in identifiers:
            if not isinstance(item, Mapping):
                continue
            kind, workspace_id = item.get("type"), item.get("workspaceId")
            if kind == "LogAnalytics" and isinstance(workspace_id, str) and workspace_id:
                return workspace_id
    return None


def _alert_time(root: Mapping[str, object], path: str) -> tuple[datetime, str]:
    # The alert trigger says EndTimeUtc; a SecurityAlert row from Log Analytics, EndTime.
    for key in ("EndTimeUtc", "EndTime"):
        end = _opt_time(root, key, path)
        if end is not None:
            return end, SOURCE_ALERT_END
    generated = _opt_time(root, "TimeGenerated", path)
    if generated is not None:
        return generated, SOURCE_ALERT_GENERATED
    raise PayloadError(_join(path, "EndTimeUtc"), "missing: the alert has no end time")


def _from_alert(located: _Located, at: datetime | None) -> Incident:
    root, path = located.root, located.path
    if at is not None:
        alert_time, source = _override(at), SOURCE_OVERRIDE
    else:
        alert_time, source = _alert_time(root, path)
    own_path = _join(path, "Entities")
    own = root.get("Entities")
    if isinstance(own, str) and not own.strip():
        own = None  # Log Analytics returns "" for an alert without entities
    own = _decode(own, own_path)  # a JSON string in SecurityAlert rows
    if own is None:
        own = []
    if not isinstance(own, list | tuple):
        raise PayloadError(own_path, f"expected an array, got {json_type(own)}")
    raws, paths = _collect_entities(own, own_path, located.entity_sources)
    found, skipped = entities_from_payload(raws, paths=paths)
    return Incident(
        alert_time=alert_time,
        alert_time_source=source,
        entities=found,
        skipped_entities=skipped,
        name=_opt_str(root, "SystemAlertId", path),
        title=_opt_str(root, "AlertDisplayName", path) or _opt_str(root, "AlertName", path),
        severity=_opt_str(root, "Severity", path) or _opt_str(root, "AlertSeverity", path),
        url=_opt_str(root, "AlertLink", path),
        workspace=WorkspaceRef(
            workspace_id=_opt_str(root, "WorkspaceId", path),
            subscription_id=_opt_str(root, "WorkspaceSubscriptionId", path),
            resource_group=_opt_str(root, "WorkspaceResourceGroup", path),
        ),
    )
