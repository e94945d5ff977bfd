from __future__ import annotations

import math

import pytest

from lookup.render.sparkline import BLOCKS, sparkline


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 0, 0, 10], "▁▁▁█"),
        ([0, 1, 2, 3, 4, 5, 6, 7], "▁▂▃▄▅▆▇█"),
        ([0, 0, 0], "▁▁▁"),
        ([], ""),
        ([5], "█"),
        ([3, 3, 3], "███"),
        ([math.nan, 7, math.nan, 0], "▁█▁▁"),
        ([math.inf, 7, -math.inf, 0], "▁█▁▁"),
        ([-5, 0, 7], "▁▁█"),
        ([math.nan, math.nan], "▁▁"),
    ],
)
def test_known_shapes(values: list[float], expected: str) -> None:
    assert sparkline(values) == expected


def test_a_small_last_point_next_to_large_history_is_still_visible() -> None:
    line = sparkline([100, 100, 100, 1])
    assert line == "███▂"
    assert line[-1] != BLOCKS[0]


def test_only_block_characters_one_per_point() -> None:
    values = [0.5, 1e9, 3.2, 0.0001, 17]
    line = sparkline(values)
    assert len(line) == len(values)
    assert set(line) <= set(BLOCKS)


def test_width_keeps_the_test_bin_as_its_own_character() -> None:
    series = [0.0] * 72 + [5.0]
    line = sparkline(series, width=24)
    assert line == "▁" * 23 + "█"


def test_width_keeps_a_spike_in_the_history() -> None:
    series = [0.0] * 30 + [9.0] + [0.0] * 41 + [0.0]
    line = sparkline(series, width=10)
    assert len(line) == 10
    assert line.count("█") == 1
    assert line[-1] == "▁"


def test_width_leaves_short_series_alone() -> None:
    assert sparkline([0, 0, 0, 10], width=24) == "▁▁▁█"


def test_width_one_shows_only_the_last_point() -> None:
    assert sparkline([9, 9, 9, 3], width=1) == "█"


def test_width_must_be_positive() -> None:
    with pytest.raises(ValueError, match="width"):
        sparkline([1, 2], width=0)
