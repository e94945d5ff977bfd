"""The workspaces the function serves: a payload's workspace id, its incident's ARM id and
the allow-list (ANOMALY_LOOKUP_ALLOWED_WORKSPACES) must agree, at the door (400, or an
Event Grid event dropped with an ERROR log) and again in the worker (a queue message can
be crafted)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage
from fakes.arm import FakeArm
from function_support import (
    RESOURCE_GROUP,
    SUBSCRIPTION_ID,
    WORKSPACE_ID,
    WORKSPACE_NAME,
    Capture,
    fake_services,
    fake_settings,
    incident_payload,
    load,
    post,
    runtime_with,
    workspace_resource_id,
)

from lookup.errors import SettingsError
from lookup.functionapp import FunctionRuntime
from lookup.functionapp.settings import AppSettings
from lookup.functionapp.workspaces import AllowedWorkspace, parse_allowed_workspaces

OUR_WORKSPACE = workspace_resource_id(SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE_NAME)
OTHER_SUBSCRIPTION = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
OTHER_WORKSPACE_ID = "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0"
OTHER_WORKSPACE = workspace_resource_id(OTHER_SUBSCRIPTION, "rg-victim", "law-victim")
#: As the deployment sets it: our workspace, by both of its names.
ENVIRON = {
    "ANOMALY_LOOKUP_WORKSPACE_ID": WORKSPACE_ID,
    "ANOMALY_LOOKUP_ALLOWED_WORKSPACES": f"{WORKSPACE_ID}={OUR_WORKSPACE}",
}


@pytest.fixture
def runtime(install: Callable[[FunctionRuntime], FunctionRuntime]) -> FunctionRuntime:
    runtime = FunctionRuntime.from_env(ENVIRON)
    assert isinstance(runtime.settings_or_error, AppSettings)
    return install(runtime)


def post_payload(functions: dict[str, Any], payload: object) -> tuple[int, Any, list[str]]:
    out = Capture()
    response = functions["incidents"](post(payload), out)
    return response.status_code, json.loads(response.get_body()), out.values


def moved(payload: dict[str, Any], subscription: str, group: str, workspace: str) -> None:
    """Point both the ARM id and workspaceInfo of ``payload`` at another workspace."""
    obj = payload["object"]
    obj["id"] = obj["id"].replace(SUBSCRIPTION_ID, subscription)
    obj["id"] = obj["id"].replace(f"/{RESOURCE_GROUP}/", f"/{group}/")
    obj["id"] = obj["id"].replace(f"/{WORKSPACE_NAME}/", f"/{workspace}/")
    payload["workspaceInfo"] = {
        "SubscriptionId": subscription,
        "ResourceGroupName": group,
        "WorkspaceName": workspace,
    }


def test_our_incident_is_accepted(functions: dict[str, Any], runtime: FunctionRuntime) -> None:
    status, body, queued = post_payload(functions, incident_payload())
    assert status == 202 and len(queued) == 1
    assert body["workspaceId"] == WORKSPACE_ID


def test_another_subscription_with_another_workspace_id_is_refused(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    # The reported case: 202, then the worker queried that workspace and commented there.
    payload = incident_payload()
    payload["workspaceId"] = OTHER_WORKSPACE_ID
    moved(payload, OTHER_SUBSCRIPTION, "rg-victim", "law-victim")
    status, body, queued = post_payload(functions, payload)
    assert (status, body["error"]["field"], queued) == (400, "workspaceId", [])
    assert "ANOMALY_LOOKUP_ALLOWED_WORKSPACES" in body["error"]["message"]


def test_our_workspace_id_with_an_incident_elsewhere_is_refused(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    # Query our workspace, comment in someone else's: the halves must agree.
    payload = incident_payload()
    moved(payload, OTHER_SUBSCRIPTION, "rg-victim", "law-victim")
    status, body, queued = post_payload(functions, payload)
    assert (status, body["error"]["field"], queued) == (400, "workspaceId", [])
    assert "must name the same workspace" in body["error"]["message"]


def test_an_arm_id_disagreeing_with_workspace_info_is_refused(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    payload = incident_payload()
    payload["object"]["id"] = payload["object"]["id"].replace(SUBSCRIPTION_ID, OTHER_SUBSCRIPTION)
    status, body, queued = post_payload(functions, payload)
    assert (status, body["error"]["field"], queued) == (400, "object.id", [])
    payload = incident_payload()
    payload["object"]["name"] = "0d6e1c5b-6b7f-4d0e-9d1a-6f3b2a1c9e77"  # another incident
    status, body, queued = post_payload(functions, payload)
    assert (status, body["error"]["field"], queued) == (400, "object.name", [])


def test_an_unserved_workspace_without_workspace_id_is_refused(
    functions: dict[str, Any], runtime: FunctionRuntime
) -> None:
    status, body, queued = post_payload(functions, load("rest_incident.json"))
    assert (status, body["error"]["field"], queued) == (400, "id", [])


def test_two_served_workspaces_cannot_be_crossed(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    both = f"{WORKSPACE_ID}={OUR_WORKSPACE}, {OTHER_WORKSPACE_ID}={OTHER_WORKSPACE}"
    install(FunctionRuntime.from_env({"ANOMALY_LOOKUP_ALLOWED_WORKSPACES": both}))
    crossed = incident_payload()
    crossed["workspaceId"] = OTHER_WORKSPACE_ID
    assert post_payload(functions, crossed)[0] == 400
    other = incident_payload()
    other["workspaceId"] = OTHER_WORKSPACE_ID
    moved(other, OTHER_SUBSCRIPTION, "rg-victim", "law-victim")
    status, body, _ = post_payload(functions, other)
    assert (status, body["workspaceId"]) == (202, OTHER_WORKSPACE_ID)
    # Without workspaceId, the entry of the incident's workspace gives it.
    del other["workspaceId"]
    assert post_payload(functions, other)[1]["workspaceId"] == OTHER_WORKSPACE_ID


def test_resource_ids_compare_without_case(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    upper = f"{WORKSPACE_ID.upper()}={OUR_WORKSPACE.upper()}"
    install(FunctionRuntime.from_env({"ANOMALY_LOOKUP_ALLOWED_WORKSPACES": upper}))
    assert post_payload(functions, incident_payload())[0] == 202


def test_an_unserved_event_is_dropped_with_an_error_log(
    functions: dict[str, Any], runtime: FunctionRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    payload = incident_payload()
    payload["workspaceId"] = OTHER_WORKSPACE_ID
    event = func.EventGridEvent(
        id="evt-3",
        data=payload,
        topic="t",
        subject="s",
        event_type="Contoso.Incident",
        event_time=None,
        data_version="1",
    )
    out = Capture()
    functions["incident_events"](event, out)
    assert out.values == []
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage().startswith("event rejected")
    assert record.custom_dimensions["field"] == "data.workspaceId"  # type: ignore[attr-defined]


def test_a_crafted_queue_message_for_another_workspace_is_dropped(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Whoever can write to the queue writes the message the HTTP door would have refused.
    settings = fake_settings(
        arm, allowed_workspaces=(AllowedWorkspace(WORKSPACE_ID, OUR_WORKSPACE),)
    )
    install(runtime_with(settings, fake_services(settings, arm).services))
    out = Capture()
    functions["incidents"](post(incident_payload()), out)
    message = json.loads(out.values[0])
    message["workspaceId"] = OTHER_WORKSPACE_ID
    message["incident"]["workspace"]["subscriptionId"] = OTHER_SUBSCRIPTION
    message["incident"]["armId"] = message["incident"]["armId"].replace(
        SUBSCRIPTION_ID, OTHER_SUBSCRIPTION
    )
    body = json.dumps(message)
    functions["lookup_worker"](QueueMessage(id="m-1", body=body, dequeue_count=1))
    functions["lookup_poison"](QueueMessage(id="m-1", body=body, dequeue_count=5))
    assert arm.requests == []  # no query, no comment, no failure note
    refused = [r for r in caplog.records if r.getMessage().startswith("queue message refused")]
    assert len(refused) == 1 and refused[0].levelno == logging.ERROR


# -- the setting ----------------------------------------------------------------------------------


def test_the_setting_names_each_workspace_by_id_and_resource_id() -> None:
    text = f" {WORKSPACE_ID}={OUR_WORKSPACE}/ ;\n{OTHER_WORKSPACE_ID}={OTHER_WORKSPACE}"
    assert parse_allowed_workspaces(text) == (
        AllowedWorkspace(WORKSPACE_ID, OUR_WORKSPACE),
        AllowedWorkspace(OTHER_WORKSPACE_ID, OTHER_WORKSPACE),
    )


@pytest.mark.parametrize(
    "text",
    [
        WORKSPACE_ID,  # the id alone: the ARM half could not be checked
        f"{WORKSPACE_ID}=",
        f"law-soc={OUR_WORKSPACE}",
        f"{WORKSPACE_ID}={OUR_WORKSPACE}/providers/Microsoft.SecurityInsights/incidents/x",
        f"{WORKSPACE_ID}=/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg",
        f"{WORKSPACE_ID}={OUR_WORKSPACE}\n".replace("law-soc", "law/soc"),
        ",",
    ],
)
def test_an_invalid_setting_is_refused_at_start_up(text: str) -> None:
    runtime = FunctionRuntime.from_env({"ANOMALY_LOOKUP_ALLOWED_WORKSPACES": text})
    assert isinstance(runtime.settings_or_error, SettingsError)
    assert runtime.settings_or_error.name == "ANOMALY_LOOKUP_ALLOWED_WORKSPACES"


def test_the_default_workspace_must_be_in_the_list() -> None:
    runtime = FunctionRuntime.from_env(
        {**ENVIRON, "ANOMALY_LOOKUP_WORKSPACE_ID": OTHER_WORKSPACE_ID}
    )
    assert isinstance(runtime.settings_or_error, SettingsError)
    assert runtime.settings_or_error.name == "ANOMALY_LOOKUP_WORKSPACE_ID"


def test_without_the_setting_the_default_workspace_is_served_by_id(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    install(FunctionRuntime.from_env({"ANOMALY_LOOKUP_WORKSPACE_ID": WORKSPACE_ID}))
    assert post_payload(functions, incident_payload())[0] == 202
    other = incident_payload()
    other["workspaceId"] = OTHER_WORKSPACE_ID
    assert post_payload(functions, other)[0] == 400
