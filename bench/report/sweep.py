"""Section 5 of RESULTS.md: cost as incidents grow (issue 13), before and after."""

from __future__ import annotations

from typing import Any

from bench.report.common import table, yes

_LIMITS = [
    "**Log Analytics limits** (looked up for issue 13; `lookup/backends/la_match.py`): a query "
    "returns at most 500,000 records and ~104 MB (~100 MiB, 64 MB compressed), runs at most "
    "10 minutes, 200 requests per 30 s per user "
    "([service limits, Query API](https://learn.microsoft.com/azure/azure-monitor/"
    "service-limits#la-query-api)), 5 concurrent per user "
    "([log queries](https://learn.microsoft.com/azure/azure-monitor/service-limits"
    "#log-queries-and-language)); Kusto truncates results at the same 500,000 records / 64 MB "
    "and refuses queries whose operator tree is too deep (long chains of binary operators, "
    "wide unions: [query limits](https://learn.microsoft.com/kusto/concepts/query-limits)). "
    "No limit on the query text is documented; the one rejection on record is a "
    '1.69-million-character query answered "payload too large" '
    "([Azure-Sentinel#8376](https://github.com/Azure/Azure-Sentinel/issues/8376)). The "
    "backend keeps every query under its own budget of {budget} characters (entities that "
    "would not fit are left out and the table is reported as partial, with the reason), "
    "answers one row per series, and takes a truncated answer as a partial table.",
]


