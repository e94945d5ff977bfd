"""The poison-queue trigger: a lookup that failed every try is logged at ERROR with the
incident, and leaves a short failure note only where no enrichment comment exists."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from fakes.arm import ArmFault, FakeArm, authorization_failed, parse_comment_html
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

from lookup.functionapp import MAX_DEQUEUE_COUNT, FunctionRuntime, decode_message
from lookup.sentinel.comments import comment_id_for


@pytest.fixture
def runtime(install: Callable[[FunctionRuntime], FunctionRuntime], arm: FakeArm) -> FunctionRuntime:
    settings = fake_settings(arm)
    return install(runtime_with(settings, fake_services(settings, arm).services))


def poisoned(functions: dict[str, Any]) -> str:
    out = Capture()
    functions["incidents"](post(incident_payload()), out)
    return out.values[0]


def deliver(functions: dict[str, Any], body: str) -> None:
    functions["lookup_poison"](QueueMessage(id="poison-7", body=body, dequeue_count=1))


def _coords() -> tuple[str, str, str, str]:
    ref = INCIDENT_REF
    return ref.subscription_id, ref.resource_group, ref.workspace_name, ref.incident_id


def test_logs_the_incident_at_error_and_leaves_a_note(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    arm: FakeArm,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = poisoned(functions)
    item = decode_message(body)
    deliver(functions, body)
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    fields = record.custom_dimensions  # type: ignore[attr-defined]
    assert record.getMessage().startswith("lookup failed for good")
    assert fields["incident"] == INCIDENT_REF.arm_id
    assert fields["number"] == 812
    assert fields["tracking_id"] == item.tracking_id
    assert fields["message_id"] == "poison-7"
    assert fields["attempts"] == MAX_DEQUEUE_COUNT
    assert [(r.method, r.status) for r in arm.requests] == [("GET", 404), ("PUT", 201)]
    note = arm.comments_of(*_coords())[comment_id_for(INCIDENT_REF)].message
    parsed = parse_comment_html(note)
    assert parsed.problems == ()
    assert parsed.text.startswith(
        f"Anomaly lookup failed for this incident after {MAX_DEQUEUE_COUNT}"
    )
    assert item.tracking_id in parsed.text


def test_an_existing_enrichment_is_not_replaced_by_a_note(
    functions: dict[str, Any], runtime: FunctionRuntime, arm: FakeArm
) -> None:
    body = poisoned(functions)
    runtime.services.incidents(INCIDENT_REF.subscription_id).write_comment(
        INCIDENT_REF, "<p>earlier enrichment</p>"
    )
    arm.requests.clear()
    deliver(functions, body)
    assert [(r.method, r.status) for r in arm.requests] == [("GET", 200)]
    assert arm.comments_of(*_coords())[comment_id_for(INCIDENT_REF)].message == (
        "<p>earlier enrichment</p>"
    )


@pytest.mark.parametrize(
    "fault",
    [
        authorization_failed(
            "Microsoft.SecurityInsights/incidents/comments/read", "/subscriptions/x", method="GET"
        ),
        ArmFault(503, method="PUT", times=100),
    ],
    ids=["403 on read", "503 on write"],
)
def test_a_note_that_cannot_be_written_is_logged_not_raised(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    arm: FakeArm,
    caplog: pytest.LogCaptureFixture,
    fault: ArmFault,
) -> None:
    body = poisoned(functions)
    arm.add_fault(dataclasses.replace(fault))
    deliver(functions, body)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert messages[0].startswith("lookup failed for good")
    assert messages[-1].startswith("failure note not written")
    assert arm.comments_of(*_coords()) == {}


def test_an_unreadable_poison_message_is_logged_without_touching_azure(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    install(offline_runtime())  # fails the test if a client is built
    deliver(functions, "garbage")
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.custom_dimensions["message_id"] == "poison-7"  # type: ignore[attr-defined]
    assert "unreadable message" in record.getMessage()
