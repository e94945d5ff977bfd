"""What a count series is compared with: the bins that are its baseline, and the verdict.

Kusto's ``series_decompose_anomalies`` learns from every point before the test bin. Real
workspaces break that in three ways, each handled here (issue 12):

* **Collection gaps.** A bin in which the *table* logged nothing (or far below its usual
  volume) says nothing about the entity: its zeros are missing data, not activity. Such bins
  are left out of every series of that table (:func:`gap_bins` finds them from the table's
  rows per bin, counted by the profile question).
* **Bins before the entity existed.** An address first seen 20 hours before the alert had no
  traffic in the 52 hours before that because it did not exist, not because it is quiet.
  Bins before the entity's first sighting in the table are left out, so its expected values
  come from its actual life. An entity younger than :data:`MIN_LIFE_BINS` bins (and
  :data:`MIN_LIFE` of time) has no life of its own to learn from: it is compared with the
  bins before it appeared, in which the table was logging (a brand-new attacker address
  spraying for two hours is still a burst out of nothing).
* **Weekly rhythm.** A job that runs only on Mondays is ordinary on a Monday. For daily
  series that span two whole weeks, a finding must also stand against the same weekday:
  ``series_decompose_anomalies`` with ``seasonality=7`` must flag the test bin too
  (:func:`weekly_second_opinion`); the measurements behind that rule are in
  ``bench/RESULTS.md``.

The left-out bins are dropped from the series before scoring (Kusto's algorithm on the
bins that remain), so series of one table may have different lengths; they are scored in
groups of equal length, vectorised as before. A series with fewer than
:data:`MIN_HISTORY_BINS` baseline bins left is not scored at all: too little history is
reported, not "never seen before".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from lookup.models import Window
from lookup.ranking import passes_filter
from lookup.scoring import CTUKEY_NF, series_decompose, series_decompose_anomalies

#: An entity needs this many bins of its own life before the test bin for the bins before
#: its first sighting to be left out (and at least :data:`MIN_LIFE` of time).
MIN_LIFE_BINS = 3
MIN_LIFE = timedelta(hours=6)
#: Fewer baseline bins than this and a series is not scored (too little history).
MIN_HISTORY_BINS = 3
#: Baselines shorter than this are scored with fences widened to the count noise.
SHORT_BASELINE_BINS = 7
#: Weekly second opinion: daily series with at least two whole weeks of baseline.
WEEK_BINS = 7
WEEKLY_MIN_HISTORY = 2 * WEEK_BINS
DAY = timedelta(days=1)
# z-value of the 90th percentile of a standard normal (as lookup.scoring's Poisson floor).
_Z90 = 1.2815515655446004

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


#: A bin is a collection gap when the table logged at most this share of its usual volume
#: (the median of its bins that hold data)...
GAP_SHARE = 0.01
#: ...and its usual volume is at least this many rows a bin: a table that busy does not
#: fall silent by chance, while a small one is quiet most of the time.
GAP_MIN_USUAL = 10.0


def table_bins(activity: Sequence[tuple[datetime, int]], window: Window) -> FloatArray:
    """The table's rows in each bin of ``window``, from its activity at a finer step."""
    rows = np.zeros(window.bins)
    for start, count in activity:
        index = (start - window.start) // window.step
        if 0 <= index < window.bins:
            rows[index] += count
    return rows


def gap_bins(rows: FloatArray) -> BoolArray:
    """Bins in which the table itself logged (next to) nothing: missing data, not zeros.

    ``rows`` are the table's rows per bin of a series window, the test bin last. A bin is a
    gap when it holds at most :data:`GAP_SHARE` of the table's usual volume, the median of
    the bins that hold data, and that volume is at least :data:`GAP_MIN_USUAL` rows. The
    test bin is never a gap (the alert is in it).
    """
    busy = rows[rows > 0]
    gaps = np.zeros(len(rows), dtype=np.bool_)
    if len(busy) == 0:
        return gaps
    usual = float(np.median(busy))
    if usual < GAP_MIN_USUAL:
        return gaps
    gaps = rows <= GAP_SHARE * usual
    gaps[-1] = False
    return np.asarray(gaps)


