"""The whole lookup over Log Analytics (real client, fake HTTPS endpoint) against the local
backend on the same workspace files: same anomalies, same scores; faults leave a report."""

from __future__ import annotations

import html
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes.log_analytics import (
    FakeLogAnalytics,
    FakeWorkspace,
    Fault,
    RecordedRequest,
    language_service_tables,
    make_client,
    parse_timespan,
    serve,
)
from kusto.language_service import shared_service, usage_table

from lookup.backends.local import LocalBackend
from lookup.backends.log_analytics import LogAnalyticsBackend, RetrySchedule, query_printer
from lookup.demo import WORKSPACE_ID, DemoScenario, build_demo_workspace
from lookup.drilldown import portal_link, query_from_portal_link
from lookup.engine import run_lookup
from lookup.models import Anomaly
from lookup.render import render
from lookup.report import Report
from lookup.settings import Settings
from lookup.tables import load_bundled_schema
from lookup.windows import daily_window, hourly_window

ROWS = 12_000


@dataclass(frozen=True)
class World:
    scenario: DemoScenario
    workspace: FakeWorkspace
    local_report: Report


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    directory = tmp_path_factory.mktemp("demo-ws")
    scenario = build_demo_workspace(directory, total_rows=ROWS)
    local = LocalBackend(directory)
    report = run_lookup(scenario.incident, local, settings=Settings())
    return World(scenario, FakeWorkspace.from_directory(directory), report)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[FakeLogAnalytics]:
    with serve({WORKSPACE_ID: world.workspace}) as fake:
        yield fake
    world.workspace.close()


@pytest.fixture
def fake(server: FakeLogAnalytics) -> FakeLogAnalytics:
    server.clear()
    return server


def _backend(fake: FakeLogAnalytics, settings: Settings, **kwargs: Any) -> LogAnalyticsBackend:
    return LogAnalyticsBackend(
        make_client(fake),
        WORKSPACE_ID,
        settings=settings,
        retry=RetrySchedule(max_retries=2, base_delay=0.01, jitter=0.0),
        **kwargs,
    )


def _key(anomaly: Anomaly) -> tuple[object, ...]:
    return (
        anomaly.rank,
        anomaly.entity,
        anomaly.entity_kind,
        anomaly.table,
        anomaly.entity_column,
        anomaly.column,
        anomaly.value,
        anomaly.bin_start,
        anomaly.step,
        anomaly.actual,
        anomaly.expected,
        anomaly.series,
        anomaly.drilldown_kql,
    )


@dataclass(frozen=True)
class Run:
    report: Report
    requests: list[RecordedRequest]
    printed: str


@pytest.fixture(scope="module")
def clean_run(world: World, server: FakeLogAnalytics) -> Run:
    """One fault-free lookup over Log Analytics, shared by the tests that only read it."""
    server.clear()
    stream = io.StringIO()
    settings = Settings()
    backend = _backend(server, settings, on_query=query_printer(stream))
    report = run_lookup(world.scenario.incident, backend, settings=settings)
    return Run(report, list(server.requests), stream.getvalue())


def test_same_anomalies_and_scores_as_the_local_backend(world: World, clean_run: Run) -> None:
    report, local = clean_run.report, world.local_report
    assert len(local.anomalies) >= 5
    assert [(t.table, t.status, t.error) for t in report.tables] == [
        (t.table, t.status, t.error) for t in local.tables
    ]
    assert [_key(a) for a in report.anomalies] == [_key(a) for a in local.anomalies]
    for ours, theirs in zip(report.anomalies, local.anomalies, strict=True):
        assert ours.score == pytest.approx(theirs.score, abs=1e-9)
    assert [(t.table, t.status, t.error, t.row_count) for t in report.tables] == [
        (t.table, t.status, t.error, t.row_count) for t in local.tables
    ]
    assert [t.entity_columns for t in report.tables] == [t.entity_columns for t in local.tables]
    # Categorical columns agree, except where the demo files type a column differently
    # from the table's real schema (the Log Analytics side uses the real one).
    for ours_t, theirs_t in zip(report.tables, local.tables, strict=True):
        bundled = {c.name: c.kql_type for c in load_bundled_schema(ours_t.table) or ()}
        files = dict(world.workspace.schema(ours_t.table))
        retyped = {name for name, kql in bundled.items() if files.get(name, kql) != kql}
        differ = set(ours_t.categorical_columns) ^ set(theirs_t.categorical_columns)
        assert differ <= retyped, ours_t.table


def test_two_queries_per_table_plus_discovery(clean_run: Run) -> None:
    report = clean_run.report
    analysed = [t for t in report.tables if t.status in {"ok", "partial"}]
    no_match = [t for t in report.tables if t.status == "no_match"]
    # Usage (1) + per analysed table profile and counts (2) + per unmatched table profile (1).
    assert report.stats.queries == 1 + 2 * len(analysed) + len(no_match)
    assert len(clean_run.requests) == report.stats.queries
    assert report.stats.retries == 0


