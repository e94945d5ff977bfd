"""Section 2 of RESULTS.md: scoring throughput and agreement with Kusto."""

from __future__ import annotations

from typing import Any

from bench.report.common import rate, table, yes

_INTRO = [
    "",
    "## 2. Scoring throughput and agreement with Kusto",
    "",
    "The same generated count series (55% sparse, 30% with a weekly or office-hours "
    "rhythm, 10% ending in a spike), scored by: our vectorised "
    "`series_decompose_anomalies(x, 1.5, -1, 'avg', 1)` (all series in one call, best of "
    "3); a plain per-series Python loop of the same algorithm (`bench/reference.py`, "
    "written independently); statsmodels STL per series as msticpy runs it "
    "(`bench/stl.py`: STL fit, int64 truncation, z-score; no pandas overhead counted). The "
    "loop and STL run on a sample; their series/s are extrapolated from it.",
    "",
]
_LENGTHS = (("daily_15", "15 (daily)"), ("hourly_73", "73 (hourly)"))


def scoring_section(scoring: dict[str, Any]) -> list[str]:
    """Throughput of three implementations, the loop cross-check, Kusto's test vectors."""
    lines = list(_INTRO)
    lines += _throughput(scoring)
    lines += ["", "**Cross-check, vectorised vs loop** (same series):", ""]
    lines += _cross_check(scoring)
    stl_raise = [
        f"{scoring[k]['stl']['msticpy_would_raise']} of {scoring[k]['stl']['series_timed']}"
        for k in ("daily_15", "hourly_73")
    ]
    lines += [
        "",
        f"On these series msticpy's function would raise for {stl_raise[0]} daily and "
        f"{stl_raise[1]} hourly series (its labels stay NaN where the truncated seasonal "
        "component is 0 or the residual is constant, and `astype('int64')` fails); the timing "
        "includes them.",
        "",
        "**Max deviation from Kusto's published outputs** "
        "(`docs/reference/kusto-series-anomalies.md`):",
        "",
    ]
    return lines + _kusto(scoring["kusto"])


def _throughput(scoring: dict[str, Any]) -> list[str]:
    rows = []
    for key, label in _LENGTHS:
        block = scoring[key]
        ours, loop, stl = block["ours"], block["loop"], block["stl"]
        rows.append(
            [
                label,
                "ours, vectorised",
                f"{ours['series_timed']:,}",
                f"{ours['seconds_best']:.3f}",
                f"**{rate(ours['series_per_second'])}**",
                "1",
            ]
        )
        rows.append(
            [
                label,
                "per-series loop, same algorithm",
                f"{loop['series_timed']:,}",
                f"{loop['seconds']:.3f}",
                rate(loop["series_per_second"]),
                f"{block['speedup_vs_loop']:,.0f}x slower",
            ]
        )
        rows.append(
            [
                label,
                f"statsmodels STL (period {stl['period']}) per series",
                f"{stl['series_timed']:,}",
                f"{stl['seconds']:.3f}",
                rate(stl["series_per_second"]),
                f"{block['speedup_vs_stl']:,.0f}x slower",
            ]
        )
    return table(
        ["points per series", "implementation", "series timed", "seconds", "series/s", "vs ours"],
        rows,
    )


def _cross_check(scoring: dict[str, Any]) -> list[str]:
    rows = []
    for key, label in (("daily_15", "15 points"), ("hourly_73", "73 points")):
        c = scoring[key]["cross_check"]
        rows.append(
            [
                label,
                f"{c['series']:,}",
                f"{c['max_abs_score_difference']:.1e}",
                f"{c['max_abs_baseline_difference']:.1e}",
                str(c["flag_mismatches"]),
                str(c["kept_series_mismatches"]),
                yes(c["identical_scores"]),
            ]
        )
    return table(
        [
            "series",
            "compared",
            "max score diff",
            "max baseline diff",
            "flag mismatches",
            "filter mismatches",
            "bit-identical",
        ],
        rows,
    )


def _kusto(k: dict[str, Any]) -> list[str]:
    rows = [
        [
            "TV1 `series_outliers` (16 points, SO 75264555)",
            f"max abs {k['TV1_series_outliers']['max_abs_deviation']:.1e}; bit-identical: "
            + yes(k["TV1_series_outliers"]["bit_identical"]),
        ]
    ]
    tv2 = k.get("TV2_series_decompose_anomalies")
    if tv2:
        for label, key, period in (
            ("period autodetected", "autodetect", "-1"),
            ("period 168 given", "period_168", "168"),
        ):
            d = tv2[key]
            rows.append(
                [
                    f"TV2 `series_decompose_anomalies(x, 3, {period}, 'linefit')`, "
                    f"840 points, {label}",
                    f"scores max abs {d['max_abs_score_deviation']:.1e}, max rel "
                    f"{d['max_rel_score_deviation']:.1e}; truncated baseline mismatches "
                    f"{d['baseline_mismatches_after_truncation']}; flag mismatches "
                    f"{d['flag_mismatches']}",
                ]
            )
    rows.append(
        [
            "TV3 `series_seasonal` (5 doc examples)",
            f"max abs {k['TV3_series_seasonal']['max_abs_deviation']:.1e}",
        ]
    )
    rows.append(
        [
            "TV4 `series_fit_line` (doc table, 3 decimals)",
            f"max abs {k['TV4_series_fit_line']['max_abs_deviation_vs_3_decimals']:.1e} "
            "(the doc rounds)",
        ]
    )
    tv5 = k["TV5_series_periods"]
    rows.append(
        [
            "TV5 `series_periods_detect` / `_validate`",
            f"period {tv5['detected']} (Kusto {tv5['kusto_detected']}), score "
            f"{tv5['score_14']:.4f} (Kusto prints 0.84), period 10 score {tv5['score_10']:.2f} "
            f"(Kusto 0)",
        ]
    )
    return table(["Kusto output", "deviation"], rows)
