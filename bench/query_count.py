"""Queries per incident over Log Analytics: ours vs the original notebook's algorithm.

``python -m bench.query_count`` (about 5-10 minutes on 2 cores) writes
``bench/results/query_count.json``; ``--quick`` (under 2 minutes, for CI) writes
``bench/.data/quick/query_count.json`` instead, so it never overwrites the committed file.

Ours is counted on the wire: the whole lookup runs through the Log Analytics backend and
the real ``LogsQueryClient`` against the local fake of the query endpoint
(``tests/fakes/log_analytics.py``, HTTPS on 127.0.0.1, KQL executed by duckdb-kql), and
every HTTP query the endpoint receives is counted and classified (discovery from
``Usage``, ``getschema`` of tables without a bundled schema, profile, counts). The
notebook's algorithm is replayed on the same workspace files by :mod:`bench.notebook`
(one run per entity, as an analyst uses it: ``LISTTABLES``, one ``search`` probe per table,
up to ~97 time-window probes, ``getschema``, one heuristic query per int/long/string
column and one series query per categorical column), counting every query it would send.

The target: ours <= 2 per table plus a constant, whatever the number of entities and
columns; the notebook's count grows with both.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# The fake endpoint is test code; the benchmark borrows it.
sys.path.insert(0, str(REPO / "tests"))

from fakes.log_analytics import FakeLogAnalytics, FakeWorkspace, make_client, serve  # noqa: E402

from bench.detection import notebook_string  # noqa: E402
from bench.generators import demo_incident_entities  # noqa: E402
from bench.notebook import NotebookReplay  # noqa: E402
from bench.workspaces import scale_workspace  # noqa: E402
from lookup.backends.log_analytics import LogAnalyticsBackend  # noqa: E402
from lookup.demo import WORKSPACE_ID  # noqa: E402
from lookup.engine import run_lookup  # noqa: E402
from lookup.sentinel.payload import parse_incident  # noqa: E402
from lookup.settings import Settings  # noqa: E402
from lookup.tables import CATEGORICAL_TYPES, load_bundled_schema  # noqa: E402


@dataclass(frozen=True)
class Grid:
    """Workspace sizes and entity counts to measure."""

    name: str
    rows: int
    tables: tuple[int, ...]
    entities: tuple[int, ...]


GRIDS = {
    "full": Grid("full", 20_000, (5, 10, 20), (1, 3, 8, 16)),
    "quick": Grid("quick", 6_000, (5, 7), (1, 3, 6)),
}


def classify(query: str) -> str:
    """Which step of the lookup a query belongs to."""
    if query.startswith("Usage\n"):
        return "discovery"
    if "getschema" in query:
        return "schema"
    if "summarize rows = count()" in query:
        return "profile"
    if "mv-expand" in query:
        return "counts"
    return "other"


def _columns(replay: NotebookReplay) -> dict[str, int]:
    """int/long/string columns per table: what the notebook sends one query each for."""
    kinds = {"VARCHAR", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UINTEGER"}
    return {t: sum(1 for _, k in cols if k in kinds) for t, cols in replay.columns.items()}


def _candidates(table: str, fake_workspace: FakeWorkspace) -> int:
    schema = load_bundled_schema(table)
    if schema is not None:
        return sum(1 for c in schema if c.kql_type in CATEGORICAL_TYPES)
    return sum(1 for _, kind in fake_workspace.schema(table) if kind in CATEGORICAL_TYPES)


def measure(
    directory: Path,
    entity_counts: Sequence[int],
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """One point per entity count on one workspace directory."""
    workspace = FakeWorkspace.from_directory(directory)
    replay = NotebookReplay(directory)
    points = []
    try:
        with serve({WORKSPACE_ID: workspace}) as fake:
            for count in entity_counts:
                points.append(_point(directory, workspace, replay, fake, count, log))
    finally:
        replay.close()
        workspace.close()
    return points


def _point(
    directory: Path,
    workspace: FakeWorkspace,
    replay: NotebookReplay,
    fake: FakeLogAnalytics,
    count: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    incident = parse_incident(demo_incident_entities(count))
    settings = Settings()
    fake.clear()
    backend = LogAnalyticsBackend(make_client(fake), WORKSPACE_ID, settings=settings)
    started = time.perf_counter()
    report = run_lookup(incident, backend, settings=settings)
    seconds = time.perf_counter() - started
    kinds = Counter(classify(r.query) for r in fake.requests)
    tables = len(report.tables)
    constant = kinds["discovery"] + kinds["schema"]
    ours = len(fake.requests)
    runs = [replay.run(notebook_string(e), incident.alert_time) for e in incident.entities]
    notebook = sum(r.queries for r in runs)
    notebook_fixed = sum(r.fixed_queries for r in runs)
    columns = _columns(replay)
    point = {
        "tables": tables,
        "entities": len(incident.entities),
        "rows": sum(r.row_count or 0 for r in report.tables),
        "int_long_string_columns": sum(columns.values()),
        "categorical_candidates": sum(_candidates(t, workspace) for t in columns),
        "ours": {
            "queries": ours,
            "by_step": dict(sorted(kinds.items())),
            "constant": constant,
            "per_table": round((ours - constant) / tables, 3),
            "within_2_per_table_plus_constant": ours - constant <= 2 * tables,
            "retries": report.stats.retries,
            "anomalies": len(report.anomalies),
            "table_status": dict(Counter(t.status for t in report.tables)),
            "seconds_against_fake_endpoint": round(seconds, 2),
        },
        "notebook": {
            "queries_as_shipped": notebook,
            "queries_crash_fixed": notebook_fixed,
            "crashed_runs": sum(1 for r in runs if r.crashed),
            "per_entity": [r.fixed_queries for r in runs],
        },
    }
    log(
        f"{tables} tables, {point['entities']} entities: ours {ours} "
        f"({dict(kinds)}), notebook {notebook_fixed} (as shipped {notebook})"
    )
    return point


def run(grid: Grid, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Measure every point of ``grid``; the JSON document written to the results file."""
    points: list[dict[str, Any]] = []
    for tables in grid.tables:
        workspace = scale_workspace(cache, grid.rows, tables, log=log)
        points.extend(measure(workspace.directory, grid.entities, log))
    by_tables: dict[int, set[int]] = {}
    for point in points:
        by_tables.setdefault(point["tables"], set()).add(point["ours"]["queries"])
    ours_max = max(p["ours"]["queries"] - p["ours"]["constant"] - 2 * p["tables"] for p in points)
    notebook_growth = {
        str(t): [p["notebook"]["queries_crash_fixed"] for p in points if p["tables"] == t]
        for t in grid.tables
    }
    return {
        "benchmark": "queries per incident over Log Analytics",
        "command": "python -m bench.query_count" + ("" if grid.name == "full" else " --quick"),
        "grid": {"rows": grid.rows, "tables": grid.tables, "entities": grid.entities},
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "method": (
            "ours: HTTP queries received by the fake Log Analytics endpoint during one full "
            "lookup through LogAnalyticsBackend and the real LogsQueryClient; notebook: "
            "bench.notebook replay of the original algorithm on the same files, one run per "
            "entity, every query it would send counted"
        ),
        "target": "ours <= 2 per table + a constant, independent of entities and columns",
        "target_met": all(p["ours"]["within_2_per_table_plus_constant"] for p in points),
        "ours_excess_over_2_per_table_plus_constant": ours_max,
        "ours_distinct_counts_per_table_count": {str(t): sorted(v) for t, v in by_tables.items()},
        "notebook_crash_fixed_by_entities": notebook_growth,
        "points": points,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its results file."""
    parser = argparse.ArgumentParser(prog="python -m bench.query_count", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small grid, for CI (< 2 min)")
    parser.add_argument("--out", type=Path, help="results file (JSON)")
    parser.add_argument("--cache", type=Path, default=BENCH_DIR / ".data", help="data cache")
    args = parser.parse_args(argv)
    grid = GRIDS["quick" if args.quick else "full"]
    out = args.out or (
        BENCH_DIR / "results" / "query_count.json"
        if grid.name == "full"
        else args.cache / "quick" / "query_count.json"
    )

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    results = run(grid, args.cache, log)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'tables':>6} {'entities':>8} {'ours':>5} {'notebook':>9}  ours by step")
    for point in results["points"]:
        print(
            f"{point['tables']:>6} {point['entities']:>8} {point['ours']['queries']:>5}"
            f" {point['notebook']['queries_crash_fixed']:>9}  {point['ours']['by_step']}"
        )
    print(f"target met: {results['target_met']} ({results['target']})")
    print(f"wrote {out}")
    return 0 if results["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
