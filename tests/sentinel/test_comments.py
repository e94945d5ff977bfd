"""Sentinel write-back through the real ``SecurityInsights`` client and a local HTTPS fake of
ARM: exact URL and api-version, one comment per incident across runs, retries measured on
the client's own retry policy, the role named on 403, list-entities as raw JSON."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.securityinsight import SecurityInsights
from azure.mgmt.securityinsight.models import IncidentComment
from fakes.arm import (
    ArmFault,
    FakeArm,
    RecordingTransport,
    StoredComment,
    authorization_failed,
    incident_key,
    parse_comment_html,
    serve,
)
from fakes.log_analytics import FakeCredential

from lookup.errors import PayloadError, SinkError
from lookup.functionapp import AppSettings, comment_links
from lookup.models import Anomaly, Entity, EntityKind, Incident, TableResult, Window
from lookup.render import render_comment_html
from lookup.report import EntityReport, Report, Stats
from lookup.sentinel import comments as comments_module
from lookup.sentinel.arm_retry import MAX_RETRY_AFTER_SECONDS, bounded_retry_policy
from lookup.sentinel.comments import (
    ARM_RETRY_SETTINGS,
    COMMENT_ID_NAMESPACE,
    WORKSPACE_ROLE,
    IncidentRef,
    SentinelIncidents,
    comment_id_for,
    sentinel_length,
)
from lookup.sentinel.payload import parse_incident
from lookup.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
SUB = "e4951288-c9ca-419a-9659-4048ffec804a"
REF = IncidentRef(SUB, "soc-lab", "soc-lab-logs", "b3c1d9e4-7a2f-4e8b-9c01-5d6e7f8a9b0c")
WORKSPACE = (
    f"/subscriptions/{SUB}/resourceGroups/soc-lab/providers/Microsoft.OperationalInsights"
    "/workspaces/soc-lab-logs"
)
INCIDENT_PATH = f"{WORKSPACE}/providers/Microsoft.SecurityInsights/incidents/{REF.incident_id}"
#: uuid5(COMMENT_ID_NAMESPACE, "<incident ARM id lowercased>|anomaly-lookup|v1"), pinned:
#: changing it would make every deployed incident get a second enrichment comment.
COMMENT_ID = "8120c50e-c919-5e42-acc4-aca958948c49"
API_VERSION = "2025-09-01"


@pytest.fixture(scope="module")
def arm_server() -> Iterator[FakeArm]:
    with serve() as fake:
        yield fake


@pytest.fixture
def arm(arm_server: FakeArm) -> FakeArm:
    arm_server.clear()
    return arm_server


def client_for(arm: FakeArm, **options: Any) -> tuple[SentinelIncidents, RecordingTransport]:
    """The client the function app builds (bounded retry policy), on a recording transport."""
    transport = RecordingTransport(connection_verify=arm.ca_path)
    client = SecurityInsights(
        FakeCredential(),
        SUB,
        base_url=arm.endpoint,
        credential_scopes=[f"{arm.endpoint}/.default"],
        transport=transport,
        retry_policy=bounded_retry_policy(ARM_RETRY_SETTINGS, **options),
    )
    return SentinelIncidents(client, api_version=API_VERSION), transport


# -- the comment id ---------------------------------------------------------------------------


def test_comment_id_is_the_documented_uuid5() -> None:
    expected = uuid.uuid5(COMMENT_ID_NAMESPACE, f"{INCIDENT_PATH.lower()}|anomaly-lookup|v1")
    assert comment_id_for(REF) == str(expected) == COMMENT_ID


def test_comment_id_is_the_same_for_every_spelling_of_the_incident() -> None:
    trigger = parse_incident(load_fixture("trigger_ip_host.json"))  # ".../Incidents/..."
    event = parse_incident(load_fixture("eventgrid_event.json"))
    upper = replace(REF, resource_group="SOC-LAB", workspace_name="SOC-LAB-LOGS")
    ids = {
        comment_id_for(IncidentRef.from_incident(trigger)),
        comment_id_for(IncidentRef.from_incident(event)),
        comment_id_for(upper),
    }
    assert ids == {COMMENT_ID}
    other = replace(REF, incident_id="0d6e1c5b-6b7f-4d0e-9d1a-6f3b2a1c9e77")
    assert comment_id_for(other) != COMMENT_ID


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_incident_ref_from_a_rest_incident() -> None:
    ref = IncidentRef.from_incident(parse_incident(load_fixture("rest_incident.json")))
    assert ref == IncidentRef(
        "d0cfe6b2-9ac0-4464-9919-dccaee2e48c0",
        "myRg",
        "myWorkspace",
        "73e01a99-5cd7-4139-a149-9f2736ff2ab5",
    )


@pytest.mark.parametrize(
    ("incident", "field"),
    [
        (Incident(datetime(2026, 1, 1, tzinfo=UTC), "override", ()), "object.id"),
        (
            Incident(datetime(2026, 1, 1, tzinfo=UTC), "override", (), arm_id="incident-1"),
            "workspaceInfo.SubscriptionId",
        ),
    ],
)
def test_incident_ref_needs_the_coordinates(incident: Incident, field: str) -> None:
    with pytest.raises(PayloadError) as raised:
        IncidentRef.from_incident(incident)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subscription_id": "a/b"}, "workspaceInfo.SubscriptionId"),
        ({"resource_group": ".."}, "workspaceInfo.ResourceGroupName"),
        ({"workspace_name": "ws?api-version=1"}, "workspaceInfo.WorkspaceName"),
        ({"incident_id": "x#y"}, "object.name"),
        ({"incident_id": "i" * 257}, "object.name"),
    ],
)
def test_incident_ref_refuses_names_that_would_change_the_url(
    change: dict[str, str], field: str
) -> None:
    with pytest.raises(PayloadError) as raised:
        replace(REF, **change)
    assert raised.value.field == field


def test_the_alert_shape_has_no_incident_to_comment_on() -> None:
    alert = parse_incident(load_fixture("alert_trigger_pascalcase.json"))
    with pytest.raises(PayloadError) as raised:
        IncidentRef.from_incident(alert)
    assert raised.value.field == "object.id"


# -- writing ------------------------------------------------------------------------------------


def test_put_goes_to_the_exact_url_with_the_configured_api_version(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    write = sentinel.write_comment(REF, "<p>enrichment</p>")
    assert (write.comment_id, write.status, write.created, write.chars) == (
        COMMENT_ID,
        201,
        True,
        17,
    )
    (request,) = arm.requests
    assert request.method == "PUT"
    assert request.path == f"{INCIDENT_PATH}/comments/{COMMENT_ID}"
    assert request.query == {"api-version": [API_VERSION]}
    assert request.authorization == "Bearer fake-token"
    assert request.body == {"properties": {"message": "<p>enrichment</p>"}}


def test_the_api_version_is_sent_per_call_not_the_packages_2021_default(arm: FakeArm) -> None:
    # azure-mgmt-securityinsight 1.0.0 ignores a client-level api_version: only the
    # per-call keyword reaches the URL.
    transport = RecordingTransport(connection_verify=arm.ca_path)
    client = SecurityInsights(
        FakeCredential(), SUB, base_url=arm.endpoint, transport=transport, api_version="2024-09-01"
    )
    with pytest.raises(ResourceNotFoundError):
        client.incident_comments.get(REF.resource_group, REF.workspace_name, REF.incident_id, "c1")
    SentinelIncidents(client, api_version="2024-09-01").comment_exists(REF)
    assert [r.api_version for r in arm.requests] == ["2021-10-01", "2024-09-01"]


def test_two_runs_of_the_same_incident_leave_one_comment(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    first = sentinel.write_comment(REF, "<p>run 1</p>")
    second = sentinel.write_comment(REF, "<p>run 2</p>")
    assert (first.status, second.status) == (201, 200)
    assert first.comment_id == second.comment_id == COMMENT_ID
    comments = arm.comments_of(SUB, "soc-lab", "soc-lab-logs", REF.incident_id)
    assert list(comments) == [COMMENT_ID]
    assert (comments[COMMENT_ID].message, comments[COMMENT_ID].writes) == ("<p>run 2</p>", 2)


def test_429_then_success_waits_the_retry_after(arm: FakeArm) -> None:
    sentinel, transport = client_for(arm)
    arm.add_fault(ArmFault(429, method="PUT", retry_after="7", code="TooManyRequests"))
    write = sentinel.write_comment(REF, "<p>x</p>")
    assert write.status == 201
    assert [(r.method, r.status) for r in arm.requests] == [("PUT", 429), ("PUT", 201)]
    assert transport.sleeps == [7.0]


def test_5xx_is_retried_with_exponential_backoff(arm: FakeArm) -> None:
    sentinel, transport = client_for(arm)
    arm.add_fault(ArmFault(503, method="PUT", times=3))
    assert sentinel.write_comment(REF, "<p>x</p>").status == 201
    assert [r.status for r in arm.requests] == [503, 503, 503, 201]
    # azure-core: the first retry is immediate, then backoff_factor * 2**(n-1).
    assert transport.sleeps == [2.0, 4.0]


def test_a_persistent_failure_is_raised_after_the_retries(
    arm: FakeArm, caplog: pytest.LogCaptureFixture
) -> None:
    sentinel, transport = client_for(arm)
    arm.add_fault(ArmFault(500, method="PUT", times=100))
    with pytest.raises(SinkError) as raised:
        sentinel.write_comment(REF, "<p>x</p>")
    assert raised.value.status == 500
    assert "after the client's retries" in str(raised.value)
    assert len(arm.requests) == 1 + ARM_RETRY_SETTINGS["retry_total"]
    assert transport.sleeps == [2.0, 4.0, 8.0, 16.0]
    assert [r.levelname for r in caplog.records] == ["ERROR"]


def test_403_names_the_missing_role_and_is_not_retried(
    arm: FakeArm, caplog: pytest.LogCaptureFixture
) -> None:
    sentinel, transport = client_for(arm)
    arm.add_fault(
        authorization_failed("Microsoft.SecurityInsights/incidents/comments/write", WORKSPACE)
    )
    with pytest.raises(SinkError) as raised:
        sentinel.write_comment(REF, "<p>x</p>")
    assert raised.value.status == 403
    message = str(raised.value)
    # The custom role infra/workspace/workspace.bicep assigns, and the action it lacks.
    assert "needs Microsoft.SecurityInsights/incidents/comments/write on the workspace" in message
    assert "'Anomaly lookup function (<environment>)' role" in message
    assert f"on the workspace {WORKSPACE}" in message
    assert "AuthorizationFailed" in message
    assert len(arm.requests) == 1 and transport.sleeps == []
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    fields = record.custom_dimensions  # type: ignore[attr-defined]
    assert (fields["status"], fields["missing_role"], fields["scope"]) == (
        403,
        WORKSPACE_ROLE,
        WORKSPACE,
    )
    assert fields["missing_action"] == "Microsoft.SecurityInsights/incidents/comments/write"
    assert "fake-token" not in caplog.text


def test_an_oversized_message_is_refused_before_any_request(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    with pytest.raises(SinkError, match="30,001 characters"):
        sentinel.write_comment(REF, "x" * 30_001)
    assert arm.requests == []


def test_the_fake_enforces_sentinels_limits(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    key = incident_key(SUB, "soc-lab", "soc-lab-logs", "i2")
    arm.comments[key] = {f"c{i}": StoredComment(f"c{i}", "m", '"e"') for i in range(99)}
    client = sentinel.client
    client.incident_comments.create_or_update(
        "soc-lab", "soc-lab-logs", "i2", "c99", IncidentComment(message="m")
    )
    with pytest.raises(HttpResponseError) as raised:
        client.incident_comments.create_or_update(
            "soc-lab", "soc-lab-logs", "i2", "c100", IncidentComment(message="m")
        )
    assert raised.value.status_code == 400
    assert [r.status for r in arm.requests] == [201, 400]
    # A full incident refuses the enrichment; with room, it takes one slot and keeps it.
    with pytest.raises(SinkError) as full:
        sentinel.write_comment(replace(REF, incident_id="i2"), "<p>x</p>")
    assert full.value.status == 400
    del arm.comments[key]["c0"]
    assert sentinel.write_comment(replace(REF, incident_id="i2"), "<p>x</p>").status == 201
    assert sentinel.write_comment(replace(REF, incident_id="i2"), "<p>y</p>").status == 200


# -- time: every call ends by its deadline, whatever ARM does -------------------------------


class VirtualClock(RecordingTransport):
    """A recording transport whose sleeps advance a clock the retry policy reads."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now = 0.0

    def sleep(self, duration: float) -> None:
        super().sleep(duration)
        self.now += duration

    def clock(self) -> float:
        return time.monotonic() + self.now


