"""Sweeps of issue 13: what an incident costs as it grows in entities and tables widen.

* **Entities** (1, 3, 10, 30, 100) on the scale benchmark's 10M-row workspace, local
  backend: end-to-end seconds and peak memory, each run in a fresh process
  (:func:`bench.scale.run_child`, best of ``sweep_runs``). Ratios to 1 entity are the
  targets (10 entities <= 1.5x, 100 <= 3x).
* **Columns**: one custom table of 20, 60 and 200 columns (:func:`bench.wide.columns_workspace`),
  3 entities, local backend.
* **Wide tables**: the case of issue 13, 8 entities of 8 kinds over about 600,000 rows of
  five wide Defender / Entra tables with their full schemas, and the same incident over
  more background rows (:func:`bench.wide.defender_workspace`): the cost per million
  rows (the slope between the two sizes, what "per row" means in the scale section) next to
  the 3-entity demo incident's between 1M and 10M rows.
* **Log Analytics**: the same incidents through :class:`LogAnalyticsBackend` and the real
  ``LogsQueryClient`` against the local fake of the query endpoint (``tests/fakes``): HTTP
  queries, characters of each query (largest, total), rows returned; entities up to 200,
  the size the query text must stay within the budget for
  (:data:`lookup.backends.la_match.MAX_QUERY_CHARS`).

``python -m bench --only sweep`` runs it in the harness; ``python -m bench.sweep --out
FILE`` writes the raw results alone (used to record the numbers of the code before issue
13, ``bench/results/sweep_before.json``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO / "tests"))  # the fake endpoint is test code

from bench.generators import demo_incident_entities  # noqa: E402
from bench.profiles import PROFILES, Profile  # noqa: E402
from bench.query_count import classify  # noqa: E402
from bench.scale import run_child  # noqa: E402
from bench.wide import (  # noqa: E402
    columns_incident,
    columns_workspace,
    defender_incident,
    defender_workspace,
)
from bench.workspaces import Workspace, scale_workspace  # noqa: E402

try:  # the code before issue 13 had no text budget; its numbers are measured too
    from lookup.backends.la_match import MAX_QUERY_CHARS as BUDGET
except ImportError:  # pragma: no cover
    BUDGET = None

Log = Callable[[str], None]
CHILD_KEYS = ("seconds", "peak_rss_mib", "profile_seconds", "counts_seconds", "anomalies")


def _best(
    directory: Path, entities: int, runs: int, incident: Path | None = None
) -> dict[str, Any]:
    """Best of ``runs`` fresh-process lookups (the summary of the fastest run)."""
    results = [run_child(directory, entities, incident) for _ in range(runs)]
    best = min(results, key=lambda r: r["seconds"])
    out = {k: best[k] for k in CHILD_KEYS}
    out["seconds_all"] = [r["seconds"] for r in results]
    out["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
    out["series_scored"] = best["series_scored"]
    out["rows_returned"] = best["rows_returned"]
    out["queries"] = best["queries"]
    out["tables"] = best["tables"]
    return out


def _write_incident(payload: dict[str, Any], directory: Path, name: str) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(payload))
    return path


def local_entities(profile: Profile, cache: Path, log: Log) -> dict[str, Any]:
    """Entity sweep on the local backend."""
    workspace = scale_workspace(cache, profile.sweep_rows, 5, log=log)
    points = []
    for count in profile.sweep_entities:
        point = {"entities": count, **_best(workspace.directory, count, profile.sweep_runs)}
        log(f"sweep entities {count:>3}: {point['seconds']:.2f} s, "
            f"{point['peak_rss_mib']:.0f} MiB")  # fmt: skip
        points.append(point)
    one = next((p for p in points if p["entities"] == 1), None)
    ratios = {str(p["entities"]): p["seconds"] / one["seconds"] for p in points} if one else {}
    return {"rows": workspace.total_rows, "points": points, "ratio_to_1": ratios}


def local_columns(profile: Profile, cache: Path, log: Log, incidents: Path) -> dict[str, Any]:
    """Column sweep on the local backend: one table of 20, 60, 200 columns, 3 entities."""
    incident = _write_incident(columns_incident(), incidents, "columns")
    points = []
    for columns in profile.sweep_columns:
        workspace = columns_workspace(cache, columns, profile.columns_rows, log=log)
        point = {
            "columns": columns,
            "rows": workspace.total_rows,
            "parquet_mib": workspace.parquet_bytes / 2**20,
            **_best(workspace.directory, 3, profile.sweep_runs, incident),
        }
        log(f"sweep columns {columns:>3}: {point['seconds']:.2f} s")
        points.append(point)
    return {"points": points}


def local_wide(profile: Profile, cache: Path, log: Log, incidents: Path) -> dict[str, Any]:
    """The wide Defender tables, 8 entities, at two sizes; the narrow 3-entity reference."""
    incident = _write_incident(defender_incident(), incidents, "defender")
    own = profile.wide_rows[0]
    wide = []
    for rows in profile.wide_rows:
        workspace = defender_workspace(cache, rows, own=own, log=log)
        point = {
            "rows": workspace.total_rows,
            "values": _values(workspace),
            "tables": len(workspace.rows),
            "parquet_mib": workspace.parquet_bytes / 2**20,
            **_best(workspace.directory, 8, profile.sweep_runs, incident),
        }
        log(f"sweep wide {rows:>9,} rows: {point['seconds']:.2f} s")
        wide.append(point)
    narrow = []
    for rows in profile.narrow_rows:
        workspace = scale_workspace(cache, rows, 5, log=log)
        point = {
            "rows": workspace.total_rows,
            "values": _values(workspace),
            **_best(workspace.directory, 3, profile.sweep_runs),
        }
        narrow.append(point)
    return {
        "wide": wide,
        "narrow": narrow,
        "wide_seconds_per_million_rows": _slope(wide),
        "narrow_seconds_per_million_rows": _slope(narrow),
        "wide_seconds_per_million_values": _slope(wide, "values"),
        "narrow_seconds_per_million_values": _slope(narrow, "values"),
        "wide_seconds_per_million_rows_end_to_end": (
            wide[0]["seconds"] / (wide[0]["rows"] / 1e6) if wide else None
        ),
        "narrow_seconds_per_million_rows_end_to_end": (
            narrow[-1]["seconds"] / (narrow[-1]["rows"] / 1e6) if narrow else None
        ),
    }


def _slope(points: Sequence[dict[str, Any]], unit: str = "rows") -> float | None:
    """Seconds per million ``unit`` (rows or values) between the smallest and largest point."""
    if len(points) < 2:
        return None
    low, high = points[0], points[-1]
    return (high["seconds"] - low["seconds"]) / ((high[unit] - low[unit]) / 1e6)


def _values(workspace: Workspace) -> int:
    """Values in the workspace: rows x columns, table by table."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        total = 0
        for path in sorted(workspace.directory.glob("*.parquet")):
            literal = "'" + path.as_posix().replace("'", "''") + "'"
            columns = len(con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall())
            total += workspace.rows.get(path.stem, 0) * columns
        return total
    finally:
        con.close()


