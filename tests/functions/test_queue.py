"""The queue trigger: one queued incident in, one enrichment comment out (real SDK client
against the fake ARM endpoint; the lookup on the local backend over a small workspace)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from fakes.arm import FakeArm, authorization_failed, parse_comment_html
from function_support import (
    INCIDENT_REF,
    INJECTED,
    VICTIM,
    Capture,
    build_signin_workspace,
    fake_services,
    fake_settings,
    incident_payload,
    list_entities_response,
    post,
    runtime_with,
)

from lookup.backends.local import LocalBackend
from lookup.errors import SettingsError, SinkError
from lookup.functionapp import FunctionRuntime
from lookup.sentinel.comments import WORKSPACE_ROLE, comment_id_for

COMMENT_PATH = (
    f"/subscriptions/{INCIDENT_REF.subscription_id}/resourceGroups/{INCIDENT_REF.resource_group}"
    f"/providers/Microsoft.OperationalInsights/workspaces/{INCIDENT_REF.workspace_name}"
    f"/providers/Microsoft.SecurityInsights/incidents/{INCIDENT_REF.incident_id}"
    f"/comments/{comment_id_for(INCIDENT_REF)}"
)


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("signin-ws")
    build_signin_workspace(directory)
    return directory


@pytest.fixture
def runtime(
    install: Callable[[FunctionRuntime], FunctionRuntime], arm: FakeArm, workspace_dir: Path
) -> FunctionRuntime:
    settings = fake_settings(arm)
    clients = fake_services(settings, arm, backend=lambda _ws: LocalBackend(workspace_dir))
    return install(runtime_with(settings, clients.services))


def queued(functions: dict[str, Any], payload: object) -> str:
    out = Capture()
    response = functions["incidents"](post(payload), out)
    assert response.status_code == 202
    (message,) = out.values
    return message


def deliver(
    functions: dict[str, Any], body: str, *, count: int = 1, name: str = "lookup_worker"
) -> None:
    functions[name](QueueMessage(id="msg-1", body=body, dequeue_count=count))


def test_the_queue_handler_writes_the_comment(
    functions: dict[str, Any], runtime: FunctionRuntime, arm: FakeArm
) -> None:
    deliver(functions, queued(functions, incident_payload()))
    comments = arm.comments_of(*_coords())
    assert list(comments) == [comment_id_for(INCIDENT_REF)]
    message = comments[comment_id_for(INCIDENT_REF)].message
    assert len(message) < 30_000
    parsed = parse_comment_html(message)
    assert parsed.problems == ()
    for value in (*INJECTED, VICTIM):
        assert value in parsed.text
    assert "Anomaly lookup" in parsed.text and "#812" in parsed.text
    assert [(r.method, r.path, r.status) for r in arm.requests] == [("PUT", COMMENT_PATH, 201)]


def test_a_retried_message_overwrites_the_same_comment(
    functions: dict[str, Any], runtime: FunctionRuntime, arm: FakeArm
) -> None:
    message = queued(functions, incident_payload())
    deliver(functions, message)
    deliver(functions, message, count=2)
    deliver(functions, queued(functions, incident_payload()))  # an incident update
    comments = arm.comments_of(*_coords())
    assert list(comments) == [comment_id_for(INCIDENT_REF)]
    assert comments[comment_id_for(INCIDENT_REF)].writes == 3
    assert [r.status for r in arm.requests] == [201, 200, 200]


def test_entities_are_listed_when_the_payload_has_none(
    functions: dict[str, Any], runtime: FunctionRuntime, arm: FakeArm
) -> None:
    arm.set_entities(*_coords(), list_entities_response())
    deliver(functions, queued(functions, incident_payload(entities=False)))
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in arm.requests] == [
        ("POST", "entities"),
        ("PUT", comment_id_for(INCIDENT_REF)),
    ]
    message = arm.comments_of(*_coords())[comment_id_for(INCIDENT_REF)].message
    for value in INJECTED:
        assert value in parse_comment_html(message).text


def test_a_failed_write_is_logged_and_raised_so_the_queue_retries(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    arm: FakeArm,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arm.add_fault(
        authorization_failed(
            "Microsoft.SecurityInsights/incidents/comments/write", INCIDENT_REF.workspace_arm_id
        )
    )
    with pytest.raises(SinkError) as raised:
        deliver(functions, queued(functions, incident_payload()))
    assert raised.value.status == 403
    assert WORKSPACE_ROLE in str(raised.value)
    assert arm.comments_of(*_coords()) == {}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(WORKSPACE_ROLE in r.getMessage() for r in errors)
    failed = [r for r in caplog.records if r.getMessage().startswith("incident processed failed")]
    assert len(failed) == 1
    assert failed[0].custom_dimensions["error"] == "SinkError"  # type: ignore[attr-defined]


def test_invalid_settings_fail_the_work_loudly(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    install(FunctionRuntime.from_env({"ANOMALY_LOOKUP_STEP": "1w"}))
    with pytest.raises(SettingsError) as raised:
        deliver(functions, "{}")
    assert raised.value.name == "ANOMALY_LOOKUP_STEP"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "$"),
        ("[]", "$"),
        ('{"schema": "someone-else@1"}', "schema"),
    ],
)
def test_an_unreadable_message_is_logged_and_dropped(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    arm: FakeArm,
    caplog: pytest.LogCaptureFixture,
    body: str,
    field: str,
) -> None:
    # No retry can make it readable: ERROR log, and the message is consumed.
    assert runtime.process_message(body, message_id="msg-1") is None
    deliver(functions, body)
    records = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(records) == 2
    fields = records[0].custom_dimensions  # type: ignore[attr-defined]
    assert (fields["message_id"], fields["field"]) == ("msg-1", field)
    assert records[0].getMessage().startswith("queue message refused")
    assert arm.requests == []


def test_logs_carry_the_incident_and_step_timings_but_no_entity_values(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    arm: FakeArm,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="lookup")
    message = queued(functions, incident_payload())
    tracking_id = json.loads(message)["trackingId"]
    caplog.clear()
    deliver(functions, message, count=3)
    events = {
        r.custom_dimensions["event"]: r  # type: ignore[attr-defined]
        for r in caplog.records
        if hasattr(r, "custom_dimensions")
    }
    for name in ("lookup done", "comment rendered done", "comment written done"):
        fields = events[name].custom_dimensions  # type: ignore[attr-defined]
        assert fields["tracking_id"] == tracking_id
        assert fields["incident"] == INCIDENT_REF.arm_id
        assert isinstance(fields["seconds"], float)
    lookup = events["lookup done"].custom_dimensions  # type: ignore[attr-defined]
    assert lookup["queries"] == 2
    assert lookup["tables"] == 1
    assert lookup["anomalies"] >= 2
    assert lookup["rows"] > 0
    written = events["comment written done"].custom_dimensions  # type: ignore[attr-defined]
    assert (written["status"], written["created"]) == (201, True)
    assert written["comment_id"] == comment_id_for(INCIDENT_REF)
    processed = events["incident processed done"].custom_dimensions  # type: ignore[attr-defined]
    assert processed["dequeue_count"] == 3
    debug = events["entities"]
    assert debug.levelno == logging.DEBUG and VICTIM in debug.getMessage()
    above_debug = "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    assert VICTIM not in above_debug and "adele" not in above_debug
    assert "fake-token" not in caplog.text and "Bearer" not in caplog.text


def _coords() -> tuple[str, str, str, str]:
    ref = INCIDENT_REF
    return ref.subscription_id, ref.resource_group, ref.workspace_name, ref.incident_id