def timed_client(arm: FakeArm, **options: Any) -> tuple[SentinelIncidents, VirtualClock]:
    transport = VirtualClock(connection_verify=arm.ca_path)
    client = SecurityInsights(
        FakeCredential(),
        SUB,
        base_url=arm.endpoint,
        transport=transport,
        retry_policy=bounded_retry_policy(ARM_RETRY_SETTINGS, clock=transport.clock, **options),
    )
    return SentinelIncidents(client, api_version=API_VERSION), transport


def test_an_arm_that_never_answers_ends_the_write_at_its_deadline(arm: FakeArm) -> None:
    # Before: four read timeouts of 300 s (1,207 s) for one comment.
    sentinel, _ = client_for(arm)
    arm.add_fault(ArmFault(0, method="PUT", times=100, hang=120))
    started = time.monotonic()
    with pytest.raises(SinkError) as raised:
        sentinel.write_comment(REF, "<p>x</p>", deadline=started + 2.0)
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 6, elapsed
    assert raised.value.status is None and raised.value.permanent is False
    assert {r.status for r in arm.requests} == {0}  # held, never answered


def test_without_a_deadline_a_call_is_still_bounded(
    arm: FakeArm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(comments_module, "ARM_CALL_SECONDS", 1.5)
    sentinel, _ = client_for(arm)
    arm.add_fault(ArmFault(0, method="GET", times=100, hang=120))
    started = time.monotonic()
    with pytest.raises(SinkError):
        sentinel.comment_exists(REF)
    assert time.monotonic() - started < 5


def test_a_retry_after_of_an_hour_is_not_waited_for(arm: FakeArm) -> None:
    # Before: 5 x 3,600 s planned.
    sentinel, transport = timed_client(arm)
    arm.add_fault(ArmFault(429, method="PUT", times=10, retry_after="3600", code="TooManyRequests"))
    with pytest.raises(SinkError) as raised:
        sentinel.write_comment(REF, "<p>x</p>", deadline=time.monotonic() + 1_000)
    assert (raised.value.status, raised.value.permanent) == (429, False)
    assert transport.sleeps == []
    assert [r.status for r in arm.requests] == [429]


def test_a_retry_after_is_waited_only_if_it_fits_the_deadline(arm: FakeArm) -> None:
    assert MAX_RETRY_AFTER_SECONDS >= 30
    sentinel, transport = timed_client(arm)
    arm.add_fault(ArmFault(429, method="PUT", times=1, retry_after="30"))
    with pytest.raises(SinkError) as raised:
        sentinel.write_comment(REF, "<p>x</p>", deadline=time.monotonic() + 20)
    assert raised.value.status == 429 and transport.sleeps == []
    arm.clear()
    arm.add_fault(ArmFault(429, method="PUT", times=1, retry_after="30"))
    assert sentinel.write_comment(REF, "<p>x</p>", deadline=time.monotonic() + 40).status == 201
    assert transport.sleeps == [30.0]


def test_backoff_never_sleeps_past_the_deadline(arm: FakeArm) -> None:
    sentinel, transport = timed_client(arm)
    arm.add_fault(ArmFault(503, method="PUT", times=100))
    with pytest.raises(SinkError) as raised:
        sentinel.write_comment(REF, "<p>x</p>", deadline=time.monotonic() + 5)
    assert raised.value.status == 503 and raised.value.permanent is False
    # Immediate retry, then 2 s; the next backoff (4 s) would end past the deadline.
    assert transport.sleeps == [2.0]
    assert [r.status for r in arm.requests] == [503, 503, 503]


def test_a_spent_budget_sends_nothing(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    with pytest.raises(SinkError, match="time budget is spent"):
        sentinel.write_comment(REF, "<p>x</p>", deadline=time.monotonic() - 1)
    assert arm.requests == []


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        *[(status, True) for status in (400, 404, 409, 412)],
        *[(status, False) for status in (401, 403, 408, 429, 500, 503)],
    ],
)
def test_which_arm_refusals_are_permanent(arm: FakeArm, status: int, permanent: bool) -> None:
    # Permanent: the request itself is refused, a re-run sends the same one. 401/403 concern
    # the identity (a token refresh, a role assignment still propagating), 408/429/5xx time.
    sentinel, _ = client_for(arm, retry_total=0)
    arm.add_fault(ArmFault(status, method="PUT", times=100))
    with pytest.raises(SinkError) as raised:
        sentinel.write_comment(REF, "<p>x</p>")
    assert raised.value.status == status
    assert raised.value.permanent is permanent
    assert len(arm.requests) == 1


