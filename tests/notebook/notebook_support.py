"""Helpers of the notebook tests: the demo workspace as files and DataFrames, comparable reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lookup.backends.local import LocalBackend
from lookup.demo import DemoScenario, build_demo_workspace
from lookup.engine import run_lookup
from lookup.report import Report
from lookup.settings import Settings

#: Big enough for every planted anomaly and some background noise, small enough to be quick.
DEMO_ROWS = 20_000


@dataclass(frozen=True)
class Demo:
    scenario: DemoScenario
    #: The workspace's Parquet files read with pandas, as a notebook user would.
    frames: dict[str, pd.DataFrame]
    #: The DuckDB backend's report on the files, and the queries it ran.
    local_report: Report
    local_queries: list[str]


def build_demo(directory: Path) -> Demo:
    """The demo workspace in ``directory``, its frames and the DuckDB backend's report."""
    scenario = build_demo_workspace(directory, total_rows=DEMO_ROWS)
    frames = {p.stem: pd.read_parquet(p) for p in sorted(directory.glob("*.parquet"))}
    with LocalBackend(directory) as local:
        report = run_lookup(scenario.incident, local, settings=Settings())
        queries = list(local.stats.log)
    return Demo(scenario, frames, report, queries)


def comparable(report: Report) -> dict[str, Any]:
    """The JSON report without what differs between any two runs (backend, timings)."""
    data = report.to_dict()
    for key in ("backend", "generated_at"):
        data.pop(key)
    data["stats"].pop("seconds")
    return data
