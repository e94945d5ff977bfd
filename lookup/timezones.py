"""The time zone named in a Log Analytics export's time column header.

The portal's "Export to CSV" names a time column after the zone the results were shown in:
``TimeGenerated [UTC]`` by default, ``TimeGenerated [Local Time]`` when the browser's zone
was chosen, and the zone's display name when another one was picked in the query settings
(``TimeGenerated [Jerusalem]``). Those display names follow Windows' time zone list
(``(UTC+02:00) Jerusalem``, ``Pacific Time (US & Canada)``), so a label is resolved, in order:

1. ``UTC`` (and its spellings) → UTC;
2. an IANA name (``Asia/Jerusalem``), any case;
3. a Windows display name or zone id of :data:`WINDOWS_NAMES`;
4. a ``(UTC±hh:mm)`` prefix is dropped and each comma-separated city is tried as the last
   part of an IANA name (``Jerusalem`` → ``Asia/Jerusalem``, ``Hong Kong`` →
   ``Asia/Hong_Kong``); a bare ``UTC±hh`` becomes the fixed ``Etc/GMT∓hh`` zone.

``Local Time`` and anything else raise :class:`UnknownTimeZoneError` naming the label: the file
does not say which zone its times are in, and guessing would shift every event.
"""

from __future__ import annotations

import functools
import re
import zoneinfo

#: Windows time zone display names (without their ``(UTC±hh:mm)`` prefix) and zone ids
#: whose words are not an IANA city, → IANA zone.
WINDOWS_NAMES: dict[str, str] = {
    "Coordinated Universal Time": "UTC",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Pacific Standard Time": "America/Los_Angeles",
    "Mountain Time (US & Canada)": "America/Denver",
    "Mountain Standard Time": "America/Denver",
    "Central Time (US & Canada)": "America/Chicago",
    "Central Standard Time": "America/Chicago",
    "Eastern Time (US & Canada)": "America/New_York",
    "Eastern Standard Time": "America/New_York",
    "Atlantic Time (Canada)": "America/Halifax",
    "Brasilia": "America/Sao_Paulo",
    "Israel Standard Time": "Asia/Jerusalem",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Romance Standard Time": "Europe/Paris",
    "GMT Standard Time": "Europe/London",
    "India Standard Time": "Asia/Kolkata",
    "China Standard Time": "Asia/Shanghai",
    "Beijing, Chongqing, Hong Kong, Urumqi": "Asia/Shanghai",
    "Tokyo Standard Time": "Asia/Tokyo",
    "AUS Eastern Standard Time": "Australia/Sydney",
}

_UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "utc+00:00", "utc±00:00", "(utc) utc"})
_LOCAL_NAMES = frozenset({"local time", "local", "localtime"})
_OFFSET_PREFIX = re.compile(r"^\(\s*(?:UTC|GMT)\s*(?:[+\-±]\s*\d{1,2}(?::\d{2})?)?\s*\)\s*", re.I)
_FIXED_OFFSET = re.compile(r"^(?:UTC|GMT)\s*([+\-])\s*(\d{1,2})(?::00)?$", re.I)
_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe",
            "Indian", "Pacific")  # fmt: skip


class UnknownTimeZoneError(ValueError):
    """The header names a zone that cannot be resolved (the message says why)."""


def export_time_zone(label: str) -> str | None:
    """The IANA zone of an export header's ``[label]``, or None for UTC.

    Raises:
        UnknownTimeZoneError: ``Local Time``, or a label no rule resolves.
    """
    text = " ".join(label.split())
    folded = text.casefold()
    if folded in _UTC_NAMES:
        return None
    if folded in _LOCAL_NAMES:
        raise UnknownTimeZoneError(
            f"times are in {text!r}, the exporting browser's zone, which the file does not "
            "name; export again with the UTC display time zone, or rename the column "
            "'TimeGenerated [<zone>]' with the zone (for example 'TimeGenerated [Europe/Paris]')"
        )
    zone = _resolve(text)
    if zone is None:
        raise UnknownTimeZoneError(
            f"unknown time zone {text!r} in the column header; use 'TimeGenerated [UTC]' or "
            "an IANA zone name such as 'TimeGenerated [Asia/Jerusalem]'"
        )
    return None if zone == "UTC" else zone


def _resolve(text: str) -> str | None:
    zones = _zones()
    direct = zones.get(text.casefold()) or _windows(text)
    if direct:
        return direct
    fixed = _FIXED_OFFSET.match(text)
    if fixed:
        hours = int(fixed[2])
        if hours == 0:
            return "UTC"
        sign = "-" if fixed[1] == "+" else "+"  # Etc/GMT-2 is UTC+02:00
        return zones.get(f"etc/gmt{sign}{hours}")
    rest = _OFFSET_PREFIX.sub("", text)
    direct = _windows(rest) or zones.get(rest.casefold())
    if direct:
        return direct
    for city in rest.split(","):
        zone = _cities().get(city.strip().replace(" ", "_").casefold())
        if zone:
            return zone
    return None


def _windows(text: str) -> str | None:
    folded = text.casefold()
    for name, zone in WINDOWS_NAMES.items():
        if name.casefold() == folded:
            return zone
    return None


@functools.cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


@functools.cache
def _cities() -> dict[str, str]:
    """Last part of a regional IANA name → the name, for parts that name one zone only."""
    found: dict[str, set[str]] = {}
    for name in zoneinfo.available_timezones():
        region, _, rest = name.partition("/")
        if region in _REGIONS and rest:
            found.setdefault(rest.rpartition("/")[2].casefold(), set()).add(name)
    return {city: next(iter(names)) for city, names in found.items() if len(names) == 1}
