"""Baselines of count series: life of an entity, gaps, short histories, weekly rhythm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lookup.baselines import (
    MIN_HISTORY_BINS,
    Verdict,
    baseline_mask,
    life_start,
    score_series,
    weekly_second_opinion,
)
from lookup.models import Window

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
START = datetime(2026, 11, 13, 14, 31, tzinfo=UTC)


def hourly(bins: int = 73) -> Window:
    return Window(START, HOUR, bins)


def daily(bins: int = 15) -> Window:
    return Window(START, DAY, bins)


def verdicts(*series: list[float], step: timedelta = DAY, mask: list[bool] | None = None,
             weekly: bool = True) -> list[Verdict]:  # fmt: skip
    arrays = [np.asarray(s, dtype=float) for s in series]
    masks = [np.ones(len(s), bool) if mask is None else np.asarray(mask) for s in arrays]
    return score_series(
        arrays, masks, [step] * len(arrays), threshold=1.5, max_flagged_points=5, weekly=weekly
    )


def test_the_life_starts_at_the_first_whole_bin_after_the_first_sighting() -> None:
    window = hourly()
    assert life_start(window, None) == 0
    assert life_start(window, START - DAY) == 0
    # Seen in the first bin: the scan starts there, it may have existed before.
    assert life_start(window, START + 10 * timedelta(minutes=1)) == 0
    assert life_start(window, START + 53 * HOUR) == 53
    assert life_start(window, START + 52 * HOUR + timedelta(minutes=5)) == 53


def test_bins_before_an_entity_existed_are_not_its_baseline() -> None:
    """The issue's address first seen 20 h before the alert (point 2)."""
    window = hourly()
    first_seen = START + 53 * HOUR
    mask = baseline_mask(window, first_seen)
    assert not mask[:53].any() and mask[53:].all()
    business = [1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 21, 15, 9, 16, 12, 17, 16]
    series = [0.0] * 53 + [float(v) for v in business] + [14.0]
    before = verdicts(series, step=HOUR)[0]
    assert before.anomalous and before.expected < 3  # the old reading: 14 vs 2.2
    after = score_series([np.asarray(series)], [mask], [HOUR], threshold=1.5, max_flagged_points=5)[
        0
    ]
    assert not after.anomalous
    assert after.expected == pytest.approx(sum(business) / len(business))


def test_an_entity_younger_than_the_minimum_life_keeps_the_bins_before_it() -> None:
    """An attacker spraying for two hours is a burst out of nothing, not its own baseline."""
    window = hourly()
    mask = baseline_mask(window, START + 70 * HOUR)
    assert mask.all()
    spray = [0.0] * 70 + [12.0, 15.0, 21.0]
    assert verdicts(spray, step=HOUR)[0].anomalous


def test_gap_bins_are_left_out_and_the_test_bin_never_is() -> None:
    window = daily()
    gaps = np.zeros(15, bool)
    gaps[3:11] = True
    gaps[-1] = True
    mask = baseline_mask(window, None, gaps)
    assert mask.tolist() == [True] * 3 + [False] * 8 + [True] * 4


def test_too_little_history_is_not_scored() -> None:
    mask = [False] * 12 + [True] * 3
    (verdict,) = verdicts([0.0] * 12 + [5.0, 6.0, 40.0], mask=mask)
    assert MIN_HISTORY_BINS == 3
    assert verdict.too_little_history and not verdict.anomalous


def test_a_short_baseline_is_widened_to_the_count_noise() -> None:
    """[10, 8, 8] then 12: Kusto's spread from three residuals would score 4."""
    mask = [False] * 11 + [True] * 4
    (ordinary,) = verdicts([0.0] * 11 + [10.0, 8.0, 8.0, 12.0], mask=mask)
    assert not ordinary.anomalous
    (burst,) = verdicts([0.0] * 11 + [10.0, 8.0, 8.0, 40.0], mask=mask)
    assert burst.anomalous and burst.score > 5


def test_a_weekly_only_job_is_not_an_anomaly_on_its_weekday() -> None:
    """Point 7: 40 rows each Monday and none otherwise; the alert on a Monday."""
    monday = [41.0, 0, 0, 0, 0, 0, 0, 38.0, 0, 0, 0, 0, 0, 0, 44.0]
    assert verdicts(monday, weekly=False)[0].anomalous  # Kusto alone: flagged
    assert not verdicts(monday)[0].anomalous


def test_three_times_the_usual_weekday_is_still_an_anomaly() -> None:
    rise = [41.0, 0, 0, 0, 0, 0, 0, 38.0, 0, 0, 0, 0, 0, 0, 120.0]
    (verdict,) = verdicts(rise)
    assert verdict.anomalous and verdict.score > 5
    assert weekly_second_opinion(np.asarray([rise]), 1.5).tolist() == [True]


def test_the_weekly_opinion_needs_two_whole_weeks_and_daily_bins() -> None:
    monday = [0.0] * 3 + [41.0, 0, 0, 0, 0, 0, 0, 38.0, 0, 0, 44.0]
    # 15 points but an hourly step: no weekday to compare with, Kusto's verdict stands.
    assert verdicts(monday[1:], step=HOUR)[0] == verdicts(monday[1:], weekly=False)[0]


def test_a_never_seen_value_stands_against_its_weekday_too() -> None:
    for count, anomalous in ((1.0, False), (3.0, True), (50.0, True)):
        (verdict,) = verdicts([0.0] * 14 + [count])
        assert verdict.anomalous is anomalous
        assert verdict.new


def test_series_of_different_lengths_are_scored_in_one_call() -> None:
    full = [3.0, 2, 4, 3, 2, 3, 9, 3, 2, 4, 3, 2, 3, 3, 40]
    masks = [np.ones(15, bool), np.asarray([False] * 5 + [True] * 10)]
    out = score_series(
        [np.asarray(full), np.asarray(full)], masks, [DAY, DAY], threshold=1.5,
        max_flagged_points=5,
    )  # fmt: skip
    assert [v.anomalous for v in out] == [True, True]
    assert out[0].expected != out[1].expected