def _la_point(directory: Path, incident: dict[str, Any], label: dict[str, Any]) -> dict[str, Any]:
    """One lookup through the Log Analytics backend and the fake endpoint."""
    from fakes.log_analytics import FakeWorkspace, make_client, serve

    from lookup.backends.log_analytics import LogAnalyticsBackend
    from lookup.demo import WORKSPACE_ID
    from lookup.engine import run_lookup
    from lookup.sentinel.payload import parse_incident
    from lookup.settings import Settings

    workspace = FakeWorkspace.from_directory(directory)
    try:
        with serve({WORKSPACE_ID: workspace}) as fake:
            settings = Settings(time_budget_seconds=1800, query_timeout_seconds=600)
            backend = LogAnalyticsBackend(make_client(fake), WORKSPACE_ID, settings=settings)
            parsed = parse_incident(incident)
            started = time.perf_counter()
            report = run_lookup(parsed, backend, settings=settings)
            seconds = time.perf_counter() - started
            requests = list(fake.requests)
    finally:
        workspace.close()
    sizes: dict[str, list[int]] = {}
    for request in requests:
        sizes.setdefault(classify(request.query), []).append(len(request.query))
    identifiers = [len(i) for e in parsed.entities for i in e.identifiers]
    largest = max((len(r.query) for r in requests), default=0)
    return {
        **label,
        "entities": len(parsed.entities),
        "identifiers": len(identifiers),
        "identifier_chars": sum(identifiers),
        "queries": len(requests),
        "by_step": dict(Counter(classify(r.query) for r in requests)),
        "largest_query_chars": largest,
        "largest_by_step": {k: max(v) for k, v in sizes.items()},
        "total_query_chars": sum(len(r.query) for r in requests),
        "within_budget": largest <= BUDGET if BUDGET else None,
        "rows_returned": report.stats.rows_returned,
        "statuses": dict(Counter(t.status for t in report.tables)),
        "anomalies": len(report.anomalies),
        "seconds": seconds,
    }


def log_analytics(profile: Profile, cache: Path, log: Log) -> dict[str, Any]:
    """The sweeps through the Log Analytics backend and the fake endpoint."""
    out: dict[str, Any] = {"budget_chars": BUDGET}
    workspace = scale_workspace(cache, profile.la_rows, 5, log=log)
    entities = []
    for count in profile.la_entities:
        point = _la_point(workspace.directory, demo_incident_entities(count), {})
        log(f"sweep LA entities {count:>3}: largest query {point['largest_query_chars']:,} "
            f"chars, {point['rows_returned']:,} rows")  # fmt: skip
        entities.append(point)
    out["entities"] = {"rows": workspace.total_rows, "points": entities}
    columns = []
    for count in profile.sweep_columns:
        ws = columns_workspace(cache, count, profile.la_rows, log=log)
        point = _la_point(ws.directory, columns_incident(), {"columns": count})
        log(f"sweep LA columns {count:>3}: largest query {point['largest_query_chars']:,} chars")
        columns.append(point)
    out["columns"] = {"rows": profile.la_rows, "points": columns}
    wide: Workspace = defender_workspace(cache, profile.la_rows, own=profile.la_rows, log=log)
    out["wide"] = _la_point(wide.directory, defender_incident(), {"rows": wide.total_rows})
    return out


def run_sweep(profile: Profile, cache: Path, log: Log) -> dict[str, Any]:
    """Every sweep at the profile's sizes."""
    with tempfile.TemporaryDirectory() as scratch:
        incidents = Path(scratch)
        out = {
            "entities": local_entities(profile, cache, log),
            "columns": local_columns(profile, cache, log, incidents),
            "wide": local_wide(profile, cache, log, incidents),
            "log_analytics": log_analytics(profile, cache, log),
        }
    before = BENCH_DIR / "results" / "sweep_before.json"
    if before.is_file() and profile.name == "full":
        out["before"] = json.loads(before.read_text())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument("--cache", type=Path, default=BENCH_DIR / ".data")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--runs", type=int, help="fresh-process runs per point (profile's)")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    profile = PROFILES[args.profile]
    if args.runs:
        profile = dataclasses.replace(profile, sweep_runs=args.runs)
    results = run_sweep(profile, args.cache, log)
    results.pop("before", None)
    args.out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
