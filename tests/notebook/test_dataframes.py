"""DataFrames in: the DataFrame backend gives the DuckDB backend's report on the same rows.

On the demo workspace (its Parquet files read with pandas) and on workspaces built from the
real sample data (tests/fixtures/sample-data), read both as DuckDB reads the files and as an
analyst reads them with pandas; then what pandas does to a table (dicts in dynamic columns,
NaN in integer columns, TimeGenerated as the index) and tables that cannot be read.
"""

from __future__ import annotations

import copy
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from notebook_support import Demo, comparable
from sample_support import sample_incident

from lookup.backends.base import CountsRequest, EntityProbe, ProfileRequest, SeriesGroup
from lookup.backends.dataframes import DataFrameBackend
from lookup.backends.local import LocalBackend
from lookup.engine import run_lookup
from lookup.errors import TableError, WorkspaceError
from lookup.models import EntityIndex, Window
from lookup.report import Report
from lookup.settings import Settings

# -- the demo -------------------------------------------------------------------------------


def test_demo_same_report_and_same_queries_as_duckdb_on_the_files(demo: Demo) -> None:
    with DataFrameBackend(demo.frames) as backend:
        report = run_lookup(demo.scenario.incident, backend, settings=Settings())
        queries = list(backend.stats.log)
    local = demo.local_report
    assert len(local.anomalies) >= 13  # every planted anomaly, and some noise
    assert comparable(report) == comparable(local)
    assert [a.score for a in report.anomalies] == [a.score for a in local.anomalies]
    # Not a second implementation: the very SQL of the local backend, on other relations.
    assert queries == demo.local_queries
    assert report.backend == "dataframes"


def test_demo_frames_are_not_changed(demo: Demo) -> None:
    before = {name: frame.copy() for name, frame in demo.frames.items()}
    with DataFrameBackend(demo.frames, description="msticpy:law-secops") as backend:
        report = run_lookup(demo.scenario.incident, backend, settings=Settings())
    assert report.backend == "msticpy:law-secops"
    for name, frame in demo.frames.items():
        pd.testing.assert_frame_equal(frame, before[name])


# -- the real sample data ------------------------------------------------------------------

SAMPLES: list[tuple[dict[str, str], list[dict[str, Any]], datetime]] = [
    (
        {"SecurityEvent": "SecurityEvent_4688.msticnb_processes_on_host.csv"},
        [
            {"kind": "Host", "properties": {"hostName": "MSTICAlertsWin1"}},
            {
                "kind": "Account",
                "properties": {"accountName": "MSTICAdmin", "ntDomain": "MSTICAlertsWin1"},
            },
        ],
        datetime(2019, 2, 15, 15, 0, tzinfo=UTC),
    ),
    (
        {
            "SigninLogs": "SigninLogs.msticnb_aad_signin_user.jsonl",
            "OfficeActivity": "OfficeActivity.msticnb_office_activity_user.jsonl",
            "AuditLogs": "AuditLogs.otrf_goldensaml_AADAuditEvents.jsonl",
            "DeviceProcessEvents": "DeviceProcessEvents.msticpy_mde_proc_pub.jsonl",
        },
        [
            {
                "kind": "Account",
                "properties": {"accountName": "crqerkikpjo", "upnSuffix": "ld.fkaframbemji.pjb"},
            },
            {"kind": "Ip", "properties": {"address": "152.133.101.182"}},
        ],
        datetime(2020, 7, 29, 16, 0, tzinfo=UTC),
    ),
    (
        {"AuditLogs": "AuditLogs.otrf_goldensaml_AADAuditEvents.jsonl"},
        [{"kind": "Account", "properties": {"userPrincipalName": "pgustavo@simulandlabs.com"}}],
        datetime(2021, 8, 2, 13, 30, tzinfo=UTC),
    ),
    (
        {"OfficeActivity": "OfficeActivity_ExchangeAdmin.msticpy_demo_exchange_data.csv"},
        [
            {
                "kind": "Account",
                "properties": {"accountName": "Administrator", "ntDomain": "NAMPRD06"},
            }
        ],
        datetime(2020, 5, 19, 18, 0, tzinfo=UTC),
    ),
    (
        {"Syslog": "Syslog.otrf_log4shell_auoms_auditd.jsonl"},
        [{"kind": "Host", "properties": {"hostName": "UBUNTU5"}}],
        datetime(2022, 5, 11, 18, 30, tzinfo=UTC),
    ),
    (
        {"SecurityEvent": "SecurityEvent.otrf_log4shell_securityauditing.jsonl"},
        [{"kind": "Host", "properties": {"hostName": "WORKSTATION5"}}],
        datetime(2022, 5, 13, 9, 0, tzinfo=UTC),
    ),
    (
        {"SecurityEvent": "SecurityEvent_4624.msticnb_win_host_logons.csv"},
        [{"kind": "Host", "properties": {"hostName": "WinAttackSim"}}],
        datetime(2020, 6, 27, 22, 0, tzinfo=UTC),
    ),
    (
        {"AzureActivity": "AzureActivity.msticnb_azure_activity_df.jsonl"},
        [{"kind": "Account", "properties": {"userPrincipalName": "sanjshah@microsoft.com"}}],
        datetime(2021, 3, 23, 12, 30, tzinfo=UTC),
    ),
    (
        {"AzureNetworkAnalytics_CL": "AzureNetworkAnalytics_CL.msticpy_az_net_flows.csv"},
        [{"kind": "Ip", "properties": {"address": "10.0.3.5"}}],
        datetime(2019, 2, 14, 14, 0, tzinfo=UTC),
    ),
    (
        {"SecurityAlert": "SecurityAlert.msticpy_alertlist.csv"},
        [{"kind": "Host", "properties": {"hostName": "MSTICALERTSWIN1"}}],
        datetime(2019, 1, 15, 23, 0, tzinfo=UTC),
    ),
]
SAMPLE_IDS = ["+".join(files) for files, _, _ in SAMPLES]