# -- reading ----------------------------------------------------------------------------------


def test_list_entities_returns_the_raw_response(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    response = load_fixture("list_entities.json")
    response["entities"][0]["properties"]["userPrincipalName"] = "administrator@contoso.com"
    arm.set_entities(SUB, "soc-lab", "soc-lab-logs", REF.incident_id, response)
    assert sentinel.list_entities(REF) == response
    (request,) = arm.requests
    assert (request.method, request.path, request.api_version) == (
        "POST",
        f"{INCIDENT_PATH}/entities",
        API_VERSION,
    )


def test_list_entities_retries_a_502_on_its_post(arm: FakeArm) -> None:
    sentinel, transport = client_for(arm)
    arm.set_entities(SUB, "soc-lab", "soc-lab-logs", REF.incident_id, {"entities": []})
    arm.add_fault(ArmFault(502, method="POST"))
    assert sentinel.list_entities(REF) == {"entities": []}
    assert [r.status for r in arm.requests] == [502, 200]
    assert transport.sleeps == []


def test_list_entities_403_names_the_role(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    arm.add_fault(
        authorization_failed(
            "Microsoft.SecurityInsights/incidents/entities/read", WORKSPACE, method="POST"
        )
    )
    with pytest.raises(SinkError, match=WORKSPACE_ROLE) as raised:
        sentinel.list_entities(REF)
    assert raised.value.status == 403


def test_comment_exists(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    assert sentinel.comment_exists(REF) is False
    sentinel.write_comment(REF, "<p>x</p>")
    assert sentinel.comment_exists(REF) is True
    assert [(r.method, r.status) for r in arm.requests] == [
        ("GET", 404),
        ("PUT", 201),
        ("GET", 200),
    ]


# -- the rendered comment through the real client -------------------------------------------


def _big_report(anomalies: int) -> Report:
    alert = datetime(2026, 1, 30, 3, 14, tzinfo=UTC)
    window = Window(start=alert - timedelta(days=14), step=timedelta(days=1), bins=15)
    entity = Entity(EntityKind.ACCOUNT, "adele.vance@contoso.com", ("adele.vance@contoso.com",))
    rows = tuple(
        Anomaly(
            rank=rank,
            entity=entity.value,
            entity_kind="Account",
            table="SigninLogs",
            entity_column="UserPrincipalName",
            column="AppDisplayName",
            value=f"<script>alert({rank})</script> app {rank} " + "w" * 200,
            bin_start=window.test_bin_start,
            step=window.step,
            actual=40.0 + rank,
            expected=1.5,
            score=100.0 / rank,
            series=(1.0,) * 14 + (40.0 + rank,),
            drilldown_kql=f'SigninLogs\n| where AppDisplayName == "app {rank}"\n| take 1000',
        )
        for rank in range(1, anomalies + 1)
    )
    incident = Incident(
        alert_time=alert,
        alert_time_source="alert endTimeUtc",
        entities=(entity,),
        arm_id=INCIDENT_PATH,
        name=REF.incident_id,
        number=17,
    )
    return Report(
        incident=incident,
        window=window,
        entities=(EntityReport(entity, window),),
        tables=(TableResult("SigninLogs", "ok"), TableResult("AuditLogs", "failed", error="403")),
        anomalies=rows,
        stats=Stats(queries=3, seconds=1.0),
        settings=Settings().echo(),
    )


def test_a_huge_report_is_written_as_valid_html_under_the_limit(arm: FakeArm) -> None:
    report = _big_report(500)
    links = comment_links(report, REF, AppSettings())
    assert len(links) == 25
    message = render_comment_html(report, links=links)
    sentinel, _ = client_for(arm)
    assert sentinel.write_comment(REF, message).status == 201
    stored = arm.comments_of(SUB, "soc-lab", "soc-lab-logs", REF.incident_id)[COMMENT_ID]
    assert stored.message == message
    assert len(stored.message) <= 30_000
    parsed = parse_comment_html(stored.message)
    assert parsed.problems == ()
    assert "<script>" not in stored.message
    assert "more not shown" in parsed.text
    assert all(link.startswith("https://portal.azure.com/#blade/") for link in parsed.links)


# -- how long is a comment: UTF-16 code units, as .NET counts ----------------------------------


def test_sentinel_length_counts_astral_characters_twice() -> None:
    assert sentinel_length("abc") == 3
    assert sentinel_length("é€") == 2  # in the Basic Multilingual Plane: once
    assert sentinel_length("😀") == 2  # U+1F600: a surrogate pair in UTF-16
    assert sentinel_length("𝔘𠀀") == 4


def test_the_fake_and_the_writer_count_like_sentinel(arm: FakeArm) -> None:
    sentinel, _ = client_for(arm)
    assert sentinel.write_comment(REF, "😀" * 15_000).status == 201
    with pytest.raises(SinkError, match="30,002 characters"):
        sentinel.write_comment(REF, "😀" * 15_001)  # 15,001 code points, 30,002 units
    client = sentinel.client
    with pytest.raises(HttpResponseError):  # the fake refuses it too
        client.incident_comments.create_or_update(
            "soc-lab", "soc-lab-logs", REF.incident_id, "c1", IncidentComment(message="😀" * 15_001)
        )


def _emoji_report(anomalies: int) -> Report:
    report = _big_report(anomalies)
    emoji = "😀🔥🛡️👾"
    rows = tuple(
        replace(
            anomaly,
            value=emoji * 60 + f" {anomaly.rank}",
            entity="𝓪𝓭𝓮𝓵𝓮@contoso.com",
            column="AppDisplayName" + "🔑" * 20,
            drilldown_kql=f'SigninLogs\n| where AppDisplayName == "{emoji * 40}"',
        )
        for anomaly in report.anomalies
    )
    return replace(report, anomalies=rows)


def test_an_emoji_heavy_comment_fits_in_utf16_code_units(arm: FakeArm) -> None:
    # Before: 29,848 code points budgeted, 49,239 UTF-16 units sent.
    report = _emoji_report(500)
    message = render_comment_html(report, links=comment_links(report, REF, AppSettings()))
    assert sentinel_length(message) <= 30_000
    assert sentinel_length(message) > 20_000  # the budget is used, not wasted
    sentinel, _ = client_for(arm)
    assert sentinel.write_comment(REF, message).status == 201
    parsed = parse_comment_html(message)
    assert parsed.problems == ()
    assert "😀🔥" in parsed.text and "more not shown" in parsed.text
