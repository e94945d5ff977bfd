"""Section 1 of RESULTS.md: latency and memory against rows, entities and tables."""

from __future__ import annotations

import itertools
from typing import Any

from bench.report.common import table

Point = dict[str, Any]

_INTRO = [
    "",
    "## 1. Scale: one incident, local DuckDB backend",
    "",
    "End to end = opening the workspace (`LocalBackend`) + `run_lookup` on the demo "
    "incident, in a fresh Python process per run (imports excluded, reported separately); "
    "peak RSS is that process's high-water mark (`VmHWM`). Entities: 1 = the victim's "
    "account; 3 = the demo incident (account, workstation, attacker IP); 10 = those plus "
    "seven other company members' accounts, hosts and IPs. 20 tables = the 5 Sentinel "
    "tables with half the rows plus 15 custom `_CL` tables with generic column names.",
    "",
]
_HEADER = [
    "rows",
    "tables",
    "entities",
    "Parquet MiB",
    "values MiB",
    "seconds (best)",
    "median",
    "every run (load average before it)",
    "peak RSS MiB",
    "RSS before the lookup",
    "queries",
    "profile / counts s",
    "match pairs / count branches",
    "series scored",
    "anomalies",
]
_GENERATION = [
    "",
    "Up to 1M rows the demo generator (`lookup.demo.build_demo_workspace`) writes the "
    "workspace; it produces about 50,000 rows per second, so bigger sizes copy the 1M "
    "workspace's background rows with `bench.generators.grow_workspace` (DuckDB, about a "
    "million rows per second): every row that does not mention the incident's entities is "
    "repeated, shifted back by up to 30 minutes, with fresh per-row ids. The incident's "
    "own rows are written once, so every grown size tells the same story (see the "
    "anomalies column); the tenant has the 1M workspace's ~670 users, each with more "
    "events.",
]


def scale_section(scale: dict[str, Any], plot_name: str | None) -> list[str]:
    """The points measured, how cost grows, the plot and the workspaces."""
    lines = list(_INTRO)
    points = sorted(scale["points"], key=lambda p: (p["tables"], p["entities"], p["rows"]))
    lines += table(_HEADER, [_point_row(p) for p in points])
    growth = _growth(scale)
    if growth:
        lines += ["", "**How cost grows.**", *growth]
    if plot_name:
        lines += ["", f"![latency and memory against rows]({plot_name})"]
    lines += [
        "",
        "**Workspaces.** Generated once and cached (generation is not part of the latency):",
        "",
    ]
    rows = [
        [
            f"{w['actual_rows']:,}",
            str(w["tables"]),
            f"{w['parquet_mib']:,.0f}",
            f"{w['generation_seconds']:.1f}",
            w["method"],
        ]
        for w in scale["workspaces"]
    ]
    lines += table(["rows", "tables", "Parquet MiB", "generation s", "how"], rows)
    return lines + _GENERATION


def _point_row(p: Point) -> list[str]:
    return [
        f"{p['actual_rows']:,}",
        str(p["tables"]),
        str(p["entities"]),
        f"{p['parquet_mib']:,.0f}",
        f"{p['raw_mib']:,.0f}",
        f"**{p['seconds']:.2f}**",
        f"{p['seconds_median']:.2f}",
        " / ".join(
            f"{s:.2f}" + (f" ({load:.1f})" if load is not None else "")
            for s, load in zip(p["seconds_all"], p["load_before_runs"], strict=True)
        ),
        f"{p['peak_rss_mib']:,.0f}",
        f"{p['rss_after_imports_mib']:,.0f}",
        str(p["queries"]),
        f"{p['profile_seconds']:.2f} / {p['counts_seconds']:.2f}",
        f"{p['match_pairs']} / {p['count_branches']}",
        str(p["series_scored"]),
        str(p["anomalies"]),
    ]


