"""Incident payload parsing: every accepted shape, alert time rules, precise error paths."""

from __future__ import annotations

import base64
import copy
import csv
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lookup.errors import PayloadError
from lookup.models import Entity, EntityKind, Incident, SkippedEntity, WorkspaceRef
from lookup.sentinel.payload import parse_incident
from lookup.timefmt import parse_timestamp

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


EICAR_WS = (
    "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx/resourceGroups/rg-xxx-xxx"
    "/providers/Microsoft.OperationalInsights/workspaces/log-hubhnakada-JapanEast"
)
EICAR_ID = "5e0f3f5b-2c1a-4f43-9a35-3d1b7c7e8a11"
EICAR = Incident(
    # Latest alert end: 15:10:59.1234567+09:00, 7 digits truncated to microseconds.
    alert_time=datetime(2023, 9, 5, 6, 10, 59, 123456, tzinfo=UTC),
    alert_time_source="alert endTimeUtc",
    entities=(
        Entity(
            EntityKind.HOST,
            "vmlinuxcustomlog.rglnoiucbtnuzarcriubjs2azc.lx.internal.cloudapp.net",
            (
                "vmlinuxcustomlog.rglnoiucbtnuzarcriubjs2azc.lx.internal.cloudapp.net",
                "vmlinuxcustomlog",
                "95ffd3240bde37ef347cf836db74b13f85cbf185",
            ),
        ),
        Entity(
            EntityKind.FILE_HASH,
            "3395856ce81f2b7382dee72602f798b642f14140",
            ("3395856ce81f2b7382dee72602f798b642f14140",),
        ),
        Entity(EntityKind.FILE, "/home/azureuser/eicar.com", ("/home/azureuser/eicar.com",)),
    ),
    arm_id=f"{EICAR_WS}/providers/Microsoft.SecurityInsights/Incidents/{EICAR_ID}",
    name=EICAR_ID,
    number=42,
    title="'EICAR_Test_File' malware was prevented",
    severity="Informational",
    url="https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident"
    f"{EICAR_WS}/providers/Microsoft.SecurityInsights/Incidents/{EICAR_ID}",
    workspace=WorkspaceRef(
        "7d4f1c2a-0e9b-4c55-8a31-2b6e9f0d4c18",
        "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        "rg-xxx-xxx",
        "log-hubhnakada-JapanEast",
    ),
)

SOC_WS = (
    "/subscriptions/e4951288-c9ca-419a-9659-4048ffec804a/resourceGroups/soc-lab"
    "/providers/Microsoft.OperationalInsights/workspaces/soc-lab-logs"
)
SOC_ID = "b3c1d9e4-7a2f-4e8b-9c01-5d6e7f8a9b0c"
IP_HOST = Incident(
    alert_time=datetime(2026, 1, 30, 3, 14, 7, 800000, tzinfo=UTC),
    alert_time_source="incident lastActivityTimeUtc",
    entities=(
        Entity(EntityKind.HOST, "CORP-CLIENT-EAS", ("CORP-CLIENT-EAS",)),
        Entity(EntityKind.IP, "110.136.66.60", ("110.136.66.60",)),
    ),
    arm_id=f"{SOC_WS}/providers/Microsoft.SecurityInsights/Incidents/{SOC_ID}",
    name=SOC_ID,
    number=17,
    title="RDP brute force from a public IP",
    severity="Medium",
    url="https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident"
    f"{SOC_WS}/providers/Microsoft.SecurityInsights/Incidents/{SOC_ID}",
    workspace=WorkspaceRef(
        "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
        "e4951288-c9ca-419a-9659-4048ffec804a",
        "soc-lab",
        "soc-lab-logs",
    ),
)

JDOE = Entity(
    EntityKind.ACCOUNT,
    "jdoe@contoso.com",
    (
        "jdoe@contoso.com",
        "CONTOSO\\jdoe",
        "S-1-5-21-1004336348-1177238915-682003330-1105",
        "6c1f0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
        "jdoe",
    ),
)


# --- accepted shapes -------------------------------------------------------------------


def test_trigger_body_with_eicar_entities() -> None:
    assert parse_incident(load("trigger_eicar.json")) == EICAR


def test_trigger_body_with_ip_and_host() -> None:
    assert parse_incident(load("trigger_ip_host.json")) == IP_HOST


