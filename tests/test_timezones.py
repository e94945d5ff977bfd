"""The zone of a Log Analytics export's time column header (``TimeGenerated [<zone>]``)."""

from __future__ import annotations

import pytest

from lookup.timezones import UnknownTimeZoneError, export_time_zone


@pytest.mark.parametrize(
    ("label", "zone"),
    [
        ("UTC", None),
        ("utc", None),
        ("Coordinated Universal Time", None),
        ("Jerusalem", "Asia/Jerusalem"),
        ("(UTC+02:00) Jerusalem", "Asia/Jerusalem"),
        ("Asia/Jerusalem", "Asia/Jerusalem"),
        ("Israel Standard Time", "Asia/Jerusalem"),
        ("(UTC-08:00) Pacific Time (US & Canada)", "America/Los_Angeles"),
        ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Amsterdam"),
        ("(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "Asia/Kolkata"),
        ("(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi", "Asia/Shanghai"),
        ("Hong Kong", "Asia/Hong_Kong"),
        ("Osaka, Sapporo, Tokyo", "Asia/Tokyo"),
        ("UTC+02", "Etc/GMT-2"),
        ("UTC-5", "Etc/GMT+5"),
    ],
)
def test_portal_display_names_resolve_to_iana_zones(label: str, zone: str | None) -> None:
    assert export_time_zone(label) == zone


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Local Time", "the exporting browser's zone, which the file does not name"),
        ("Atlantis", "unknown time zone 'Atlantis'"),
        ("", "unknown time zone ''"),
    ],
)
def test_unknown_zones_are_refused_with_the_reason(label: str, message: str) -> None:
    with pytest.raises(UnknownTimeZoneError, match=message):
        export_time_zone(label)
