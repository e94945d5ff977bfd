"""msticpy's time-series method (``ts_anomalies_stl``) on count series, with its quirks.

msticpy (``msticpy/analysis/timeseries.py``) fits ``statsmodels`` STL with
``seasonal=7, period=24`` (hourly data), casts every component to int64 (truncation toward
zero), scores the truncated residual with a population z-score (``scipy.stats.zscore``,
ddof=0) and labels a point ``1`` when ``score > 3`` and the truncated seasonal component is
``> 0``, ``-1`` when ``score > 3`` and seasonal ``< 0``, ``0`` when ``score < 3``. Any other
point (score > 3 with seasonal exactly 0, a NaN score when the truncated residual is
constant, a score of exactly 3) stays NaN and the final ``astype("int64")`` raises: the whole
call fails. Spikes are what ``extract_anomaly_periods`` (``pos_only=True``) reads, i.e.
label ``1``.

Here: the same computation in numpy (no pandas), with ``period=7`` for daily series (the
default 24 is for hourly data; a week is the rhythm daily counts have) and ``period=24`` for
hourly ones. STL needs at least two full periods; shorter series are "too short".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

THRESHOLD = 3.0
SEASONAL = 7


@dataclass(frozen=True)
class StlResult:
    """msticpy's outcome for one series, at its last point."""

    status: str  # "ok", "error" (msticpy would raise) or "too short"
    score: float  # z-score of the last point (NaN when undefined)
    label: int  # msticpy's anomalies[-1] when status is ok, else 0
    baseline: float  # truncated seasonal + trend at the last point


def period_for(length: int, hourly: bool) -> int:
    """The STL period used for a series: 24 for hourly bins, 7 for daily ones."""
    return 24 if hourly else 7


def stl_components(
    series: npt.NDArray[np.float64], period: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """STL residual, trend and seasonal of one series (statsmodels, msticpy's arguments)."""
    from statsmodels.tsa.seasonal import STL

    fit = STL(series, seasonal=SEASONAL, period=period).fit()
    return (
        np.asarray(fit.resid, dtype=np.float64),
        np.asarray(fit.trend, dtype=np.float64),
        np.asarray(fit.seasonal, dtype=np.float64),
    )


def msticpy_stl(series: npt.NDArray[np.float64], period: int) -> StlResult:
    """msticpy ``ts_anomalies_stl`` on one count series, judged at its last point."""
    x = np.asarray(series, dtype=np.float64)
    if len(x) < 2 * period:
        return StlResult("too short", float("nan"), 0, float("nan"))
    resid, trend, seasonal = stl_components(x, period)
    # result.fillna(0).astype("int64"): NaN -> 0, then truncation toward zero.
    resid_i = np.trunc(np.nan_to_num(resid)).astype(np.int64)
    seasonal_i = np.trunc(np.nan_to_num(seasonal)).astype(np.int64)
    baseline_i = np.trunc(np.nan_to_num(seasonal + trend)).astype(np.int64)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        centred = resid_i - resid_i.mean()
        score = centred / resid_i.std()
    labels = np.full(len(x), np.nan)
    labels[(score > THRESHOLD) & (seasonal_i > 0)] = 1
    labels[(score > THRESHOLD) & (seasonal_i < 0)] = -1
    labels[score < THRESHOLD] = 0
    last_score = float(score[-1])
    if np.isnan(labels).any():
        return StlResult("error", last_score, 0, float(baseline_i[-1]))
    return StlResult("ok", last_score, int(labels[-1]), float(baseline_i[-1]))