def test_logic_app_body_wrapper_falls_back_to_created_time_and_arm_id() -> None:
    incident = parse_incident(load("body_wrapper.json"))
    assert incident == Incident(
        alert_time=datetime(2025, 6, 1, 8, 0, tzinfo=UTC),
        alert_time_source="incident createdTimeUtc",
        entities=(),
        arm_id="/subscriptions/<REDACTED_SUBSCRIPTION_ID>/resourceGroups/rg-secops-prod-01"
        "/providers/Microsoft.OperationalInsights/workspaces/law-secops-prod-01"
        "/providers/Microsoft.SecurityInsights/Incidents/63883bf7-5be1-42f4-809a-0417943b837b",
        name="63883bf7-5be1-42f4-809a-0417943b837b",
        number=9,
        title="dummm5",
        severity="High",
        workspace=WorkspaceRef(
            "<REDACTED_WORKSPACE_ID>",
            "<REDACTED_SUBSCRIPTION_ID>",
            "rg-secops-prod-01",
            "law-secops-prod-01",
        ),
    )


REST_WS = (
    "/subscriptions/d0cfe6b2-9ac0-4464-9919-dccaee2e48c0/resourceGroups/myRg"
    "/providers/Microsoft.OperationalInsights/workspaces/myWorkspace"
)
REST_ID = "73e01a99-5cd7-4139-a149-9f2736ff2ab5"
REST = Incident(
    alert_time=datetime(2019, 1, 1, 13, 5, 30, tzinfo=UTC),
    alert_time_source="incident lastActivityTimeUtc",
    entities=(
        Entity(
            EntityKind.ACCOUNT, "domain\\administrator", ("domain\\administrator", "administrator")
        ),
    ),
    arm_id=f"{REST_WS}/providers/Microsoft.SecurityInsights/incidents/{REST_ID}",
    name=REST_ID,
    number=3177,
    title="My incident",
    severity="High",
    url="https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident"
    f"{REST_WS}/providers/Microsoft.SecurityInsights/incidents/{REST_ID}",
    workspace=WorkspaceRef(None, "d0cfe6b2-9ac0-4464-9919-dccaee2e48c0", "myRg", "myWorkspace"),
)


def test_rest_incident_with_list_entities_argument() -> None:
    assert parse_incident(load("rest_incident.json"), entities=load("list_entities.json")) == REST


def test_rest_incident_with_list_entities_inside_the_payload() -> None:
    payload = load("rest_incident.json")
    payload["entities"] = load("list_entities.json")
    assert parse_incident(payload) == REST
    combined = {"incident": load("rest_incident.json"), "entities": load("list_entities.json")}
    assert parse_incident(combined) == REST


def test_rest_incident_with_plain_entity_list_and_without_entities() -> None:
    entities = load("list_entities.json")["entities"]
    assert parse_incident(load("rest_incident.json"), entities=entities) == REST
    bare = parse_incident(load("rest_incident.json"))
    assert bare.entities == () and bare.skipped_entities == ()


def test_rest_incident_takes_workspace_id_from_alert_resource_identifiers() -> None:
    payload = load("rest_incident.json")
    payload["properties"]["alerts"] = load("trigger_eicar.json")["object"]["properties"]["alerts"]
    incident = parse_incident(payload)
    assert incident.workspace.workspace_id == "7d4f1c2a-0e9b-4c55-8a31-2b6e9f0d4c18"
    assert incident.alert_time_source == "alert endTimeUtc"


def test_event_grid_event_batch_of_one() -> None:
    events = load("eventgrid_event.json")
    assert isinstance(events, list) and len(events) == 1
    assert parse_incident(events) == IP_HOST
    assert parse_incident(events[0]) == IP_HOST


def test_cloud_event() -> None:
    assert parse_incident(load("cloudevent.json")) == EICAR
    assert parse_incident([load("cloudevent.json")]) == EICAR


def test_cloud_event_with_base64_data() -> None:
    event = load("cloudevent.json")
    data = json.dumps(event.pop("data")).encode()
    event["data_base64"] = base64.b64encode(data).decode()
    assert parse_incident(event) == EICAR


def test_event_data_may_be_json_text_or_a_body_wrapper() -> None:
    event = load("eventgrid_event.json")[0]
    event["data"] = json.dumps({"body": event["data"]})
    assert parse_incident(event) == IP_HOST


