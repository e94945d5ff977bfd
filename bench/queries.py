"""Query cost per incident: ours vs the notebook's algorithm on the same workspace.

Ours: the queries the local backend ran (one profile per table with a candidate column,
one counts query per table where an entity appears), and the sequential round trips they
need run one table after another (locally) or four tables at a time (the engine's default
``max_concurrent_queries`` against Log Analytics, which allows five). The notebook: every
query its algorithm sends for each entity (:mod:`bench.notebook`), all sequential, so its
round trips equal its queries; "as shipped" stops where the run crashes, "crash-fixed"
finishes every table it can.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.detection import LA_CONCURRENCY, notebook_string
from bench.generators import demo_incident_entities
from bench.notebook import NotebookReplay
from bench.profiles import Profile
from bench.recording import RecordingBackend, concurrent_rounds
from bench.workspaces import scale_workspace
from lookup.backends.local import LocalBackend
from lookup.engine import run_lookup
from lookup.sentinel.payload import parse_incident
from lookup.settings import Settings


def run_queries(profile: Profile, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    settings = Settings()
    points: list[dict[str, Any]] = []
    for tables in profile.query_tables:
        workspace = scale_workspace(cache, profile.query_rows, tables, log=log)
        backend = RecordingBackend(LocalBackend(workspace.directory))
        replay = NotebookReplay(workspace.directory)
        try:
            for count in profile.query_entities:
                incident = parse_incident(demo_incident_entities(count))
                backend.reset()
                report = run_lookup(incident, backend, settings=settings)
                per_table = [backend.records[t].queries for t in sorted(backend.records)]
                runs = [
                    replay.run(notebook_string(e), incident.alert_time) for e in incident.entities
                ]
                columns = sum(len(replay.columns[t]) - 1 for t in replay.columns)
                point = {
                    "rows": workspace.total_rows,
                    "tables": tables,
                    "entities": count,
                    "columns": columns,
                    "ours_queries": report.stats.queries,
                    "ours_rounds_sequential": sum(per_table),
                    "ours_rounds_la": concurrent_rounds(per_table, LA_CONCURRENCY),
                    "ours_tables_with_counts": sum(1 for q in per_table if q == 2),
                    "notebook_queries": sum(r.queries for r in runs),
                    "notebook_fixed_queries": sum(r.fixed_queries for r in runs),
                    "notebook_entity_runs_crashed": sum(1 for r in runs if r.crashed),
                    "notebook_tables_searched": sum(1 for r in runs for t in r.tables if t.found),
                    "notebook_daily_probes_and_hourly_probes": sum(
                        t.probes for r in runs for t in r.tables
                    ),
                    "notebook_categorical_tests": sum(
                        1
                        + sum(
                            1
                            for name, kind in replay.columns[t.table]
                            if name != "TimeGenerated"
                            and kind in ("VARCHAR", "INTEGER", "BIGINT", "SMALLINT", "TINYINT")
                        )
                        for r in runs
                        for t in r.tables
                        if t.found
                    ),
                }
                points.append(point)
                log(
                    f"queries {tables} tables {count} entities: ours {point['ours_queries']} "
                    f"({point['ours_rounds_la']} rounds at {LA_CONCURRENCY} concurrent), notebook "
                    f"{point['notebook_fixed_queries']}"
                )
        finally:
            replay.close()
    bound = all(p["ours_queries"] <= 2 * p["tables"] for p in points)
    return {
        "points": points,
        "ours_within_2_per_table": bound,
        "la_concurrency": LA_CONCURRENCY,
        "log_analytics": la_query_count(profile, cache, log),
    }


def la_query_count(profile: Profile, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Queries over Log Analytics, measured by ``bench/query_count.py`` (the backend's owner).

    It runs the lookup through ``LogAnalyticsBackend`` and the real ``LogsQueryClient``
    against the local fake of the query endpoint and counts the HTTP queries it receives.
    The fake executes KQL with duckdb-kql, so the grid is small; the backend owner's own
    grid is ``python -m bench.query_count`` (``bench/results/query_count.json``).
    """
    if importlib.util.find_spec("bench.query_count") is None:
        return {"status": "bench/query_count.py does not exist yet"}
    try:
        import bench.query_count as query_count

        grid = query_count.Grid(f"bench-{profile.name}", *LA_GRIDS[profile.name])
        results: dict[str, Any] = query_count.run(grid, cache, log)
    except Exception as exc:  # another owner's tool: report, do not sink the harness
        return {"status": f"failed: {type(exc).__name__}: {exc}"}
    results["status"] = "ok"
    committed = Path(__file__).resolve().parent / "results" / "query_count.json"
    results["committed_full_grid"] = str(committed.name) if committed.is_file() else None
    return results


#: (rows, tables, entities) of the Log Analytics query-count grid per profile.
LA_GRIDS: dict[str, tuple[int, tuple[int, ...], tuple[int, ...]]] = {
    "full": (20_000, (5, 20), (1, 10)),
    "quick": (6_000, (5,), (1, 3)),
    "mini": (6_000, (5,), (1,)),
}
