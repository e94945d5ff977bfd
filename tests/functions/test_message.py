"""The queue message: the parsed incident, versioned, always small enough for a Storage
queue (64 KiB after the runtime's Base64 encoding)."""

from __future__ import annotations

import base64
import json
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from function_support import SERVED, WORKSPACE_ID, incident_payload, load

from lookup.errors import PayloadError
from lookup.functionapp import (
    MAX_MESSAGE_BYTES,
    WorkItem,
    accept_payload,
    decode_message,
    encode_message,
)
from lookup.functionapp.settings import AppSettings
from lookup.models import Entity, EntityKind, Incident, SkippedEntity, WorkspaceRef

RECEIVED = datetime(2026, 11, 19, 14, 36, 1, 250000, tzinfo=UTC)


def item_of(payload: object, **settings: Any) -> WorkItem:
    return accept_payload(
        payload,
        AppSettings(**{"allowed_workspaces": SERVED, **settings}),
        source="http",
        tracking_id="t-1",
        now=RECEIVED,
    )


@pytest.mark.parametrize(
    "payload",
    [
        incident_payload(),
        incident_payload(entities=False),
        load("trigger_eicar.json"),
        load("account_legacy.json"),
        load("cloudevent.json"),
    ],
    ids=["attack", "no entities", "eicar", "legacy account", "cloudevent"],
)
def test_round_trip(payload: object) -> None:
    item = item_of(payload, workspace_id=WORKSPACE_ID)
    assert decode_message(encode_message(item)) == item


def test_the_message_format_covers_every_incident_field() -> None:
    # A new Incident field must be added to the message (encode_message, decode_message),
    # then here; otherwise the worker would silently lose it.
    assert [f.name for f in fields(Incident)] == [
        "alert_time",
        "alert_time_source",
        "entities",
        "skipped_entities",
        "arm_id",
        "name",
        "number",
        "title",
        "severity",
        "url",
        "workspace",
    ]
    assert [f.name for f in fields(WorkspaceRef)] == [
        "workspace_id",
        "subscription_id",
        "resource_group",
        "workspace_name",
    ]


def _huge(entities: int, title: str = "x") -> WorkItem:
    item = item_of(incident_payload())
    many = tuple(
        Entity(EntityKind.ACCOUNT, f"user{i:05d}@contoso.com", (f"user{i:05d}@contoso.com",))
        for i in range(entities)
    )
    skipped = tuple(SkippedEntity("Malware", "not searched", f"m{i}") for i in range(50))
    incident = replace(item.incident, entities=many, skipped_entities=skipped, title=title)
    return replace(item, incident=incident)


def test_a_message_too_large_for_the_queue_leaves_the_entities_to_the_api() -> None:
    item = _huge(3_000)
    text = encode_message(item)
    size = len(text.encode("utf-8"))
    assert size <= MAX_MESSAGE_BYTES
    assert len(base64.b64encode(text.encode("utf-8"))) <= 64 * 1024
    body = json.loads(text)
    assert body["entitiesTrimmed"] is True
    assert body["incident"]["entities"] is None
    decoded = decode_message(text)
    assert decoded.has_entities is False
    assert decoded.incident.entities == () and decoded.incident.skipped_entities == ()
    assert decoded.target == item.target
    assert decoded.incident.alert_time == item.incident.alert_time


def test_a_large_message_that_fits_keeps_its_entities() -> None:
    item = _huge(300)
    text = encode_message(item)
    assert len(text.encode("utf-8")) <= MAX_MESSAGE_BYTES
    assert decode_message(text) == item


def test_an_absurd_title_is_shortened() -> None:
    item = _huge(10, title="t" * 100_000)
    decoded = decode_message(encode_message(item))
    assert decoded.incident.title == "t" * 500
    assert decoded.incident.url is None
    assert decoded.has_entities is False


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda m: m.pop("trackingId"), "trackingId"),
        (lambda m: m.update(schema="anomaly-lookup/incident@2"), "schema"),
        (lambda m: m.update(workspaceId="law-soc"), "workspaceId"),
        (lambda m: m["incident"].update(alertTime="soon"), "incident.alertTime"),
        (lambda m: m["incident"].update(number="812"), "incident.number"),
        (
            lambda m: m["incident"]["entities"][0].update(kind="Spaceship"),
            "incident.entities[0].kind",
        ),
        (
            lambda m: m["incident"]["entities"][0].update(identifiers="x"),
            "incident.entities[0].identifiers",
        ),
        (lambda m: m["incident"].update(workspace=None), "incident.workspace"),
        (
            lambda m: m["incident"]["workspace"].update(workspaceName="a/b"),
            "workspaceInfo.WorkspaceName",
        ),
    ],
)
def test_a_damaged_message_names_the_field(mutate: Any, field: str) -> None:
    message = json.loads(encode_message(item_of(incident_payload())))
    mutate(message)
    with pytest.raises(PayloadError) as raised:
        decode_message(json.dumps(message))
    assert raised.value.field == field


def test_bytes_and_text_decode_alike() -> None:
    text = encode_message(item_of(incident_payload()))
    assert decode_message(text.encode("utf-8")) == decode_message(text)
    with pytest.raises(PayloadError) as raised:
        decode_message(b"\xff\xfe")
    assert raised.value.field == "$"
