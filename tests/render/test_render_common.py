from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from lookup.render._common import (
    display_text,
    fmt_count,
    fmt_expected,
    fmt_score,
    fmt_seconds,
    fmt_time,
    step_text,
)


@pytest.mark.parametrize(
    ("value", "limit", "shown"),
    [
        ("plain", None, "plain"),
        ("a\nb\r\tc\x00\x1b\x7f", None, "a␊b␍␉c␀␛␡"),
        ("\u202eexe.txt\u200b", None, "[U+202E]exe.txt[U+200B]"),
        ("line\u2028sep\x85", None, "line[U+2028]sep[U+0085]"),
        ("bad \ud800 surrogate", None, "bad [U+D800] surrogate"),
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        ("abc\n", 4, "abc␊"),
        ("abc\u202e", 6, "abc…"),
        ("anything", 0, ""),
        ("ab", 1, "…"),
        ("", 5, ""),
    ],
)
def test_display_text(value: str, limit: int | None, shown: str) -> None:
    assert display_text(value, limit) == shown
    if limit is not None:
        assert len(display_text(value, limit)) <= limit


def test_display_text_is_fast_on_huge_values() -> None:
    assert display_text("<" * 10_000_000, 50) == "<" * 49 + "…"


@pytest.mark.parametrize(
    ("value", "count", "expected", "score"),
    [
        (42.0, "42", "~42", "42.00"),
        (0.0, "0", "~0", "0.00"),
        (0.43, "0.4", "~0.4", "0.43"),
        (1.04, "1.0", "~1", "1.04"),
        (9.96, "10.0", "~10", "9.96"),
        (-0.02, "-0.0", "~0", "-0.02"),
        (12_345.6, "12,345.6", "~12,346", "12,346"),
        (math.nan, "n/a", "n/a", "n/a"),
        (math.inf, "n/a", "n/a", "∞"),
    ],
)
def test_numbers(value: float, count: str, expected: str, score: str) -> None:
    assert fmt_count(value) == count
    assert fmt_expected(value) == expected
    assert fmt_score(value) == score


def test_seconds() -> None:
    assert [fmt_seconds(s) for s in (0.421, 12.34, 4321.0)] == ["0.42 s", "12.3 s", "4,321 s"]


def test_times() -> None:
    midnight = datetime(2025, 1, 3, tzinfo=UTC)
    assert fmt_time(midnight, timedelta(days=1)) == "2025-01-03"
    assert fmt_time(midnight, timedelta(hours=1)) == "2025-01-03 00:00"
    assert fmt_time(midnight.replace(hour=10, minute=15, second=7)) == "2025-01-03 10:15:07"
    assert fmt_time(datetime(2025, 1, 3, 10)) == "2025-01-03 10:00"  # naive taken as UTC
    assert step_text(timedelta(hours=1)) == "1h"
    assert step_text(timedelta(milliseconds=5)) == "0:00:00.005000"
