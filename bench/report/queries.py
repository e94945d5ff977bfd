"""Section 3 of RESULTS.md: queries per incident, ours against the notebook's algorithm."""

from __future__ import annotations

from typing import Any

from bench.report.common import table, yes

_LOCAL_HEADER = [
    "rows",
    "tables",
    "columns",
    "entities",
    "ours: queries",
    "ours: round trips local / LA",
    "notebook as shipped",
    "notebook: queries = round trips",
    "of which time-window probes",
    "of which column tests",
    "notebook runs crashed",
]
_LA_HEADER = [
    "rows",
    "tables",
    "entities",
    "ours: HTTP queries",
    "by step",
    "constant",
    "<= 2/table + constant",
    "notebook",
]


def queries_section(queries: dict[str, Any]) -> list[str]:
    """Local counts per workspace and entity count, then the Log Analytics wire counts."""
    lines = [
        "",
        "## 3. Query cost per incident",
        "",
        "Same workspace, same incident, both algorithms. Ours: queries run by the backend and "
        "the sequential round trips they take one table at a time (local) or "
        f"{queries['la_concurrency']} tables at a time (the engine's default against Log "
        "Analytics). Notebook: every query its algorithm sends for each entity, all "
        "sequential (queries = round trips); as shipped it stops where an entity's run "
        "crashes, crash-fixed is what it would send if it finished.",
        "",
    ]
    rows = [
        [
            f"{p['rows']:,}",
            str(p["tables"]),
            str(p["columns"]),
            str(p["entities"]),
            f"**{p['ours_queries']}**",
            f"{p['ours_rounds_sequential']} / {p['ours_rounds_la']}",
            str(p["notebook_queries"]),
            f"**{p['notebook_fixed_queries']}**",
            str(p["notebook_daily_probes_and_hourly_probes"]),
            str(p["notebook_categorical_tests"]),
            str(p["notebook_entity_runs_crashed"]),
        ]
        for p in queries["points"]
    ]
    lines += table(_LOCAL_HEADER, rows)
    lines += [
        "",
        "Ours sends one profile query per table and one counts query per table where an "
        "entity appears, whatever the number of entities and columns: at most 2 per table, "
        "no constant (table discovery reads the directory locally). The notebook sends, per "
        "entity: 1 table listing + per table 1 search + up to 30 daily and 67 hourly "
        "time-window probes + 1 schema query + 1 query per int/long/string column + 1 per "
        "categorical column, so it grows with entities x tables x columns.",
    ]
    return lines + _log_analytics(queries.get("log_analytics", {}))


def _log_analytics(la: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "**Over Log Analytics** (`bench/query_count.py`, by the backend's owner, run from this "
        "harness): the same lookup through `LogAnalyticsBackend` and the real "
        "`LogsQueryClient` against a local fake of the query endpoint, counting the HTTP "
        "queries it receives; the notebook replayed on the same files.",
        "",
    ]
    if la.get("status") != "ok":
        lines.append(str(la.get("status", "not run")))
        return lines
    rows = []
    for p in la["points"]:
        ours = p["ours"]
        rows.append(
            [
                f"{p['rows']:,}",
                str(p["tables"]),
                str(p["entities"]),
                f"**{ours['queries']}**",
                ", ".join(f"{k} {v}" for k, v in ours["by_step"].items()),
                str(ours["constant"]),
                yes(ours["within_2_per_table_plus_constant"]),
                f"**{p['notebook']['queries_crash_fixed']}**",
            ]
        )
    lines += table(_LA_HEADER, rows)
    if la.get("committed_full_grid"):
        lines += [
            "",
            "The backend owner's larger grid: `python -m bench.query_count` "
            "([`results/query_count.json`](results/query_count.json)).",
        ]
    return lines
