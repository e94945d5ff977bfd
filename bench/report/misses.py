"""Where each method misses, and why (part of section 4 of RESULTS.md)."""

from __future__ import annotations

from typing import Any

_NOISE_GUARD = (
    "The noise guard is the notebook's rule, kept on purpose: a value anomalous "
    "in five or more bins is routine, not a lead. But an entity first seen in the "
    "last three days gets hourly bins over a history of zeros, so every hour with "
    "activity is flagged; an attack spread over a few hours plus some earlier "
    "probing flags five bins and the guard drops the series, although it is all "
    "the entity ever did. Counting flags only before the test bin's run of "
    "activity, or exempting series with no activity before the first flag, would "
    "keep them (a decision for the engine, not made here)."
)
_SCORE_DEFECT = (
    "Scores above a million are a scoring defect, not data: a sparse series for "
    "which a period was detected has training residuals whose P90 - P10 is a "
    "rounding residue (~1e-17) instead of exactly 0, so the zero-spread fallback "
    "does not apply and the score divides by almost nothing (reported to the "
    "scoring owner)."
)


def misses(detection: dict[str, Any]) -> list[str]:
    """Ours: misses, mis-ranked rows, noise; the notebook's and STL's reasons."""
    lines = ["", "### Where ours misses or mis-ranks, and why", ""]
    lines += _ours_misses(detection)
    misranked = [
        (n, m) for n, i in enumerate(detection["incidents"], 1) for m in i["ours_misranked"]
    ]
    lines += [""]
    lines += _misranked(misranked)
    lines += _noise(detection, misranked)
    lines += _notebook(detection)
    lines += _stl(detection)
    return lines


def _ours_misses(detection: dict[str, Any]) -> list[str]:
    misses = [(n, m) for n, i in enumerate(detection["incidents"], 1) for m in i["ours_misses"]]
    if not misses:
        return ["Ours reports every planted anomaly of the set."]
    lines = [f"Ours misses {len(misses)} planted anomalies:", ""]
    for number, miss in misses:
        lines.append(
            f"- incident {number}: {miss['entity']} {miss['table']}.{miss['column']} = "
            f"`{miss['value']}` ({miss['shape']}): {miss['why']}."
        )
    if any("noise guard" in m["why"] for _, m in misses):
        lines += ["", _NOISE_GUARD]
    return lines


def _misranked(misranked: list[tuple[int, dict[str, Any]]]) -> list[str]:
    if not misranked:
        return ["No unexplained row is ranked above a planted anomaly."]
    lines = [
        f"Rows not explained by the planted activity ranked above some planted anomaly "
        f"of their incident ({len(misranked)}):",
        "",
    ]
    for number, row in sorted(misranked, key=lambda x: -x[1]["score"])[:15]:
        lines.append(
            f"- incident {number}, rank {row['rank']}, score {row['score']:.3g}: "
            f"`{row['keys'][0]}` ({row['detail']})"
        )
    if any(r["score"] > 1e6 for _, r in misranked):
        lines += ["", _SCORE_DEFECT]
    return lines


def _noise(detection: dict[str, Any], misranked: list[tuple[int, dict[str, Any]]]) -> list[str]:
    ours = detection["summary"]["ours"]
    if not ours["unexplained"]:
        return []
    defects = sum(1 for _, row in misranked if row["score"] > 1e6)
    noisy = len(misranked) - defects
    return [
        "",
        f"{ours['unexplained']} of the {ours['reported']} rows ours reports are not "
        "explained by planted activity"
        + (f" ({defects} of them the scoring defect above)" if defects else "")
        + ": background noise of the kind the Kusto method scores high on sparse series "
        "(a value seen 0-2 times a day that shows up 4-6 times in the test bin), real "
        f"deviations in the generated data. {noisy} of the noise rows "
        f"{'is' if noisy == 1 else 'are'} ranked above a planted anomaly of its incident.",
    ]


def _notebook(detection: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    reasons = detection.get("notebook_miss_reasons", {})
    if reasons:
        lines += ["", "**Why the notebook misses** (as shipped, per planted anomaly):", ""]
        lines += [f"- {count}: {reason}" for reason, count in reasons.items()]
    trapped = [
        (n, t)
        for n, i in enumerate(detection["incidents"], 1)
        for t in i["methods"]["notebook"]["traps_reported"]
    ]
    if trapped:
        lines += ["", "Traps the notebook reports:", ""]
        lines += [f"- incident {n}: `{t}`" for n, t in trapped]
    return lines


def _stl(detection: dict[str, Any]) -> list[str]:
    reasons = detection.get("stl_miss_reasons", {})
    if not reasons:
        return []
    lines = ["", "**Why msticpy's STL method misses** (per planted anomaly):", ""]
    lines += [f"- {count}: {reason}" for reason, count in reasons.items()]
    stl = detection.get("stl_series", {})
    total = stl.get("ok", 0) + stl.get("error", 0) + stl.get("too short", 0)
    if total:
        lines += [
            "",
            f"Over all {total:,} series: msticpy would raise on {stl.get('error', 0):,}; a "
            "15-point daily series can reach a population z-score of at most "
            "(n-1)/sqrt(n) = 3.6, and STL's LOESS trend absorbs much of a last-point "
            "spike, so daily series rarely pass 3; hourly series (73 points) do.",
        ]
    strict, loose = (
        detection["summary"]["msticpy_stl"],
        detection["summary"]["stl_no_sign_rule"],
    )
    if (strict["found"], strict["reported"]) == (loose["found"], loose["reported"]):
        lines += [
            "",
            "Dropping msticpy's sign rule and its crash changes nothing on this set: every "
            "series whose last point scores above 3 is labelled 1. What limits the method "
            "is the z-score on short count series, not its quirks.",
        ]
    return lines
