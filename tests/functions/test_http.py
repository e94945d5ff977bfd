"""POST /api/incidents: 202 and exactly one queued message per valid payload shape; 400 and
nothing queued for bad input, naming the field; no Azure client is ever built on this path."""

from __future__ import annotations

import base64
import copy
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from function_support import (
    INCIDENT_ID,
    REST_WORKSPACE_ID,
    WORKSPACE_ID,
    Capture,
    incident_payload,
    load,
    offline_runtime,
    post,
    served_settings,
)

from lookup.errors import SettingsError
from lookup.functionapp import MAX_BODY_BYTES, MESSAGE_SCHEMA, FunctionRuntime, decode_message
from lookup.functionapp.settings import AppSettings

DEFAULT_WORKSPACE = REST_WORKSPACE_ID
IP_HOST_WS = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
EICAR_WS = "7d4f1c2a-0e9b-4c55-8a31-2b6e9f0d4c18"
IP_HOST_ID = (
    "/subscriptions/e4951288-c9ca-419a-9659-4048ffec804a/resourceGroups/soc-lab/providers/"
    "Microsoft.OperationalInsights/workspaces/soc-lab-logs/providers/Microsoft.SecurityInsights/"
    "incidents/b3c1d9e4-7a2f-4e8b-9c01-5d6e7f8a9b0c"
)
REST_ID = (
    "/subscriptions/d0cfe6b2-9ac0-4464-9919-dccaee2e48c0/resourceGroups/myRg/providers/"
    "Microsoft.OperationalInsights/workspaces/myWorkspace/providers/Microsoft.SecurityInsights/"
    "incidents/73e01a99-5cd7-4139-a149-9f2736ff2ab5"
)


def _cloudevent_base64() -> dict[str, Any]:
    event = load("cloudevent.json")
    data = event.pop("data")
    event["data_base64"] = base64.b64encode(json.dumps(data).encode("utf-8")).decode("ascii")
    return event


def _json_string_data() -> dict[str, Any]:
    event = load("eventgrid_event.json")[0]
    event["data"] = json.dumps(event["data"])
    return event


#: Every accepted shape: (name, payload, incident ARM id, workspace id, entities or None).
SHAPES: list[tuple[str, Any, str | None, str | None, int | None]] = [
    ("trigger body", load("trigger_ip_host.json"), IP_HOST_ID, IP_HOST_WS, 2),
    ("body wrapper", {"body": load("trigger_ip_host.json")}, IP_HOST_ID, IP_HOST_WS, 2),
    ("trigger with alerts", load("account_2026.json"), None, None, None),
    ("REST incident", load("rest_incident.json"), REST_ID, DEFAULT_WORKSPACE, None),
    (
        "REST incident + list-entities",
        {"incident": load("rest_incident.json"), "entities": load("list_entities.json")},
        REST_ID,
        DEFAULT_WORKSPACE,
        1,
    ),
    ("Event Grid event", load("eventgrid_event.json")[0], IP_HOST_ID, IP_HOST_WS, 2),
    ("Event Grid batch of one", load("eventgrid_event.json"), IP_HOST_ID, IP_HOST_WS, 2),
    ("Event Grid data as JSON text", _json_string_data(), IP_HOST_ID, IP_HOST_WS, 2),
    ("CloudEvent", load("cloudevent.json"), None, EICAR_WS, None),
    ("CloudEvent data_base64", _cloudevent_base64(), None, EICAR_WS, None),
]  # fmt: skip


@pytest.fixture
def runtime(install: Callable[[FunctionRuntime], FunctionRuntime]) -> FunctionRuntime:
    return install(offline_runtime(served_settings(workspace_id=DEFAULT_WORKSPACE)))


def _call(functions: dict[str, Any], body: object, *, raw: bool = False) -> tuple[Any, Capture]:
    out = Capture()
    response = functions["incidents"](post(body, raw=raw), out)
    return response, out


@pytest.mark.parametrize(("name", "payload", "arm_id", "workspace", "entities"), SHAPES)
def test_every_payload_shape_is_accepted_and_queued_once(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    name: str,
    payload: Any,
    arm_id: str | None,
    workspace: str | None,
    entities: int | None,
) -> None:
    response, out = _call(functions, payload)
    assert response.status_code == 202, response.get_body()
    assert response.mimetype == "application/json"
    body = json.loads(response.get_body())
    assert body["status"] == "accepted"
    assert len(out.values) == 1
    item = decode_message(out.values[0])
    assert body["trackingId"] == item.tracking_id == response.headers["X-Tracking-Id"]
    assert body["incident"]["id"] == item.target.arm_id
    assert body["incident"]["commentId"] == item.comment_id
    if arm_id is not None:
        assert item.target.arm_id == arm_id
    if workspace is not None:
        assert item.workspace_id == workspace == body["workspaceId"]
    if entities is not None:
        assert body["entities"] == entities == len(item.incident.entities)
        assert body["entitiesFrom"] == "payload"


