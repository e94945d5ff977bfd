from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from lookup.models import Anomaly
from lookup.ranking import (
    Candidate,
    flagged_episodes,
    passes_filter,
    rank_anomalies,
    zero_filled,
)

BIN = datetime(2026, 11, 19, tzinfo=UTC)


def anomaly(score: float, actual: float, expected: float, **fields: str) -> Anomaly:
    base = dict(
        entity="jdoe",
        entity_kind="Account",
        table="SigninLogs",
        entity_column="UserPrincipalName",
        column="Location",
        value="RU",
    )
    base.update(fields)
    return Anomaly(
        rank=0,
        bin_start=BIN,
        step=timedelta(days=1),
        actual=actual,
        expected=expected,
        score=score,
        series=(0.0, actual),
        drilldown_kql="",
        **base,
    )


def test_filter_keeps_only_last_point_rises_with_few_flags() -> None:
    counts = np.array([[1, 1, 9], [1, 1, 9], [9, 1, 1], [1, 1, 9]], dtype=float)
    baseline = np.array([[1, 1, 1], [1, 1, 10], [1, 1, 1], [1, 1, 1]], dtype=float)
    scores = np.array([[0, 0, 4.0], [0, 0, 4.0], [4.0, 0, 0], [0, 0, 1.5]])
    flags = np.array([[0, 0, 1], [0, 0, 1], [1, 0, 0], [0, 0, 0]], dtype=np.int8)
    keep = passes_filter(counts, flags, scores, baseline, threshold=1.5, max_flagged_points=5)
    # row 1: below baseline; row 2: the spike is not the last point; row 3: score not > 1.5
    assert keep.tolist() == [True, False, False, False]


def test_filter_drops_series_with_many_flagged_points() -> None:
    counts = np.array([[9, 0, 9, 0, 9, 0, 9, 0, 9]], dtype=float)
    flags = np.array([[1, -1, 1, -1, 1, 0, 0, 0, 1]], dtype=np.int8)
    scores = np.where(flags != 0, 3.0 * flags, 0.0)
    baseline = np.full_like(counts, 4.0)
    assert not passes_filter(counts, flags, scores, baseline, threshold=1.5, max_flagged_points=5)[
        0
    ]
    assert passes_filter(counts, flags, scores, baseline, threshold=1.5, max_flagged_points=7)[0]


def test_ranking_by_score_then_excess_with_stable_ties() -> None:
    candidates = [
        Candidate(1, anomaly(3.0, 10, 2, value="a")),
        Candidate(0, anomaly(9.0, 5, 1, value="b")),
        Candidate(0, anomaly(3.0, 20, 2, value="c")),
        Candidate(1, anomaly(3.0, 10, 2, value="d")),
        Candidate(0, anomaly(3.0, 10, 2, value="e")),
    ]
    ranked = rank_anomalies(reversed(candidates))
    assert [a.value for a in ranked] == ["b", "c", "e", "a", "d"]
    assert [a.rank for a in ranked] == [1, 2, 3, 4, 5]


def test_same_value_through_two_entity_columns_is_reported_once() -> None:
    ranked = rank_anomalies(
        [
            Candidate(0, anomaly(4.0, 9, 1, entity_column="Account")),
            Candidate(0, anomaly(5.0, 9, 1, entity_column="TargetUserName")),
            Candidate(1, anomaly(4.5, 9, 1, entity_column="Account")),
        ]
    )
    assert [(a.entity_column, a.score) for a in ranked] == [
        ("TargetUserName", 5.0),
        ("Account", 4.5),
    ]


def test_zero_filled() -> None:
    assert zero_filled(4, [(0, 2.0), (3, 5.0), (3, 1.0), (9, 7.0)]).tolist() == [2, 0, 0, 6]


