"""The engine on small hand-made workspaces: statuses, failures, budget, scoring decisions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lookup.backends.base import CountsRequest, ProfileRequest, TableCounts, TableProfile
from lookup.backends.local import LocalBackend
from lookup.engine import LookupEngine, Progress, run_lookup
from lookup.errors import PayloadError, QueryError
from lookup.sentinel.payload import parse_incident
from lookup.settings import Settings

ALERT = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def trigger(*entities: dict[str, Any], alert: datetime = ALERT) -> dict[str, Any]:
    """A minimal incident trigger body."""
    return {
        "workspaceId": "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f",
        "object": {
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights"
            "/workspaces/w/providers/Microsoft.SecurityInsights/Incidents/abc",
            "name": "abc",
            "properties": {
                "title": "test",
                "incidentNumber": 7,
                "createdTimeUtc": alert.isoformat(),
                "relatedEntities": list(entities),
            },
        },
    }


def account(upn: str) -> dict[str, Any]:
    name, suffix = upn.split("@")
    return {"kind": "Account", "properties": {"accountName": name, "upnSuffix": suffix}}


def host(name: str) -> dict[str, Any]:
    return {"kind": "Host", "properties": {"hostName": name}}


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def daily_rows(
    user: str, per_day: dict[str, list[int]], column: str = "AppDisplayName"
) -> list[dict[str, Any]]:
    """Rows for ``user``: for each value, a count per day ending on the alert day."""
    rows = []
    for value, counts in per_day.items():
        first = ALERT.replace(hour=0) - DAY * (len(counts) - 1)
        for d, count in enumerate(counts):
            for i in range(count):
                when = first + d * DAY + timedelta(hours=9, seconds=i)
                rows.append(
                    {"TimeGenerated": when.isoformat(), "UserPrincipalName": user, column: value}
                )
    return rows


def background(n: int = 3000) -> list[dict[str, Any]]:
    """Other users, so the categorical heuristic sees a realistic table."""
    apps = ["Teams", "Outlook", "SharePoint", "Portal"]
    return [
        {
            "TimeGenerated": (ALERT - DAY * (i % 14) - timedelta(hours=3)).isoformat(),
            "UserPrincipalName": f"user{i % 50}@contoso.com",
            "AppDisplayName": apps[i % 4],
        }
        for i in range(n)
    ]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    directory = tmp_path / "ws"
    directory.mkdir()
    return directory


def lookup(workspace: Path, payload: object, **settings: Any) -> Any:
    return run_lookup(payload, LocalBackend(workspace), settings=Settings(**settings))


def test_new_value_burst_scores_high_and_ranks_first(workspace: Path) -> None:
    rows = background() + daily_rows(
        "jdoe@contoso.com",
        {
            "Teams": [20] * 14 + [21],  # steadily high: not anomalous
            "Outlook": [3, 2, 4, 3, 2, 3, 9, 3, 2, 4, 3, 2, 3, 3, 12],  # spike on a usual value
            "Portal": [0] * 14 + [40],  # never seen, then many times
            "SharePoint": [1, 0, 2, 1, 1, 0, 1, 30, 1, 0, 1, 2, 1, 1, 1],  # earlier spike
        },
    )
    write_rows(workspace / "SigninLogs.jsonl", rows)
    report = lookup(workspace, trigger(account("jdoe@contoso.com")))
    found = [(a.column, a.value) for a in report.anomalies]
    assert found == [("AppDisplayName", "Portal"), ("AppDisplayName", "Outlook")]
    first = report.anomalies[0]
    assert (first.rank, first.actual, first.expected, first.first_seen) == (1, 40.0, 0.0, True)
    assert first.score > 30
    assert report.tables[0].status == "ok"
    assert report.tables[0].entity_columns == {"jdoe@contoso.com": ("UserPrincipalName",)}
    assert "Portal" in first.drilldown_kql


def test_one_failing_table_never_sinks_the_incident(workspace: Path) -> None:
    write_rows(
        workspace / "SigninLogs.jsonl",
        background()
        + daily_rows("jdoe@contoso.com", {"Teams": [5] * 15, "Portal": [0] * 14 + [40]}),
    )
    (workspace / "AuditLogs.parquet").write_bytes(b"PAR1 garbage")
    write_rows(workspace / "Syslog.jsonl", [{"Computer": "x", "SyslogMessage": "no time"}])
    write_rows(
        workspace / "OfficeActivity.jsonl",
        [
            {
                "TimeGenerated": (ALERT - 40 * DAY).isoformat(),
                "UserId": "jdoe@contoso.com",
                "Operation": "FileAccessed",
            }
        ],
    )
    report = lookup(workspace, trigger(account("jdoe@contoso.com")))
    status = {t.table: (t.status, t.error) for t in report.tables}
    assert status["SigninLogs"] == ("ok", None)
    assert status["AuditLogs"][0] == "failed"
    assert "cannot read AuditLogs.parquet" in status["AuditLogs"][1]
    assert status["Syslog"] == ("failed", "Syslog.jsonl has no TimeGenerated column")
    assert status["OfficeActivity"] == ("no_match", "no rows in the analysis window")
    assert [a.value for a in report.anomalies] == ["Portal"]


def test_entity_absent_and_unrelated_table(workspace: Path) -> None:
    write_rows(workspace / "SigninLogs.jsonl", background())
    write_rows(
        workspace / "Heartbeat.jsonl",
        [{"TimeGenerated": ALERT.isoformat(), "Category": "Direct Agent", "Version": "1.0"}],
    )
    report = lookup(workspace, trigger(account("ghost@contoso.com")))
    status = {t.table: (t.status, t.error) for t in report.tables}
    assert status["SigninLogs"] == (
        "no_match",
        "none of the entities appears in this table in the window",
    )
    assert status["Heartbeat"] == ("no_match", "no column of this table holds Account entities")
    assert report.anomalies == ()


def test_incident_without_usable_entities_still_reports(workspace: Path) -> None:
    write_rows(workspace / "SigninLogs.jsonl", background())
    payload = trigger({"kind": "MailCluster", "properties": {"friendlyName": "cluster"}})
    report = lookup(workspace, payload)
    assert report.entities == ()
    assert report.tables == ()
    assert report.stats.queries == 0
    assert [s.kind for s in report.incident.skipped_entities] == ["MailCluster"]


def test_malformed_payload_is_a_payload_error(workspace: Path) -> None:
    write_rows(workspace / "SigninLogs.jsonl", background())
    with pytest.raises(PayloadError) as caught:
        lookup(workspace, {"object": {"properties": "oops"}})
    assert caught.value.field == "object.properties"


class FlakyBackend(LocalBackend):
    """The real local backend with injected faults: a failing, a partial and a buggy table."""

    def profile(self, request: ProfileRequest) -> TableProfile:
        if request.table == "AuditLogs":
            raise QueryError("HTTP 500 from the service after 3 retries")
        if request.table == "MyApp_CL":
            raise KeyError("bug")
        return super().profile(request)

    def counts(self, request: CountsRequest) -> TableCounts:
        answer = super().counts(request)
        if request.table == "SecurityEvent":
            return replace(answer, partial="result truncated at 500,000 rows")
        return answer


def test_service_failures_partial_results_and_bugs_are_contained(workspace: Path) -> None:
    user = "jdoe@contoso.com"
    usual = {"Teams": [5] * 15, "Portal": [0] * 14 + [40]}
    write_rows(workspace / "SigninLogs.jsonl", background() + daily_rows(user, usual))
    write_rows(
        workspace / "SecurityEvent.jsonl",
        [
            {**r, "Account": r["UserPrincipalName"], "Activity": r["AppDisplayName"]}
            for r in background() + daily_rows(user, usual)
        ],
    )
    write_rows(
        workspace / "AuditLogs.jsonl", [{"TimeGenerated": ALERT.isoformat(), "InitiatedBy": user}]
    )
    write_rows(
        workspace / "MyApp_CL.jsonl", [{"TimeGenerated": ALERT.isoformat(), "UserName": user}]
    )
    report = run_lookup(trigger(account(user)), FlakyBackend(workspace), settings=Settings())
    status = {t.table: (t.status, t.error) for t in report.tables}
    assert status["AuditLogs"] == ("failed", "HTTP 500 from the service after 3 retries")
    assert status["MyApp_CL"] == ("failed", "internal error: KeyError: 'bug'")
    assert status["SecurityEvent"] == ("partial", "result truncated at 500,000 rows")
    assert status["SigninLogs"] == ("ok", None)
    # partial data is still used
    assert {a.table for a in report.anomalies} == {"SigninLogs", "SecurityEvent"}


def test_time_budget_skips_tables_not_started(workspace: Path) -> None:
    for table in ("AuditLogs", "SigninLogs", "Syslog"):
        write_rows(workspace / f"{table}.jsonl", background(100))
    ticks = iter([0.0, 1.0, 2.0, 100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0])
    progress: list[Progress] = []
    engine = LookupEngine(
        LocalBackend(workspace),
        Settings(time_budget_seconds=30),
        progress=progress.append,
        clock=lambda: next(ticks),
    )
    report = engine.run(parse_incident(trigger(account("user1@contoso.com"))))
    status = [(t.table, t.status) for t in report.tables]
    assert status[0] == ("AuditLogs", "ok")
    assert status[1:] == [("SigninLogs", "skipped"), ("Syslog", "skipped")]
    assert "time budget of 30 s" in (report.tables[1].error or "")
    assert [(p.done, p.total, p.table) for p in progress] == [
        (1, 3, "AuditLogs"),
        (2, 3, "SigninLogs"),
        (3, 3, "Syslog"),
    ]


def test_new_entity_gets_hourly_series(workspace: Path) -> None:
    alert = ALERT + timedelta(minutes=40)
    rows = background()
    for minutes in range(0, 180, 5):  # first seen three hours before the alert
        rows.append(
            {
                "TimeGenerated": (alert - timedelta(minutes=minutes + 1)).isoformat(),
                "UserPrincipalName": "new@contoso.com",
                "AppDisplayName": "Portal",
            }
        )
    write_rows(workspace / "SigninLogs.jsonl", rows)
    report = lookup(workspace, trigger(account("new@contoso.com"), alert=alert))
    (entity,) = report.entities
    assert entity.window.step_label == "1h"
    # bins end at the end of the alert's minute (15:41): the last three hours hold 12 each
    assert entity.window.test_bin_start == alert + timedelta(minutes=1) - timedelta(hours=1)
    (anomaly,) = report.anomalies
    assert anomaly.step == timedelta(hours=1)
    assert anomaly.bin_start == entity.window.test_bin_start
    assert len(anomaly.series) == 73
    assert anomaly.series[-4:] == (0.0, 12.0, 12.0, 12.0)
    calendar = lookup(
        workspace, trigger(account("new@contoso.com"), alert=alert), bin_alignment="calendar"
    )
    assert calendar.entities[0].window.test_bin_start == ALERT
    assert calendar.anomalies[0].series[-5:] == (0.0, 4.0, 12.0, 12.0, 8.0)
    forced = lookup(workspace, trigger(account("new@contoso.com"), alert=alert), step="1d")
    assert forced.entities[0].window.step_label == "1d"


def test_explicit_table_list_is_honoured(workspace: Path) -> None:
    for table in ("SigninLogs", "AuditLogs"):
        write_rows(workspace / f"{table}.jsonl", background(50))
    report = lookup(
        workspace, trigger(account("ghost@contoso.com")), tables=("SigninLogs", "Missing")
    )
    status = {t.table: t.status for t in report.tables}
    assert status == {"SigninLogs": "no_match", "Missing": "failed"}


def test_report_json_follows_the_contract(workspace: Path) -> None:
    write_rows(
        workspace / "SigninLogs.jsonl",
        background()
        + daily_rows("jdoe@contoso.com", {"Teams": [5] * 15, "Portal": [0] * 14 + [40]}),
    )
    data = json.loads(lookup(workspace, trigger(account("jdoe@contoso.com"))).to_json())
    assert set(data) >= {"incident", "window", "entities", "tables", "anomalies", "stats"}
    assert set(data["incident"]) >= {"id", "number", "title", "alert_time"}
    assert data["incident"]["alert_time"] == "2026-03-20T15:00:00Z"
    assert data["window"] == {
        "start": "2026-03-05T15:01:00Z",
        "end": "2026-03-20T15:01:00Z",
        "step": "1d",
        "bins": 15,
    }
    assert data["entities"][0]["identifiers"][0] == "jdoe@contoso.com"
    table = data["tables"][0]
    assert set(table) >= {"table", "status", "entity_columns", "categorical_columns", "error"}
    anomaly = data["anomalies"][0]
    assert set(anomaly) >= {
        "rank",
        "entity",
        "entity_kind",
        "table",
        "entity_column",
        "column",
        "value",
        "bin_start",
        "actual",
        "expected",
        "score",
        "series",
        "drilldown_kql",
    }
    assert anomaly["bin_start"] == "2026-03-19T15:01:00Z"
    assert len(anomaly["series"]) == 15
    assert set(data["stats"]) >= {"queries", "seconds"}
    (chart,) = data["charts"]
    assert chart["table"] == "SigninLogs"
    assert "series_decompose_anomalies(Rows, 1.5, -1, 'avg', 1)" in chart["kql"]
    assert "render anomalychart" in chart["kql"]
