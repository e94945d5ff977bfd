"""Time as text, in one place: the ISO 8601 forms the lookup writes and the ones it reads.

Every timestamp that leaves the package (reports, queue messages, API timespans) is UTC with
a ``Z`` suffix, and every timestamp that enters it (payloads, CLI options, query results)
goes through :func:`parse_timestamp`, so a value the lookup wrote is always one it can read.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# Sentinel and Kusto write 7 fractional digits (100 ns ticks); exports and alerts may use a
# space instead of "T" and omit the zone (the fields are UTC by definition). ``\Z`` rather
# than ``$``: ``$`` also matches before a trailing newline.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\Z"
)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, seconds precision unless finer is needed."""
    # isoformat, not strftime: strftime writes year 1 as "1", which no parser reads back.
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_millis(moment: datetime) -> str:
    """ISO 8601 in UTC with exactly three fractional digits (the query API's timespan form).

    Raises :class:`ValueError` for a naive datetime: a time without a zone is ambiguous here.
    """
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime.

    Accepts ``Z`` or numeric offsets, a ``T`` or space separator and any number of
    fractional digits (truncated to microseconds). A timestamp without a zone is UTC.
    Raises :class:`ValueError` for anything else, including times that exist only in
    another zone (year 1 at ``+01:00`` is before ``datetime.min`` in UTC).
    """
    match = _TIMESTAMP.match(value.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 timestamp: {value[:80]!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz: timezone = UTC
    try:
        if zone and zone not in "Zz":
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            tz = timezone(-offset if zone[0] == "-" else offset)
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micros,
            tz,
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid UTC time: {value[:80]!r} ({exc})") from exc


def as_utc(value: object) -> datetime:
    """A datetime or ISO 8601 text as an aware UTC datetime (naive datetimes are UTC).

    Raises :class:`ValueError` for anything else (query results are untrusted input).
    """
    if isinstance(value, str):
        return parse_timestamp(value)
    if not isinstance(value, datetime):
        raise ValueError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