def test_json_text_and_bytes() -> None:
    text = (FIXTURES / "trigger_eicar.json").read_text(encoding="utf-8")
    assert parse_incident(text) == EICAR
    assert parse_incident(text.encode()) == EICAR
    assert parse_incident(b"\xef\xbb\xbf" + text.encode()) == EICAR  # UTF-8 BOM


def test_account_2026_shape() -> None:
    incident = parse_incident(load("account_2026.json"))
    assert incident.entities == (
        Entity(
            EntityKind.ACCOUNT,
            "a.smith@fabrikam.onmicrosoft.com",
            (
                "a.smith@fabrikam.onmicrosoft.com",
                "9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6",
                "a.smith",
            ),
        ),
        JDOE,
    )
    # 2026-08-03T09:40:00.0000001Z: the 100 ns digit is below datetime's resolution.
    assert incident.alert_time == datetime(2026, 8, 3, 9, 40, tzinfo=UTC)
    assert incident.alert_time_source == "alert endTimeUtc"


def test_account_legacy_shape_gives_the_same_identifiers() -> None:
    incident = parse_incident(load("account_legacy.json"))
    assert incident.entities == (
        Entity(EntityKind.ACCOUNT, "FABRIKAM\\svc-backup", ("FABRIKAM\\svc-backup", "svc-backup")),
        JDOE,
    )


def test_alert_trigger_with_pascal_case_entities() -> None:
    incident = parse_incident(load("alert_trigger_pascalcase.json"))
    assert incident == Incident(
        alert_time=datetime(2019, 1, 3, 0, 2, tzinfo=UTC),
        alert_time_source="alert endTimeUtc",
        entities=(
            Entity(EntityKind.ACCOUNT, "contoso\\admin", ("contoso\\admin", "admin")),
            Entity(EntityKind.HOST, "vm3", ("vm3",)),
            Entity(EntityKind.IP, "183.95.154.13", ("183.95.154.13",)),
            # The process ran on vm3, and so did its image: their rows are vm3's.
            Entity(
                EntityKind.PROCESS,
                "C:\\Documents\\BudgetReport.pdf.exe",
                ("C:\\Documents\\BudgetReport.pdf.exe",),
                scope=("vm3",),
            ),
            Entity(
                EntityKind.FILE,
                "c:\\documents\\budgetreport.pdf.exe",
                ("c:\\documents\\budgetreport.pdf.exe",),
                scope=("vm3",),
            ),
        ),
        name="112dc225-bc2d-4328-97fd-a99e0b000b1f",
        title="Suspicious double extension file executed",
        severity="High",
        workspace=WorkspaceRef(
            "52b1ab41-869e-4138-9e40-2a4457f09bf0",
            "40dcc8bf-0478-4f3b-b275-ed0a94f2c013",
            "ASIHuntOMSWorkspaceRG",
        ),
    )


def test_alert_trigger_entities_as_json_text() -> None:
    payload = load("alert_trigger_pascalcase.json")
    expected = parse_incident(payload)
    payload["Entities"] = json.dumps(payload["Entities"])  # as in SecurityAlert rows
    assert parse_incident(payload) == expected


# --- alert time ------------------------------------------------------------------------


def test_override_wins_and_is_utc() -> None:
    incident = parse_incident(load("trigger_eicar.json"), at=datetime(2024, 1, 1, 12, 0))
    assert incident.alert_time == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert incident.alert_time.tzinfo is UTC
    assert incident.alert_time_source == "override"
    cet = timezone(timedelta(hours=1))
    incident = parse_incident(
        load("trigger_eicar.json"), at=datetime(2024, 1, 1, 13, 0, tzinfo=cet)
    )
    assert incident.alert_time == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_override_rescues_a_payload_without_times() -> None:
    payload = load("trigger_ip_host.json")
    props = payload["object"]["properties"]
    for key in ("lastActivityTimeUtc", "createdTimeUtc", "firstActivityTimeUtc"):
        del props[key]
    incident = parse_incident(payload, at=datetime(2026, 1, 30, tzinfo=UTC))
    assert incident.alert_time_source == "override"