def test_identical_series_without_a_proof_are_only_in_step() -> None:
    """A backend without fingerprints proves nothing: "moved in step with", never same rows."""
    same = (0.0, 1.0, 0.0, 48.0)
    other = (0.0, 2.0, 0.0, 48.0)
    ranked = rank_anomalies(
        [
            Candidate(0, replace(anomaly(9.0, 48, 1, column="EventID", value="4625"), series=same)),
            Candidate(
                0,
                replace(anomaly(9.0, 48, 1, column="Activity", value="4625 - failed"), series=same),
            ),
            Candidate(
                0, replace(anomaly(8.0, 48, 1, column="LogonType", value="10"), series=other)
            ),
            # another entity with the same series keeps its own row: nothing proves its rows
            Candidate(1, replace(anomaly(9.0, 48, 1, column="EventID", value="4625"), series=same)),
            # the same column with another value and the same series is a separate lead
            Candidate(0, replace(anomaly(7.0, 48, 1, column="EventID", value="4720"), series=same)),
        ]
    )
    assert [(a.column, a.value, a.related, a.in_step, a.also) for a in ranked] == [
        ("Activity", "4625 - failed", (), (("EventID", "4625"),), ()),
        ("EventID", "4625", (), (), ()),
        ("LogonType", "10", (), (), ()),
        ("EventID", "4720", (), (), ()),
    ]


def test_proven_same_rows_fold_across_columns_and_entities() -> None:
    """Point 6: the failed logons of the account are the host's: one row naming both."""
    failures = (1, 2)  # the fingerprint of the 48 rows in the test bin
    ranked = rank_anomalies(
        [
            Candidate(0, anomaly(9.0, 48, 1, column="EventID", value="4625"), failures),
            Candidate(0, anomaly(9.5, 48, 1, column="Activity", value="4625 - failed"), failures),
            # other history, the same rows in the test bin: the attacker's address
            Candidate(0, anomaly(30.0, 48, 0, column="IpAddress", value="203.0.113.66"), failures),
            Candidate(
                1,
                anomaly(
                    9.0, 48, 1, column="EventID", value="4625", entity="WS-1", entity_kind="Host"
                ),
                failures,
            ),
            # the same count, other rows: never folded
            Candidate(0, anomaly(8.0, 48, 1, column="LogonType", value="10"), (1, 3)),
        ]
    )
    assert [(a.column, a.related, a.also) for a in ranked] == [
        (
            "IpAddress",
            (("Activity", "4625 - failed"), ("EventID", "4625")),
            (("WS-1", "Host", "EventID", "4625"),),
        ),
        ("LogonType", (), ()),
    ]


def test_equal_bursts_of_other_rows_are_not_the_same_rows() -> None:
    """Point 5: two unrelated 5-row bursts have the same series, not the same rows."""
    new = (0.0, 0.0, 0.0, 5.0)
    ranked = rank_anomalies(
        [
            Candidate(
                0,
                replace(anomaly(6.0, 5, 0, column="Computer", value="FS09"), series=new),
                (100, 20),
            ),
            Candidate(
                0,
                replace(anomaly(6.0, 5, 0, column="Process", value="x.exe"), series=new),
                (900, 25),
            ),
        ]
    )
    assert [(a.value, a.related, a.in_step) for a in ranked] == [
        ("FS09", (), ()),
        ("x.exe", (), ()),
    ]


def test_a_run_of_flags_reaching_the_test_bin_is_one_episode() -> None:
    flags = np.array(
        [
            [0, 1, 0, 0, 1, 1, 1, 1],  # earlier blip + ongoing burst: 2 episodes
            [1, 0, 1, 0, 1, 0, 1, 0],  # anomalous every other bin: 4
            [0, 0, 0, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0, 0, 0, 0],
        ],
        dtype=np.int8,
    )
    assert flagged_episodes(flags).tolist() == [2, 4, 1, 0]


def test_an_ongoing_spray_passes_the_noise_guard() -> None:
    # Hourly bins of a brand-new IP: some probing, then four hours of spray up to the alert.
    counts = np.array([[0, 0, 2, 0, 0, 0, 9, 20, 19, 25]], dtype=float)
    flags = np.array([[0, 0, 1, 0, 0, 0, 1, 1, 1, 1]], dtype=np.int8)
    scores = np.where(flags != 0, 20.0, 0.0)
    baseline = np.full_like(counts, 0.7)
    assert passes_filter(counts, flags, scores, baseline, threshold=1.5, max_flagged_points=5)[0]
    # Five separate episodes are still noise.
    flags = np.array([[1, 0, 1, 0, 1, 0, 1, 0, 0, 1]], dtype=np.int8)
    assert not passes_filter(counts, flags, scores, baseline, threshold=1.5, max_flagged_points=5)[
        0
    ]
