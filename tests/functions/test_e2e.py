"""End to end, as in Azure but on this machine: the incident payload is posted to the HTTP
function, its queue message is handed to the queue function, which queries the fake Log
Analytics endpoint (real ``LogsQueryClient``, KQL run on the workspace files) and writes
the comment to the fake ARM endpoint (real ``SecurityInsights`` client). The anomalies
planted in the workspace must be in the comment; faults of ARM are retried or named."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from fakes.arm import ArmFault, FakeArm, authorization_failed, parse_comment_html
from fakes.log_analytics import FakeLogAnalytics, FakeWorkspace, Fault, serve
from function_support import (
    INCIDENT_REF,
    INJECTED,
    VICTIM,
    WORKSPACE_ID,
    Capture,
    Clients,
    build_signin_workspace,
    fake_services,
    fake_settings,
    incident_payload,
    list_entities_response,
    post,
    runtime_with,
)

from lookup.drilldown import query_from_portal_link
from lookup.errors import SinkError
from lookup.functionapp import FunctionRuntime, decode_message
from lookup.sentinel.comments import WORKSPACE_ROLE, comment_id_for


@pytest.fixture(scope="module")
def logs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeLogAnalytics]:
    directory: Path = tmp_path_factory.mktemp("e2e-ws")
    build_signin_workspace(directory)
    workspace = FakeWorkspace.from_directory(directory)
    with serve({WORKSPACE_ID: workspace}) as fake:
        yield fake
    workspace.close()


@dataclass
class World:
    runtime: FunctionRuntime
    clients: Clients
    arm: FakeArm
    logs: FakeLogAnalytics


@pytest.fixture
def world(
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    logs_server: FakeLogAnalytics,
) -> World:
    logs_server.clear()
    settings = fake_settings(arm, logs_server)
    clients = fake_services(settings, arm, logs=logs_server)
    runtime = install(runtime_with(settings, clients.services))
    return World(runtime, clients, arm, logs_server)


def post_incident(functions: dict[str, Any], payload: object) -> str:
    out = Capture()
    response = functions["incidents"](post(payload), out)
    assert response.status_code == 202
    (message,) = out.values
    return message


def run_queue(functions: dict[str, Any], message: str, *, count: int = 1) -> None:
    functions["lookup_worker"](QueueMessage(id="m-1", body=message, dequeue_count=count))


def the_comment(arm: FakeArm) -> str:
    ref = INCIDENT_REF
    comments = arm.comments_of(
        ref.subscription_id, ref.resource_group, ref.workspace_name, ref.incident_id
    )
    assert list(comments) == [comment_id_for(ref)]
    return comments[comment_id_for(ref)].message


def test_payload_to_comment(
    functions: dict[str, Any], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lookup")
    message = post_incident(functions, incident_payload())
    assert world.logs.requests == [] and world.arm.requests == []  # HTTP only queues
    run_queue(functions, message)

    # Log Analytics: the incident's workspace, with a token, every query answered.
    assert world.logs.requests
    assert {r.workspace_id for r in world.logs.requests} == {WORKSPACE_ID}
    assert {r.authorization for r in world.logs.requests} == {"Bearer fake-token"}
    assert {r.status for r in world.logs.requests} == {200}

    # ARM: one PUT of the comment, under the incident's fixed comment id.
    assert [(r.method, r.status) for r in world.arm.requests] == [("PUT", 201)]
    comment = the_comment(world.arm)
    parsed = parse_comment_html(comment)
    assert parsed.problems == ()
    assert len(comment) < 30_000
    for value in (*INJECTED, VICTIM):
        assert value in parsed.text, value
    assert f"backend log-analytics:{WORKSPACE_ID[:8]}" in parsed.text
    assert "lookback_days=14" in parsed.text and "threshold=1.5" in parsed.text

    # Each anomaly links to its drill-down query in the workspace's Logs blade.
    assert parsed.links
    for link in parsed.links:
        assert link.startswith("https://portal.azure.com/#blade/Microsoft_Azure_Monitoring_Logs/")
        assert "law-soc" in link
        query = query_from_portal_link(link)
        assert query.startswith("SigninLogs\n| where TimeGenerated >= datetime(")
        assert "Azure Active Directory PowerShell" in query

    done = [r for r in caplog.records if r.getMessage().startswith("lookup done")]
    (lookup,) = done
    assert lookup.custom_dimensions["queries"] == len(world.logs.requests)  # type: ignore[attr-defined]
    assert lookup.custom_dimensions["incident"] == INCIDENT_REF.arm_id  # type: ignore[attr-defined]


def test_the_same_incident_twice_leaves_one_overwritten_comment(
    functions: dict[str, Any], world: World
) -> None:
    first = post_incident(functions, incident_payload())
    second = post_incident(functions, incident_payload())
    assert decode_message(first).tracking_id != decode_message(second).tracking_id
    run_queue(functions, first)
    comment_one = the_comment(world.arm)
    run_queue(functions, second)
    comment_two = the_comment(world.arm)
    assert [(r.method, r.status) for r in world.arm.requests] == [("PUT", 201), ("PUT", 200)]
    assert {r.path for r in world.arm.requests} == {
        f"{INCIDENT_REF.arm_id}/comments/{comment_id_for(INCIDENT_REF)}"
    }

    # Same data, same anomalies: only the footer's timings and generation time differ.
    def stable(comment: str) -> list[str]:
        return [
            line
            for line in comment.splitlines()
            if not line.startswith("Stats:") and "generated" not in line
        ]

    assert stable(comment_one) == stable(comment_two)


def test_entities_come_from_list_entities_when_the_payload_has_none(
    functions: dict[str, Any], world: World
) -> None:
    ref = INCIDENT_REF
    world.arm.set_entities(
        ref.subscription_id,
        ref.resource_group,
        ref.workspace_name,
        ref.incident_id,
        list_entities_response(),
    )
    run_queue(functions, post_incident(functions, incident_payload(entities=False)))
    assert [r.method for r in world.arm.requests] == ["POST", "PUT"]
    parsed = parse_comment_html(the_comment(world.arm))
    for value in INJECTED:
        assert value in parsed.text


def test_arm_429_then_success(functions: dict[str, Any], world: World) -> None:
    world.arm.add_fault(ArmFault(429, method="PUT", retry_after="3", code="TooManyRequests"))
    run_queue(functions, post_incident(functions, incident_payload()))
    assert [(r.method, r.status) for r in world.arm.requests] == [("PUT", 429), ("PUT", 201)]
    assert world.clients.transport.sleeps == [3.0]
    assert INJECTED[0] in parse_comment_html(the_comment(world.arm)).text


def test_arm_403_names_the_missing_role_then_the_poison_queue_takes_over(
    functions: dict[str, Any], world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.arm.add_fault(
        authorization_failed(
            "Microsoft.SecurityInsights/incidents/comments/write", INCIDENT_REF.workspace_arm_id
        )
    )
    message = post_incident(functions, incident_payload())
    for attempt in range(1, 6):
        with pytest.raises(SinkError) as raised:
            run_queue(functions, message, count=attempt)
        assert raised.value.status == 403
    assert [r.status for r in world.arm.requests] == [403] * 5
    role_errors = [
        r for r in caplog.records if r.levelno == logging.ERROR and WORKSPACE_ROLE in r.getMessage()
    ]
    assert len(role_errors) == 5
    fields = role_errors[0].custom_dimensions  # type: ignore[attr-defined]
    assert fields["missing_role"] == WORKSPACE_ROLE
    assert fields["scope"] == INCIDENT_REF.workspace_arm_id

    caplog.clear()
    functions["lookup_poison"](QueueMessage(id="m-1", body=message, dequeue_count=1))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0].startswith("lookup failed for good")
    assert f"incident={INCIDENT_REF.arm_id}" in errors[0]
    assert errors[-1].startswith("failure note not written")


def test_log_analytics_throttling_is_retried_and_reported(
    functions: dict[str, Any], world: World
) -> None:
    world.logs.add_fault(Fault("throttle", table="SigninLogs", retry_after="0"))
    run_queue(functions, post_incident(functions, incident_payload()))
    assert [r.status for r in world.logs.requests].count(429) == 1
    parsed = parse_comment_html(the_comment(world.arm))
    assert "1 retry" in parsed.text
    for value in INJECTED:
        assert value in parsed.text


def test_the_queue_message_is_what_the_worker_reads(
    functions: dict[str, Any], world: World
) -> None:
    message = post_incident(functions, incident_payload())
    body = json.loads(message)
    assert body["workspaceId"] == WORKSPACE_ID
    assert decode_message(message).target == INCIDENT_REF