def test_alerts_without_end_time_fall_back_to_last_activity() -> None:
    payload = load("trigger_eicar.json")
    for alert in payload["object"]["properties"]["alerts"]:
        del alert["properties"]["endTimeUtc"]
    incident = parse_incident(payload)
    assert incident.alert_time == datetime(2023, 9, 5, 6, 11, tzinfo=UTC)
    assert incident.alert_time_source == "incident lastActivityTimeUtc"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T10:00:00.1234567Z", datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-01-01T10:00:00Z", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00:00z", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T12:30:00+02:30", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T05:00:00-0500", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00:00.5+00:00", datetime(2024, 1, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2024-01-01 10:00:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2023-12-31T23:59:59.9999999-01:00", datetime(2024, 1, 1, 0, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-01-01", "2024-13-01T00:00:00Z", "2024-01-01T25:00:00Z",
             "1704103200", "2024-01-01T10:00:00+24:00", "2024-01-01T10:00:00 UTC"],
)  # fmt: skip
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


# --- entities: order, case, dedupe ------------------------------------------------------


def test_entity_order_does_not_matter() -> None:
    payload = load("trigger_eicar.json")
    related = payload["object"]["properties"]["relatedEntities"]
    related.extend(load("trigger_ip_host.json")["object"]["properties"]["relatedEntities"])
    expected = parse_incident(payload)
    rng = random.Random(7)
    for _ in range(10):
        shuffled = copy.deepcopy(payload)
        rng.shuffle(shuffled["object"]["properties"]["relatedEntities"])
        assert parse_incident(shuffled) == expected


@pytest.mark.parametrize("kind", ["ip", "IP", "Ip", "iP"])
def test_kind_is_case_insensitive(kind: str) -> None:
    payload = load("trigger_ip_host.json")
    payload["object"]["properties"]["relatedEntities"][0]["kind"] = kind
    assert parse_incident(payload) == IP_HOST


def test_identical_entities_are_reported_once() -> None:
    payload = load("trigger_eicar.json")
    related = payload["object"]["properties"]["relatedEntities"]
    related.extend(copy.deepcopy(related))
    assert parse_incident(payload) == EICAR


def test_trigger_entities_and_list_entities_are_merged() -> None:
    incident = parse_incident(load("trigger_ip_host.json"), entities=load("list_entities.json"))
    assert [e.value for e in incident.entities] == [
        "domain\\administrator",
        "CORP-CLIENT-EAS",
        "110.136.66.60",
    ]


def test_unknown_kinds_and_kinds_without_values_are_skipped_not_fatal() -> None:
    payload = load("trigger_ip_host.json")
    props = payload["object"]["properties"]
    props["relatedEntities"] = [
        {"kind": "Malware", "properties": {"category": "Trojan"}},
        {"kind": "SecurityGroup", "properties": {"friendlyName": "Domain Admins"}},
        {"kind": "MailCluster", "properties": {"friendlyName": "cluster", "query": "x"}},
        {"kind": "SomethingNew", "properties": {}},
    ]
    incident = parse_incident(payload)
    assert incident.entities == (
        Entity(EntityKind.SECURITY_GROUP, "Domain Admins", ("Domain Admins",)),
    )
    assert incident.skipped_entities == (
        SkippedEntity(
            "MailCluster",
            "a set of messages described by a query, not one value; its messages arrive as "
            "MailMessage entities",
            "cluster",
        ),
        SkippedEntity("Malware", "no malwareName (or all shorter than 3 characters)", None),
        SkippedEntity("SomethingNew", "SomethingNew entities are not searched", None),
    )


def test_no_entities_is_not_an_error() -> None:
    payload = load("trigger_ip_host.json")
    del payload["object"]["properties"]["relatedEntities"]
    assert parse_incident(payload).entities == ()
    payload["object"]["properties"]["relatedEntities"] = None
    assert parse_incident(payload).entities == ()


