"""Entity strings come from attackers: they must be found, and must not bend any query.

Each hostile account or host appears in the data with a usual value for two weeks and a
burst of a hostile value today. The lookup must find the entity, report the burst, and
produce a drill-down that Microsoft's Kusto language service parses without error and whose
string literals read back exactly as the identifiers and the value.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kusto.language_service import LanguageService, schema_tables, shared_service

from lookup.backends.local import LocalBackend
from lookup.engine import run_lookup
from lookup.report import Report
from lookup.settings import Settings

ALERT = datetime(2026, 5, 4, 16, 20, tzinfo=UTC)
DAY = timedelta(days=1)

HOSTILE_ACCOUNTS = [
    "o'brien@contoso.com",
    'quo"te@contoso.com',
    "back\\slash@contoso.com",
    "new\nline@contoso.com",
    "ユーザー@例え.jp",
    "take@contoso.com",
    "x@y.z | union * | summarize",
]
HOSTILE_HOSTS = ['srv" | union * //', "WS-ÆØÅ-01", "host\ttab"]
# URLs and a hash, found only in free text (Syslog's SyslogMessage): issue 10.
HOSTILE_URLS = [
    'http://evil.example/a?q="|where 1==1//',
    "https://x.example/it's;drop",
    "http://wh401k.org/getps",
]
HOSTILE_HASH = "3423b3fd7bf9ff89886377241521d7896eceb0274c4b2b6af1e0910da70822b1"
HOSTILE_VALUES = [
    'App"; drop table',
    "line1\nline2",
    "\\\\server\\share\\",
    "emoji \U0001f600 and \u202e rtl",
    "' or 1==1 //",
    "```",
    "let x = 1;",
    "NUL\x00byte",
    "plain",
    "🙂",
]


def rows_for(entity_column: str, who: str, value_column: str, value: str) -> list[dict[str, Any]]:
    rows = []
    first = ALERT.replace(hour=0, minute=0) - 14 * DAY
    for d in range(15):
        for i in range(3):
            rows.append(
                {
                    "TimeGenerated": (first + d * DAY + timedelta(hours=10, minutes=i)).isoformat(),
                    entity_column: who,
                    value_column: "usual",
                }
            )
    for i in range(30):
        rows.append(
            {
                "TimeGenerated": (ALERT - timedelta(minutes=i + 1)).isoformat(),
                entity_column: who,
                value_column: value,
            }
        )
    return rows


def background(entity_column: str, value_column: str) -> list[dict[str, Any]]:
    return [
        {
            "TimeGenerated": (ALERT - (i % 14) * DAY - timedelta(hours=5)).isoformat(),
            entity_column: f"user{i % 40}@contoso.com",
            value_column: ("usual", "other", "third")[i % 3],
        }
        for i in range(4000)
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    ws = tmp_path_factory.mktemp("hostile")
    signins = background("UserPrincipalName", "AppDisplayName")
    entities: list[dict[str, Any]] = []
    for i, upn in enumerate(HOSTILE_ACCOUNTS):
        value = HOSTILE_VALUES[i % len(HOSTILE_VALUES)]
        signins += rows_for("UserPrincipalName", upn, "AppDisplayName", value)
        entities.append({"kind": "Account", "properties": {"userPrincipalName": upn}})
    events = background("Computer", "Activity")
    for i, name in enumerate(HOSTILE_HOSTS):
        value = HOSTILE_VALUES[-(i + 1)]
        events += rows_for("Computer", name, "Activity", value)
        entities.append({"kind": "Host", "properties": {"hostName": name}})
    syslog = [
        {**row, "SyslogMessage": f"GET http://intranet.example/{i % 40} HTTP/1.1"}
        for i, row in enumerate(background("SyslogMessage", "ProcessName"))
    ]
    for i, url in enumerate([*HOSTILE_URLS, HOSTILE_HASH]):
        message = f"GET {url} HTTP/1.1" if url != HOSTILE_HASH else f"file sha256={url} seen"
        syslog += rows_for("SyslogMessage", message, "ProcessName", HOSTILE_VALUES[i + 1])
        if url == HOSTILE_HASH:
            entities.append({"kind": "FileHash", "properties": {"hashValue": url}})
        else:
            entities.append({"kind": "Url", "properties": {"url": url}})
    (ws / "Syslog.jsonl").write_text("\n".join(json.dumps(r) for r in syslog), "utf-8")
    (ws / "SigninLogs.jsonl").write_text("\n".join(json.dumps(r) for r in signins), "utf-8")
    (ws / "SecurityEvent.jsonl").write_text("\n".join(json.dumps(r) for r in events), "utf-8")
    payload = {
        "object": {
            "name": "h",
            "properties": {"createdTimeUtc": ALERT.isoformat(), "relatedEntities": entities},
        }
    }
    return run_lookup(payload, LocalBackend(ws), settings=Settings())


@pytest.mark.parametrize("index", range(len(HOSTILE_ACCOUNTS)))
def test_hostile_account_is_found_with_its_burst(report: Report, index: int) -> None:
    upn = HOSTILE_ACCOUNTS[index]
    value = HOSTILE_VALUES[index % len(HOSTILE_VALUES)]
    hits = [a for a in report.anomalies if a.entity == upn]
    assert [(a.table, a.column, a.value, a.actual) for a in hits] == [
        ("SigninLogs", "AppDisplayName", value, 30.0)
    ]


@pytest.mark.parametrize("index", range(len(HOSTILE_HOSTS)))
def test_hostile_host_is_found_with_its_burst(report: Report, index: int) -> None:
    name = HOSTILE_HOSTS[index]
    hits = [a for a in report.anomalies if a.entity == name]
    assert [(a.table, a.column, a.value) for a in hits] == [
        ("SecurityEvent", "Activity", HOSTILE_VALUES[-(index + 1)])
    ]


@pytest.mark.parametrize("index", range(len(HOSTILE_URLS) + 1))
def test_hostile_url_or_hash_is_found_in_free_text(report: Report, index: int) -> None:
    value = [*HOSTILE_URLS, HOSTILE_HASH][index]
    hits = [a for a in report.anomalies if a.entity == value]
    assert [(a.table, a.entity_column, a.column, a.value) for a in hits] == [
        ("Syslog", "SyslogMessage", "ProcessName", HOSTILE_VALUES[index + 1])
    ]


@pytest.fixture(scope="module")
def kusto(schemas_dir: Path) -> LanguageService:
    service = shared_service()
    service.set_tables(schema_tables(schemas_dir))
    return service


def test_every_drilldown_parses_and_keeps_the_values(
    report: Report, kusto: LanguageService
) -> None:
    assert len(report.anomalies) == len(HOSTILE_ACCOUNTS) + len(HOSTILE_HOSTS) + 4
    identifiers = {e.entity.value: e.entity.identifiers for e in report.entities}
    for anomaly in report.anomalies:
        analysis = kusto.analyse(anomaly.drilldown_kql)
        assert analysis.errors == (), analysis.explain()
        assert analysis.literals == (*identifiers[anomaly.entity], anomaly.value)


def test_chart_queries_parse(report: Report, kusto: LanguageService) -> None:
    charts = report.charts
    assert set(charts) == {"SigninLogs", "SecurityEvent", "Syslog"}
    for queries in charts.values():
        for query in queries:
            analysis = kusto.analyse(query)
            assert analysis.errors == (), analysis.explain()
