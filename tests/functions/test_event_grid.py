"""The Event Grid trigger: incidents delivered as Event Grid events or CloudEvents (both
arrive on the same binding) are queued like posted ones; a bad event is logged, not
retried."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.meta import Datum
from function_support import Capture, load, offline_runtime

from lookup.errors import SettingsError
from lookup.functionapp import FunctionRuntime, decode_message

IP_HOST_INCIDENT = "b3c1d9e4-7a2f-4e8b-9c01-5d6e7f8a9b0c"
EICAR_INCIDENT = "5e0f3f5b-2c1a-4f43-9a35-3d1b7c7e8a11"


@pytest.fixture
def runtime(install: Callable[[FunctionRuntime], FunctionRuntime]) -> FunctionRuntime:
    return install(offline_runtime())


def decoded(body: dict[str, Any]) -> func.EventGridEvent:
    """An event as the worker hands it over: through the library's input converter."""
    event = EventGridEventInConverter.decode(Datum(json.dumps(body), "json"), trigger_metadata={})
    assert isinstance(event, func.EventGridEvent | func.CloudEvent)
    return event  # type: ignore[return-value]


def fire(functions: dict[str, Any], event: object) -> Capture:
    out = Capture()
    functions["incident_events"](event, out)
    return out


def test_an_event_grid_event_is_queued(functions: dict[str, Any], runtime: FunctionRuntime) -> None:
    raw = load("eventgrid_event.json")[0]
    event = func.EventGridEvent(
        id=raw["id"],
        data=raw["data"],
        topic=raw["topic"],
        subject=raw["subject"],
        event_type=raw["eventType"],
        event_time=datetime(2026, 1, 30, 3, 20, 45, tzinfo=UTC),
        data_version=raw["dataVersion"],
    )
    out = fire(functions, event)
    (message,) = out.values
    item = decode_message(message)
    assert item.source == "eventgrid"
    assert item.target.incident_id == IP_HOST_INCIDENT
    assert item.workspace_id == "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
    assert [e.value for e in item.incident.entities] == ["CORP-CLIENT-EAS", "110.136.66.60"]


def test_a_cloud_event_is_queued(functions: dict[str, Any], runtime: FunctionRuntime) -> None:
    raw = load("cloudevent.json")
    event = func.CloudEvent(
        id=raw["id"],
        source=raw["source"],
        type=raw["type"],
        specversion=raw["specversion"],
        data=raw["data"],
        subject=raw["subject"],
    )
    (message,) = fire(functions, event).values
    item = decode_message(message)
    assert item.target.incident_id == EICAR_INCIDENT
    assert item.incident.number == 42


@pytest.mark.parametrize("shape", ["eventgrid", "cloudevent", "cloudevent data_base64"])
def test_events_decoded_by_the_binding_are_queued(
    functions: dict[str, Any], runtime: FunctionRuntime, shape: str
) -> None:
    if shape == "eventgrid":
        body, incident = load("eventgrid_event.json")[0], IP_HOST_INCIDENT
    else:
        body, incident = load("cloudevent.json"), EICAR_INCIDENT
    if shape == "cloudevent data_base64":
        data = body.pop("data")
        body["data_base64"] = base64.b64encode(json.dumps(data).encode()).decode()
    event = decoded(body)
    expected = func.EventGridEvent if shape == "eventgrid" else func.CloudEvent
    assert isinstance(event, expected)
    (message,) = fire(functions, event).values
    assert decode_message(message).target.incident_id == incident


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (None, "data"),
        ({"object": {"id": "x"}}, "data.object.properties"),
        ("{not json", "data"),
    ],
)
def test_a_bad_event_is_logged_and_not_queued(
    functions: dict[str, Any],
    runtime: FunctionRuntime,
    caplog: pytest.LogCaptureFixture,
    data: object,
    field: str,
) -> None:
    event = func.EventGridEvent(
        id="evt-1",
        data=data,  # type: ignore[arg-type]
        topic="/subscriptions/x/resourceGroups/y/providers/Microsoft.EventGrid/topics/z",
        subject="incidents/1",
        event_type="Contoso.Sentinel.IncidentCreated",
        event_time=None,
        data_version="1.0",
    )
    out = fire(functions, event)
    assert out.values == []
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    fields = record.custom_dimensions  # type: ignore[attr-defined]
    assert (fields["event_id"], fields["field"]) == ("evt-1", field)


def test_invalid_settings_raise_so_event_grid_redelivers(
    functions: dict[str, Any], install: Callable[[FunctionRuntime], FunctionRuntime]
) -> None:
    install(FunctionRuntime.from_env({"ANOMALY_LOOKUP_THRESHOLD": "-1"}))
    with pytest.raises(SettingsError) as raised:
        fire(functions, decoded(load("eventgrid_event.json")[0]))
    assert raised.value.name == "ANOMALY_LOOKUP_THRESHOLD"