def local_report(
    tmp_path: Path, sample_data_dir: Path, files: dict[str, str], payload: Any
) -> Report:
    """The DuckDB backend's report on a workspace of the sample files."""
    directory = tmp_path / "ws"
    directory.mkdir()
    for table, name in files.items():
        source = sample_data_dir / name
        shutil.copy(source, directory / f"{table}{source.suffix}")
    with LocalBackend(directory) as backend:
        return run_lookup(payload, backend, settings=Settings())


def frames_report(frames: dict[str, pd.DataFrame], payload: Any) -> Report:
    with DataFrameBackend(frames) as backend:
        return run_lookup(payload, backend, settings=Settings())


def same_labels(data: dict[str, Any]) -> dict[str, Any]:
    """Table errors name a file or a DataFrame: the same reason either way."""
    for table in data["tables"]:
        if table["error"]:
            table["error"] = re.sub(
                r"^(DataFrame '[^']+'|\S+\.(csv|jsonl))", "<table>", table["error"]
            )
    return data


def read_as_duckdb_does(path: Path) -> pd.DataFrame:
    """A sample file as the DuckDB backend reads it (same types), as a DataFrame."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if path.suffix == ".csv":
        source = f"read_csv('{path}', header = true, sample_size = 20480)"
    else:
        source = f"read_json('{path}', format = 'newline_delimited', sample_size = -1)"
    try:
        return con.sql(f"SELECT * FROM {source}").df()
    finally:
        con.close()


def read_as_an_analyst_does(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_json(path, lines=True)


@pytest.mark.parametrize(("files", "entities", "alert"), SAMPLES, ids=SAMPLE_IDS)
def test_sample_data_same_report_on_the_same_rows(
    tmp_path: Path,
    sample_data_dir: Path,
    files: dict[str, str],
    entities: list[dict[str, Any]],
    alert: datetime,
) -> None:
    payload = sample_incident(entities, alert)
    local = local_report(tmp_path, sample_data_dir, files, payload)
    frames = {table: read_as_duckdb_does(sample_data_dir / name) for table, name in files.items()}
    ours = frames_report(frames, payload)
    assert same_labels(comparable(ours)) == same_labels(comparable(local))
    assert any(t.entity_columns for t in local.tables)


def test_sample_data_failed_table_names_the_dataframe(
    tmp_path: Path, sample_data_dir: Path
) -> None:
    files, entities, alert = SAMPLES[1]
    frames = {table: read_as_duckdb_does(sample_data_dir / name) for table, name in files.items()}
    ours = {t.table: t for t in frames_report(frames, sample_incident(entities, alert)).tables}
    # Defender advanced-hunting exports carry `Timestamp`, not `TimeGenerated`.
    assert ours["DeviceProcessEvents"].status == "failed"
    assert ours["DeviceProcessEvents"].error == (
        "DataFrame 'DeviceProcessEvents' has no TimeGenerated column"
    )


#: Values DuckDB's CSV reader takes for hexadecimal numbers (``0x3e7`` read as 999): pandas,
#: like Log Analytics, keeps them as the text they are.
HEX_LOGON_IDS = {"SubjectLogonId", "TargetLogonId"}


def _without_hex_ids(original: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(original)

    def hexed(column: str, value: str) -> str:
        return "<id>" if column in HEX_LOGON_IDS else value

    for a in data["anomalies"]:
        a["value"] = hexed(a["column"], a["value"])
        a["related"] = [{**r, "value": hexed(r["column"], r["value"])} for r in a["related"]]
        a["also"] = [{**r, "value": hexed(r["column"], r["value"])} for r in a["also"]]
        a["drilldown_kql"] = re.sub(
            r"(LogonId\)?) == \"[^\"]*\"", r"\1 == <id>", a["drilldown_kql"]
        )
        a["drilldown_kql"] = a["drilldown_kql"].replace("tostring(", "").replace(") ==", " ==")
    data["charts"] = []
    return data


@pytest.mark.parametrize(("files", "entities", "alert"), SAMPLES, ids=SAMPLE_IDS)
def test_sample_data_read_with_pandas_same_report(
    tmp_path: Path,
    sample_data_dir: Path,
    files: dict[str, str],
    entities: list[dict[str, Any]],
    alert: datetime,
) -> None:
    """The files read with pandas' own readers, as an analyst would: the same report.

    Only DuckDB's reading of hexadecimal logon ids in one CSV differs (see HEX_LOGON_IDS),
    and there the same rows are still reported with the same scores.
    """
    payload = sample_incident(entities, alert)
    local = same_labels(comparable(local_report(tmp_path, sample_data_dir, files, payload)))
    frames = {t: read_as_an_analyst_does(sample_data_dir / name) for t, name in files.items()}
    ours = same_labels(comparable(frames_report(frames, payload)))
    if ours != local:
        assert set(files) == {"SecurityEvent"} and "4688" in files["SecurityEvent"]
        assert local["anomalies"] != ours["anomalies"]
        assert _without_hex_ids(ours) == _without_hex_ids(local)
        hex_values = {a["value"] for a in ours["anomalies"] if a["column"] in HEX_LOGON_IDS}
        assert hex_values and all(v.startswith("0x") for v in hex_values)


# -- what pandas does to a table -------------------------------------------------------------

T0 = datetime(2026, 3, 10, tzinfo=UTC)


def _profile(
    backend: DataFrameBackend, table: str, identifiers: tuple[str, ...], columns: tuple[str, ...]
) -> Any:
    return backend.profile(
        ProfileRequest(
            table,
            T0 - timedelta(days=30),
            T0 + timedelta(days=1),
            (EntityProbe(EntityIndex(0), identifiers, columns),),
            (),
        )
    )


def test_dynamic_columns_of_dicts_and_lists_are_json_text() -> None:
    frame = pd.DataFrame(
        {
            "TimeGenerated": [T0 - timedelta(hours=h) for h in range(4)],
            "InitiatedBy": [
                {"user": {"userPrincipalName": "adele.vance@contoso.com"}},
                {"app": {"displayName": "Graph"}},
                None,
                '{"user": {"userPrincipalName": "adele.vance@contoso.com"}}',  # JSON text
            ],
            "TargetResources": [[{"id": 1}], [], ["x"], None],
        }
    )
    with DataFrameBackend({"AuditLogs": frame}) as backend:
        (columns,) = backend.table_schemas(["AuditLogs"]).values()
        assert not isinstance(columns, TableError)
        types = {c.name: c.kql_type for c in columns}
        assert types == {
            "TimeGenerated": "datetime",
            "InitiatedBy": "dynamic",
            "TargetResources": "dynamic",
        }
        profile = _profile(backend, "AuditLogs", ("adele.vance@contoso.com",), ("InitiatedBy",))
    (hit,) = profile.hits
    assert hit.hits == 2
    assert profile.row_count == 4
    assert isinstance(frame["InitiatedBy"][0], dict)  # the caller's frame is untouched


def test_parquet_lists_and_structs_read_by_pandas_as_from_the_file(tmp_path: Path) -> None:
    """pandas reads Parquet lists as numpy arrays and structs as dicts: still dynamic."""
    upn = "adele.vance@contoso.com"
    frame = pd.DataFrame(
        {
            "TimeGenerated": [T0 - timedelta(hours=h) for h in range(3)],
            "TargetResources": [[{"userPrincipalName": upn}], [], None],
            "InitiatedBy": [{"user": {"id": 1, "upn": upn}}, {"user": {"id": 2, "upn": "x"}}, None],
        }
    )
    directory = tmp_path / "ws"
    directory.mkdir()
    frame.to_parquet(directory / "AuditLogs.parquet")
    read = pd.read_parquet(directory / "AuditLogs.parquet")
    assert isinstance(read["TargetResources"][0], np.ndarray)
    answers = []
    for backend in (LocalBackend(directory), DataFrameBackend({"AuditLogs": read})):
        with backend:
            (columns,) = backend.table_schemas(["AuditLogs"]).values()
            assert not isinstance(columns, TableError)
            profile = _profile(backend, "AuditLogs", (upn,), ("TargetResources", "InitiatedBy"))
            answers.append(({c.name: c.kql_type for c in columns}, profile.hits))
    assert answers[0] == answers[1]
    types, hits = answers[1]
    assert types["TargetResources"] == types["InitiatedBy"] == "dynamic"
    assert [h.hits for h in hits] == [1, 1]


def test_integer_columns_widened_by_nan_are_long_again() -> None:
    times = [T0 - timedelta(hours=h) for h in range(40)]
    event = [4624.0 if h % 2 else 4625.0 for h in range(40)]
    event[3] = np.nan
    frame = pd.DataFrame(
        {
            "TimeGenerated": times,
            "Computer": ["WS-ADELE.contoso.com"] * 40,
            "EventID": event,
            "Latitude": [47.6 if h else np.nan for h in range(40)],
            "Count": [float(h) for h in range(40)],
        }
    )
    assert frame["EventID"].dtype == np.float64
    window = Window(T0 - timedelta(days=2), timedelta(days=1), 3)
    with DataFrameBackend({"SecurityEvent": frame}) as backend:
        (columns,) = backend.table_schemas(["SecurityEvent"]).values()
        assert not isinstance(columns, TableError)
        types = {c.name: c.kql_type for c in columns}
        counts = backend.counts(
            CountsRequest(
                "SecurityEvent",
                (SeriesGroup(EntityIndex(0), "Computer", ("WS-ADELE.contoso.com",), window),),
                ("EventID",),
            )
        )
    # Whole numbers with nulls: an integer column. Fractions, or no null: a real one.
    assert types["EventID"] == "long"
    assert types["Latitude"] == "real"
    assert types["Count"] == "real"
    assert {row.value for row in counts.rows} == {"4624", "4625"}


def test_time_generated_as_index_naive_or_aware_or_text() -> None:
    times = [T0 - timedelta(hours=h) for h in range(6)]
    base = pd.DataFrame({"TimeGenerated": times, "Computer": ["host1"] * 6})
    variants = {
        "Aware": base,
        "Naive": base.assign(TimeGenerated=[t.replace(tzinfo=None) for t in times]),
        "Text": base.assign(TimeGenerated=[t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in times]),
        "Index": base.set_index("TimeGenerated"),
        "Other": base.assign(TimeGenerated=[t.astimezone(UTC) for t in times]).set_index(
            "Computer"
        ),
    }
    with DataFrameBackend(variants) as backend:
        for name in variants:
            profile = _profile(backend, name, ("host1",), ("Computer",) if name != "Other" else ())
            assert profile.row_count == 6, name


def test_tables_that_cannot_be_read_fail_alone() -> None:
    good = pd.DataFrame({"TimeGenerated": [T0], "Computer": ["host1"]})
    frames: dict[str, Any] = {
        "Good": good,
        "NotAFrame": [{"TimeGenerated": T0}],
        "NoTime": pd.DataFrame({"Computer": ["host1"]}),
        "Twice": pd.DataFrame([[T0, "a", "b"]], columns=["TimeGenerated", "C", "C"]),
        "Numbered": pd.DataFrame([[T0, "a"]]),
    }
    with DataFrameBackend(frames) as backend:
        schemas = backend.table_schemas([*frames, "Missing"])
        assert backend.list_tables(T0, T0) == sorted(frames)
    assert not isinstance(schemas["Good"], TableError)
    messages = {name: str(s) for name, s in schemas.items() if isinstance(s, TableError)}
    assert messages == {
        "NotAFrame": "NotAFrame: DataFrame 'NotAFrame' is not a DataFrame but list",
        "NoTime": "NoTime: DataFrame 'NoTime' has no TimeGenerated column",
        "Twice": "Twice: DataFrame 'Twice' has duplicate columns: C",
        "Numbered": "Numbered: DataFrame 'Numbered' has column names that are not text: 0, 1",
        "Missing": (
            "Missing: no DataFrame for table Missing "
            "(tables: Good, NoTime, NotAFrame, Numbered, Twice)"
        ),
    }


def test_no_frames_is_a_workspace_error() -> None:
    with pytest.raises(WorkspaceError, match="no DataFrames"):
        DataFrameBackend({})
    with pytest.raises(WorkspaceError, match="table names"):
        DataFrameBackend({"": pd.DataFrame()})
