"""Seasonal period detection for count series, and the array helpers scoring shares with it.

Kusto's ``series_periods_detect`` is closed source, so :func:`detect_period` is our own
detector (the reasoning and its reference results are in its docstring and in
``docs/reference/kusto-series-anomalies.md``). :mod:`lookup.scoring` uses it for
``seasonality=-1`` and re-exports the public names, so ``lookup.scoring.detect_period`` stays
the documented entry point.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_MIN_PERIOD = 4
# Each additional complete cycle halves the doubt about a period (see detect_period).
_CYCLE_DOUBT_BASE = 2.0
# A divisor of the winning period wins instead when it scores at least this fraction of it.
_FUNDAMENTAL_TOLERANCE = 0.9
# A period must first show in the plain lag autocorrelation (cheap); only then is the
# leave-one-cycle-out score computed.
_MIN_LAG_CORRELATION = 0.3
# Detrended energy below this fraction of the raw energy is rounding noise: a flat series.
_FLAT_RELATIVE_ENERGY = 1e-20

DECOMPOSE_SEASONALITY_THRESHOLD = 0.6
SEASONAL_SEASONALITY_THRESHOLD = 0.7


def as_batch(series: ArrayLike, name: str = "series") -> tuple[FloatArray, bool]:
    """Return the input as a finite 2-D float64 array and whether it was 1-D."""
    arr = np.asarray(series, dtype=np.float64)
    if arr.ndim == 1:
        batch = arr[np.newaxis, :]
    elif arr.ndim == 2:
        batch = arr
    else:
        raise ValueError(f"{name} must be 1-D or 2-D, got {arr.ndim} dimensions")
    if not np.isfinite(batch).all():
        raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")
    return batch, arr.ndim == 1


def _phase_groups(values: FloatArray, period: int) -> list[FloatArray]:
    """The values of each row arranged by phase: arrays ``(rows, phases, cycles)``.

    Phases that the last, partial cycle reaches have one more value than the others, so
    there are one or two groups, each with a uniform number of cycles (the last axis).
    """
    rows, length = values.shape
    complete = length // period
    extra = length - complete * period
    body = values[:, : complete * period].reshape(rows, complete, period).transpose(0, 2, 1)
    if extra == 0:
        return [np.ascontiguousarray(body)]
    longer = np.concatenate(
        [body[:, :extra, :], values[:, complete * period :, np.newaxis]], axis=2
    )
    shorter = np.ascontiguousarray(body[:, extra:, :])
    return [longer, shorter]


def phase_medians(values: FloatArray, period: int) -> FloatArray:
    """Per-phase median of every row: shape ``(rows, period)``."""
    medians = []
    for group in _phase_groups(values, period):
        count = group.shape[2]
        ordered = np.sort(group, axis=2)
        low = ordered[:, :, (count - 1) // 2]
        # Even counts average the two middle values, as Kusto's documented examples show.
        medians.append(low if count % 2 else (low + ordered[:, :, count // 2]) / 2.0)
    return np.concatenate(medians, axis=1)


def _leave_one_cycle_out_sums(group: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Row sums ``(sum q, sum q**2, sum v*q)`` for ``group`` shaped ``(rows, phases, cycles)``.

    ``q`` is the leave-one-cycle-out median of each value ``v``: the median of the same
    phase over the *other* cycles.
    """
    rows, phases, count = group.shape
    if count == 2:
        others = group[:, :, ::-1]
        return (
            group.sum(axis=(1, 2)),
            np.einsum("ijk,ijk->i", group, group),
            np.einsum("ijk,ijk->i", group, others),
        )
    if count == 3:
        # The median of the two others is their mean.
        others = (group.sum(axis=2, keepdims=True) - group) / 2.0
        return (
            others.sum(axis=(1, 2)),
            np.einsum("ijk,ijk->i", others, others),
            np.einsum("ijk,ijk->i", group, others),
        )
    # Cycles first, so that every comparison below runs over long contiguous vectors.
    flat = group.reshape(rows * phases, count)
    ordered = np.sort(flat, axis=1)
    by_cycle = np.ascontiguousarray(flat.T)
    remaining = count - 1

    def pick(index: int) -> FloatArray:
        # The index-th smallest of the others is ordered[index] when the value itself sorts
        # above it, else ordered[index + 1]; equal values are interchangeable.
        below = np.ascontiguousarray(ordered[:, index])
        return np.where(by_cycle > below, below, np.ascontiguousarray(ordered[:, index + 1]))

    others = pick((remaining - 1) // 2)
    if remaining % 2 == 0:
        others = (others + pick(remaining // 2)) / 2.0
    values3 = by_cycle.reshape(count, rows, phases)
    others3 = others.reshape(count, rows, phases)
    return (
        others3.sum(axis=(0, 2)),
        np.einsum("kij,kij->i", others3, others3),
        np.einsum("kij,kij->i", values3, others3),
    )


def _loo_correlation(centred: FloatArray, energy: FloatArray, period: int) -> FloatArray:
    """Correlation, per row, between the values and their leave-one-cycle-out medians.

    ``centred`` rows have mean 0 and ``energy`` is their sum of squares. Correlation does
    not depend on the order of the pairs, so the phase-grouped layout is used as is.
    """
    rows, length = centred.shape
    total = np.zeros(rows)
    squares = np.zeros(rows)
    cross = np.zeros(rows)
    for group in _phase_groups(centred, period):
        group_total, group_squares, group_cross = _leave_one_cycle_out_sums(group)
        total += group_total
        squares += group_squares
        cross += group_cross
    # cross is already centred because the values are; the predictions' spread is not.
    spread = squares - total * total / length
    # A constant prediction explains nothing; rounding must not turn it into a correlation.
    spread = np.where(spread > 1e-12 * squares, spread, 0.0)
    denominator = np.sqrt(energy * spread)
    positive = denominator > 0.0
    return np.where(positive, cross / np.where(positive, denominator, 1.0), 0.0)


def line_coefficients(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Least-squares slope and intercept of every row against ``x = 1..m``."""
    count = values.shape[1]
    if count < 2:
        return np.zeros(values.shape[0]), (
            values[:, 0].copy() if count else np.zeros(values.shape[0])
        )
    x = np.arange(1, count + 1, dtype=np.float64)
    x_mean = x.mean()
    x_centred = x - x_mean
    y_mean = values.mean(axis=1)
    # einsum rather than a matrix product: BLAS may round differently with the batch size,
    # and a batch must give exactly the row-by-row results.
    covariance = np.einsum("ij,j->i", values - y_mean[:, np.newaxis], x_centred)
    slope = covariance / np.einsum("j,j->", x_centred, x_centred)
    return slope, y_mean - slope * x_mean


# --------------------------------------------------------------------------------------------
# Period detection


def _cycle_confidence(length: int, period: int) -> float:
    """Confidence ``1 - 2**(1 - K)`` that ``K = length // period`` complete cycles give."""
    cycles = length // period
    return float(1.0 - _CYCLE_DOUBT_BASE ** (1 - cycles))


def _detrended(values: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Rows minus their least-squares line, and which rows are flat (nothing left)."""
    slope, intercept = line_coefficients(values)
    x = np.arange(1, values.shape[1] + 1, dtype=np.float64)
    detrended = values - (intercept[:, np.newaxis] + slope[:, np.newaxis] * x)
    energy = (detrended * detrended).sum(axis=1)
    raw_energy = (values * values).sum(axis=1)
    flat = energy <= _FLAT_RELATIVE_ENERGY * raw_energy
    return detrended, flat


def _lag_correlation(
    centred: FloatArray, energy: FloatArray, prefix_energy: FloatArray, lag: int
) -> FloatArray:
    """Cosine similarity of each row with itself ``lag`` points later (the overlap only)."""
    length = centred.shape[1]
    cross = np.einsum("ij,ij->i", centred[:, : length - lag], centred[:, lag:])
    head = prefix_energy[:, length - lag - 1]
    tail = energy - prefix_energy[:, lag - 1]
    denominator = np.sqrt(np.maximum(head, 0.0) * np.maximum(tail, 0.0))
    positive = denominator > 0.0
    return np.where(positive, cross / np.where(positive, denominator, 1.0), 0.0)


def _score_table(values: FloatArray, periods: IntArray, skip_below: float) -> FloatArray:
    """Period scores, shape ``(rows, len(periods))``.

    Periods out of range, or whose cycle confidence is below ``skip_below`` (they could not
    reach it), are left at 0 without computing them.
    """
    rows, length = values.shape
    scores = np.zeros((rows, periods.size))
    if rows == 0 or periods.size == 0:
        return scores
    detrended, flat = _detrended(values)
    active = np.flatnonzero(~flat)
    if active.size == 0:
        return scores
    work = detrended if active.size == rows else detrended[active]
    work = work - work.mean(axis=1, keepdims=True)
    squares = work * work
    energy = squares.sum(axis=1)
    prefix_energy = np.cumsum(squares, axis=1)
    for column, period in enumerate(periods.tolist()):
        if period < _MIN_PERIOD or 2 * period > length:
            continue
        confidence = _cycle_confidence(length, period)
        if confidence <= 0.0 or confidence < skip_below:
            continue
        lagged = _lag_correlation(work, energy, prefix_energy, period)
        passing = np.flatnonzero(lagged >= _MIN_LAG_CORRELATION)
        if passing.size == 0:
            continue
        if passing.size < work.shape[0]:
            correlation = _loo_correlation(work[passing], energy[passing], period)
        else:
            correlation = _loo_correlation(work, energy, period)
        scores[active[passing], column] = np.maximum(correlation, 0.0) * confidence
    return scores


def _candidate_periods(length: int) -> IntArray:
    return np.arange(_MIN_PERIOD, length // 2 + 1, dtype=np.int64)


def period_scores(
    series: ArrayLike, periods: ArrayLike | None = None
) -> tuple[IntArray, FloatArray]:
    """Seasonality score in [0, 1] of candidate periods, per series (see :func:`detect_period`).

    ``periods`` defaults to every integer period from 4 to ``n // 2``; periods outside that
    range score 0 (as in Kusto's ``series_periods_validate``). Returns ``(periods, scores)``
    with ``scores`` shaped ``(len(periods),)`` for a 1-D input, ``(rows, len(periods))``
    for a 2-D one.
    """
    batch, single = as_batch(series)
    candidates = (
        _candidate_periods(batch.shape[1])
        if periods is None
        else np.asarray(periods, dtype=np.int64).reshape(-1)
    )
    scores = _score_table(batch, candidates, skip_below=0.0)
    return candidates, (scores[0] if single else scores)


def detect_periods(values: FloatArray, threshold: float) -> IntArray:
    """Detected period per row of ``values`` (0 = none)."""
    rows, length = values.shape
    candidates = _candidate_periods(length)
    if rows == 0 or candidates.size == 0:
        return np.zeros(rows, dtype=np.int64)
    scores = _score_table(values, candidates, skip_below=threshold)
    best_column = scores.argmax(axis=1)
    best_score = scores[np.arange(rows), best_column]
    best_period = candidates[best_column]
    chosen = np.where((best_score >= threshold) & (best_score > 0.0), best_period, 0)
    # Prefer the fundamental: a multiple of the true period fits as well, with fewer cycles.
    replaced = np.zeros(rows, dtype=bool)
    for column, period in enumerate(candidates.tolist()):
        near_tie = scores[:, column] >= np.maximum(_FUNDAMENTAL_TOLERANCE * best_score, threshold)
        divides = (chosen > period) & (chosen % period == 0)
        take = near_tie & divides & ~replaced
        chosen = np.where(take, period, chosen)
        replaced |= take
    return chosen.astype(np.int64)


def detect_period(
    series: ArrayLike, threshold: float = DECOMPOSE_SEASONALITY_THRESHOLD
) -> IntArray:
    """Detect the seasonal period of each series; 0 where none scores ``>= threshold``.

    Kusto's ``series_periods_detect`` is closed source; this detector is ours. Candidates are
    the integer periods ``4..n // 2`` and each gets a score in [0, 1]:

    * The series is detrended (least-squares line removed). A series with nothing left
      (all-zero, constant, a straight line) scores 0 everywhere.
    * Gate: the lag-``p`` autocorrelation (cosine of the series and itself ``p`` points
      later) must be at least 0.3, else the score is 0. It is cheap, so the costly part
      below runs on few series.
    * Fit: each point is predicted by the median of its phase over the *other* cycles
      (leave one cycle out). That is the per-phase median model that the decomposition
      uses, tested on data it has not seen. The correlation between the series and these
      predictions (0 if negative) measures the fit. Noise and isolated spikes score near 0.
    * Evidence: the fit is multiplied by ``1 - 2**(1 - K)``, with ``K = n // p`` the number
      of complete cycles: 0.5 for two cycles, 0.75 for three, 0.875 for four. Two cycles
      therefore never pass 0.6, whether the match is a coincidence of two spikes or a real
      weekly rhythm over 14 days.

    The best candidate is kept if its score is ``>= threshold``. If one of its divisors
    scores at least 90% as much, the divisor is kept instead, because the fundamental is
    preferred to its multiples.

    Reference results:

    * The 840-point Kusto sample (TV2): 168, score 0.90.
    * The ``series_seasonal`` doc examples at threshold 0.7: 6 (score 0.71) and 5 (0.84),
      and nothing for ``[1,3,5,2,4,6]*2`` (0.39).
    * The ``series_periods_detect`` example (TV5): 14 with score 0.8445, which Kusto prints
      truncated as 0.84, and 0 for period 10, as Kusto's ``series_periods_validate`` gives.

    On 14 training points (15-point daily series) only period 4 can pass 0.6. On Poisson
    noise of any mean, at most about 0.4% of such series get a period. On 72-point hourly
    noise the rate is also at most about 0.5%, and only for very sparse series.

    Returns an int64 array with one period per series (0-d for a 1-D input).
    """
    batch, single = as_batch(series)
    periods = detect_periods(batch, float(threshold))
    return periods.reshape(()) if single else periods