HOSTILE = ["O'Brien", 'a"b', "CONTOSO\\jdoe", "line1\nline2", "ユーザー@例え.jp", "take", "union *"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_survive_parsing(value: str) -> None:
    payload = load("trigger_ip_host.json")
    payload["object"]["properties"]["relatedEntities"] = [
        {"kind": "Url", "properties": {"url": value}},
        {"kind": "FileHash", "properties": {"hashValue": value}},
    ]
    text = json.dumps(payload, ensure_ascii=False)
    incident = parse_incident(text)
    by_kind = {e.kind: e for e in incident.entities}
    assert by_kind[EntityKind.FILE_HASH].identifiers == (value,)
    assert by_kind[EntityKind.URL].value == value


# --- malformed payloads: exact field paths ----------------------------------------------


def _trigger() -> dict[str, Any]:
    payload: dict[str, Any] = load("trigger_ip_host.json")
    return payload


def _field(payload: object, **kwargs: Any) -> str:
    with pytest.raises(PayloadError) as info:
        parse_incident(payload, **kwargs)
    return info.value.field


def test_error_non_json_text() -> None:
    assert _field("{not json") == "$"
    assert _field(b"\xff\xfe\x00") == "$"
    assert _field("") == "$"


def test_error_top_level_not_an_object() -> None:
    assert _field(42) == "$"
    assert _field("[1, 2]") == "$"
    assert _field([{"object": {}}]) == "$"  # a list of non-events
    assert _field([]) == "$"
    two = load("eventgrid_event.json") * 2
    assert _field(two) == "$"


def test_error_missing_object() -> None:
    payload = _trigger()
    del payload["object"]
    assert _field(payload) == "object"
    assert _field({"body": {"workspaceId": "x"}}) == "body.object"


def test_error_properties_not_an_object() -> None:
    payload = _trigger()
    payload["object"]["properties"] = "oops"
    assert _field(payload) == "object.properties"
    del payload["object"]["properties"]
    assert _field(payload) == "object.properties"
    payload["object"] = ["not", "an", "object"]
    assert _field(payload) == "object"


def test_error_related_entities_not_a_list() -> None:
    payload = _trigger()
    payload["object"]["properties"]["relatedEntities"] = {"kind": "Ip"}
    assert _field(payload) == "object.properties.relatedEntities"


def test_error_entity_not_an_object() -> None:
    payload = _trigger()
    payload["object"]["properties"]["relatedEntities"][1] = "CORP-CLIENT-EAS"
    assert _field(payload) == "object.properties.relatedEntities[1]"


def test_error_entity_without_kind() -> None:
    payload = _trigger()
    del payload["object"]["properties"]["relatedEntities"][1]["kind"]
    assert _field(payload) == "object.properties.relatedEntities[1].kind"
    payload["object"]["properties"]["relatedEntities"][1]["kind"] = 7
    assert _field(payload) == "object.properties.relatedEntities[1].kind"


def test_error_entity_properties_wrong_types() -> None:
    payload = _trigger()
    payload["object"]["properties"]["relatedEntities"][0]["properties"] = ["110.136.66.60"]
    assert _field(payload) == "object.properties.relatedEntities[0].properties"
    payload = _trigger()
    payload["object"]["properties"]["relatedEntities"][0]["properties"]["address"] = ["1.2.3.4"]
    assert _field(payload) == "object.properties.relatedEntities[0].properties.address"


def test_error_paths_follow_wrappers() -> None:
    payload = _trigger()
    del payload["object"]["properties"]["relatedEntities"][1]["kind"]
    assert _field({"body": payload}) == "body.object.properties.relatedEntities[1].kind"
    event = load("eventgrid_event.json")
    event[0]["data"] = payload
    assert _field(event) == "[0].data.object.properties.relatedEntities[1].kind"
    entities = load("list_entities.json")
    entities["entities"][0]["kind"] = None
    rest = load("rest_incident.json")
    assert _field(rest, entities=entities) == "entities.entities[0].kind"
    rest["entities"] = entities
    assert _field(rest) == "entities.entities[0].kind"


def test_error_bad_timestamp_string() -> None:
    payload = _trigger()
    payload["object"]["properties"]["lastActivityTimeUtc"] = "last tuesday"
    assert _field(payload) == "object.properties.lastActivityTimeUtc"
    payload = load("trigger_eicar.json")
    payload["object"]["properties"]["alerts"][1]["properties"]["endTimeUtc"] = "2023-09-05"
    assert _field(payload) == "object.properties.alerts[1].properties.endTimeUtc"
    payload["object"]["properties"]["alerts"][1]["properties"]["endTimeUtc"] = 1693894259
    assert _field(payload) == "object.properties.alerts[1].properties.endTimeUtc"


def test_error_no_timestamp_at_all() -> None:
    payload = _trigger()
    props = payload["object"]["properties"]
    for key in ("lastActivityTimeUtc", "createdTimeUtc"):
        del props[key]
    assert _field(payload) == "object.properties.createdTimeUtc"
    assert _field({"body": payload}) == "body.object.properties.createdTimeUtc"
    rest = load("rest_incident.json")
    for key in ("lastActivityTimeUtc", "createdTimeUtc"):
        del rest["properties"][key]
    assert _field(rest) == "properties.createdTimeUtc"


def test_error_wrong_scalar_types() -> None:
    payload = _trigger()
    payload["object"]["properties"]["incidentNumber"] = "seventeen"
    assert _field(payload) == "object.properties.incidentNumber"
    payload = _trigger()
    payload["object"]["properties"]["title"] = {"text": "x"}
    assert _field(payload) == "object.properties.title"
    payload = _trigger()
    payload["workspaceInfo"] = "soc-lab"
    assert _field(payload) == "workspaceInfo"
    payload = _trigger()
    payload["object"]["properties"]["alerts"] = {"properties": {}}
    assert _field(payload) == "object.properties.alerts"
    payload["object"]["properties"]["alerts"] = ["alert"]
    assert _field(payload) == "object.properties.alerts[0]"


def test_error_event_and_entities_argument_shapes() -> None:
    assert _field({"specversion": "1.0", "id": "x"}) == "data"
    assert _field({"specversion": "1.0", "data_base64": "***"}) == "data_base64"
    assert _field({"eventType": "x", "data": "{oops"}) == "data"
    assert _field(load("rest_incident.json"), entities="nope") == "entities"
    assert _field(load("rest_incident.json"), entities={"entities": 3}) == "entities.entities"


def test_defender_url_when_the_azure_portal_url_is_missing() -> None:
    payload = load("rest_incident.json")
    del payload["properties"]["incidentUrl"]
    assert parse_incident(payload).url == "https://security.microsoft.com/incidents/3177"


def test_incident_number_as_digit_string_is_accepted() -> None:
    payload = _trigger()
    payload["object"]["properties"]["incidentNumber"] = "17"
    assert parse_incident(payload) == IP_HOST


# --- issue 10: every entities response shape, real examples (tests/fixtures/real) --------

REAL = FIXTURES.parent / "real"


def rest_body(name: str) -> Any:
    text = (REAL / "rest-api-specs" / name).read_text(encoding="utf-8")
    return json.loads(text)["responses"]["200"]["body"]


WORKSPACE_ENTITIES = (
    Entity(
        EntityKind.ACCOUNT,
        "administrator@contoso",
        (
            "administrator@contoso",
            "domain\\administrator",
            "S-1-5-18",
            "f7033626-2572-46b1-bba0-06646f4f95b3",
            "11227b78-3c6e-436e-a2a2-02fc7662eca0",
            "ee3cb2d8-14ba-45ef-8009-d6f1cacfa04d",
            "administrator",
        ),
    ),
    Entity(EntityKind.HOST, "vm1.contoso", ("vm1.contoso", "vm1", "contoso")),
    Entity(
        EntityKind.FILE,
        "C:\\Windows\\System32\\cmd.exe",
        ("C:\\Windows\\System32\\cmd.exe",),
    ),
)


def test_value_wrapper_of_an_entity_list_is_read() -> None:
    # GetEntities: {"value": [...]} (newer API versions' entity lists).
    incident = parse_incident(load("rest_incident.json"), entities=rest_body("GetEntities.json"))
    assert incident.entities == WORKSPACE_ENTITIES
    inside = load("rest_incident.json")
    inside["entities"] = rest_body("GetEntities.json")
    assert parse_incident(inside).entities == WORKSPACE_ENTITIES


def test_expand_response_is_read() -> None:
    # Entities - Expand: {"value": {"entities": [...], "edges": [...]}, "metaData": {...}}.
    incident = parse_incident(
        load("rest_incident.json"), entities=rest_body("PostExpandEntity.json")
    )
    assert incident.entities == (Entity(EntityKind.IP, "13.89.108.248", ("13.89.108.248",)),)


def test_every_shape_merged_with_the_trigger_entities_and_deduplicated() -> None:
    combined = {
        "incident": load("trigger_ip_host.json"),
        "entities": rest_body("GetAllIncidentEntities.json"),  # {"entities": [...]}
    }
    extra = [
        *rest_body("GetEntities.json")["value"],
        *rest_body("PostExpandEntity.json")["value"]["entities"],
        *load("trigger_ip_host.json")["object"]["properties"]["relatedEntities"],
    ]
    incident = parse_incident(combined, entities={"value": extra})
    assert [(e.kind, e.value) for e in incident.entities] == [
        (EntityKind.ACCOUNT, "administrator@contoso"),
        # the list-entities account (no upnSuffix) is the same account once merged by value
        (EntityKind.ACCOUNT, "domain\\administrator"),
        (EntityKind.HOST, "CORP-CLIENT-EAS"),
        (EntityKind.HOST, "vm1.contoso"),
        (EntityKind.IP, "110.136.66.60"),
        (EntityKind.IP, "13.89.108.248"),
        (EntityKind.FILE, "C:\\Windows\\System32\\cmd.exe"),
    ]
    assert parse_incident(combined, entities={"value": extra + extra}) == incident


def test_one_entity_as_the_get_entity_api_answers() -> None:
    incident = parse_incident(
        load("rest_incident.json"), entities=rest_body("GetDnsEntityById.json")
    )
    assert incident.entities == (Entity(EntityKind.DNS_RESOLUTION, "domain", ("domain",)),)


def test_error_path_inside_a_value_wrapper() -> None:
    body = rest_body("GetEntities.json")
    body["value"][1]["kind"] = None
    assert _field(load("rest_incident.json"), entities=body) == "entities.value[1].kind"


# --- issue 10: Defender for Cloud host known only by its ARM id -------------------------

UBUNTU5 = (
    "/subscriptions/redacted/resourcegroups/redacted/providers/microsoft.compute"
    "/virtualmachines/ubuntu5"
)


def test_host_known_only_by_azure_id() -> None:
    # The shape Sentinel's entities API returns for a Defender for Cloud host (see
    # tests/fixtures/real/README.md), with a real machine's ARM id.
    host = {"kind": "Host", "properties": {"azureID": UBUNTU5, "friendlyName": UBUNTU5}}
    incident = parse_incident(load("rest_incident.json"), entities={"value": {"entities": [host]}})
    assert incident.entities == (Entity(EntityKind.HOST, "ubuntu5", ("ubuntu5",)),)


# --- issue 10: a SecurityAlert row as Log Analytics returns it ---------------------------


def alert_rows() -> list[dict[str, Any]]:
    """Real SecurityAlert rows (msticpy's export), with the column names Log Analytics uses.

    msticpy's query renamed StartTime/EndTime to *Utc; the table has StartTime and EndTime.
    """
    path = FIXTURES.parent / "sample-data" / "SecurityAlert.msticpy_alertlist.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        row = {k: v for k, v in row.items() if k}
        row["StartTime"] = row.pop("StartTimeUtc")
        row["EndTime"] = row.pop("EndTimeUtc")
        out.append(row)
    return out


def test_security_alert_row_without_entities() -> None:
    row = next(r for r in alert_rows() if r["Entities"] == "")
    assert row["SystemAlertId"] == "412ca580-63c8-4fd2-87e4-87b1ba4260b3"
    incident = parse_incident(row)
    assert incident.entities == () and incident.skipped_entities == ()
    assert incident.alert_time == datetime(2019, 1, 12, 6, 33, 55, tzinfo=UTC)
    assert incident.alert_time_source == "alert endTimeUtc"
    assert parse_incident(json.dumps(row)) == incident


def test_security_alert_row_time_is_its_end_time_not_time_generated() -> None:
    row = alert_rows()[0]
    assert row["TimeGenerated"] == "2019-01-12 06:41:44"
    incident = parse_incident(row)
    assert incident.alert_time == datetime(2019, 1, 12, 6, 31, 40, tzinfo=UTC)
    assert [e.value for e in incident.entities] == [
        "DHCPContoso77\\ADMIN",
        "DHCPContoso77\\ADMINISTRATOR",
        "DHCPContoso77\\USER",
        "DHCPContoso77",
        "75.10.91.22",
    ]
    del row["EndTime"]
    assert parse_incident(row).alert_time_source == "alert TimeGenerated"
