"""Series windows around an alert: bin alignment and the choice of step.

Two alignments are supported (``Settings.bin_alignment``):

- ``alert`` (default): the test bin *ends* at the alert (at the end of the alert's minute)
  and every bin is one full step long: the last 24 hours (or hour) before the alert against
  the same length of time on each earlier day (or hour). Only activity up to the alert
  counts, the test bin is never a partial day, and the answer does not depend on when the
  lookup runs.
- ``calendar``: bins aligned like Kusto's ``bin()`` on whole multiples of the step since the
  Unix epoch (UTC midnight for ``1d``, whole hours for ``1h``), the test bin being the one
  that holds the alert time. This is the original notebook's choice; it leaves the test bin
  partly empty (an alert at 00:40 has a 40-minute "day"; an alert at 11:00 sits in an hourly
  bin holding none of the hour before it).

Either way everything is relative to the alert, never to "now", so an old incident is
analysed exactly as it would have been on the day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lookup.models import BinAlignment, Window

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


_MINUTE = timedelta(minutes=1)


def alert_bin_start(
    alert_time: datetime, step: timedelta, alignment: BinAlignment = "alert"
) -> datetime:
    """Start of the test bin for an alert, under the given alignment."""
    if alignment == "calendar":
        return floor_to_step(alert_time, step)
    if alignment == "alert":
        # The end of the alert's minute: an event stamped in the same minute as the alert
        # (TimeGenerated trails the event a little) still belongs to the test bin.
        return floor_to_step(alert_time, _MINUTE) + _MINUTE - step
    raise ValueError(f"unknown bin alignment {alignment!r}")


def series_window(
    alert_time: datetime, step: timedelta, history_bins: int, alignment: BinAlignment = "alert"
) -> Window:
    """The window of ``history_bins`` bins before the test bin plus the test bin itself."""
    if history_bins < 1:
        raise ValueError("a series needs at least one history bin")
    test_bin = alert_bin_start(alert_time, step, alignment)
    return Window(start=test_bin - step * history_bins, step=step, bins=history_bins + 1)


def daily_window(
    alert_time: datetime, lookback_days: int, alignment: BinAlignment = "alert"
) -> Window:
    """Daily bins over ``lookback_days`` of history (the default window)."""
    return series_window(alert_time, DAY, lookback_days, alignment)


def hourly_window(
    alert_time: datetime, lookback_hours: int, alignment: BinAlignment = "alert"
) -> Window:
    """Hourly bins over ``lookback_hours`` of history (for recently seen entities)."""
    return series_window(alert_time, HOUR, lookback_hours, alignment)


def choose_window(
    alert_time: datetime,
    first_seen: datetime | None,
    *,
    forced_step: timedelta | None,
    lookback_days: int,
    hourly_lookback_hours: int,
    new_entity_days: float,
    alignment: BinAlignment = "alert",
) -> Window:
    """Pick the series window for one entity in one table.

    With a forced step the matching window is used. Otherwise daily bins, unless the entity
    was first seen less than ``new_entity_days`` before the alert: fourteen days of zeros
    say nothing about an entity that appeared yesterday, while its last hours do (the
    original notebook's intent; the notebook then binned daily anyway, a bug not kept).
    """
    if forced_step == HOUR:
        return hourly_window(alert_time, hourly_lookback_hours, alignment)
    if forced_step == DAY:
        return daily_window(alert_time, lookback_days, alignment)
    if forced_step is not None:
        raise ValueError(f"unsupported step {forced_step}")
    if first_seen is not None and alert_time - first_seen < timedelta(days=new_entity_days):
        return hourly_window(alert_time, hourly_lookback_hours, alignment)
    return daily_window(alert_time, lookback_days, alignment)
