"""Bodies, events and queue messages built to break the handlers: each is answered 400
(HTTP), dropped with an ERROR log (Event Grid, queue) or logged (poison), never raised;
an accepted one always makes a queue message that can be written."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from fakes.arm import FakeArm, parse_comment_html
from function_support import (
    INCIDENT_REF,
    Capture,
    fake_services,
    fake_settings,
    incident_payload,
    offline_runtime,
    post,
    runtime_with,
)

from lookup.functionapp import FunctionRuntime, decode_message
from lookup.sentinel.comments import comment_id_for

DEEP = b"[" * 10_000 + b"]" * 10_000
HUGE_NUMBER = "9" * 5_000


@pytest.fixture
def runtime(install: Callable[[FunctionRuntime], FunctionRuntime]) -> FunctionRuntime:
    return install(offline_runtime())


def call(functions: dict[str, Any], body: bytes) -> tuple[int, dict[str, Any], list[str]]:
    out = Capture()
    response = functions["incidents"](post(body, raw=True), out)
    for message in out.values:
        message.encode("utf-8")  # what the queue output binding does
    return response.status_code, json.loads(response.get_body()), out.values


def with_value(path: list[str | int], value: object) -> dict[str, Any]:
    payload = incident_payload()
    node: Any = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return payload


END_TIME = ["object", "properties", "alerts", 0, "properties", "endTimeUtc"]
TITLE = ["object", "properties", "title"]


def _raw(payload: object) -> bytes:
    return json.dumps(payload).encode("utf-8")


HOSTILE: list[tuple[str, bytes, str]] = [
    ("10,000-deep array", DEEP, "$"),
    ("10,000-deep object", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "$"),
    ("deep inside an incident", _raw(with_value(TITLE, [[[[[[[[[[[]]]]]]]]]]] * 1)), "object"),
    (
        "lone surrogate in the title",
        _raw(with_value(TITLE, "\ud800 title")),
        "object.properties.title",
    ),
    (
        "lone surrogate in an entity",
        _raw(
            with_value(
                ["object", "properties", "relatedEntities", 0, "properties", "accountName"],
                "adele\udfff",
            )
        ),
        "object.properties.relatedEntities[0].properties.accountName",
    ),
    (
        "5,000-digit number",
        _raw(incident_payload()).replace(b": 812", b": " + HUGE_NUMBER.encode()),
        "$",
    ),
    (
        "5,000-digit incident number as text",
        _raw(with_value(["object", "properties", "incidentNumber"], HUGE_NUMBER)),
        "$",
    ),
    (
        "incident number beyond 64 bits",
        _raw(with_value(["object", "properties", "incidentNumber"], 10**30)),
        "object.properties.incidentNumber",
    ),
    (
        "5,000-digit number in Event Grid data as text",
        _raw(
            {
                "id": "e",
                "eventType": "x",
                "data": json.dumps(incident_payload()).replace(
                    '"incidentNumber": 812', f'"incidentNumber": {HUGE_NUMBER}'
                ),
            }
        ),
        "$",
    ),
    (
        "deep JSON in Event Grid data as text",
        _raw({"id": "e", "eventType": "x", "data": DEEP.decode()}),
        "$",
    ),
]
# Year 1 and 9999, with and without an offset: the offset ones do not even exist in UTC; the
# others are valid datetimes whose 14-day window is not (accepted before, failing every try).
for stamp in (
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:00-01:00",
    "0001-01-01T00:00:00Z",
    "0001-01-10T00:00:00Z",
    "9999-12-31T23:59:00Z",
    "9999-12-31T23:59:59.9999999Z",
):
    HOSTILE.append(
        (
            f"endTimeUtc {stamp}",
            _raw(with_value(END_TIME, stamp)),
            "object.properties.alerts",
        )
    )
# Newlines ending ARM names: `$` matched before them (202, then a PUT to a %0A path). Field
# values are stripped, so the newline hides inside the ARM id, before a slash.
ARM_ID = incident_payload()["object"]["id"]


def _arm_only(arm_id: str) -> bytes:
    payload = with_value(["object", "id"], arm_id)
    del payload["workspaceInfo"], payload["object"]["name"]
    return _raw(payload)


for name, arm_id in [
    ("workspace name", ARM_ID.replace("law-soc/", "law-soc\n/")),
    ("resource group", ARM_ID.replace("rg-soc/", "rg-soc\n/")),
    ("subscription", ARM_ID.replace("3e4f/", "3e4f\n/")),
    ("incident id", ARM_ID + "\n/"),
]:
    HOSTILE.append((f"newline ending the {name}", _arm_only(arm_id), ""))
HOSTILE.append(
    (
        "newline in the incident name",
        _raw(with_value(["object", "name"], "5d1c9e2a\nx")),
        "object.name",
    )
)


@pytest.mark.parametrize(("name", "body", "field"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_body_is_a_400_and_nothing_is_queued(
    functions: dict[str, Any], runtime: FunctionRuntime, name: str, body: bytes, field: str
) -> None:
    status, answer, queued = call(functions, body)
    assert status == 400, answer
    assert queued == []
    assert answer["error"]["code"] == "bad_payload"
    assert answer["error"]["field"].startswith(field)
    json.dumps(answer).encode("utf-8")


def test_an_arm_id_without_its_newline_is_accepted(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    # The same payloads without the newline are fine: only the newline is refused.
    assert call(functions, _raw(incident_payload()))[0] == 202
    assert call(functions, _arm_only(ARM_ID))[0] == 202


def test_a_lone_surrogate_where_the_lookup_does_not_read_is_harmless(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    # An alert's description is not queued: no reason to refuse the incident for it.
    payload = with_value(["object", "properties", "description"], "broken \udc00 text")
    status, _, queued = call(functions, _raw(payload))
    assert status == 202 and len(queued) == 1


def test_a_hostile_event_is_dropped_with_an_error_log(
    functions: dict[str, Any], runtime: FunctionRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    import azure.functions as func

    for data in (
        with_value(TITLE, "\ud800"),
        with_value(END_TIME, "0001-01-01T00:00:00Z"),
        with_value(["object", "name"], "x\n"),
        json.dumps(incident_payload()).replace(": 812", ": " + HUGE_NUMBER),
        {"nested": json.loads("[" * 500 + "]" * 500)},
    ):
        out = Capture()
        event = func.EventGridEvent(
            id="evt-7",
            data=data,  # type: ignore[arg-type]
            topic="t",
            subject="s",
            event_type="Contoso.Incident",
            event_time=None,
            data_version="1",
        )
        functions["incident_events"](event, out)
        assert out.values == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 5
    assert all(r.getMessage().startswith("event rejected") for r in errors)


# -- crafted queue messages ------------------------------------------------------------------


def crafted(functions: dict[str, Any], **changes: Any) -> str:
    out = Capture()
    functions["incidents"](post(incident_payload()), out)
    message = json.loads(out.values[0])
    for key, value in changes.items():
        where = message["incident"] if key in message["incident"] else message
        where[key] = value
    return json.dumps(message)


@pytest.mark.parametrize(
    "change",
    [
        {"alertTime": "0001-01-01T00:00:00Z"},
        {"alertTime": "9999-12-31T23:59:00Z"},
        {"number": 10**40},
        {"armId": ARM_ID.replace("2f4a6c8e", "00000000")},
        {"workspaceId": "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0"},
        {"trackingId": "<img src=x onerror=alert(1)>"},
    ],
    ids=["year 1", "year 9999", "huge number", "other ARM id", "other workspace", "html id"],
)
def test_a_crafted_queue_message_is_refused_or_harmless(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
) -> None:
    settings = fake_settings(arm)
    runtime = install(runtime_with(settings, fake_services(settings, arm).services))
    body = crafted(functions, **change)
    if "trackingId" in change:
        return  # served: its escaping is the poison note's test below
    assert runtime.process_message(body, message_id="m") is None
    refused = [r for r in caplog.records if r.getMessage().startswith("queue message refused")]
    assert len(refused) == 1 and refused[0].levelno == logging.ERROR
    assert arm.requests == []


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        b"\xff\xfe",
        HUGE_NUMBER.encode(),
        b'{"schema": "anomaly-lookup/incident@1", "incident": ' + DEEP + b"}",
        json.dumps({"schema": "anomaly-lookup/incident@1", "trackingId": "\ud800"}).encode(),
    ],
    ids=["deep", "not UTF-8", "huge number", "deep incident", "surrogate"],
)
def test_the_queue_and_poison_handlers_never_raise_on_garbage(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    body: bytes,
) -> None:
    install(offline_runtime())  # any client built fails the test
    for name in ("lookup_worker", "lookup_poison"):
        functions[name](QueueMessage(id="m", body=body, dequeue_count=5))


@pytest.mark.parametrize(
    "change",
    [{"alertTime": "0001-01-01T00:00:00Z"}, {"armId": ARM_ID.replace("rg-soc", "rg-other")}],
    ids=["year 1", "not served"],
)
def test_the_poison_handler_leaves_no_note_for_a_crafted_message(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    change: dict[str, Any],
) -> None:
    settings = fake_settings(arm)
    install(runtime_with(settings, fake_services(settings, arm).services))
    body = crafted(functions, **change)
    functions["lookup_poison"](QueueMessage(id="p", body=body, dequeue_count=5))
    assert arm.requests == []


def test_the_failure_note_escapes_the_tracking_id(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
) -> None:
    settings = fake_settings(arm)
    install(runtime_with(settings, fake_services(settings, arm).services))
    hostile = '<img src=x onerror="alert(1)"><script>x</script>'
    body = crafted(functions, trackingId=hostile)
    assert decode_message(body).tracking_id == hostile
    functions["lookup_poison"](QueueMessage(id="p", body=body, dequeue_count=5))
    ref = INCIDENT_REF
    coords = (ref.subscription_id, ref.resource_group, ref.workspace_name, ref.incident_id)
    note = arm.comments_of(*coords)[comment_id_for(ref)].message
    parsed = parse_comment_html(note)
    assert parsed.problems == ()
    assert "img" not in parsed.tags and "script" not in parsed.tags
    assert hostile in parsed.text
