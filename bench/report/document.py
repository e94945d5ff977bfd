"""RESULTS.md: header and targets, the four sections, method notes."""

from __future__ import annotations

from typing import Any

from bench.report.common import table, yes
from bench.report.detection import detection_section
from bench.report.issue12 import issue12_section
from bench.report.queries import queries_section
from bench.report.scale import scale_section
from bench.report.scoring import scoring_section
from bench.report.sweep import sweep_section

_NOTES = [
    "",
    "## Method notes",
    "",
    "- **Notebook replay** (`bench/notebook.py`): the notebook's six query templates and "
    'its `run`/`get_timewindow` flow, offline on the same files. "Now" is the alert time; '
    "`ingestion_time()` is `TimeGenerated`; `dcount` is exact; `take 1` is the earliest "
    "row. The entity string is what an analyst copies from the incident (account name, "
    "host name, IP). Scoring uses `lookup.scoring` (the same Kusto port as ours), so the "
    "differences come from the algorithm around it: one entity column (the first match), "
    "the categorical test over the last day before now, daily bins ending at now over up "
    "to 30 days, the hourly path binned daily, crashes on `None` windows.",
    "- **msticpy baseline** (`bench/stl.py`): `ts_anomalies_stl` semantics (STL "
    "`seasonal=7`, int64 truncation, population z-score, label 1 needs seasonal > 0, "
    "NaN labels make the call raise) on the same count series ours scored. Period 7 for "
    "daily series (msticpy's default 24 is for hourly data, used for hourly series). "
    "Series shorter than two periods cannot be fitted (none here: 15 and 73 points).",
    "- **Query counts** are counted per notebook query even where the replay answers "
    "several with one DuckDB query.",
    "- **Latency** is wall time on a shared 2-core machine with a warm file cache, each "
    "run in a fresh process. Other jobs ran on the machine during the benchmark (the load "
    "average before each run is listed): the best run is the closest to the lookup's own "
    "cost and is what the targets use; the median shows what a busy machine gives.",
    "",
    "Reproduce: `python -m bench` (about 10-15 minutes from scratch, faster with the "
    "cache), `python -m bench --quick` (under 2 minutes; writes to `bench/.data/quick/`).",
]


def render(results: dict[str, Any]) -> str:
    """RESULTS.md of one harness run."""
    lines = _header(results)
    if "scale" in results:
        lines += scale_section(results["scale"], results.get("plot_name"))
    if "scoring" in results:
        lines += scoring_section(results["scoring"])
    if "queries" in results:
        lines += queries_section(results["queries"])
    if "detection" in results:
        lines += detection_section(results["detection"])
        lines += issue12_section(results["detection"])
    if "sweep" in results:
        lines += sweep_section(results["sweep"])
    lines += _NOTES
    return "\n".join(lines) + "\n"


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    load = m.get("load_average_at_start")
    lines = [
        "# Benchmark and detection-quality results",
        "",
        f"Produced by `{results['command']}` on {results['started']} "
        f"(profile `{results['profile']}`, {results['wall_seconds']:.0f} s wall time, "
        f"of which {results.get('generation_seconds', 0):.0f} s generating data that is cached "
        "under `bench/.data/`). Every number below comes from that run; the raw numbers are in "
        f"[`{results['json_name']}`]({results['json_name']}).",
        "",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['memory_gib']:.0f} GiB RAM, "
        f"{m['os']}; Python {m['python']}, DuckDB {m['duckdb']}, numpy {m['numpy']}, "
        f"statsmodels {m['statsmodels']}, scipy {m['scipy']}.",
    ]
    if load:
        lines.append(
            f"Load average at start: {', '.join(f'{v:.2f}' for v in load)}. The machine is "
            "shared and noisy: compare ratios measured in the same run rather than absolute "
            "seconds across runs."
        )
    lines += ["", "## Targets", ""]
    rows = [[t["target"], t["measured"], yes(t["met"])] for t in results["targets"]]
    lines += table(["target", "measured", "met"], rows)
    return lines
