"""The weekly-rhythm decision, measured: how often each rule flags rhythm and real rises.

Simulated daily count series (Poisson, a fixed seed), the test bin on a Monday, with 14,
21 and 28 days of history. For each shape, the share of series the lookup reports:

* with Kusto's model only (``series_decompose_anomalies(x, 1.5, -1, 'avg', 1)`` and the
  notebook's filter: the lookup before issue 12);
* with the weekly second opinion (:func:`lookup.baselines.weekly_second_opinion`: the
  finding must also stand against the same weekday).

Shapes that must not be reported: an office-hours rhythm (20 a weekday, 2 a weekend day)
and jobs that run only on Mondays (20, 40 or 80 rows). Shapes that must: three times the
usual Monday volume of such a job, three times a weekday's volume, and a value never seen
before (3 or 10 rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from lookup.baselines import score_series

SERIES = 2000
LOOKBACKS = (14, 21, 28)
_DAY = timedelta(days=1)
#: Weekday factors Monday..Sunday of an office-hours source.
_OFFICE = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1])

Shape = Callable[[np.random.Generator, int, int], npt.NDArray[np.float64]]


def _weekdays(history: int) -> npt.NDArray[np.int64]:
    """Weekday (0 = Monday) of each bin, the test bin (the last) on a Monday."""
    return np.asarray((np.arange(history + 1) - history) % 7, dtype=np.int64)


def _office(rng: np.random.Generator, n: int, history: int) -> npt.NDArray[np.float64]:
    rates = 20.0 * _OFFICE[_weekdays(history)]
    return rng.poisson(np.broadcast_to(rates, (n, history + 1))).astype(np.float64)


def _mondays(size: float, rise: float = 1.0) -> Shape:
    def shape(rng: np.random.Generator, n: int, history: int) -> npt.NDArray[np.float64]:
        rates = np.where(_weekdays(history) == 0, size, 0.0)
        rates[-1] *= rise
        return rng.poisson(np.broadcast_to(rates, (n, history + 1))).astype(np.float64)

    return shape


def _office_rise(rng: np.random.Generator, n: int, history: int) -> npt.NDArray[np.float64]:
    series = _office(rng, n, history)
    series[:, -1] = rng.poisson(60.0, n)
    return series


def _new(count: int) -> Shape:
    def shape(rng: np.random.Generator, n: int, history: int) -> npt.NDArray[np.float64]:
        series = np.zeros((n, history + 1))
        series[:, -1] = count
        return series

    return shape


#: (label, shape, whether the lookup should report it)
SHAPES: tuple[tuple[str, Shape, bool], ...] = (
    ("office hours (20 a weekday, 2 a weekend day), Monday", _office, False),
    ("Monday-only job, 20 rows", _mondays(20), False),
    ("Monday-only job, 40 rows", _mondays(40), False),
    ("Monday-only job, 80 rows", _mondays(80), False),
    ("Monday-only job at 3x (40 -> 120)", _mondays(40, 3.0), True),
    ("Monday-only job at 3x (20 -> 60)", _mondays(20, 3.0), True),
    ("office hours at 3x on the Monday (20 -> 60)", _office_rise, True),
    ("never seen before, 3 rows", _new(3), True),
    ("never seen before, 10 rows", _new(10), True),
)


def _reported(series: npt.NDArray[np.float64], weekly: bool) -> float:
    n, length = series.shape
    masks = [np.ones(length, dtype=np.bool_)] * n
    verdicts = score_series(
        list(series), masks, [_DAY] * n, threshold=1.5, max_flagged_points=5, weekly=weekly
    )
    return sum(v.anomalous for v in verdicts) / n


def run_weekly(seed: int = 7) -> dict[str, Any]:
    """Share of series reported per shape and lookback, without and with the weekly rule."""
    rng = np.random.default_rng(seed)
    rows = []
    for label, shape, wanted in SHAPES:
        row: dict[str, Any] = {"shape": label, "wanted": wanted}
        for history in LOOKBACKS:
            series = shape(rng, SERIES, history)
            row[f"kusto_{history}"] = _reported(series, weekly=False)
            row[f"weekly_{history}"] = _reported(series, weekly=True)
        rows.append(row)
    return {"series": SERIES, "lookbacks": list(LOOKBACKS), "shapes": rows}
