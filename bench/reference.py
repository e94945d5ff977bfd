"""A plain per-series reference of ``lookup.scoring.series_decompose_anomalies``.

Written independently of the vectorised code, the way one would write it for one series at
a time, to (a) measure what vectorising buys and (b) cross-check the vectorised numbers: both
must agree on every series. Same algorithm and decisions as ``lookup/scoring.py`` documents
them: period detection on the training prefix (detrend, lag-correlation gate 0.3,
leave-one-cycle-out median fit weighted by ``1 - 2**(1 - cycles)``, threshold 0.6, prefer a
divisor within 90%), per-phase medians, ``avg`` trend, ctukey P10/P90 of the training
residuals, the Poisson floor when P90 == P10, strict flags.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

NF = 1.5 * (2 * 1.29682082) / (2.7 - 1.29682082)
Z90 = 1.2815515655446004


def _line(values: npt.NDArray[np.float64]) -> tuple[float, float]:
    n = len(values)
    if n < 2:
        return 0.0, float(values[0]) if n else 0.0
    x = np.arange(1, n + 1, dtype=np.float64)
    xc = x - x.mean()
    slope = float(np.dot(values - values.mean(), xc) / np.dot(xc, xc))
    return slope, float(values.mean() - slope * x.mean())


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    k = len(ordered)
    mid = (k - 1) // 2
    return ordered[mid] if k % 2 else (ordered[mid] + ordered[k // 2]) / 2.0


def period_score(values: npt.NDArray[np.float64], period: int, skip_below: float) -> float:
    """Seasonality score of one period for one (training) series."""
    n = len(values)
    if period < 4 or 2 * period > n:
        return 0.0
    confidence = 1.0 - 2.0 ** (1 - n // period)
    if confidence <= 0.0 or confidence < skip_below:
        return 0.0
    slope, intercept = _line(values)
    detrended = values - (intercept + slope * np.arange(1, n + 1))
    if float(np.sum(detrended**2)) <= 1e-20 * float(np.sum(values**2)):
        return 0.0
    work = detrended - detrended.mean()
    energy = float(np.sum(work**2))
    head = float(np.sum(work[: n - period] ** 2))
    tail = float(np.sum(work[period:] ** 2))
    denominator = math.sqrt(max(head, 0.0) * max(tail, 0.0))
    lag = float(np.dot(work[: n - period], work[period:])) / denominator if denominator else 0.0
    if lag < 0.3:
        return 0.0
    total = squares = cross = 0.0
    for i in range(n):
        others = [float(work[j]) for j in range(i % period, n, period) if j != i]
        q = _median(others)
        total += q
        squares += q * q
        cross += float(work[i]) * q
    spread = squares - total * total / n
    if spread <= 1e-12 * squares:
        spread = 0.0
    denominator = math.sqrt(energy * spread)
    correlation = cross / denominator if denominator > 0 else 0.0
    return max(correlation, 0.0) * confidence


def detect_period(training: npt.NDArray[np.float64], threshold: float = 0.6) -> int:
    candidates = list(range(4, len(training) // 2 + 1))
    if not candidates:
        return 0
    scores = [period_score(training, p, threshold) for p in candidates]
    best = int(np.argmax(scores))
    best_score = scores[best]
    chosen = candidates[best] if best_score >= threshold and best_score > 0 else 0
    for period, score in zip(candidates, scores, strict=True):
        if chosen > period and chosen % period == 0 and score >= max(0.9 * best_score, threshold):
            return period
    return chosen


def decompose_anomalies_one(
    series: npt.NDArray[np.float64], threshold: float = 1.5, test_points: int = 1
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``series_decompose_anomalies(x, threshold, -1, 'avg', test_points)`` for one series."""
    x = np.asarray(series, dtype=np.float64)
    n = len(x)
    m = n - test_points
    training = x[:m]
    period = detect_period(training)
    seasonal = np.zeros(n)
    if period:
        medians = [_median([float(v) for v in training[phase::period]]) for phase in range(period)]
        seasonal = np.array([medians[i % period] for i in range(n)], dtype=np.float64)
    trend = float(np.mean(training - seasonal[:m])) if m else 0.0
    baseline = seasonal + trend
    residual = x - baseline
    p10, p90 = np.percentile(residual[:m], [10.0, 90.0])
    spread = float(p90 - p10)
    if spread == 0.0:
        spread = 2.0 * Z90 * math.sqrt(max(float(np.mean(training)), 1.0))
    scores = np.zeros(n)
    for i in range(n):
        r = residual[i]
        if r > p90:
            scores[i] = (r - p90) / spread * NF
        elif r < p10:
            scores[i] = (r - p10) / spread * NF
    flags = np.where(scores > threshold, 1, np.where(scores < -threshold, -1, 0)).astype(np.int8)
    return flags, scores, baseline


def decompose_anomalies_loop(
    matrix: npt.NDArray[np.float64], threshold: float = 1.5, test_points: int = 1
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The reference over many series: a Python loop, one series at a time."""
    flags = np.zeros(matrix.shape, dtype=np.int8)
    scores = np.zeros(matrix.shape)
    baseline = np.zeros(matrix.shape)
    for row in range(matrix.shape[0]):
        flags[row], scores[row], baseline[row] = decompose_anomalies_one(
            matrix[row], threshold, test_points
        )
    return flags, scores, baseline
