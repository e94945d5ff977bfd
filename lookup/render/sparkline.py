"""Unicode block sparklines: a count series in a few characters of text.

Used in the incident comment and the terminal report so an analyst sees at a glance
whether the test bin (the last point) is a lone spike, a ramp or a noisy series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], *, width: int | None = None) -> str:
    """Draw ``values`` as unicode blocks, one character per point, scaled from 0 to the max.

    Zero, negative and non-finite points (NaN, ±inf) draw as the lowest block, so an
    all-zero series is a flat line of ``▁``. Any positive point draws at least one step
    above the lowest block, so a small count next to a large one is still visible.

    With ``width``, longer series are shortened to ``width`` characters: the last point
    (the test bin) always keeps its own character and the earlier points are merged into
    ``width - 1`` buckets that show their maximum.

    >>> sparkline([0, 0, 0, 10])
    '▁▁▁█'
    """
    if width is not None and width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    points = [_clean(v) for v in values]
    if width is not None and len(points) > width:
        points = _shorten(points, width)
    top = max(points, default=0.0)
    if top <= 0.0:
        return BLOCKS[0] * len(points)
    steps = len(BLOCKS) - 1
    return "".join(BLOCKS[_level(p, top, steps)] for p in points)


def _clean(value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0.0:
        return 0.0
    return number


def _level(point: float, top: float, steps: int) -> int:
    if point <= 0.0:
        return 0
    return max(1, min(steps, round(point / top * steps)))


def _shorten(points: list[float], width: int) -> list[float]:
    *history, last = points
    if width == 1:
        return [last]
    buckets = width - 1
    size = len(history)
    merged = []
    for i in range(buckets):
        start = i * size // buckets
        stop = (i + 1) * size // buckets
        merged.append(max(history[start:stop]))
    return [*merged, last]
