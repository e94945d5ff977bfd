"""A report as pandas DataFrames: the findings to filter, join and plot, and the tables.

:meth:`Report.to_dataframe <lookup.report.Report.to_dataframe>` and
:meth:`Report.tables_dataframe <lookup.report.Report.tables_dataframe>` call these. The
columns carry every field of the JSON report's ``anomalies`` and ``tables`` under the same
names, so a frame converts back to the JSON contract without loss; times are pandas UTC
timestamps (``bin_start``, and ``bin_end`` for convenience).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lookup.models import Anomaly, Window
from lookup.report import Report, table_dict

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FINDING_COLUMNS", "TABLE_COLUMNS", "findings_frame", "tables_frame"]

#: The findings frame's columns, in order (dtype of an empty frame's column beside each).
FINDING_COLUMNS: dict[str, str] = {
    "rank": "int64",
    "score": "float64",
    "entity": "object",
    "entity_kind": "object",
    "table": "object",
    "column": "object",
    "value": "object",
    "related": "object",  # [{"column", "value"}]: the same rows seen through other columns
    "in_step": "object",  # [{"column", "value"}]: identical series, rows not proven the same
    "also": "object",  # [{"entity", "entity_kind", "column", "value"}]: other entities, same rows
    "actual": "float64",
    "expected": "float64",
    "first_seen": "bool",
    "bin_start": "datetime64[us, UTC]",
    "bin_end": "datetime64[us, UTC]",
    "step": "object",  # as Kusto writes it: "1d", "1h"
    "entity_column": "object",
    "drilldown_kql": "object",
    "series": "object",  # counts per bin, oldest first; the last is the test bin
    "excluded_bins": "object",  # bins of series left out of the baseline (gaps, before life)
}

#: The table statuses frame's columns, in order.
TABLE_COLUMNS: dict[str, str] = {
    "table": "object",
    "status": "object",
    "row_count": "Int64",
    "series_scored": "int64",
    "entity_columns": "object",  # {entity: [columns it was found in]}
    "categorical_columns": "object",
    "error": "object",
    "notes": "object",  # collection gaps, too little history
}


def _finding(anomaly: Anomaly) -> dict[str, Any]:
    return {
        "rank": anomaly.rank,
        "score": anomaly.score,
        "entity": anomaly.entity,
        "entity_kind": anomaly.entity_kind,
        "table": anomaly.table,
        "column": anomaly.column,
        "value": anomaly.value,
        "related": [{"column": c, "value": v} for c, v in anomaly.related],
        "in_step": [{"column": c, "value": v} for c, v in anomaly.in_step],
        "also": [
            {"entity": e, "entity_kind": k, "column": c, "value": v} for e, k, c, v in anomaly.also
        ],
        "actual": anomaly.actual,
        "expected": anomaly.expected,
        "first_seen": anomaly.first_seen,
        "bin_start": anomaly.bin_start,
        "bin_end": anomaly.bin_start + anomaly.step,
        "step": Window(anomaly.bin_start, anomaly.step, 1).step_label,
        "entity_column": anomaly.entity_column,
        "drilldown_kql": anomaly.drilldown_kql,
        "series": list(anomaly.series),
        "excluded_bins": list(anomaly.excluded_bins),
    }


def _frame(rows: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the install extras
        raise ImportError(
            "DataFrames need pandas: pip install 'sentinel-anomaly-lookup[notebook]'"
        ) from exc
    data = {}
    for name, dtype in columns.items():
        values = [row[name] for row in rows]
        kind: Any = dtype  # a dtype name pandas-stubs cannot check as a literal
        if dtype == "object":  # keeps None as None, lists and dicts as they are
            data[name] = pd.Series(values, dtype=object)
        elif dtype.startswith("datetime64"):
            data[name] = pd.Series(pd.to_datetime(values, utc=True)).astype(kind)
        else:
            data[name] = pd.Series(values).astype(kind)
    return pd.DataFrame(data)


def findings_frame(report: Report) -> pd.DataFrame:
    """One row per finding, in rank order (see :data:`FINDING_COLUMNS`)."""
    anomalies = sorted(report.anomalies, key=lambda a: a.rank)
    return _frame([_finding(a) for a in anomalies], FINDING_COLUMNS)


def tables_frame(report: Report) -> pd.DataFrame:
    """One row per table looked at, with its status (see :data:`TABLE_COLUMNS`)."""
    return _frame([table_dict(t) for t in report.tables], TABLE_COLUMNS)