def _growth(scale: dict[str, Any]) -> list[str]:
    """One bullet per dimension: rows, entities, tables, memory, where the time goes."""
    g = scale["growth"]
    growth: list[str] = []
    if "seconds_per_million_rows" in g:
        growth.append(_rows_growth(scale))
    if g.get("entities_10_vs_1"):
        growth.append(_entities_growth(scale))
    if g.get("tables_20_vs_5"):
        parts = ", ".join(f"{int(k):,} rows: x{v:.2f}" for k, v in g["tables_20_vs_5"].items())
        growth.append(
            f"- Tables: 20 tables instead of 5 at about the same rows cost {parts}. Half of "
            "those rows sit in 15 narrow custom tables (7 columns instead of 13-18), so the "
            "bytes scanned differ too; the per-table cost is two queries, see section 3."
        )
    if g.get("rss_mib_by_rows"):
        parts = ", ".join(f"{int(k):,} rows: {v:.0f} MiB" for k, v in g["rss_mib_by_rows"].items())
        growth.append(
            f"- Memory: peak RSS {parts}. DuckDB streams the Parquet files; only the matched "
            "rows and aggregated counts reach Python, so memory stays nearly flat while data "
            "grows."
        )
    big = max(
        (p for p in scale["points"] if p["tables"] == 5 and p["entities"] == 3),
        key=lambda p: p["rows"],
        default=None,
    )
    if big and big["seconds_all"]:
        share = big["profile_seconds"] / max(big["profile_seconds"] + big["counts_seconds"], 1e-9)
        growth.append(
            f"- Where the time goes ({big['actual_rows']:,} rows, 3 entities): "
            f"{share:.0%} in the profile queries, which scan every row of the window "
            "(distinct counts of every candidate column for the categorical test, and a term "
            "match per (entity, column) pair); the counts queries read only the matched rows."
        )
    return growth


def _rows_growth(scale: dict[str, Any]) -> str:
    g = scale["growth"]
    line = sorted(
        (p for p in scale["points"] if p["tables"] == 5 and p["entities"] == 3),
        key=lambda p: p["actual_rows"],
    )
    steps = [
        f"{a['actual_rows'] / 1e6:.1f}M to {b['actual_rows'] / 1e6:.1f}M rows: "
        f"{(b['seconds'] - a['seconds']) / ((b['actual_rows'] - a['actual_rows']) / 1e6):.2f} s"
        for a, b in itertools.pairwise(line)
        if a["actual_rows"] >= 1e6
    ]
    return (
        "- Rows (3 entities, 5 tables): each extra million rows costs "
        + (", ".join(steps) if steps else "n/a")
        + f" (a least-squares line: {g['fixed_seconds']:.2f} s fixed plus "
        f"{g['seconds_per_million_rows']:.3f} s per million rows). A fixed cost (opening "
        "the files, planning, scoring) plus a constant cost per row: linear in rows."
    )


def _entities_growth(scale: dict[str, Any]) -> str:
    g = scale["growth"]
    parts = ", ".join(f"{int(k):,} rows: x{v:.2f}" for k, v in g["entities_10_vs_1"].items())
    keyed = {(p["rows"], p["tables"], p["entities"]): p for p in scale["points"]}
    pairs = [
        (keyed[(int(k), 5, 1)]["peak_rss_mib"], keyed[(int(k), 5, 10)]["peak_rss_mib"])
        for k in g["entities_10_vs_1"]
    ]
    memory = (
        ", and peak memory " + ", ".join(f"{a:.0f} -> {b:.0f} MiB" for a, b in pairs)
        if pairs
        else ""
    )
    return (
        f"- Entities: 10 entities cost {parts} the time of 1 entity{memory}. Still one "
        "scan per "
        "table and the same number of queries, but the work inside them grows with the "
        "(entity, column) pairs: the profile query evaluates one term match per pair on "
        "every row, and the counts query has one branch per (entity column, categorical "
        "column) pair over the matched rows (columns *profile / counts s* and *match pairs "
        "/ count branches* above)."
    )
