"""Issue 12 on real rows: the process-creation export of msticnb (10,000 rows of one host).

The export (``tests/fixtures/sample-data``, MIT, see its README) covers Feb 9-15, 2019 with no
row on Feb 11: a 14-day window before an alert on Feb 15 holds 8 days in which the table
logged nothing. Its processes share image names (``cmd.exe`` runs 300 times with a dozen
command lines), and its logon-session ids look like categories to the notebook's rule.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_sample_data import assert_agree, check_report, incident, run_both

from lookup.backends.local import LocalBackend
from lookup.engine import run_lookup
from lookup.models import EntityKind
from lookup.report import Report
from lookup.settings import Settings

EXPORT = "SecurityEvent_4688.msticnb_processes_on_host.csv"
ALERT = datetime(2019, 2, 15, 15, 0, tzinfo=UTC)  # after the last row (14:32)
HOST = "MSTICAlertsWin1"
COMMAND = "C:\\Windows\\System32\\cmd.exe /c c:\\diagnostics\\WinBenignActivity.cmd 1 200"


def _entities(host: str) -> list[dict[str, Any]]:
    return [
        {"id": "h1", "kind": "Host", "properties": {"hostName": host}},
        {
            "id": "f1",
            "kind": "File",
            "properties": {"fileName": "cmd.exe", "directory": "C:\\Windows\\System32"},
        },
        {
            "id": "p1",
            "kind": "Process",
            "properties": {"commandLine": COMMAND, "imageFileEntityId": "f1", "hostEntityId": "h1"},
        },
        {"kind": "Account", "properties": {"accountName": "MSTICAdmin", "ntDomain": HOST}},
    ]


@pytest.fixture
def ws(tmp_path: Path, sample_data_dir: Path) -> Path:
    directory = tmp_path / "ws"
    directory.mkdir()
    shutil.copy(sample_data_dir / EXPORT, directory / "SecurityEvent.csv")
    return directory


def _report(ws: Path, host: str = HOST) -> Report:
    return run_lookup(incident(_entities(host), ALERT), LocalBackend(ws), settings=Settings())


def test_days_before_the_export_are_missing_data_not_quiet_days(ws: Path) -> None:
    report = _report(ws)
    check_report(report)
    (table,) = report.tables
    assert table.notes[0].startswith("gap: 8 of 14 daily bins before the test bin had no data")
    daily = [a for a in report.anomalies if a.step.days == 1]
    assert daily, "the host's findings are daily series"
    for anomaly in daily:
        assert set(range(8)) <= set(anomaly.excluded_bins), anomaly
        assert anomaly.expected > 0 or not any(anomaly.series[8:-1]), anomaly


def test_logon_session_ids_are_not_categories(ws: Path) -> None:
    (table,) = _report(ws).tables
    assert not {"TargetLogonId", "SubjectLogonId"} & set(table.categorical_columns)
    assert {"TokenElevationType", "SubjectDomainName"} <= set(table.categorical_columns)


def test_the_process_is_its_command_line_on_its_host(ws: Path) -> None:
    report = _report(ws)
    process = next(e for e in report.entities if e.entity.kind is EntityKind.PROCESS)
    assert process.entity.identifiers == (COMMAND,)  # not every cmd.exe of the host
    assert process.entity.scope == (HOST,)
    (table,) = report.tables
    assert table.entity_columns[COMMAND] == ("CommandLine",)
    image = next(e for e in report.entities if e.entity.kind is EntityKind.FILE)
    assert image.entity.scope == (HOST,)  # the image runs where its process runs
    # On a host the export never saw, neither is found, though the command line is there.
    elsewhere = _report(ws, host="OTHERHOST")
    (other,) = elsewhere.tables
    assert COMMAND not in other.entity_columns
    assert "C:\\Windows\\System32\\cmd.exe" not in other.entity_columns


def test_both_backends_agree_on_the_real_export(ws: Path) -> None:
    local, remote = run_both(ws, incident(_entities(HOST), ALERT))
    assert_agree(local, remote)
    assert [t.notes for t in remote.tables] == [t.notes for t in local.tables]
    assert [(a.related, a.also) for a in remote.anomalies] == [
        (a.related, a.also) for a in local.anomalies
    ]
