"""The whole lookup on real log rows published by Microsoft and OTRF (tests/fixtures)."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes.log_analytics import FakeWorkspace, make_client, serve
from sample_support import sample_incident as incident

from lookup.backends.local import LocalBackend
from lookup.backends.log_analytics import LogAnalyticsBackend, RetrySchedule
from lookup.engine import run_lookup
from lookup.models import EntityKind
from lookup.render import render
from lookup.render.html import COMMENT_MAX_CHARS
from lookup.report import Report
from lookup.settings import Settings


def workspace(tmp_path: Path, sample_data_dir: Path, files: dict[str, str]) -> Path:
    """A workspace directory holding the given sample files under their table names."""
    directory = tmp_path / "ws"
    directory.mkdir()
    for table, name in files.items():
        source = sample_data_dir / name
        shutil.copy(source, directory / f"{table}{source.suffix}")
    return directory


def check_report(report: Report) -> None:
    """Invariants every report must satisfy, whatever the data."""
    json.loads(report.to_json())
    assert len(render(report, "html")) <= COMMENT_MAX_CHARS
    assert render(report, "markdown")
    for anomaly in report.anomalies:
        assert anomaly.score > 1.5
        assert anomaly.actual > anomaly.expected
        assert anomaly.drilldown_kql.startswith(anomaly.table)


def test_security_event_4688_host_and_admin(tmp_path: Path, sample_data_dir: Path) -> None:
    ws = workspace(
        tmp_path,
        sample_data_dir,
        {"SecurityEvent": "SecurityEvent_4688.msticnb_processes_on_host.csv"},
    )
    payload = incident(
        [
            {"kind": "Host", "properties": {"hostName": "MSTICAlertsWin1"}},
            {
                "kind": "Account",
                "properties": {"accountName": "MSTICAdmin", "ntDomain": "MSTICAlertsWin1"},
            },
        ],
        datetime(2019, 2, 15, 15, 0, tzinfo=UTC),  # after the last row (14:32)
    )
    report = run_lookup(payload, LocalBackend(ws), settings=Settings())
    check_report(report)
    (table,) = report.tables
    assert table.status == "ok"
    assert table.row_count == 10000
    assert "Computer" in table.entity_columns["MSTICAlertsWin1"]
    admin = next(v for k, v in table.entity_columns.items() if "MSTICAdmin" in k)
    assert "Account" in admin
    # NewProcessName has 145 values over 10,000 rows: the notebook's ratio test rejects it.
    assert "NewProcessName" not in table.categorical_columns
    assert {"TokenElevationType", "SubjectDomainName"} <= set(table.categorical_columns)
    assert table.series_scored > 0


def test_signin_and_office_for_one_user(tmp_path: Path, sample_data_dir: Path) -> None:
    ws = workspace(
        tmp_path,
        sample_data_dir,
        {
            "SigninLogs": "SigninLogs.msticnb_aad_signin_user.jsonl",
            "OfficeActivity": "OfficeActivity.msticnb_office_activity_user.jsonl",
            "AuditLogs": "AuditLogs.otrf_goldensaml_AADAuditEvents.jsonl",
            "DeviceProcessEvents": "DeviceProcessEvents.msticpy_mde_proc_pub.jsonl",
        },
    )
    payload = incident(
        [
            {
                "kind": "Account",
                "properties": {"accountName": "crqerkikpjo", "upnSuffix": "ld.fkaframbemji.pjb"},
            },
            {"kind": "Ip", "properties": {"address": "152.133.101.182"}},
        ],
        datetime(2020, 7, 29, 16, 0, tzinfo=UTC),
    )
    report = run_lookup(payload, LocalBackend(ws), settings=Settings())
    check_report(report)
    status = {t.table: t for t in report.tables}
    assert status["SigninLogs"].status == "ok"
    assert status["SigninLogs"].entity_columns["crqerkikpjo@ld.fkaframbemji.pjb"][0] == (
        "UserPrincipalName"
    )
    assert "IPAddress" in status["SigninLogs"].entity_columns["152.133.101.182"]
    assert status["OfficeActivity"].status == "ok"
    assert status["AuditLogs"].status == "no_match"
    # Defender advanced-hunting exports carry `Timestamp`, not `TimeGenerated`.
    assert status["DeviceProcessEvents"].status == "failed"
    assert "no TimeGenerated column" in (status["DeviceProcessEvents"].error or "")


def test_dynamic_initiated_by_in_audit_logs(tmp_path: Path, sample_data_dir: Path) -> None:
    ws = workspace(
        tmp_path, sample_data_dir, {"AuditLogs": "AuditLogs.otrf_goldensaml_AADAuditEvents.jsonl"}
    )
    payload = incident(
        [{"kind": "Account", "properties": {"userPrincipalName": "pgustavo@simulandlabs.com"}}],
        datetime(2021, 8, 2, 13, 30, tzinfo=UTC),
    )
    report = run_lookup(payload, LocalBackend(ws), settings=Settings())
    check_report(report)
    (table,) = report.tables
    assert table.status == "ok"
    assert "InitiatedBy" in table.entity_columns["pgustavo@simulandlabs.com"]


@pytest.mark.parametrize(
    ("files", "entity", "alert"),
    [
        (
            {"OfficeActivity": "OfficeActivity_ExchangeAdmin.msticpy_demo_exchange_data.csv"},
            {
                "kind": "Account",
                "properties": {"accountName": "Administrator", "ntDomain": "NAMPRD06"},
            },
            datetime(2020, 5, 19, 18, 0, tzinfo=UTC),
        ),
        (
            {"Syslog": "Syslog.otrf_log4shell_auoms_auditd.jsonl"},
            {"kind": "Host", "properties": {"hostName": "UBUNTU5"}},
            datetime(2022, 5, 11, 18, 30, tzinfo=UTC),
        ),
        (
            {"SecurityEvent": "SecurityEvent.otrf_log4shell_securityauditing.jsonl"},
            {"kind": "Host", "properties": {"hostName": "WORKSTATION5"}},
            datetime(2022, 5, 13, 9, 0, tzinfo=UTC),
        ),
        (
            {"SecurityEvent": "SecurityEvent_4624.msticnb_win_host_logons.csv"},
            {"kind": "Host", "properties": {"hostName": "WinAttackSim"}},
            datetime(2020, 6, 27, 22, 0, tzinfo=UTC),
        ),
        (
            {"AzureActivity": "AzureActivity.msticnb_azure_activity_df.jsonl"},
            {"kind": "Account", "properties": {"userPrincipalName": "sanjshah@microsoft.com"}},
            datetime(2021, 3, 23, 12, 30, tzinfo=UTC),
        ),
        (
            {"AzureNetworkAnalytics_CL": "AzureNetworkAnalytics_CL.msticpy_az_net_flows.csv"},
            {"kind": "Ip", "properties": {"address": "10.0.3.5"}},
            datetime(2019, 2, 14, 14, 0, tzinfo=UTC),
        ),
        (
            {"SecurityAlert": "SecurityAlert.msticpy_alertlist.csv"},
            {"kind": "Host", "properties": {"hostName": "MSTICALERTSWIN1"}},
            datetime(2019, 1, 15, 23, 0, tzinfo=UTC),
        ),
    ],
)
def test_other_real_tables_run_and_find_the_entity(
    tmp_path: Path,
    sample_data_dir: Path,
    files: dict[str, str],
    entity: dict[str, Any],
    alert: datetime,
) -> None:
    ws = workspace(tmp_path, sample_data_dir, files)
    report = run_lookup(incident([entity], alert), LocalBackend(ws), settings=Settings())
    check_report(report)
    (table,) = report.tables
    assert table.status == "ok", table.error
    assert table.entity_columns


# --- issue 10: real Sentinel inputs, on the local backend and on Log Analytics (fake) ------

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
LA_WORKSPACE = "a5b4c3d2-e1f0-4a1b-8c2d-3e4f5a6b7c8d"


def run_both(
    directory: Path, payload: dict[str, Any], remote: FakeWorkspace | None = None
) -> tuple[Report, Report]:
    """The lookup on the local backend, then over Log Analytics (real client, fake service)."""
    settings = Settings()
    local = run_lookup(payload, LocalBackend(directory), settings=settings)
    workspace = remote if remote is not None else FakeWorkspace.from_directory(directory)
    try:
        with serve({LA_WORKSPACE: workspace}) as fake:
            backend = LogAnalyticsBackend(
                make_client(fake),
                LA_WORKSPACE,
                settings=settings,
                retry=RetrySchedule(max_retries=1, base_delay=0.01, jitter=0.0),
            )
            report = run_lookup(payload, backend, settings=settings)
            queries = [r.query for r in fake.requests]
    finally:
        workspace.close()
    analysed = sum(1 for t in report.tables if t.status in {"ok", "partial"})
    assert len(queries) <= 1 + 2 * analysed + (len(report.tables) - analysed)  # 2 per table
    return local, report


def assert_agree(local: Report, remote: Report) -> None:
    def tables(report: Report) -> list[tuple[object, ...]]:
        # A table without rows in the window is listed locally (a file) but not by Log
        # Analytics (the Usage table): both say nothing about it.
        return [
            (t.table, t.status, t.entity_columns, t.row_count)
            for t in report.tables
            if t.row_count != 0
        ]

    def anomalies(report: Report) -> list[tuple[object, ...]]:
        return [(a.entity, a.table, a.column, a.value, a.actual, a.step) for a in report.anomalies]

    assert tables(remote) == tables(local)
    assert anomalies(remote) == anomalies(local)
    assert [e.first_seen for e in remote.entities] == [e.first_seen for e in local.entities]


def test_host_known_only_by_its_arm_id_finds_its_syslog_rows(
    tmp_path: Path, sample_data_dir: Path
) -> None:
    ws = workspace(
        tmp_path, sample_data_dir, {"Syslog": "Syslog.otrf_log4shell_auoms_auditd.jsonl"}
    )
    arm_id = json.loads((ws / "Syslog.jsonl").read_text("utf-8").splitlines()[0])["_ResourceId"]
    host = {"kind": "Host", "properties": {"azureID": arm_id, "friendlyName": arm_id}}
    local, remote = run_both(ws, incident([host], datetime(2022, 5, 11, 18, 30, tzinfo=UTC)))
    check_report(local)
    (table,) = local.tables
    assert table.status == "ok", table.error
    assert table.entity_columns == {"ubuntu5": ("Computer", "HostName")}
    assert_agree(local, remote)


def test_urls_domains_and_hashes_are_found_in_free_text(
    tmp_path: Path, sample_data_dir: Path
) -> None:
    ws = workspace(
        tmp_path,
        sample_data_dir,
        {"SecurityEvent": "SecurityEvent_4688.msticnb_processes_on_host.csv"},
    )
    # Defender XDR rows as Sentinel stores them: TimeGenerated beside Timestamp.
    source = sample_data_dir / "DeviceProcessEvents.msticpy_mde_proc_pub.jsonl"
    rows = [json.loads(line) for line in source.read_text("utf-8").splitlines()]
    for row in rows:
        row["TimeGenerated"] = row["Timestamp"]
        row["Timestamp"] = row["TimeGenerated"]
    (ws / "DeviceProcessEvents.jsonl").write_text("\n".join(map(json.dumps, rows)), "utf-8")
    sha256 = "3423b3fd7bf9ff89886377241521d7896eceb0274c4b2b6af1e0910da70822b1"
    entities = [
        {"kind": "Url", "properties": {"url": "http://wh401k.org/getps"}},
        {"kind": "DnsResolution", "properties": {"domainName": "wh401k.org"}},
        {"kind": "FileHash", "properties": {"algorithm": "SHA256", "hashValue": sha256}},
    ]
    # The two tables are years apart: one alert time each.
    for alert, table, expected in [
        (datetime(2019, 2, 15, 15, 0, tzinfo=UTC), "SecurityEvent", {
            "http://wh401k.org/getps": ("CommandLine",), "wh401k.org": ("CommandLine",)}),
        (datetime(2021, 12, 16, 4, 0, tzinfo=UTC), "DeviceProcessEvents", {
            sha256: ("ProcessCommandLine", "InitiatingProcessCommandLine")}),
    ]:  # fmt: skip
        local, remote = run_both(ws, incident(entities, alert))
        check_report(local)
        status = {t.table: t for t in local.tables}
        assert status[table].entity_columns == expected
        assert_agree(local, remote)


REST = REAL / "rest-api-specs"


def test_every_entity_kind_runs_on_both_backends(tmp_path: Path, sample_data_dir: Path) -> None:
    entities = [
        json.loads(path.read_text("utf-8"))["responses"]["200"]["body"]
        for path in sorted(REST.glob("Get*EntityById.json"))
    ]
    entities.append({"kind": "Ip", "properties": {"address": "175.45.176.99"}})
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(sample_data_dir / "SecurityEvent_4688.msticnb_processes_on_host.csv",
                ws / "SecurityEvent.csv")  # fmt: skip
    local, remote = run_both(ws, incident(entities, datetime(2019, 2, 15, 15, 0, tzinfo=UTC)))
    check_report(local)
    kinds = {str(e.entity.kind) for e in local.entities}
    assert kinds == {str(k) for k in EntityKind} - {"Nic"}
    assert sorted(s.kind for s in local.incident.skipped_entities) == [
        "MailCluster",
        "SecurityAlert",
    ]
    assert_agree(local, remote)


# --- the training lab's OfficeActivity export -------------------------------------------

LAB_CSV = REAL / "training-lab" / "OfficeActivity.office_activity.csv"
LAB_TIME = "TimeGenerated [UTC]"
LAB_FORMAT = "%m/%d/%Y, %I:%M:%S.%f %p"


def lab_rows() -> list[dict[str, str]]:
    with LAB_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def lab_time(text: str) -> datetime:
    return datetime.strptime(text, LAB_FORMAT).replace(tzinfo=UTC)


def portal_time(moment: datetime) -> str:
    """How the portal writes a time in its export: ``4/28/2021, 3:05:26.000 PM``."""
    hour = moment.strftime("%I").lstrip("0")
    return f"{moment.month}/{moment.day}/{moment.year}, {hour}:{moment:%M:%S}.{moment:%f}"[
        :-3
    ] + moment.strftime(" %p")


def write_lab_csv(path: Path, rows: list[dict[str, str]], time_header: str) -> None:
    header = [time_header if name == LAB_TIME else name for name in rows[0]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([list(row.values()) for row in rows])


def lab_remote(rows: list[dict[str, str]]) -> FakeWorkspace:
    """What Log Analytics holds for the same rows: TimeGenerated in UTC."""
    remote = FakeWorkspace()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "OfficeActivity.jsonl"
        records = []
        for row in rows:
            # Empty CSV cells read as null locally; the same here (not ""). "X [UTC]" is
            # how the export names the datetime column X.
            record: dict[str, str | None] = {}
            for key, value in row.items():
                if key.endswith(" [UTC]"):
                    key, value = key[: -len(" [UTC]")], value and lab_time(value).isoformat()
                record[key] = value or None
            record["TimeGenerated"] = record.pop(LAB_TIME[: -len(" [UTC]")])
            records.append(record)
        path.write_text("\n".join(map(json.dumps, records)), "utf-8")
        remote.add_table_sql(
            "OfficeActivity",
            f"SELECT * FROM read_json('{path}', format = 'newline_delimited', sample_size = -1)",
        )
    remote.build_usage()
    return remote


def test_portal_export_in_a_named_time_zone_is_read_as_utc(tmp_path: Path) -> None:
    rows = lab_rows()
    assert portal_time(lab_time(rows[0][LAB_TIME])) == rows[0][LAB_TIME]  # the portal's format
    jerusalem = ZoneInfo("Asia/Jerusalem")
    local_rows = [
        {**row, LAB_TIME: portal_time(lab_time(row[LAB_TIME]).astimezone(jerusalem))}
        for row in rows
    ]
    assert local_rows[0][LAB_TIME] == "4/28/2021, 6:05:26.000 PM"  # UTC+3 in April (IDT)
    account = {
        "kind": "Account",
        "properties": {"userPrincipalName": "adelev@m365x816222.onmicrosoft.com"},
    }
    payload = incident([account], datetime(2021, 4, 28, 16, 0, tzinfo=UTC))
    reports = {}
    variants = [
        ("utc", LAB_TIME, rows),
        ("jerusalem", "TimeGenerated [Jerusalem]", local_rows),
        ("display", "TimeGenerated [(UTC+02:00) Jerusalem]", local_rows),
    ]
    for label, header, data in variants:
        ws = tmp_path / label
        ws.mkdir()
        write_lab_csv(ws / "OfficeActivity.csv", data, header)
        reports[label] = run_lookup(payload, LocalBackend(ws), settings=Settings())
    first_seen = datetime(2021, 4, 28, 14, 45, 26, tzinfo=UTC)
    for report in reports.values():
        (table,) = report.tables
        assert (table.status, table.row_count) == ("ok", 6), table.error
        assert report.entities[0].first_seen == first_seen
    ws = tmp_path / "jerusalem"
    schema = LocalBackend(ws).table_schemas(["OfficeActivity"])["OfficeActivity"]
    assert not isinstance(schema, Exception)
    types = {c.name: c.kql_type for c in schema}
    # The export's other time columns are datetime columns under their own name.
    assert types["ElevationTime"] == types["Start_Time"] == "datetime"
    assert not [name for name in types if "[" in name]
    local, remote = run_both(ws, payload, remote=lab_remote(rows))
    assert_agree(local, remote)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "TimeGenerated [Local Time]",
            "the exporting browser's zone, which the file does not name",
        ),
        ("TimeGenerated [Atlantis]", "unknown time zone 'Atlantis'"),
    ],
)
def test_export_in_an_unknown_time_zone_fails_the_table_clearly(
    tmp_path: Path, header: str, message: str
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    write_lab_csv(ws / "OfficeActivity.csv", lab_rows(), header)
    account = {
        "kind": "Account",
        "properties": {"userPrincipalName": "adelev@m365x816222.onmicrosoft.com"},
    }
    report = run_lookup(incident([account], datetime(2021, 4, 28, 16, 0, tzinfo=UTC)),
                        LocalBackend(ws), settings=Settings())  # fmt: skip
    (table,) = report.tables
    assert table.status == "failed"
    assert f"OfficeActivity.csv: {header!r}: " in (table.error or "")
    assert message in (table.error or "")


def lab_history(alert: datetime, copy_column: str = "ClientIP_") -> list[dict[str, str]]:
    """Two weeks of the lab user's OfficeActivity, then an unknown IP's burst at the alert.

    Every row is one of the six real rows of the export; only its time changes (and, for
    ``copy_column``, the name of the export's copy of ``ClientIP``).
    """
    rows = lab_rows()
    usual = [r for r in rows if r["ClientIP"] == "52.232.229.242"] + [rows[2]]
    burst = [
        r for r in rows if r["ClientIP"] == "175.45.176.99" and r["UserId"].startswith("adelev")
    ]
    out = []
    for day in range(1, 15):
        for hour in range(24):
            for i, row in enumerate(usual):
                moment = alert - timedelta(days=day) + timedelta(hours=hour - 16, minutes=i)
                out.append({**row, LAB_TIME: portal_time(moment)})
    for minute in range(1, 61):
        row = burst[minute % len(burst)]
        out.append({**row, LAB_TIME: portal_time(alert - timedelta(minutes=minute))})
    if copy_column != "ClientIP_":
        out = [{(copy_column if k == "ClientIP_" else k): v for k, v in r.items()} for r in out]
    return out


LAB_ALERT = datetime(2021, 4, 28, 16, 0, tzinfo=UTC)
LAB_ENTITIES = [
    {"kind": "Ip", "properties": {"address": "175.45.176.99"}},
    {"kind": "Account", "properties": {"userPrincipalName": "adelev@m365x816222.onmicrosoft.com"}},
]


@pytest.mark.parametrize("copy_column", ["ClientIP_", "Endpoint"])
def test_the_entity_itself_is_never_a_finding(tmp_path: Path, copy_column: str) -> None:
    # ClientIP_ is the export's copy of ClientIP (recognised as the entity's own column);
    # "Endpoint" is the same copy under a name nobody mapped: its values still restate it.
    rows = lab_history(LAB_ALERT, copy_column)
    ws = tmp_path / "ws"
    ws.mkdir()
    write_lab_csv(ws / "OfficeActivity.csv", rows, LAB_TIME)
    local, remote = run_both(ws, incident(LAB_ENTITIES, LAB_ALERT), remote=lab_remote(rows))
    check_report(local)
    assert local.anomalies, "the burst is found"
    identifiers = {
        e.entity.value: {i.casefold() for i in e.entity.identifiers} for e in local.entities
    }
    for anomaly in local.anomalies:
        assert anomaly.value.casefold() not in identifiers[anomaly.entity], anomaly
        for column, value in anomaly.related:
            assert value.casefold() not in identifiers[anomaly.entity], (anomaly, column)
    ip_findings = {
        pair
        for a in local.anomalies
        if a.entity == "175.45.176.99"
        for pair in ((a.column, a.value), *a.related, *a.in_step)
    }
    # The same rows reached through the account name the IP too (issue 12's folding).
    ip_findings |= {
        (column, value)
        for a in local.anomalies
        for entity, _, column, value in a.also
        if entity == "175.45.176.99"
    }
    assert (copy_column, "175.45.176.99") not in ip_findings
    assert ("UserId_", "adelev@m365x816222.onmicrosoft.com") in ip_findings  # about the IP
    assert_agree(local, remote)


def test_header_says_which_entity_used_which_step(tmp_path: Path) -> None:
    rows = lab_history(LAB_ALERT)
    ws = tmp_path / "ws"
    ws.mkdir()
    write_lab_csv(ws / "OfficeActivity.csv", rows, LAB_TIME)
    report = run_lookup(incident(LAB_ENTITIES, LAB_ALERT), LocalBackend(ws), settings=Settings())
    steps = {e.entity.value: e.window.step_label for e in report.entities}
    assert steps == {"175.45.176.99": "1h", "adelev@m365x816222.onmicrosoft.com": "1d"}
    header = render(report, "markdown").split("\n## ")[0]
    assert "- Windows (each entity is tested in its own step):" in header
    assert (
        "step 1d, 15 bins; test bin 2021-04-27T16:01:00Z: adelev@m365x816222.onmicrosoft.com"
        in header
    )
    assert "step 1h, 73 bins; test bin 2021-04-28T15:01:00Z: 175.45.176.99" in header
    comment = render(report, "html")
    assert "1h bins;" in comment and "for 175.45.176.99." in comment