def _before(sweep: dict[str, Any], *path: str) -> Any:
    node: Any = sweep.get("before")
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _s(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _by(points: list[dict[str, Any]] | None, key: str) -> dict[Any, dict[str, Any]]:
    return {p[key]: p for p in points or []}


def sweep_section(sweep: dict[str, Any]) -> list[str]:
    """Entities, columns and wide tables on both backends, with the numbers before issue 13."""
    lines = [
        "",
        "## 5. Cost as incidents grow: entities, columns, wide tables",
        "",
        "Issue 13. Both queries of a table used to grow with entities x columns: the local "
        "profile ran one term match per (entity, column) pair on every row and the counts one "
        "`UNION ALL` branch per (entity column, categorical column) pair; the Log Analytics "
        "profile wrote every identifier once per column searched and the counts one `union` "
        "leg per (entity, entity column). Now the local backend matches the entity columns' "
        "*distinct values* (one `GROUP BY GROUPING SETS`), then joins the rows to the values "
        "found and unpivots the categorical columns once; the KQL writes each entity's "
        "identifiers once (`let`), prefilters with one `has_any` per entity column and expands "
        "to the (entity column, entity) pairs found with `mv-expand`. *Before* is the code "
        "before issue 13 on the same workspaces (one run per point), *after* this run.",
        "",
    ]
    lines += _entities(sweep)
    lines += _columns(sweep)
    lines += _wide(sweep)
    lines += _log_analytics(sweep)
    budget = sweep["log_analytics"].get("budget_chars") or 0
    lines += ["", _LIMITS[0].format(budget=f"{budget:,}")]
    return lines


def _entities(sweep: dict[str, Any]) -> list[str]:
    data = sweep["entities"]
    before = _by(_before(sweep, "entities", "points"), "entities")
    b_ratio = _before(sweep, "entities", "ratio_to_1") or {}
    rows = []
    for p in data["points"]:
        b = before.get(p["entities"], {})
        rows.append(
            [
                str(p["entities"]),
                f"**{p['seconds']:.2f}**",
                f"x{data['ratio_to_1'].get(str(p['entities']), float('nan')):.2f}",
                f"{p['peak_rss_mib']:.0f}",
                f"{p['profile_seconds']:.2f} / {p['counts_seconds']:.2f}",
                str(p["anomalies"]),
                _s(b.get("seconds")),
                f"x{b_ratio[str(p['entities'])]:.1f}" if str(p["entities"]) in b_ratio else "-",
                _s(b.get("peak_rss_mib"), 0),
                _s(b.get("profile_seconds")) + " / " + _s(b.get("counts_seconds")),
            ]
        )
    header = [
        "entities",
        "seconds (best)",
        "x 1 entity",
        "peak RSS MiB",
        "profile / counts s",
        "anomalies",
        "before: seconds",
        "before: x 1 entity",
        "before: peak RSS MiB",
        "before: profile / counts s",
    ]
    return [
        f"**Entities** (local backend, the demo incident and members of the demo company, "
        f"{data['rows']:,} rows in 5 tables, fresh process per run):",
        "",
        *table(header, rows),
        "",
    ]


def _columns(sweep: dict[str, Any]) -> list[str]:
    before = _by(_before(sweep, "columns", "points"), "columns")
    rows = []
    for p in sweep["columns"]["points"]:
        b = before.get(p["columns"], {})
        rows.append(
            [
                str(p["columns"]),
                f"{p['rows']:,}",
                f"{p['parquet_mib']:.0f}",
                f"**{p['seconds']:.2f}**",
                f"{p['peak_rss_mib']:.0f}",
                f"{p['profile_seconds']:.2f} / {p['counts_seconds']:.2f}",
                _s(b.get("seconds")),
                _s(b.get("peak_rss_mib"), 0),
            ]
        )
    header = [
        "columns",
        "rows",
        "Parquet MiB",
        "seconds (best)",
        "peak RSS MiB",
        "profile / counts s",
        "before: seconds",
        "before: peak RSS MiB",
    ]
    return [
        "**Columns** (local backend, one custom table `Wide_CL` of 3 entity columns and the "
        "rest categorical or id-like, 3 entities):",
        "",
        *table(header, rows),
        "",
    ]


def _wide(sweep: dict[str, Any]) -> list[str]:
    wide = sweep["wide"]
    before_wide = _by(_before(sweep, "wide", "wide"), "rows")
    rows = []
    for label, points, olds in (
        ("wide, 8 entities", wide["wide"], before_wide),
        ("demo, 3 entities", wide["narrow"], _by(_before(sweep, "wide", "narrow"), "rows")),
    ):
        for p in points:
            b = olds.get(p["rows"], {})
            rows.append(
                [
                    label,
                    f"{p['rows']:,}",
                    f"**{p['seconds']:.2f}**",
                    f"{p['peak_rss_mib']:.0f}",
                    f"{p['profile_seconds']:.2f} / {p['counts_seconds']:.2f}",
                    str(p["series_scored"]),
                    str(p["anomalies"]),
                    _s(b.get("seconds")),
                    _s(b.get("peak_rss_mib"), 0),
                ]
            )
    header = [
        "incident",
        "rows",
        "seconds (best)",
        "peak RSS MiB",
        "profile / counts s",
        "series",
        "anomalies",
        "before: seconds",
        "before: peak RSS MiB",
    ]
    slope, narrow = wide["wide_seconds_per_million_rows"], wide["narrow_seconds_per_million_rows"]
    text = (
        "**Wide tables** (the case of issue 13: DeviceProcessEvents, DeviceNetworkEvents, "
        "EmailEvents, CloudAppEvents and SigninLogs with their full schemas, 43-78 columns; 8 "
        "entities: Account, Host, Ip, Url, FileHash, Process, Mailbox, CloudApplication; the "
        "bigger workspace has the same incident rows and more background, as the scale "
        "benchmark's). Per row, as the scale section counts it (the cost of each extra "
        f"million rows): wide tables {_s(slope, 3)} s per million rows, the demo incident "
        f"{_s(narrow, 3)} s."
    )
    values = (
        wide.get("wide_seconds_per_million_values"),
        wide.get("narrow_seconds_per_million_values"),
    )
    if None not in values:
        text += (
            f" A wide row holds 3-4 times the values of a demo row (the profile counts the "
            f"distinct values of every candidate column): per million values the wide tables "
            f"cost {values[0] * 1e3:.1f} ms and the demo tables {values[1] * 1e3:.1f} ms."
        )
    e2e = wide.get("wide_seconds_per_million_rows_end_to_end")
    if e2e is not None:
        text += (
            f" End to end, fixed costs included, the smaller wide workspace costs {e2e:.2f} s "
            "per million rows and the 10M-row demo workspace "
            f"{_s(wide.get('narrow_seconds_per_million_rows_end_to_end'), 3)} s: a lookup's "
            "fixed cost (opening the files, ~25,000 series to score) is spread over few rows."
        )
    return [text, "", *table(header, rows), ""]


def _log_analytics(sweep: dict[str, Any]) -> list[str]:
    la = sweep["log_analytics"]
    before = _by(_before(sweep, "log_analytics", "entities", "points"), "entities")
    rows = []
    for p in la["entities"]["points"]:
        b = before.get(p["entities"], {})
        largest = p["largest_by_step"]
        old = b.get("largest_by_step", {})
        rows.append(
            [
                str(p["entities"]),
                str(p["identifiers"]),
                str(p["queries"]),
                f"{largest.get('profile', 0):,} / {largest.get('counts', 0):,}",
                f"{p['total_query_chars']:,}",
                f"{p['rows_returned']:,}",
                yes(p["within_budget"]),
                f"{old.get('profile', 0):,} / {old.get('counts', 0):,}" if b else "-",
                f"{b['total_query_chars']:,}" if b else "-",
                f"{b['rows_returned']:,}" if b else "-",
            ]
        )
    header = [
        "entities",
        "identifiers",
        "HTTP queries",
        "largest profile / counts query, chars",
        "all queries, chars",
        "rows returned",
        "within budget",
        "before: largest profile / counts",
        "before: all chars",
        "before: rows returned",
    ]
    lines = [
        f"**Log Analytics** (the same lookups through `LogAnalyticsBackend` and the real "
        f"`LogsQueryClient` against the local fake of the query endpoint, "
        f"{la['entities']['rows']:,} rows in 5 tables):",
        "",
        *table(header, rows),
        "",
    ]
    col_rows = []
    old_cols = _by(_before(sweep, "log_analytics", "columns", "points"), "columns")
    for p in la["columns"]["points"]:
        b = old_cols.get(p["columns"], {})
        col_rows.append(
            [
                str(p["columns"]),
                f"{p['largest_query_chars']:,}",
                f"{p['rows_returned']:,}",
                f"{b['largest_query_chars']:,}" if b else "-",
                f"{b['rows_returned']:,}" if b else "-",
            ]
        )
    lines += table(
        ["columns", "largest query, chars", "rows returned", "before: largest", "before: rows"],
        col_rows,
    )
    w = la["wide"]
    b = _before(sweep, "log_analytics", "wide") or {}
    lines += [
        "",
        f"Wide tables through Log Analytics ({w['rows']:,} rows, 8 entities): largest query "
        f"{w['largest_query_chars']:,} characters, {w['total_query_chars']:,} in all, "
        f"{w['rows_returned']:,} rows returned"
        + (
            f" (before: {b['largest_query_chars']:,}, {b['total_query_chars']:,} and "
            f"{b['rows_returned']:,})."
            if b
            else "."
        ),
    ]
    return lines