def life_start(window: Window, first_seen: datetime | None) -> int:
    """Index of the first bin that lies wholly within the entity's life.

    The bin holding the first sighting is partly before it (an account created at 10:00
    has a short first day), so the life starts at the next bin boundary, unless the first
    sighting is exactly on one. 0 when the entity was seen in the window's first bin: the
    scan starts there, so it may well have existed before.
    """
    if first_seen is None or first_seen < window.start + window.step:
        return 0
    elapsed = first_seen - window.start
    start = int(elapsed // window.step) + (1 if elapsed % window.step else 0)
    return min(start, window.bins - 1)


def baseline_mask(
    window: Window, first_seen: datetime | None, gaps: BoolArray | None = None
) -> BoolArray:
    """Which bins of a series in ``window`` are its baseline (the test bin always is).

    ``gaps`` marks the bins in which the table itself logged (next to) nothing.
    """
    mask = np.ones(window.bins, dtype=np.bool_)
    if gaps is not None:
        mask &= ~gaps
    start = life_start(window, first_seen)
    life_bins = window.bins - 1 - start
    if start > 0 and life_bins >= MIN_LIFE_BINS and window.step * life_bins >= MIN_LIFE:
        mask[:start] = False
    mask[-1] = True
    return mask


@dataclass(frozen=True)
class Verdict:
    """The scoring of one series on its baseline bins."""

    #: Whether the series is reported (the notebook's filter, and the weekly opinion).
    anomalous: bool
    score: float
    expected: float
    #: Whether the value never occurred in the baseline bins.
    new: bool
    #: Whether the series had too few baseline bins to be scored at all.
    too_little_history: bool = False


def score_series(
    series: Sequence[FloatArray],
    masks: Sequence[BoolArray],
    steps: Sequence[timedelta],
    *,
    threshold: float,
    max_flagged_points: int,
    weekly: bool = True,
) -> list[Verdict]:
    """Score every series on its baseline bins; equal lengths are scored together.

    ``weekly=False`` leaves out the weekly second opinion (for the benchmark's comparison).
    """
    groups: dict[int, list[int]] = defaultdict(list)
    compact = [s[m] for s, m in zip(series, masks, strict=True)]
    for row, values in enumerate(compact):
        groups[len(values)].append(row)
    verdicts: list[Verdict | None] = [None] * len(series)
    for length, rows in groups.items():
        if length - 1 < MIN_HISTORY_BINS:
            for row in rows:
                verdicts[row] = Verdict(False, 0.0, 0.0, False, too_little_history=True)
            continue
        matrix = np.vstack([compact[row] for row in rows])
        keep, scores, expected = _kusto_verdicts(matrix, threshold, max_flagged_points)
        by_weekday = [
            i
            for i, row in enumerate(rows)
            if weekly and keep[i] and steps[row] == DAY and bool(masks[row].all())
            and length - 1 >= WEEKLY_MIN_HISTORY
        ]  # fmt: skip
        if by_weekday:
            keep[by_weekday] &= weekly_second_opinion(matrix[by_weekday], threshold)
        for i, row in enumerate(rows):
            verdicts[row] = Verdict(
                anomalous=bool(keep[i]),
                score=float(scores[i]),
                expected=float(expected[i]),
                new=not bool(np.any(matrix[i, :-1])),
            )
    return [v for v in verdicts if v is not None]


def _kusto_verdicts(
    matrix: FloatArray, threshold: float, max_flagged_points: int
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Kusto's scoring and the notebook's filter: kept, last score, last baseline per row.

    A baseline shorter than a week (an entity a few days old, a table with gaps) gives
    Kusto's percentiles from a handful of residuals: a spread of 1.6 from ``[10, 8, 8]``
    would make 12 score 4. There the fences are widened to the count noise
    (:func:`noise_fenced_score`), and that score decides.
    """
    flags, scores, baseline = series_decompose_anomalies(matrix, threshold, -1, "avg", 1)
    keep = passes_filter(
        matrix, flags, scores, baseline, threshold=threshold, max_flagged_points=max_flagged_points
    )
    last = scores[:, -1].copy()
    expected = baseline[:, -1].copy()
    history = matrix.shape[1] - 1
    if history < SHORT_BASELINE_BINS:
        fenced = noise_fenced_score(matrix - baseline, expected, history)
        last = np.minimum(last, fenced)
        keep &= last > threshold
    return keep, last, expected


def noise_fenced_score(residual: FloatArray, expected: FloatArray, samples: int) -> FloatArray:
    """Kusto's ctukey score of the last residual, its fences widened to the count noise.

    The fences are the P10/P90 of the training residuals (all but the last), but at least
    the P10/P90 of the noise of a count: Poisson at the expected level ``m``, compared with
    a baseline learnt from ``samples`` values, has variance ``m * (1 + 1/samples)`` (at
    least 1, as in the Poisson zero-spread rule of :mod:`lookup.scoring`).
    """
    training = residual[:, :-1]
    noise = _Z90 * np.sqrt(np.maximum(np.maximum(expected, 0.0) * (1.0 + 1.0 / samples), 1.0))
    high = np.maximum(np.percentile(training, 90.0, axis=1), noise)
    low = np.minimum(np.percentile(training, 10.0, axis=1), -noise)
    return np.asarray(CTUKEY_NF * np.maximum(residual[:, -1] - high, 0.0) / (high - low))


def weekly_second_opinion(matrix: FloatArray, threshold: float) -> BoolArray:
    """Whether each daily series' last point is also anomalous against its weekday.

    Kusto's decomposition with the period fixed at 7 days (``series_decompose(x, 7, 'avg',
    1)``): the test bin's baseline is the median of the same weekday in the history, and
    the residual is scored with Kusto's ctukey formula, its fences widened to the count noise
    at that weekday (:func:`noise_fenced_score`, the baseline learnt from one value a week):
    residuals of the quiet weekdays are zeros and say nothing about a busy one. A job that
    runs only on Mondays is then reported on 1 % of Mondays or fewer; three times its usual
    Monday volume on nearly all (``bench/RESULTS.md``, weekly rhythm).
    """
    parts = series_decompose(matrix, WEEK_BINS, "avg", 1)
    expected = parts.baseline[:, -1]
    weeks = max((matrix.shape[1] - 1) // WEEK_BINS, 1)
    score = noise_fenced_score(parts.residual, expected, weeks)
    return np.asarray((score > threshold) & (matrix[:, -1] > expected))
