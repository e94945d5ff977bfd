"""Issue 12's scenarios over Log Analytics (real client, fake endpoint) and locally: the same.

Collection gaps come from the profile's activity per hour, processes are scoped to their
host, custom tables are typed by their suffixes, and "same rows" is proven by the counts'
fingerprints: every one of those is computed by each backend on its own, so the two must
agree on every finding, every fold and every table note.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.log_analytics import FakeLogAnalytics, FakeWorkspace, make_client, serve

from bench.generators.scenarios import BUILDERS, Scenario
from lookup.backends.local import LocalBackend
from lookup.backends.log_analytics import LogAnalyticsBackend, RetrySchedule
from lookup.demo import WORKSPACE_ID
from lookup.engine import run_lookup
from lookup.models import Anomaly
from lookup.report import Report
from lookup.settings import Settings
from lookup.tables import load_bundled_schema

SCENARIOS = [
    "collection-gap",
    "process-bystander",
    "untyped-custom-table",
    "mirrored-entities",
    "small-tables",
]


def _key(a: Anomaly) -> tuple[object, ...]:
    return (
        a.rank, a.entity, a.table, a.entity_column, a.column, a.value, a.bin_start, a.step,
        a.actual, a.series, a.related, a.in_step, a.also, a.excluded_bins, a.first_seen,
    )  # fmt: skip


@pytest.fixture(scope="module", params=SCENARIOS)
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    directory = tmp_path_factory.mktemp(str(request.param))
    return BUILDERS[str(request.param)](directory)


@pytest.fixture(scope="module")
def fake(scenario: Scenario) -> Iterator[FakeLogAnalytics]:
    workspace = FakeWorkspace.from_directory(scenario.directory)
    with serve({WORKSPACE_ID: workspace}) as server:
        yield server
    workspace.close()


def _remote(fake: FakeLogAnalytics, payload: object, settings: Settings) -> Report:
    backend = LogAnalyticsBackend(
        make_client(fake),
        WORKSPACE_ID,
        settings=settings,
        retry=RetrySchedule(max_retries=1, base_delay=0.01, jitter=0.0),
    )
    return run_lookup(payload, backend, settings=settings)


def test_both_backends_report_the_same_findings_folds_and_notes(
    scenario: Scenario, fake: FakeLogAnalytics
) -> None:
    settings = Settings()
    with LocalBackend(scenario.directory) as local:
        for labelled in scenario.incidents:
            ours = run_lookup(labelled.incident, local, settings=settings)
            theirs = _remote(fake, labelled.incident, settings)
            assert ours.anomalies, scenario.name
            assert [_key(a) for a in theirs.anomalies] == [_key(a) for a in ours.anomalies]
            for a, b in zip(theirs.anomalies, ours.anomalies, strict=True):
                assert a.score == pytest.approx(b.score, abs=1e-9)
                assert a.expected == pytest.approx(b.expected, abs=1e-9)
            assert [(t.table, t.status, t.notes) for t in theirs.tables] == [
                (t.table, t.status, t.notes) for t in ours.tables
            ]
            # A custom table's columns are typed alike (its suffixes); a known table's come
            # from its real schema over Log Analytics and from the file locally.
            for a, b in zip(theirs.tables, ours.tables, strict=True):
                if load_bundled_schema(a.table) is None:
                    assert set(a.categorical_columns) == set(b.categorical_columns), a.table


def test_scenarios_are_small(scenario: Scenario) -> None:
    sizes = {p.name: p.stat().st_size for p in Path(scenario.directory).iterdir()}
    assert sum(sizes.values()) < 40_000_000, sizes
