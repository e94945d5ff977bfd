"""The demo scenario end to end: planted anomalies found on top, traps never reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookup.backends.local import LocalBackend
from lookup.demo import DemoScenario, build_demo_workspace, evaluate
from lookup.engine import run_lookup
from lookup.report import Report
from lookup.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoScenario, Report]:
    directory = tmp_path_factory.mktemp("demo")
    scenario = build_demo_workspace(directory)  # the defaults `anomaly-lookup demo` uses
    report = run_lookup(scenario.incident, LocalBackend(directory), settings=Settings())
    return scenario, report


def test_every_planted_anomaly_is_found_on_top(demo: tuple[DemoScenario, Report]) -> None:
    scenario, report = demo
    check = evaluate(report, scenario)
    assert check.missed == ()
    assert len(check.found) == len(scenario.injected) == 13
    # Background noise may add a few small-count leads, always below the planted ones.
    assert len(check.unexplained_ranks) <= 3
    assert check.all_found_on_top


def test_no_trap_is_reported(demo: tuple[DemoScenario, Report]) -> None:
    scenario, report = demo
    assert len(scenario.traps) == 6
    assert evaluate(report, scenario).traps_reported == ()


def test_brand_new_burst_ranks_first(demo: tuple[DemoScenario, Report]) -> None:
    _, report = demo
    top = report.anomalies[0]
    assert top.first_seen
    assert top.series[:-1] == (0.0,) * (len(top.series) - 1)
    assert top.actual >= 180
    assert top.score > 100


def test_two_queries_per_table_with_a_match(demo: tuple[DemoScenario, Report]) -> None:
    _, report = demo
    statuses = {t.table: t.status for t in report.tables}
    assert statuses == {
        "SigninLogs": "ok",
        "SecurityEvent": "ok",
        "OfficeActivity": "ok",
        "CommonSecurityLog": "ok",
        "Syslog": "no_match",
    }
    # one profile query per table, one counts query per table with a match
    assert report.stats.queries == 5 + 4


def test_new_ip_gets_hourly_bins(demo: tuple[DemoScenario, Report]) -> None:
    _, report = demo
    by_kind = {str(e.entity.kind): e for e in report.entities}
    assert by_kind["Ip"].window.step_label == "1h"
    assert by_kind["Ip"].window.bins == 73
    assert by_kind["Account"].window.step_label == "1d"
    assert by_kind["Account"].window.bins == 15


@pytest.mark.parametrize("seed", [1, 3, 42, 2024])
def test_other_seeds_find_everything_without_traps(tmp_path: Path, seed: int) -> None:
    scenario = build_demo_workspace(tmp_path, total_rows=60_000, seed=seed)
    report = run_lookup(scenario.incident, LocalBackend(tmp_path), settings=Settings())
    check = evaluate(report, scenario)
    assert check.missed == ()
    assert check.traps_reported == ()
    # Background noise may produce a few small-count leads, never a flood.
    assert len(check.unexplained_ranks) <= 3
