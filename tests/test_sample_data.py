"""The whole lookup on real log rows published by Microsoft and OTRF (tests/fixtures)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lookup.backends.local import LocalBackend
from lookup.engine import run_lookup
from lookup.render import render
from lookup.render.html import COMMENT_MAX_CHARS
from lookup.report import Report
from lookup.settings import Settings


def incident(entities: list[dict[str, Any]], alert: datetime) -> dict[str, Any]:
    return {
        "workspaceId": "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f",
        "object": {
            "name": "sample",
            "properties": {
                "title": "sample data",
                "createdTimeUtc": alert.isoformat(),
                "relatedEntities": entities,
            },
        },
    }


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
