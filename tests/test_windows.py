from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lookup.windows import DAY, HOUR, choose_window, daily_window, floor_to_step, hourly_window

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


def test_daily_window_ends_with_the_alert_day() -> None:
    window = daily_window(ALERT, 14)
    assert window.bins == 15
    assert window.start == datetime(2026, 11, 5, tzinfo=UTC)
    assert window.test_bin_start == datetime(2026, 11, 19, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 20, tzinfo=UTC)
    assert window.step_label == "1d"
    assert window.bin_starts()[-1] == window.test_bin_start


def test_hourly_window_ends_with_the_alert_hour() -> None:
    window = hourly_window(ALERT, 72)
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
    kwargs = dict(lookback_days=14, hourly_lookback_hours=48, new_entity_days=3)
    assert choose_window(ALERT, ALERT, forced_step=DAY, **kwargs).step == DAY  # type: ignore[arg-type]
    hourly = choose_window(ALERT, None, forced_step=HOUR, **kwargs)  # type: ignore[arg-type]
    assert (hourly.step, hourly.bins) == (HOUR, 49)
