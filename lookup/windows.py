"""Series windows around an alert: bin alignment and the choice of step.

Bins are aligned like Kusto's ``bin()``: on whole multiples of the step since the Unix
epoch, so ``1d`` bins start at UTC midnight and ``1h`` bins on the hour. The bin that holds
the alert time is the test bin and the last point of every series; the history before it
is what the baseline learns from. Everything is relative to the alert, never to "now", so an
old incident is analysed exactly as it would have been on the day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lookup.models import Window

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def floor_to_step(moment: datetime, step: timedelta) -> datetime:
    """Start of the ``bin(moment, step)`` bin, in UTC."""
    if moment.tzinfo is None:
        raise ValueError("alert times must be timezone-aware")
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    offset = moment.astimezone(UTC) - _EPOCH
    return _EPOCH + step * (offset // step)


def series_window(alert_time: datetime, step: timedelta, history_bins: int) -> Window:
    """The window of ``history_bins`` bins before the test bin plus the test bin itself."""
    if history_bins < 1:
        raise ValueError("a series needs at least one history bin")
    test_bin = floor_to_step(alert_time, step)
    return Window(start=test_bin - step * history_bins, step=step, bins=history_bins + 1)


def daily_window(alert_time: datetime, lookback_days: int) -> Window:
    """Daily bins over ``lookback_days`` of history (the default window)."""
    return series_window(alert_time, DAY, lookback_days)


def hourly_window(alert_time: datetime, lookback_hours: int) -> Window:
    """Hourly bins over ``lookback_hours`` of history (for recently seen entities)."""
    return series_window(alert_time, HOUR, lookback_hours)


def choose_window(
    alert_time: datetime,
    first_seen: datetime | None,
    *,
    forced_step: timedelta | None,
    lookback_days: int,
    hourly_lookback_hours: int,
    new_entity_days: float,
) -> Window:
    """Pick the series window for one entity in one table.

    With a forced step the matching window is used. Otherwise daily bins, unless the entity
    was first seen less than ``new_entity_days`` before the alert: fourteen days of zeros
    say nothing about an entity that appeared yesterday, while its last hours do (the
    original notebook's intent; the notebook then binned daily anyway, a bug not kept).
    """
    if forced_step == HOUR:
        return hourly_window(alert_time, hourly_lookback_hours)
    if forced_step == DAY:
        return daily_window(alert_time, lookback_days)
    if forced_step is not None:
        raise ValueError(f"unsupported step {forced_step}")
    if first_seen is not None and alert_time - first_seen < timedelta(days=new_entity_days):
        return hourly_window(alert_time, hourly_lookback_hours)
    return daily_window(alert_time, lookback_days)
