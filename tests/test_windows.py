from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lookup.windows import (
    DAY,
    HOUR,
    alert_bin_start,
    choose_window,
    daily_window,
    floor_to_step,
    hourly_window,
)

ALERT = datetime(2026, 11, 19, 14, 30, 12, tzinfo=UTC)


def test_bins_align_like_kusto_bin() -> None:
    assert floor_to_step(ALERT, DAY) == datetime(2026, 11, 19, tzinfo=UTC)
    assert floor_to_step(ALERT, HOUR) == datetime(2026, 11, 19, 14, tzinfo=UTC)
    # A non-UTC alert time is binned on UTC boundaries.
    local = datetime(2026, 11, 20, 1, 0, tzinfo=timezone(timedelta(hours=9)))
    assert floor_to_step(local, DAY) == datetime(2026, 11, 19, tzinfo=UTC)


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        floor_to_step(datetime(2026, 1, 1), DAY)
    with pytest.raises(ValueError, match="unknown bin alignment"):
        alert_bin_start(ALERT, DAY, "weekly")


def test_alert_aligned_test_bin_ends_with_the_alerts_minute() -> None:
    end = datetime(2026, 11, 19, 14, 31, tzinfo=UTC)
    assert alert_bin_start(ALERT, DAY) == end - DAY
    assert alert_bin_start(ALERT, HOUR) == end - HOUR
    window = daily_window(ALERT, 14)
    assert (window.bins, window.end, window.start) == (15, end, end - 15 * DAY)
    assert window.test_bin_start == end - DAY
    hourly = hourly_window(ALERT, 72)
    assert (hourly.bins, hourly.end, hourly.test_bin_start) == (73, end, end - HOUR)


def test_alert_on_an_hour_boundary_keeps_the_hour_before_it() -> None:
    alert = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert hourly_window(alert, 72).test_bin_start == datetime(2026, 11, 23, 10, 1, tzinfo=UTC)
    # The calendar alignment would test the empty 11:00 hour instead.
    assert hourly_window(alert, 72, "calendar").test_bin_start == alert


def test_calendar_daily_window_ends_with_the_alert_day() -> None:
    window = daily_window(ALERT, 14, "calendar")
    assert window.bins == 15
    assert window.start == datetime(2026, 11, 5, tzinfo=UTC)
    assert window.test_bin_start == datetime(2026, 11, 19, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 20, tzinfo=UTC)
    assert window.step_label == "1d"
    assert window.bin_starts()[-1] == window.test_bin_start


def test_calendar_hourly_window_ends_with_the_alert_hour() -> None:
    window = hourly_window(ALERT, 72, "calendar")
    assert window.bins == 73
    assert window.test_bin_start == datetime(2026, 11, 19, 14, tzinfo=UTC)
    assert window.start == datetime(2026, 11, 16, 14, tzinfo=UTC)
    assert window.step_label == "1h"


@pytest.mark.parametrize(
    ("first_seen_ago", "step"),
    [
        (None, DAY),
        (timedelta(days=10), DAY),
        (timedelta(days=3), DAY),
        (timedelta(days=2), HOUR),
        (timedelta(minutes=5), HOUR),
    ],
)
def test_auto_step_goes_hourly_for_new_entities(
    first_seen_ago: timedelta | None, step: timedelta
) -> None:
    first_seen = ALERT - first_seen_ago if first_seen_ago else None
    window = choose_window(
        ALERT,
        first_seen,
        forced_step=None,
        lookback_days=14,
        hourly_lookback_hours=72,
        new_entity_days=3,
    )
    assert window.step == step


def test_forced_step_wins() -> None:
    day = choose_window(
        ALERT, ALERT, forced_step=DAY, lookback_days=14, hourly_lookback_hours=48, new_entity_days=3
    )
    assert day.step == DAY
    hourly = choose_window(
        ALERT,
        None,
        forced_step=HOUR,
        lookback_days=14,
        hourly_lookback_hours=48,
        new_entity_days=3,
        alignment="calendar",
    )
    assert (hourly.step, hourly.bins, hourly.test_bin_start) == (
        HOUR,
        49,
        datetime(2026, 11, 19, 14, tzinfo=UTC),
    )