def test_the_message_is_the_parsed_incident(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    _, out = _call(functions, incident_payload())
    message = json.loads(out.values[0])
    assert message["schema"] == MESSAGE_SCHEMA
    assert message["source"] == "http"
    assert message["receivedAt"] == "2026-11-19T14:36:00Z"
    assert message["workspaceId"] == WORKSPACE_ID
    incident = message["incident"]
    assert incident["name"] == INCIDENT_ID
    assert incident["number"] == 812
    assert incident["alertTime"] == "2026-11-19T14:30:00Z"
    assert incident["alertTimeSource"] == "alert endTimeUtc"
    assert incident["entities"] == [
        {
            "kind": "Account",
            "value": "adele.vance@contoso.com",
            "identifiers": ["adele.vance@contoso.com", "adele.vance"],
        },
        {"kind": "Ip", "value": "203.0.113.66", "identifiers": ["203.0.113.66"]},
    ]


def test_a_rest_incident_without_entities_is_queued_for_list_entities(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    response, out = _call(functions, load("rest_incident.json"))
    body = json.loads(response.get_body())
    assert body["entities"] is None
    assert body["entitiesFrom"] == "list-entities API"
    assert json.loads(out.values[0])["incident"]["entities"] is None
    assert decode_message(out.values[0]).has_entities is False


def test_tracking_ids_differ_per_request(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    first, _ = _call(functions, incident_payload())
    second, _ = _call(functions, incident_payload())
    one, two = (json.loads(r.get_body()) for r in (first, second))
    assert one["trackingId"] != two["trackingId"]
    assert one["incident"]["commentId"] == two["incident"]["commentId"]


def _without(path: list[str | int]) -> dict[str, Any]:
    payload = incident_payload()
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return payload


def _with(path: list[str | int], value: object) -> dict[str, Any]:
    payload = incident_payload()
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return payload


BAD: list[tuple[str, Any, bool, str]] = [
    ("malformed JSON", b'{"object": {"properties": ', True, "$"),
    ("empty body", b"", True, "$"),
    ("not UTF-8", b"\xff\xfe\x00{", True, "$"),
    ("JSON array", [1, 2], False, "$"),
    ("JSON string", "incident", False, "$"),
    ("missing object", {"workspaceId": WORKSPACE_ID}, False, "object"),
    ("object is null", _with(["object"], None), False, "object"),
    ("no properties", _without(["object", "properties"]), False, "object.properties"),
    ("properties wrong type", _with(["object", "properties"], "x"), False, "object.properties"),
    (
        "relatedEntities wrong type",
        _with(["object", "properties", "relatedEntities"], {"kind": "Ip"}),
        False,
        "object.properties.relatedEntities",
    ),
    (
        "entity without kind",
        _with(["object", "properties", "relatedEntities", 1], {"properties": {}}),
        False,
        "object.properties.relatedEntities[1].kind",
    ),
    (
        "incidentNumber wrong type",
        _with(["object", "properties", "incidentNumber"], [812]),
        False,
        "object.properties.incidentNumber",
    ),
    (
        "alert time not a timestamp",
        _with(["object", "properties", "alerts", 0, "properties", "endTimeUtc"], "yesterday"),
        False,
        "object.properties.alerts[0].properties.endTimeUtc",
    ),
    ("workspaceId not a GUID", _with(["workspaceId"], "law-soc"), False, "workspaceId"),
    (
        "workspace name with a slash",
        _with(["workspaceInfo", "WorkspaceName"], "law/../../x"),
        False,
        "workspaceInfo.WorkspaceName",
    ),
    ("an alert, not an incident", load("alert_trigger_pascalcase.json"), False, "object.id"),
]


@pytest.mark.parametrize(("name", "body", "raw", "field"), BAD)
def test_bad_input_is_400_naming_the_field_and_nothing_is_queued(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    name: str,
    body: Any,
    raw: bool,
    field: str,
) -> None:
    response, out = _call(functions, body, raw=raw)
    assert response.status_code == 400
    error = json.loads(response.get_body())["error"]
    assert error["code"] == "bad_payload"
    assert error["field"] == field
    assert error["message"]
    assert out.values == []


def test_wrapped_payload_errors_name_the_path_as_posted(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    # The redacted sample of sentinel-integration.md 1.2: placeholders are not ARM names.
    response, out = _call(functions, load("body_wrapper.json"))
    error = json.loads(response.get_body())["error"]
    assert (response.status_code, error["field"]) == (400, "body.workspaceId")
    assert out.values == []
    response, out = _call(functions, {"body": _with(["workspaceId"], "not-a-guid")})
    assert json.loads(response.get_body())["error"]["field"] == "body.workspaceId"
    # ARM names are checked after parsing too; the error carries the value, found as posted.
    bad_name = _with(["workspaceInfo", "WorkspaceName"], "law/../../x")
    response, out = _call(functions, {"body": bad_name})
    error = json.loads(response.get_body())["error"]
    assert error["field"] == "body.workspaceInfo.WorkspaceName"
    assert out.values == []


def test_a_payload_without_workspace_id_gets_the_workspace_of_its_arm_id(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    # REST incidents carry no workspaceId: the allow-list entry of the incident's
    # workspace gives it; no entry, no lookup.
    install(offline_runtime(served_settings()))
    response, out = _call(functions, load("rest_incident.json"))
    assert response.status_code == 202
    assert decode_message(out.values[0]).workspace_id == DEFAULT_WORKSPACE
    install(
        offline_runtime(
            served_settings(allowed_workspaces=served_settings().allowed_workspaces[:1])
        )
    )
    response, out = _call(functions, load("rest_incident.json"))
    error = json.loads(response.get_body())["error"]
    assert (response.status_code, error["field"]) == (400, "id")
    assert "ANOMALY_LOOKUP_ALLOWED_WORKSPACES" in error["message"]
    assert out.values == []


def test_a_function_serving_no_workspace_answers_500_naming_the_setting(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    install(offline_runtime(AppSettings()))
    response, out = _call(functions, incident_payload())
    error = json.loads(response.get_body())["error"]
    assert (response.status_code, error["code"]) == (500, "misconfigured")
    assert error["field"] == "ANOMALY_LOOKUP_ALLOWED_WORKSPACES"
    assert out.values == []


def test_oversized_body_is_400_before_parsing(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    payload = incident_payload()
    payload["object"]["properties"]["description"] = "x" * MAX_BODY_BYTES
    response, out = _call(functions, payload)
    error = json.loads(response.get_body())["error"]
    assert response.status_code == 400
    assert error["code"] == "payload_too_large"
    assert error["field"] == "$"
    assert out.values == []


def test_a_body_just_under_the_limit_is_accepted(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    payload = incident_payload()
    payload["object"]["properties"]["description"] = ""
    size = len(json.dumps(payload).encode("utf-8"))
    payload["object"]["properties"]["description"] = "x" * (MAX_BODY_BYTES - size)
    assert len(json.dumps(payload).encode("utf-8")) == MAX_BODY_BYTES
    response, out = _call(functions, payload)
    assert response.status_code == 202
    assert len(out.values) == 1


def test_invalid_settings_answer_500_naming_the_setting(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    runtime = FunctionRuntime.from_env({"ANOMALY_LOOKUP_LOOKBACK_DAYS": "two weeks"})
    assert isinstance(runtime.settings_or_error, SettingsError)
    install(runtime)
    response, out = _call(functions, incident_payload())
    error = json.loads(response.get_body())["error"]
    assert (response.status_code, error["code"]) == (500, "misconfigured")
    assert error["field"] == "ANOMALY_LOOKUP_LOOKBACK_DAYS"
    assert out.values == []


def test_accepted_and_rejected_are_logged_without_entity_values(
    functions: dict[str, Any], runtime: FunctionRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lookup")
    _call(functions, incident_payload())
    _call(functions, _with(["workspaceId"], "law-soc"))
    accepted = [r for r in caplog.records if r.getMessage().startswith("incident accepted")]
    rejected = [r for r in caplog.records if r.getMessage().startswith("incident rejected")]
    assert len(accepted) == 1 and len(rejected) == 1
    fields = accepted[0].custom_dimensions  # type: ignore[attr-defined]
    assert fields["incident"].endswith(f"/incidents/{INCIDENT_ID}")
    assert fields["entities"] == 2
    assert rejected[0].levelno == logging.WARNING
    assert rejected[0].custom_dimensions["field"] == "workspaceId"  # type: ignore[attr-defined]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "adele" not in text and "203.0.113.66" not in text


def test_the_payload_is_not_modified(functions: dict[str, Any], runtime: FunctionRuntime) -> None:
    payload = incident_payload()
    before = copy.deepcopy(payload)
    _call(functions, payload)
    assert payload == before
