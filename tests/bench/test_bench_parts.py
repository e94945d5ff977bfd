"""Unit checks of the harness's parts: generators, replays, references, helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.detection import Row, judge, notebook_string
from bench.generators import (
    DetectionWorkspace,
    build_detection_workspace,
    company_entities,
    demo_incident_entities,
    grow_workspace,
)
from bench.notebook import NotebookReplay
from bench.recording import concurrent_rounds
from bench.reference import decompose_anomalies_loop
from bench.stl import msticpy_stl
from bench.throughput import count_series
from lookup.backends.local import LocalBackend
from lookup.demo import ATTACKER_IP, build_demo_workspace
from lookup.engine import run_lookup
from lookup.scoring import series_decompose_anomalies
from lookup.sentinel.payload import parse_incident
from lookup.settings import Settings


def _keys(directory: Path, entities: int = 3) -> set[tuple[str, str, str, str]]:
    report = run_lookup(
        demo_incident_entities(entities), LocalBackend(directory), settings=Settings()
    )
    return {(a.entity, a.table, a.column, a.value) for a in report.anomalies}


def test_grown_workspace_keeps_the_incident_and_multiplies_the_rest(tmp_path: Path) -> None:
    base = build_demo_workspace(tmp_path / "base", total_rows=30_000)
    rows = grow_workspace(tmp_path / "base", tmp_path / "grown", factor=3)
    assert set(rows) == set(base.rows)
    for table, count in rows.items():
        assert 2.5 * base.rows[table] < count < 3 * base.rows[table] + 1
    top = {k for k in _keys(tmp_path / "base") if k[0] == ATTACKER_IP}
    assert top and top <= _keys(tmp_path / "grown")


def test_company_entities_exist_in_the_data(tmp_path: Path) -> None:
    build_demo_workspace(tmp_path, total_rows=30_000)
    incident = parse_incident(demo_incident_entities(10))
    assert len(incident.entities) == 10
    assert [e["kind"] for e in company_entities(3)] == ["Account", "Host", "Ip"]
    report = run_lookup(incident, LocalBackend(tmp_path), settings=Settings())
    seen = {e.entity.value for e in report.entities if e.tables}
    assert len(seen) == 10


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> DetectionWorkspace:
    return build_detection_workspace(
        tmp_path_factory.mktemp("labelled"), incidents=6, background_rows=30_000
    )


def test_labelled_incidents_have_consistent_ground_truth(labelled: DetectionWorkspace) -> None:
    kinds = set()
    for scenario in labelled.scenarios:
        incident = parse_incident(scenario.incident)
        kinds |= {str(e.kind) for e in incident.entities}
        values = {e.value for e in incident.entities}
        assert scenario.injected
        for item in scenario.injected:
            assert item.entity in values
            assert (
                item.entity,
                item.table,
                item.column,
                item.value,
            ) in scenario.caused_by_injection
        for trap in scenario.traps:
            assert (
                trap.entity,
                trap.table,
                trap.column,
                trap.value,
            ) not in scenario.caused_by_injection
    assert kinds == {"Account", "Host", "Ip"}
    assert len(labelled.descriptions) == len(labelled.scenarios)


def test_the_notebook_replay_counts_queries_and_crashes_on_new_ips(
    labelled: DetectionWorkspace,
) -> None:
    replay = NotebookReplay(labelled.directory)
    try:
        runs = []
        for scenario, description in zip(labelled.scenarios, labelled.descriptions, strict=True):
            for entity in parse_incident(scenario.incident).entities:
                run = replay.run(notebook_string(entity), labelled.alert_time)
                runs.append((str(entity.kind), description, run))
                assert run.queries >= 1 + 5  # table listing + one search per table
                assert run.fixed_queries >= run.queries or run.crashed
        accounts = [r for kind, _, r in runs if kind == "Account"]
        assert accounts and all(r.crashed is None and r.anomalies for r in accounts)
        new_ips = [r for kind, d, r in runs if kind == "Ip" and "attacker IP new" in d]
        assert all(r.crashed and "bug 2" in r.crashed and not r.anomalies for r in new_ips)
    finally:
        replay.close()


def test_judge_counts_found_missed_traps_and_noise(labelled: DetectionWorkspace) -> None:
    scenario = labelled.scenarios[0]
    first = scenario.injected[0]
    rows = [
        Row(1, [(first.entity, first.table, first.column, first.value)], 9.0),
        Row(2, [(first.entity, "Nowhere", "Column", "noise")], 3.0),
    ]
    judged = judge(rows, scenario)
    assert judged.found == {first: 1}
    assert len(judged.missed) == len(scenario.injected) - 1
    assert [r.rank for r in judged.unexplained] == [2]


def test_the_loop_reference_matches_the_vectorised_scoring() -> None:
    for length in (15, 73):
        matrix = count_series(300, length, seed=length + 1)
        ours = series_decompose_anomalies(matrix, 1.5, -1, "avg", 1)
        loop = decompose_anomalies_loop(matrix)
        for a, b in zip(ours, loop, strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_msticpy_stl_quirks() -> None:
    spike = np.array([10.0, 12, 11, 9, 10, 3, 2] * 10 + [10, 12, 60])
    result = msticpy_stl(spike, 7)
    assert result.status in {"ok", "error"}
    assert result.score > 3
    assert msticpy_stl(np.zeros(20), 7).status == "error"  # constant residual: NaN z-scores
    assert msticpy_stl(np.ones(10), 7).status == "too short"


def test_concurrent_rounds_is_list_scheduling() -> None:
    assert concurrent_rounds([2, 2, 2, 2, 1], 4) == 3
    assert concurrent_rounds([2] * 20, 4) == 10
    assert concurrent_rounds([2, 0, 1], 1) == 3
    assert concurrent_rounds([], 4) == 0
