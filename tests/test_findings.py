"""From counts to findings: collection gaps, small tables, id columns (issue 12)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lookup.backends.local import LocalBackend
from lookup.baselines import gap_bins
from lookup.column_types import id_columns, suffix_type, untyped_column_type
from lookup.engine import run_lookup
from lookup.findings import (
    SMALL_TABLE_FINDINGS,
    TableScores,
    cap_small_table,
    categorical_columns,
    table_gaps,
)
from lookup.folding import Candidate
from lookup.models import Anomaly, ColumnInfo, Window
from lookup.settings import Settings
from lookup.tables import categorical_candidates, is_id_or_time_name

ALERT = datetime(2026, 11, 16, 14, 30, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


# -- collection gaps (point 1) -----------------------------------------------------------------


def test_a_silent_day_of_a_busy_table_is_a_gap_a_quiet_table_has_none() -> None:
    busy = np.array([1200.0, 1100, 0, 0, 3, 1300, 900, 1250], dtype=float)
    assert gap_bins(busy).tolist() == [False, False, True, True, True, False, False, False]
    # Weekends at a tenth of a weekday are not gaps.
    office = np.array([1000.0, 1000, 100, 100, 1000, 1000, 1000], dtype=float)
    assert not gap_bins(office).any()
    # A table of a few rows a day is silent by chance, never by a broken collector.
    assert not gap_bins(np.array([2.0, 0, 0, 3, 0, 1, 4])).any()
    # A table that holds only the alert day: every day before it is missing, none is quiet.
    assert gap_bins(np.array([0.0] * 14 + [800.0])).tolist() == [True] * 14 + [False]


def test_gaps_are_found_on_days_and_apply_to_hourly_bins_inside_them() -> None:
    daily = Window(ALERT - 15 * DAY, DAY, 15)
    hourly = Window(ALERT - 73 * HOUR, HOUR, 73)
    activity = [
        (daily.start + DAY * d + HOUR * h, 50)
        for d in range(15)
        if d not in (12, 13)  # the table is silent for the two days before the test day
        for h in range(24)
    ]
    masks, notes = table_gaps(activity, [daily, hourly])
    assert masks[(daily.start, DAY)].tolist() == [False] * 12 + [True, True, False]
    hours = masks[(hourly.start, HOUR)]
    assert hours.sum() == 48 and hours[1:49].all()  # from 72 h to 24 h before the alert
    assert notes == [
        "gap: 48 of 72 hourly bins before the test bin had no data (or under 1% of the "
        "table's usual volume); left out of the baselines",
        "gap: 2 of 14 daily bins before the test bin had no data (or under 1% of the "
        "table's usual volume); left out of the baselines",
    ]


def _rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def _trigger(upn: str) -> dict[str, Any]:
    name, suffix = upn.split("@")
    return {
        "object": {
            "properties": {
                "createdTimeUtc": ALERT.isoformat(),
                "relatedEntities": [
                    {"kind": "Account", "properties": {"accountName": name, "upnSuffix": suffix}}
                ],
            }
        }
    }


def test_a_table_that_stopped_logging_is_a_gap_not_zero_activity(tmp_path: Path) -> None:
    """The SAP export of the training lab: no rows for 12 of the 15 days before the alert."""
    rows = []
    for back in (14, 13, 0):
        day = ALERT.replace(hour=8) - DAY * back
        for minute in range(0, 360, 2):
            for user in range(25):
                rows.append(
                    {
                        "TimeGenerated": (day + timedelta(minutes=minute)).isoformat(),
                        "User_s": f"user{user}@contoso.com",
                        "TransactionCode_s": f"S{(minute // 2 + user) % 6:03d}",
                    }
                )
    _rows(tmp_path / "SAPAuditLog_CL.jsonl", rows)
    report = run_lookup(_trigger("user3@contoso.com"), LocalBackend(tmp_path), settings=Settings())
    (table,) = report.tables
    assert report.anomalies == ()  # ordinary volume when logging resumes is no finding
    assert table.notes[0].startswith("gap: 12 of 14 daily bins before the test bin had no data")
    assert table.notes[1].startswith("too little history: ")


# -- small tables (point 8) --------------------------------------------------------------------


def test_small_tables_get_categorical_columns_large_ones_keep_the_notebooks_rule() -> None:
    counts = {"Service": 3, "Action": 2, "SrcIP": 40, "Port": 9}
    small = categorical_columns(counts, 66, list(counts), max_distinct=1000, max_ratio=0.01)
    assert small == ("Service", "Action")  # under sqrt(66) = 8.1 values
    # Never below the notebook's rule, and the two limits meet at 1,000 rows (10 values).
    assert categorical_columns({"x": 9}, 1000, ["x"], max_distinct=1000, max_ratio=0.01) == ("x",)
    assert categorical_columns({"x": 10}, 1000, ["x"], max_distinct=1000, max_ratio=0.01) == ()
    assert categorical_columns({"x": 15}, 2000, ["x"], max_distinct=1000, max_ratio=0.01) == ("x",)
    assert categorical_columns({"x": 2}, 0, ["x"], max_distinct=1000, max_ratio=0.01) == ()


def _candidate(entity: int, score: float, value: str, fingerprint: tuple[int, ...]) -> Candidate:
    anomaly = Anomaly(
        rank=0, entity=f"e{entity}", entity_kind="Account", table="Small_CL",
        entity_column="User_s", column="Action_s", value=value, bin_start=ALERT, step=DAY,
        actual=5.0, expected=0.0, score=score, series=(0.0, 5.0), drilldown_kql="",
    )  # fmt: skip
    return Candidate(entity, anomaly, fingerprint)


def test_a_small_table_keeps_each_entitys_strongest_rows() -> None:
    scores = TableScores(
        candidates=[_candidate(0, 10.0 - i, f"v{i}", (i, 0)) for i in range(6)]
        + [_candidate(0, 3.5, "same rows as v0", (0, 0)), _candidate(1, 2.0, "other", (9, 9))]
    )
    note = cap_small_table(scores, 66)
    kept = [(c.entity_order, c.anomaly.value) for c in scores.candidates]
    assert SMALL_TABLE_FINDINGS == 3
    # v0..v2 of entity 0, the value proven to be v0's rows (one row once folded), entity 1's.
    assert kept == [(0, "v0"), (0, "v1"), (0, "v2"), (0, "same rows as v0"), (1, "other")]
    assert note == "small table (66 rows in the window): the 3 strongest findings of each " \
        "entity kept, 3 left out"  # fmt: skip
    large = TableScores(candidates=[_candidate(0, 9.0, f"v{i}", (i, 0)) for i in range(6)])
    assert cap_small_table(large, 5000) is None and len(large.candidates) == 6


# -- untyped files (point 4) -------------------------------------------------------------------


def test_custom_log_suffixes_type_a_column_as_log_analytics_does() -> None:
    assert [suffix_type(c) for c in ("SessionId_g", "Latency_d", "Ok_b", "When_t", "User_s")] == [
        "guid", "real", "bool", "datetime", "string",
    ]  # fmt: skip
    assert suffix_type("ClientIP_") is None and suffix_type("_g") is None
    assert untyped_column_type("Port_d", "long") == "real"
    assert untyped_column_type("Port", "long") == "long"


def test_id_and_time_columns_are_never_categorical() -> None:
    values = [
        ("SessionId", "3c2dca60-ae0c-4dfb-a3e1-18624190eab4"),
        ("SessionId", "{B089A06A-ADAC-448E-AA63-ED1DE3F0B0A0}"),
        ("EventTime", "2022-05-11T18:10:22Z"),
        ("AppId", "3c2dca60-ae0c-4dfb-a3e1-18624190eab4"),
        ("AppId", "Teams"),
    ]
    assert id_columns(values) == {"SessionId", "EventTime"}
    names = ("SessionId_g", "Created_t", "EventTime", "CorrelationGuid", "TargetLogonId",
             "ProcessID", "EventID", "AppId", "Time_Zone")  # fmt: skip
    assert [is_id_or_time_name(n) for n in names] == [True] * 6 + [False] * 3
    columns = [ColumnInfo(n, "string") for n in names]
    assert categorical_candidates(columns) == ("EventID", "AppId", "Time_Zone")


def test_an_untyped_csv_custom_table_is_typed_by_its_suffixes(tmp_path: Path) -> None:
    lines = ["TimeGenerated,User_s,SessionId_g,Latency_d,Action_s"]
    for i in range(300):
        when = (ALERT - timedelta(minutes=i)).isoformat()
        session = f"3c2dca60-ae0c-4dfb-a3e1-{i // 100:012d}"
        lines.append(f"{when},u@contoso.com,{session},{i % 7},act{i % 3}")
    (tmp_path / "AppSessions_CL.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with LocalBackend(tmp_path) as backend:
        (schema,) = backend.table_schemas(["AppSessions_CL"]).values()
    assert not isinstance(schema, Exception)
    types = {c.name: c.kql_type for c in schema}
    assert types == {
        "TimeGenerated": "datetime",
        "User_s": "string",
        "SessionId_g": "guid",
        "Latency_d": "real",
        "Action_s": "string",
    }
    assert categorical_candidates(schema) == ("User_s", "Action_s")
