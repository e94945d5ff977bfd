"""The DuckDB backend: file formats, Kusto `has` semantics, profile and counts."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from has_cases import HAS_CASES

from lookup.backends.base import (
    CountsRequest,
    EntityProbe,
    ProfileRequest,
    SeriesGroup,
)
from lookup.backends.local import LocalBackend, term_regex
from lookup.errors import TableError, WorkspaceError
from lookup.models import Window

T0 = datetime(2026, 3, 10, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

Rows = list[dict[str, Any]]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_jsonl(path: Path, rows: Rows) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def write_json_array(path: Path, rows: Rows) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: Rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: Rows) -> Path:
    staging = write_jsonl(path.with_suffix(".staging"), rows)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CAST(TimeGenerated AS TIMESTAMP) AS TimeGenerated) "
        f"FROM read_json('{staging}', format='newline_delimited')) TO '{path}' (FORMAT parquet)"
    )
    con.close()
    staging.unlink()
    return path


WRITERS: dict[str, Callable[[Path, Rows], Path]] = {
    ".jsonl": write_jsonl,
    ".json": write_json_array,
    ".csv": write_csv,
    ".parquet": write_parquet,
}


def signins(user: str, days: int, per_day: int, location: str = "US") -> Rows:
    rows = []
    for d in range(days):
        for i in range(per_day):
            rows.append(
                {
                    "TimeGenerated": _iso(T0 + d * DAY + timedelta(hours=9, minutes=i)),
                    "UserPrincipalName": user,
                    "Location": location,
                    "ResultType": "0",
                }
            )
    return rows


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    directory = tmp_path / "ws"
    directory.mkdir()
    return directory


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_reads_every_supported_format(workspace: Path, suffix: str) -> None:
    rows = signins("jdoe@contoso.com", 3, 2) + signins("other@contoso.com", 3, 1)
    WRITERS[suffix](workspace / f"SigninLogs{suffix}", rows)
    backend = LocalBackend(workspace)
    schema = backend.table_schemas(["SigninLogs"])["SigninLogs"]
    assert not isinstance(schema, TableError)
    assert {c.name: c.kql_type for c in schema}["TimeGenerated"] == "datetime"
    profile = backend.profile(
        ProfileRequest(
            "SigninLogs",
            T0,
            T0 + 3 * DAY,
            (EntityProbe(0, ("jdoe@contoso.com",), ("UserPrincipalName",)),),
            ("Location", "UserPrincipalName"),
        )
    )
    assert profile.row_count == 9
    assert profile.distinct_counts == {"Location": 1, "UserPrincipalName": 2}
    (hit,) = profile.hits
    assert (hit.hits, hit.first_seen) == (6, T0 + timedelta(hours=9))


def test_time_window_is_half_open(workspace: Path) -> None:
    write_jsonl(workspace / "SigninLogs.jsonl", signins("jdoe@contoso.com", 4, 1))
    backend = LocalBackend(workspace)
    start, end = T0 + DAY + timedelta(hours=9), T0 + 3 * DAY + timedelta(hours=9)
    profile = backend.profile(ProfileRequest("SigninLogs", start, end, (), ()))
    assert profile.row_count == 2  # day 1 at 09:00 included, day 3 at 09:00 excluded


@pytest.mark.parametrize(("identifier", "text", "expected"), HAS_CASES)
def test_term_matching_follows_kusto_has(
    workspace: Path, identifier: str, text: str, expected: bool
) -> None:
    rows = [{"TimeGenerated": _iso(T0), "Computer": text, "EventID": 1}]
    write_jsonl(workspace / "SecurityEvent.jsonl", rows)
    backend = LocalBackend(workspace)
    profile = backend.profile(
        ProfileRequest(
            "SecurityEvent",
            T0,
            T0 + DAY,
            (EntityProbe(0, (identifier,), ("Computer",)),),
            (),
        )
    )
    assert (profile.hits[0].hits == 1) is expected


def test_term_regex_escapes_every_character() -> None:
    pattern = term_regex("a.b*")
    assert "." not in pattern.replace("\\x{2e}", "")
    assert pattern.startswith("(?is)(?:(?:^|[^\\pL\\pN])")
    assert pattern.endswith("\\x{2a})")  # ends with '*': no right boundary needed


def test_terms_regex_matches_any_identifier(workspace: Path) -> None:
    rows = [
        {"TimeGenerated": _iso(T0), "Computer": text, "EventID": 1}
        for text in ("CONTOSO\\jdoe", "jdoe@contoso.com", "S-1-5-21-9", "jdoe2", "S-1-5-21-99")
    ]
    write_jsonl(workspace / "SecurityEvent.jsonl", rows)
    profile = LocalBackend(workspace).profile(
        ProfileRequest(
            "SecurityEvent",
            T0,
            T0 + DAY,
            (EntityProbe(0, ("jdoe", "S-1-5-21-9"), ("Computer",)),),
            (),
        )
    )
    assert profile.hits[0].hits == 3


def test_dynamic_json_columns_are_searchable(workspace: Path) -> None:
    rows = [
        {
            "TimeGenerated": _iso(T0 + timedelta(hours=h)),
            "InitiatedBy": {"user": {"userPrincipalName": "pgustavo@simulandlabs.com"}},
            "OperationName": "Add service principal",
        }
        for h in range(3)
    ]
    write_jsonl(workspace / "AuditLogs.jsonl", rows)
    backend = LocalBackend(workspace)
    schema = backend.table_schemas(["AuditLogs"])["AuditLogs"]
    assert not isinstance(schema, TableError)
    assert {c.name: c.kql_type for c in schema}["InitiatedBy"] == "dynamic"
    profile = backend.profile(
        ProfileRequest(
            "AuditLogs",
            T0,
            T0 + DAY,
            (EntityProbe(0, ("pgustavo@simulandlabs.com",), ("InitiatedBy",)),),
            ("OperationName",),
        )
    )
    assert profile.hits[0].hits == 3


def test_counts_bins_values_per_group_window(workspace: Path) -> None:
    rows = [
        *signins("jdoe@contoso.com", 3, 2),
        {
            "TimeGenerated": _iso(T0 + 2 * DAY + timedelta(hours=15, minutes=5)),
            "UserPrincipalName": "jdoe@contoso.com",
            "Location": "RU",
            "ResultType": "",
        },
    ]
    write_jsonl(workspace / "SigninLogs.jsonl", rows)
    backend = LocalBackend(workspace)
    daily = Window(T0, DAY, 3)
    hourly = Window(T0 + 2 * DAY, HOUR, 24)
    result = backend.counts(
        CountsRequest(
            "SigninLogs",
            (
                SeriesGroup(0, "UserPrincipalName", ("jdoe@contoso.com",), daily),
                SeriesGroup(1, "UserPrincipalName", ("jdoe",), hourly),
            ),
            ("Location", "ResultType"),
        )
    )
    got = {(r.entity, r.column, r.value, r.bin_start, r.count) for r in result.rows}
    assert got == {
        (0, "Location", "US", T0, 2),
        (0, "Location", "US", T0 + DAY, 2),
        (0, "Location", "US", T0 + 2 * DAY, 2),
        (0, "Location", "RU", T0 + 2 * DAY, 1),
        (0, "ResultType", "0", T0, 2),
        (0, "ResultType", "0", T0 + DAY, 2),
        (0, "ResultType", "0", T0 + 2 * DAY, 2),
        # hourly group: 09:00 and 09:01 fall in the 09:00 bin, RU at 15:05 in 15:00
        (1, "Location", "US", T0 + 2 * DAY + 9 * HOUR, 2),
        (1, "Location", "RU", T0 + 2 * DAY + 15 * HOUR, 1),
        (1, "ResultType", "0", T0 + 2 * DAY + 9 * HOUR, 2),
    }  # the empty ResultType is not counted


def test_integer_values_are_reported_as_text(workspace: Path) -> None:
    rows = [
        {"TimeGenerated": _iso(T0 + timedelta(minutes=m)), "Computer": "HOST1", "EventID": e}
        for m, e in enumerate([4624, 4624, 4625])
    ]
    write_csv(workspace / "SecurityEvent.csv", rows)
    backend = LocalBackend(workspace)
    result = backend.counts(
        CountsRequest(
            "SecurityEvent",
            (SeriesGroup(0, "Computer", ("host1",), Window(T0, DAY, 1)),),
            ("EventID",),
        )
    )
    assert sorted((r.value, r.count) for r in result.rows) == [("4624", 2), ("4625", 1)]


def test_log_analytics_csv_export_format(workspace: Path) -> None:
    rows = [
        {"TimeGenerated [UTC]": "3/10/2026, 1:05:09.483 PM", "Computer": "HOST1"},
        {"TimeGenerated [UTC]": "3/10/2026, 11:59:59.000 PM", "Computer": "HOST1"},
    ]
    write_csv(workspace / "Heartbeat.csv", rows)
    backend = LocalBackend(workspace)
    profile = backend.profile(
        ProfileRequest("Heartbeat", T0, T0 + DAY, (EntityProbe(0, ("HOST1",), ("Computer",)),), ())
    )
    assert profile.row_count == 2
    assert profile.hits[0].first_seen == T0 + timedelta(hours=13, minutes=5, seconds=9.483)


def test_missing_time_column_is_a_table_error(workspace: Path) -> None:
    write_jsonl(workspace / "DeviceEvents.jsonl", [{"Timestamp": _iso(T0), "DeviceName": "x"}])
    backend = LocalBackend(workspace)
    error = backend.table_schemas(["DeviceEvents"])["DeviceEvents"]
    assert isinstance(error, TableError)
    assert "no TimeGenerated column" in error.message


def test_unreadable_file_is_a_table_error(workspace: Path) -> None:
    (workspace / "Broken.parquet").write_bytes(b"this is not parquet")
    write_jsonl(workspace / "SigninLogs.jsonl", signins("a@b.c", 1, 1))
    backend = LocalBackend(workspace)
    schemas = backend.table_schemas(["Broken", "SigninLogs"])
    assert isinstance(schemas["Broken"], TableError)
    assert "cannot read Broken.parquet" in schemas["Broken"].message
    assert not isinstance(schemas["SigninLogs"], TableError)


def test_two_files_for_one_table_is_a_table_error(workspace: Path) -> None:
    write_jsonl(workspace / "Syslog.jsonl", [{"TimeGenerated": _iso(T0)}])
    write_json_array(workspace / "Syslog.json", [{"TimeGenerated": _iso(T0)}])
    backend = LocalBackend(workspace)
    error = backend.table_schemas(["Syslog"])["Syslog"]
    assert isinstance(error, TableError)
    assert "two files for one table" in error.message


def test_unknown_table_and_column_are_table_errors(workspace: Path) -> None:
    write_jsonl(workspace / "Syslog.jsonl", [{"TimeGenerated": _iso(T0), "Computer": "h"}])
    backend = LocalBackend(workspace)
    assert isinstance(backend.table_schemas(["Nope"])["Nope"], TableError)
    with pytest.raises(TableError, match="unknown column"):
        backend.profile(
            ProfileRequest("Syslog", T0, T0 + DAY, (EntityProbe(0, ("h",), ("Nope",)),), ())
        )


def test_empty_window_gives_zero_rows(workspace: Path) -> None:
    write_jsonl(workspace / "Syslog.jsonl", [{"TimeGenerated": _iso(T0), "Computer": "h"}])
    backend = LocalBackend(workspace)
    profile = backend.profile(
        ProfileRequest(
            "Syslog", T0 + DAY, T0 + 2 * DAY, (EntityProbe(0, ("h",), ("Computer",)),), ()
        )
    )
    assert profile.row_count == 0
    assert profile.hits[0].hits == 0
    assert profile.hits[0].first_seen is None


def test_workspace_errors(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not found"):
        LocalBackend(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WorkspaceError, match="no table files"):
        LocalBackend(tmp_path / "empty")


def test_queries_are_counted(workspace: Path) -> None:
    write_jsonl(workspace / "SigninLogs.jsonl", signins("jdoe@contoso.com", 2, 1))
    backend = LocalBackend(workspace)
    backend.profile(ProfileRequest("SigninLogs", T0, T0 + DAY, (), ()))
    backend.counts(
        CountsRequest(
            "SigninLogs",
            (SeriesGroup(0, "UserPrincipalName", ("jdoe",), Window(T0, DAY, 2)),),
            ("Location",),
        )
    )
    assert backend.stats.queries == 2


# -- discovery: exact files only, every entry named like a table reported --------------------


def _rows_of(backend: LocalBackend, table: str) -> int:
    return backend.profile(ProfileRequest(table, T0, T0 + 10 * DAY, (), ())).row_count


@pytest.mark.parametrize("name", ["Sign*", "Sign?nLogs", "Sign[i]nLogs", "S**"])
def test_a_file_name_is_never_a_glob_pattern(workspace: Path, name: str) -> None:
    # Before: read_json('.../Sign*.jsonl') also read SigninLogs.jsonl.
    write_jsonl(workspace / "SigninLogs.jsonl", signins("a@b.c", 3, 5))
    write_jsonl(workspace / f"{name}.jsonl", signins("x@y.z", 1, 1))
    backend = LocalBackend(workspace)
    assert _rows_of(backend, name) == 1
    assert _rows_of(backend, "SigninLogs") == 15


@pytest.mark.parametrize("suffix", sorted(WRITERS))
def test_a_workspace_path_with_glob_characters_reads_its_own_files(
    tmp_path: Path, suffix: str
) -> None:
    for directory, user, days in (("ws[1]", "a@b.c", 2), ("ws1", "x@y.z", 3)):
        (tmp_path / directory).mkdir()
        WRITERS[suffix](tmp_path / directory / f"SigninLogs{suffix}", signins(user, days, 1))
    assert _rows_of(LocalBackend(tmp_path / "ws[1]"), "SigninLogs") == 2


def _failed(backend: LocalBackend, table: str) -> str:
    error = backend.table_schemas([table])[table]
    assert isinstance(error, TableError), error
    return error.message


def test_entries_named_like_tables_that_are_not_files_are_reported(
    workspace: Path, tmp_path: Path
) -> None:
    write_jsonl(workspace / "SigninLogs.jsonl", signins("a@b.c", 1, 1))
    (workspace / "AuditLogs.json").mkdir()
    os.mkfifo(workspace / "Syslog.jsonl")
    (workspace / "DnsEvents.csv").symlink_to(workspace / "missing.csv")
    backend = LocalBackend(workspace)
    assert backend.list_tables(T0, T0 + DAY) == ["AuditLogs", "DnsEvents", "SigninLogs", "Syslog"]
    assert "AuditLogs.json is a directory" in _failed(backend, "AuditLogs")
    assert "Syslog.jsonl is a FIFO" in _failed(backend, "Syslog")  # and never opened
    assert "DnsEvents.csv is a symbolic link to a missing file" in _failed(backend, "DnsEvents")
    assert _rows_of(backend, "SigninLogs") == 1


def test_a_link_out_of_the_workspace_is_refused(workspace: Path, tmp_path: Path) -> None:
    secret = write_jsonl(tmp_path / "secret.jsonl", signins("ceo@contoso.com", 1, 1))
    (workspace / "SecurityEvent.jsonl").symlink_to(secret)
    (workspace / "data").mkdir()
    inside = write_jsonl(workspace / "data" / "syslog.jsonl", signins("a@b.c", 2, 1))
    (workspace / "Syslog.jsonl").symlink_to(inside)
    backend = LocalBackend(workspace)
    assert "symbolic link out of the workspace" in _failed(backend, "SecurityEvent")
    assert _rows_of(backend, "Syslog") == 2  # a link inside the workspace is fine


def test_a_failed_entry_is_a_failed_table_in_the_report(workspace: Path) -> None:
    from lookup.engine import run_lookup
    from lookup.models import Entity, EntityKind, Incident
    from lookup.settings import Settings

    write_jsonl(workspace / "SigninLogs.jsonl", signins("jdoe@contoso.com", 5, 3))
    (workspace / "AuditLogs.json").mkdir()
    incident = Incident(
        T0 + 5 * DAY,
        "override",
        (Entity(EntityKind.ACCOUNT, "jdoe@contoso.com", ("jdoe@contoso.com",)),),
    )
    report = run_lookup(incident, LocalBackend(workspace), settings=Settings(lookback_days=3))
    statuses = {t.table: (t.status, t.error) for t in report.tables}
    assert statuses["AuditLogs"][0] == "failed"
    assert "is a directory" in (statuses["AuditLogs"][1] or "")
