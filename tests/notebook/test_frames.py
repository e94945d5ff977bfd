"""DataFrames out, and the report in Jupyter.

``Report.to_dataframe()`` round-trips every field of the JSON report's anomalies (and
``tables_dataframe()`` of its tables); ``_repr_html_`` is the incident comment; pandas is
imported only when a frame is asked for.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from dataclasses import replace
from typing import Any

import pandas as pd
from notebook_support import Demo

from lookup.drilldown import portal_link
from lookup.models import TableResult
from lookup.notebook.frames import FINDING_COLUMNS, TABLE_COLUMNS
from lookup.render.html import render_comment_html
from lookup.report import Report
from lookup.timefmt import iso


def _json_value(value: Any) -> Any:
    """A frame cell as the JSON report writes it."""
    if isinstance(value, pd.Timestamp):
        return iso(value.to_pydatetime())
    if hasattr(value, "item") and not isinstance(value, list | dict | str):
        return value.item()  # numpy scalars
    return value


def anomalies_from_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The JSON report's ``anomalies`` rebuilt from a findings frame, nothing else used."""
    return [
        {key: _json_value(value) for key, value in row.items() if key != "bin_end"}
        for row in frame.to_dict(orient="records")
    ]


def test_to_dataframe_round_trips_every_field_of_the_json_anomalies(demo: Demo) -> None:
    report = demo.local_report
    frame = report.to_dataframe()
    expected = json.loads(report.to_json())["anomalies"]
    assert len(frame) == len(expected) >= 13
    # Every JSON field is a column under its JSON name; bin_end is the one addition.
    assert set(FINDING_COLUMNS) == set(expected[0]) | {"bin_end"}
    assert list(frame.columns) == list(FINDING_COLUMNS)
    rebuilt = anomalies_from_frame(frame)
    assert [sorted(a) for a in rebuilt] == [sorted(a) for a in expected]
    assert json.loads(json.dumps(rebuilt)) == expected  # values, types, order: all equal


def test_findings_frame_is_ready_for_pandas(demo: Demo) -> None:
    frame = demo.local_report.to_dataframe()
    assert list(frame["rank"]) == list(range(1, len(frame) + 1))
    assert str(frame["bin_start"].dtype) == "datetime64[us, UTC]"
    assert (
        (frame["bin_end"] - frame["bin_start"])
        .isin([pd.Timedelta(days=1), pd.Timedelta(hours=1)])
        .all()
    )
    assert frame["score"].is_monotonic_decreasing or frame["score"].iloc[0] == frame["score"].max()
    # Filter, group, explode: what an analyst does next.
    by_table = frame.groupby("table").size()
    assert by_table.sum() == len(frame)
    ip = frame[frame["entity_kind"] == "Ip"]
    assert set(ip["entity"]) == {"203.0.113.66"}
    related = frame.explode("related").dropna(subset=["related"])
    assert {"column", "value"} == set(related["related"].iloc[0])
    top = frame.iloc[0]
    assert len(top["series"]) in {15, 73} and top["series"][-1] == top["actual"]


def test_an_empty_report_gives_empty_frames_with_the_columns(demo: Demo) -> None:
    empty = replace(demo.local_report, anomalies=(), tables=())
    findings, tables = empty.to_dataframe(), empty.tables_dataframe()
    assert list(findings.columns) == list(FINDING_COLUMNS) and findings.empty
    assert list(tables.columns) == list(TABLE_COLUMNS) and tables.empty
    assert str(findings["bin_start"].dtype) == "datetime64[us, UTC]"
    assert str(findings["score"].dtype) == "float64"


def test_tables_dataframe_round_trips_the_json_tables(demo: Demo) -> None:
    report = replace(
        demo.local_report,
        tables=(
            *demo.local_report.tables,
            TableResult("Broken_CL", "failed", error="cannot read Broken_CL.csv"),
        ),
    )
    frame = report.tables_dataframe()
    expected = json.loads(report.to_json())["tables"]
    assert list(frame.columns) == list(TABLE_COLUMNS)
    assert set(TABLE_COLUMNS) == set(expected[0])
    rebuilt = []
    for row in frame.to_dict(orient="records"):
        count = row["row_count"]
        row["row_count"] = None if count is pd.NA or count is None else int(count)
        rebuilt.append({key: _json_value(value) for key, value in row.items()})
    assert rebuilt == expected
    failed = frame[frame["status"] == "failed"].iloc[0]
    assert failed["error"] == "cannot read Broken_CL.csv"
    assert failed["row_count"] is pd.NA


def test_repr_html_is_the_incident_comment_with_its_portal_links(demo: Demo) -> None:
    report = demo.local_report
    workspace = report.incident.workspace.arm_id
    assert workspace is not None
    links = {
        a.rank: portal_link(
            a.drilldown_kql, workspace, timespan=(a.bin_start, a.bin_start + a.step)
        )
        for a in report.anomalies
    }
    html = report._repr_html_()
    assert html == render_comment_html(report, links=links)
    assert "adele.vance@contoso.com" in html and "https://portal.azure.com/" in html


def test_repr_html_without_a_known_workspace_has_no_links(demo: Demo) -> None:
    incident = replace(demo.local_report.incident, workspace=replace(
        demo.local_report.incident.workspace, subscription_id=None))  # fmt: skip
    report = replace(demo.local_report, incident=incident)
    assert report._repr_html_() == render_comment_html(report)


def test_pandas_is_imported_only_when_a_frame_is_asked_for() -> None:
    """Without pandas the lookup runs and renders; the frame methods say what to install."""
    script = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime, timedelta
        sys.modules["pandas"] = None  # as on the function app: not installed
        import lookup.engine, lookup.render, lookup.notebook
        from lookup.models import Incident, Window
        from lookup.report import Report, Stats
        at = datetime(2026, 11, 19, tzinfo=UTC)
        report = Report(Incident(at, "override", ()), Window(at, timedelta(days=1), 15),
                        (), (), (), Stats(0, 0.0))
        assert report._repr_html_().startswith("<")  # no pandas needed to show it
        loaded = [m for m, module in sys.modules.items() if module is not None]
        assert not [m for m in loaded if m.startswith(("pandas", "matplotlib"))], loaded
        try:
            report.to_dataframe()
        except ImportError as exc:
            print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert "pip install 'sentinel-anomaly-lookup[notebook]'" in done.stdout


def test_scores_are_plain_floats(demo: Demo) -> None:
    frame = demo.local_report.to_dataframe()
    assert all(math.isfinite(s) for s in frame["score"])
    assert isinstance(anomalies_from_frame(frame)[0]["score"], float)
    assert isinstance(demo.local_report, Report)