def test_every_timespan_is_the_analysis_window(world: World, clean_run: Run) -> None:
    settings = Settings()
    alert = world.scenario.alert_time
    daily = daily_window(alert, settings.lookback_days)
    hourly = hourly_window(alert, settings.hourly_lookback_hours)
    scan = (min(daily.start, hourly.start), max(daily.end, hourly.end))
    for request in clean_run.requests:
        window = parse_timespan(request.timespan)
        assert window is not None
        if "make_list(" in request.query:
            # Counts: the span of the series windows, inside the scan window.
            assert scan[0] <= window[0] < window[1] <= scan[1]
        else:
            assert window == scan, request.query.splitlines()[0]


def test_every_query_of_the_lookup_binds_in_the_language_service(
    world: World, clean_run: Run
) -> None:
    service = shared_service()
    service.set_tables(
        [usage_table(), *language_service_tables(world.workspace, world.workspace.tables)]
    )
    for request in clean_run.requests:
        analysis = service.analyse(request.query)
        assert analysis.errors == (), analysis.explain()


def test_show_queries_listener_sees_every_query(clean_run: Run) -> None:
    printed = clean_run.printed
    assert printed.count("// ") == clean_run.report.stats.queries
    for request in clean_run.requests:
        assert request.query in printed


def test_faults_are_retried_marked_and_reported(world: World, fake: FakeLogAnalytics) -> None:
    # SecurityEvent fails for good, SigninLogs answers partially, OfficeActivity is
    # throttled twice and the Usage query gets an unreadable answer once.
    fake.add_fault(Fault("error", table="SecurityEvent", status=500, times=100))
    fake.add_fault(Fault("partial", match="make_list(", keep=0.5, message="result truncated",
                         times=1))  # fmt: skip
    fake.add_fault(Fault("throttle", table="OfficeActivity", retry_after="0", times=2))
    fake.add_fault(Fault("malformed", table="Usage", times=1))
    settings = Settings(max_concurrent_queries=1)
    backend = _backend(fake, settings)
    report = run_lookup(world.scenario.incident, backend, settings=settings)
    statuses = {t.table: t for t in report.tables}
    failed = statuses["SecurityEvent"]
    assert failed.status == "failed"
    assert failed.error is not None and "HTTP 500" in failed.error
    partial = [t for t in report.tables if t.status == "partial"]
    assert len(partial) == 1
    assert partial[0].error is not None and partial[0].error.endswith("result truncated")
    assert statuses["OfficeActivity"].status == "ok", statuses["OfficeActivity"].error
    assert report.stats.retries == 2 + 1 + 2  # throttled twice, malformed once, 500 twice
    assert report.anomalies, "the other tables still give anomalies"
    assert all(a.table != "SecurityEvent" for a in report.anomalies)
    comment = html.unescape(render(report, "html"))
    assert "result truncated" in comment
    assert "HTTP 500" in comment
    assert partial[0].table in comment


def test_time_budget_skips_the_rest_and_nothing_hangs(world: World, fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("slow", match="summarize rows", delay=60.0, times=1))
    settings = Settings(time_budget_seconds=5, max_concurrent_queries=1)
    backend = _backend(fake, settings, deadline_grace=0.2)
    report = run_lookup(world.scenario.incident, backend, settings=settings)
    statuses = [t.status for t in report.tables]
    assert statuses[0] == "skipped"
    assert set(statuses[1:]) == {"skipped"}
    assert report.tables[0].error is not None
    assert "time budget" in report.tables[0].error
    comment = html.unescape(render(report, "html"))
    assert "skipped" in comment.lower()


def test_local_report_of_the_demo_finds_the_planted_attack(world: World) -> None:
    found = {(a.table, a.column, a.value) for a in world.local_report.anomalies}
    planted = {(i.table, i.column, i.value) for i in world.scenario.injected}
    assert found & planted


@pytest.mark.parametrize("path", [Path("lookup/backends/log_analytics.py")])
def test_no_batch_api(path: Path) -> None:
    source = (Path(__file__).resolve().parents[2] / path).read_text(encoding="utf-8")
    assert "query_batch" not in source
    assert "$batch" not in source.replace("``$batch``", "")


def test_chart_and_drilldown_queries_of_the_report_bind(world: World, clean_run: Run) -> None:
    report = clean_run.report
    charts = report.charts
    assert sorted(charts) == sorted({a.table for a in report.anomalies})
    service = shared_service()
    service.set_tables(
        [usage_table(), *language_service_tables(world.workspace, world.workspace.tables)]
    )
    for table, texts in charts.items():
        literals: set[str] = set()
        for text in texts:
            assert "| render anomalychart with (anomalycolumns=Anomalies" in text
            analysis = service.analyse(text)
            assert analysis.errors == (), analysis.explain()
            literals.update(analysis.literals)
        assert {a.value for a in report.anomalies if a.table == table} <= literals
    arm_id = world.scenario.incident["object"]["id"].split("/providers/Microsoft.SecurityInsights")[
        0
    ]
    for anomaly in report.anomalies:
        analysis = service.analyse(anomaly.drilldown_kql)
        assert analysis.errors == (), analysis.explain()
        link = portal_link(
            anomaly.drilldown_kql,
            arm_id,
            timespan=(anomaly.bin_start, anomaly.bin_start + anomaly.step),
        )
        assert query_from_portal_link(link) == anomaly.drilldown_kql
