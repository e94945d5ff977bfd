"""Scoring throughput and agreement with Kusto's published outputs.

Three implementations of the scoring step, on the same generated count series in one run:
our vectorised ``series_decompose_anomalies`` (all series at once), a plain per-series
Python loop of the same algorithm (``bench/reference.py``; it also cross-checks the
vectorised numbers) and statsmodels STL per series as msticpy runs it (``bench/stl.py``).
The loop and STL run on a sample and their rate is extrapolated to series per second.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.profiles import Profile
from bench.reference import decompose_anomalies_loop
from bench.stl import msticpy_stl
from lookup.ranking import passes_filter
from lookup.scoring import (
    detect_period,
    period_scores,
    series_decompose_anomalies,
    series_fit_line,
    series_outliers,
    series_seasonal,
)

_WEEK = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 0.2, 0.12])
_DAY = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 15, 12, 15, 16, 15, 13, 9, 6, 4, 3, 2, 2, 1], dtype=float
)


def count_series(rows: int, length: int, seed: int = 5) -> npt.NDArray[np.float64]:
    """Count series like the lookup scores: mostly sparse, some busy with a rhythm, a few spikes.

    Daily series (``length`` < 48) get a weekly rhythm, hourly ones an office-hours one.
    """
    rng = np.random.default_rng(seed)
    kind = rng.random(rows)
    level = np.where(kind < 0.55, rng.uniform(0.02, 1.0, rows), rng.lognormal(2.0, 1.2, rows))
    if length < 48:
        shape = _WEEK[(np.arange(length) + rng.integers(0, 7, rows)[:, None]) % 7]
    else:
        shape = _DAY[(np.arange(length) + rng.integers(0, 24, rows)[:, None]) % 24] / _DAY.mean()
    rhythm = np.where((kind > 0.55) & (kind < 0.85), 1.0, 0.0)[:, None]
    mean = level[:, None] * (rhythm * shape + (1.0 - rhythm))
    counts = rng.poisson(mean).astype(np.float64)
    spiking = kind > 0.9
    counts[spiking, -1] += rng.poisson(5 * level[spiking] + 5)
    return np.asarray(counts, dtype=np.float64)


def _best_of(runs: int, work: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def _throughput(profile: Profile, length: int, log: Callable[[str], None]) -> dict[str, Any]:
    n = profile.scoring_series
    matrix = count_series(n, length, seed=length)
    result: dict[str, Any] = {"length": length, "series": n}
    holder: dict[str, Any] = {}

    def ours() -> None:
        holder["out"] = series_decompose_anomalies(matrix, 1.5, -1, "avg", 1)

    times = _best_of(3, ours)
    flags, scores, baseline = holder["out"]
    result["ours"] = {
        "seconds_best": min(times),
        "seconds_median": statistics.median(times),
        "series_per_second": n / min(times),
        "series_timed": n,
    }
    sample = min(n, profile.loop_sample)
    started = time.perf_counter()
    loop_flags, loop_scores, loop_baseline = decompose_anomalies_loop(matrix[:sample])
    loop_seconds = time.perf_counter() - started
    result["loop"] = {
        "seconds": loop_seconds,
        "series_timed": sample,
        "series_per_second": sample / loop_seconds,
    }
    keep = passes_filter(
        matrix[:sample],
        flags[:sample],
        scores[:sample],
        baseline[:sample],
        threshold=1.5,
        max_flagged_points=5,
    )
    loop_keep = passes_filter(
        matrix[:sample], loop_flags, loop_scores, loop_baseline, threshold=1.5, max_flagged_points=5
    )
    result["cross_check"] = {
        "series": sample,
        "max_abs_score_difference": float(np.max(np.abs(loop_scores - scores[:sample]))),
        "max_abs_baseline_difference": float(np.max(np.abs(loop_baseline - baseline[:sample]))),
        "flag_mismatches": int(np.count_nonzero(loop_flags != flags[:sample])),
        "kept_series_mismatches": int(np.count_nonzero(loop_keep != keep)),
        "identical_scores": bool(np.array_equal(loop_scores, scores[:sample])),
    }
    stl_n = min(n, profile.stl_sample)
    period = 24 if length >= 48 else 7
    msticpy_stl(matrix[0], period)  # warm-up: the statsmodels import and first fit
    started = time.perf_counter()
    outcomes = [msticpy_stl(matrix[i], period) for i in range(stl_n)]
    stl_seconds = time.perf_counter() - started
    result["stl"] = {
        "seconds": stl_seconds,
        "series_timed": stl_n,
        "series_per_second": stl_n / stl_seconds,
        "period": period,
        "msticpy_would_raise": sum(o.status == "error" for o in outcomes),
    }
    result["speedup_vs_loop"] = (
        result["ours"]["series_per_second"] / result["loop"]["series_per_second"]
    )
    result["speedup_vs_stl"] = (
        result["ours"]["series_per_second"] / result["stl"]["series_per_second"]
    )
    log(
        f"scoring {n:,} x {length}: ours {result['ours']['series_per_second']:,.0f}/s, "
        f"loop {result['loop']['series_per_second']:,.0f}/s, "
        f"STL {result['stl']['series_per_second']:,.0f}/s"
    )
    return result


# -- Kusto's published outputs ---------------------------------------------------------------

TV1_INPUT = [-3, 2.4, 15, 3.9, 5, 6, 4.5, 5.2, 3, 4, 5, 16, 7, 5, 5, 4]
TV1_KUSTO = [
    -1.9040785483608571, -0.10021466044004519, 1.3361954725339347, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 1.6702443406674186, 0.0, 0.0, 0.0, 0.0,
]  # fmt: skip
TV3 = [
    ([2, 5, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1], -1,
     [1, 2, 3, 4, 3, 2] * 4 + [1]),
    ([8, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10], -1,
     [10, 12, 14, 12, 10] * 4),
    ([1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6], -1, [0] * 12),
    ([1, 3, 5, 1, 3, 5, 2, 4, 6], 3, [1, 3, 5, 1, 3, 5, 1, 3, 5]),
    ([1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6], 3, [1.5, 3.5, 5.5] * 4),
]  # fmt: skip
TV4_INPUT = [2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]
TV4_LINE = [
    1.064, 3.7945, 6.526, 9.256, 11.987, 14.718, 17.449, 20.180, 22.910, 25.641, 28.371, 31.102,
]  # fmt: skip
TV5_INPUT = [
    80, 139, 87, 110, 68, 54, 50, 51, 53, 133, 86, 141, 97, 156, 94, 149, 95, 140, 77, 61, 50,
    54, 47, 133, 72, 152, 94, 148, 105, 162, 101, 160, 87, 63, 53, 55, 54, 151, 103, 189, 108,
    183, 113, 175, 113, 178, 90, 71, 62, 62, 65, 165, 109, 181, 115, 182, 121, 178, 114, 170,
]  # fmt: skip


def _tv2(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    x = np.array([float(r["TotalBytesSent"]) for r in rows])
    kusto_baseline = np.array([float(r["baseline"]) for r in rows])
    kusto_score = np.array([float(r["score"]) for r in rows])
    kusto_flags = np.array([int(r["anomalies"]) for r in rows])
    out: dict[str, Any] = {"points": len(x)}
    for label, seasonality in (("autodetect", -1), ("period_168", 168)):
        flags, scores, baseline = series_decompose_anomalies(x, 3.0, seasonality, "linefit", 0)
        nonzero = kusto_score != 0
        out[label] = {
            "max_abs_score_deviation": float(np.max(np.abs(scores - kusto_score))),
            "max_rel_score_deviation": float(
                np.max(
                    np.abs(scores[nonzero] - kusto_score[nonzero]) / np.abs(kusto_score[nonzero])
                )
            ),
            "baseline_mismatches_after_truncation": int(
                np.count_nonzero(np.trunc(baseline) != kusto_baseline)
            ),
            "flag_mismatches": int(np.count_nonzero(flags != kusto_flags)),
        }
    return out


def kusto_vectors(sample_data: Path) -> dict[str, Any]:
    """Max deviation from every published Kusto output in the reference (TV1-TV5)."""
    tv1 = series_outliers(TV1_INPUT)
    out: dict[str, Any] = {
        "TV1_series_outliers": {
            "points": len(TV1_INPUT),
            "max_abs_deviation": float(np.max(np.abs(tv1 - np.array(TV1_KUSTO)))),
            "bit_identical": bool(np.array_equal(tv1, np.array(TV1_KUSTO))),
        }
    }
    tv2_path = sample_data / "Aggregated_TimeSeries.msticpy_TimeSeriesDemo.csv"
    if tv2_path.is_file():
        out["TV2_series_decompose_anomalies"] = _tv2(tv2_path)
    deviations = []
    for series, period, expected in TV3:
        got = series_seasonal(series, period)
        deviations.append(float(np.max(np.abs(got - np.array(expected, dtype=float)))))
    out["TV3_series_seasonal"] = {"vectors": len(TV3), "max_abs_deviation": max(deviations)}
    line = series_fit_line(TV4_INPUT)
    out["TV4_series_fit_line"] = {
        "max_abs_deviation_vs_3_decimals": float(
            np.max(np.abs(np.asarray(line.line_fit) - np.array(TV4_LINE)))
        ),
        "slope": float(line.slope),
    }
    _, scores = period_scores(TV5_INPUT, [14, 10])
    out["TV5_series_periods"] = {
        "detected": int(detect_period(TV5_INPUT)),
        "kusto_detected": 14,
        "score_14": float(scores[0]),
        "kusto_score_14_truncated": 0.84,
        "score_10": float(scores[1]),
        "kusto_score_10": 0.0,
    }
    return out


def run_throughput(
    profile: Profile, sample_data: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    return {
        "daily_15": _throughput(profile, 15, log),
        "hourly_73": _throughput(profile, 73, log),
        "kusto": kusto_vectors(sample_data),
    }
