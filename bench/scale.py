"""Scale: end-to-end latency and peak memory of one local lookup, per data size.

Each point runs in fresh processes (``python -m bench.scale_child``), so peak RSS is the
lookup's own; the workspace files are generated (or reused from the cache) beforehand, and
the OS file cache is warm, as on a machine that keeps its data local.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.profiles import Profile
from bench.workspaces import Workspace, scale_workspace

CHILD_TIMEOUT = 900


def _load() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def run_child(workspace: Path, entities: int, incident: Path | None = None) -> dict[str, Any]:
    """One lookup in a fresh Python process; its JSON measurements.

    ``incident``: a payload file to use instead of the demo incident with ``entities``.
    """
    load = _load()
    extra = [str(incident)] if incident is not None else []
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale_child", str(workspace), str(entities), *extra],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode != 0:
        raise RuntimeError(f"scale child failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_average_before"] = load
    return result


def _fit(points: list[dict[str, Any]]) -> dict[str, Any]:
    """How latency grows with rows: linear fit and log-log slope (E=3, T=5 points)."""
    line = sorted(
        (p for p in points if p["entities"] == 3 and p["tables"] == 5), key=lambda p: p["rows"]
    )
    out: dict[str, Any] = {}
    if len(line) >= 2:
        rows = np.array([p["rows"] for p in line], dtype=float)
        secs = np.array([p["seconds"] for p in line], dtype=float)
        slope, intercept = np.polyfit(rows / 1e6, secs, 1)
        out["seconds_per_million_rows"] = float(slope)
        out["fixed_seconds"] = float(intercept)
        big = [(r, s) for r, s in zip(rows, secs, strict=True) if r >= 1e6]
        if len(big) >= 2:
            exponent = np.polyfit(np.log([r for r, _ in big]), np.log([s for _, s in big]), 1)[0]
            out["loglog_exponent_from_1M"] = float(exponent)
        out["rss_mib_by_rows"] = {str(int(p["rows"])): p["peak_rss_mib"] for p in line}
    by_key = {(p["rows"], p["tables"], p["entities"]): p for p in points}
    entity_ratios = {}
    table_ratios = {}
    for rows in sorted({p["rows"] for p in points}):
        one, ten = by_key.get((rows, 5, 1)), by_key.get((rows, 5, 10))
        if one and ten:
            entity_ratios[str(rows)] = ten["seconds"] / one["seconds"]
        five, twenty = by_key.get((rows, 5, 3)), by_key.get((rows, 20, 3))
        if five and twenty:
            table_ratios[str(rows)] = twenty["seconds"] / five["seconds"]
    out["entities_10_vs_1"] = entity_ratios
    out["tables_20_vs_5"] = table_ratios
    return out


def run_scale(profile: Profile, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    workspaces: dict[tuple[int, int], Workspace] = {}
    for point in profile.scale_points:
        key = (point.rows, point.tables)
        if key not in workspaces:
            workspaces[key] = scale_workspace(cache, point.rows, point.tables, log=log)
    points: list[dict[str, Any]] = []
    for point in profile.scale_points:
        workspace = workspaces[(point.rows, point.tables)]
        runs = [
            run_child(workspace.directory, point.entities) for _ in range(profile.runs_for(point))
        ]
        seconds = [r["seconds"] for r in runs]
        first = runs[0]
        summary = {
            "rows": point.rows,
            "actual_rows": workspace.total_rows,
            "tables": point.tables,
            "entities": point.entities,
            "parquet_mib": workspace.parquet_bytes / 2**20,
            "uncompressed_mib": workspace.uncompressed_bytes / 2**20,
            "raw_mib": workspace.raw_bytes / 2**20,
            "seconds": min(seconds),
            "seconds_median": statistics.median(seconds),
            "seconds_all": seconds,
            "load_before_runs": [r["load_average_before"] for r in runs],
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
            "rss_after_imports_mib": first["rss_after_imports_mib"],
            "import_seconds": first["import_seconds"],
            "queries": first["queries"],
            "series_scored": first["series_scored"],
            "rows_returned": first["rows_returned"],
            "anomalies": first["anomalies"],
            "table_status": first["tables"],
            "profile_seconds": statistics.median(r["profile_seconds"] for r in runs),
            "counts_seconds": statistics.median(r["counts_seconds"] for r in runs),
            "match_pairs": first["match_pairs"],
            "count_branches": first["count_branches"],
        }
        log(
            f"scale {point.rows:>11,} rows {point.tables:>2} tables {point.entities:>2} entities: "
            f"best {summary['seconds']:.2f} s of {[round(x, 2) for x in seconds]}, "
            f"peak {summary['peak_rss_mib']:.0f} MiB, {summary['queries']} queries"
        )
        points.append(summary)
    return {
        "points": points,
        "growth": _fit(points),
        "workspaces": [
            {
                "rows": rows,
                "tables": tables,
                "actual_rows": ws.total_rows,
                "parquet_mib": ws.parquet_bytes / 2**20,
                "uncompressed_mib": ws.uncompressed_bytes / 2**20,
                "raw_mib": ws.raw_bytes / 2**20,
                "generation_seconds": ws.generation_seconds,
                "method": ws.method,
                "rows_per_table": ws.rows,
            }
            for (rows, tables), ws in sorted(workspaces.items())
        ],
    }


def plot(scale: dict[str, Any], path: Path) -> None:
    """Latency and peak memory against rows (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = scale["points"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {
        (5, 3): ("o-", "5 tables, 3 entities"),
        (5, 1): ("v--", "5 tables, 1 entity"),
        (5, 10): ("^--", "5 tables, 10 entities"),
        (20, 3): ("s--", "20 tables, 3 entities"),
        (20, 10): ("D--", "20 tables, 10 entities"),
    }
    for (tables, entities), (style, label) in styles.items():
        line = sorted(
            (p for p in points if p["tables"] == tables and p["entities"] == entities),
            key=lambda p: p["rows"],
        )
        if not line:
            continue
        xs = [p["actual_rows"] for p in line]
        left.plot(xs, [p["seconds"] for p in line], style, label=label)
        if (tables, entities) == (5, 3):
            right.plot(xs, [p["peak_rss_mib"] for p in line], "o-", label="peak RSS of the lookup")
            right.plot(xs, [p["parquet_mib"] for p in line], "s:", label="Parquet on disk")
            right.plot(xs, [p["raw_mib"] for p in line], "^:", label="the values (decoded)")
            big = max(line, key=lambda p: p["rows"])
            ref = [big["seconds"] * x / big["actual_rows"] for x in xs]
            left.plot(xs, ref, ":", color="grey", label="linear in rows")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("rows in the workspace")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    left.set_ylabel("seconds per incident (end to end)")
    left.set_title("Lookup latency")
    right.set_ylabel("MiB")
    right.set_title("Peak memory vs data size")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
