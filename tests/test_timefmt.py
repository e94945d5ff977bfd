from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.timefmt import as_utc, iso, iso_millis, parse_timestamp

AWARE = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(AWARE)
def test_what_iso_writes_parse_timestamp_reads(moment: datetime) -> None:
    assert parse_timestamp(iso(moment)) == moment


@pytest.mark.parametrize(
    ("moment", "text", "millis"),
    [
        (datetime(2024, 5, 1, 3, 4, 5, tzinfo=UTC), "2024-05-01T03:04:05Z",
         "2024-05-01T03:04:05.000Z"),
        (datetime(2024, 5, 1, 3, 4, 5, 123456, tzinfo=UTC), "2024-05-01T03:04:05.123456Z",
         "2024-05-01T03:04:05.123Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
        (datetime(2024, 5, 1, 5, tzinfo=timezone(timedelta(hours=2))), "2024-05-01T03:00:00Z",
         "2024-05-01T03:00:00.000Z"),
    ],
)  # fmt: skip
def test_iso_forms(moment: datetime, text: str, millis: str) -> None:
    assert iso(moment) == text
    assert iso_millis(moment) == millis


def test_iso_millis_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_millis(datetime(2024, 1, 1))


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "2024-01-01T10:00:00Z x",
     "2024-01-01T10:00:00+99:00", "9" * 5000],
)  # fmt: skip
def test_out_of_range_and_trailing_garbage_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_as_utc() -> None:
    assert as_utc(datetime(2024, 1, 1)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert as_utc("2024-01-01T01:00:00+01:00") == datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="expected a datetime"):
        as_utc(1704067200)
