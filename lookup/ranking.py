"""Which scored series are anomalies, and in what order an analyst should read them.

The filter is the original notebook's, applied to the last (test) point of each series:
``score[-1] > threshold`` (a rise, not a dip), ``actual[-1] > expected[-1]``, and fewer than
``max_flagged_points`` flagged points in the whole series (a value that is anomalous every
other day is noise, not a lead). The notebook summed the signed flags; we count flagged
points of either sign, which is what its "number of anomalies" guard meant and what the
design asks for, and a run of flags that reaches the test bin counts once (an attack still
going on at the alert is one episode, see :func:`flagged_episodes`).

Ranking runs across all entities and tables: by score, then by how far the count is above
its baseline, then by a fixed order of names so equal rows never swap between runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from lookup.folding import Candidate, fold
from lookup.models import Anomaly

__all__ = ["Candidate", "flagged_episodes", "passes_filter", "rank_anomalies", "zero_filled"]


def passes_filter(
    counts: npt.NDArray[np.float64],
    flags: npt.NDArray[np.int8],
    scores: npt.NDArray[np.float64],
    baseline: npt.NDArray[np.float64],
    *,
    threshold: float,
    max_flagged_points: int,
) -> npt.NDArray[np.bool_]:
    """Boolean mask over rows (series) that pass the notebook's last-point filter.

    All arrays are 2-D with one series per row.
    """
    last_score = scores[:, -1]
    rises = last_score > threshold
    above = counts[:, -1] > baseline[:, -1]
    flagged = flagged_episodes(flags) < max_flagged_points
    return np.asarray(rises & above & flagged)


def flagged_episodes(flags: npt.NDArray[np.int8]) -> npt.NDArray[np.int64]:
    """Flagged points per series, counting the run of flags that ends the series once.

    The notebook's guard counts every flagged point, so an attack still going on when the
    alert fires (four hours of password spray in hourly bins: four flags in a row up to the
    test bin) is dropped as if it were a value that is anomalous every other day. The run
    that reaches the test bin is one episode; earlier flags count one each, as before.
    """
    flagged = flags != 0
    # Length of the trailing run of flagged points (0 when the last point is not flagged).
    unflagged = ~flagged[:, ::-1]
    run = np.where(unflagged.any(axis=1), unflagged.argmax(axis=1), flagged.shape[1])
    total = np.count_nonzero(flagged, axis=1)
    return np.asarray(total - np.maximum(run - 1, 0), dtype=np.int64)


def rank_anomalies(candidates: Iterable[Candidate]) -> tuple[Anomaly, ...]:
    """Order anomalies across entities and tables and number them from 1.

    Repetitions are folded so the analyst reads each set of rows once
    (:mod:`lookup.folding`): one value reached through two entity columns of a table keeps
    its best row; values whose rows in the test bin are proven to be the same rows are
    listed in one row, under ``related`` (same entity) or ``also`` (other entities); without
    a proof, identical series of one entity are listed as ``in_step``.
    """
    return fold(candidates)


def zero_filled(length: int, points: Sequence[tuple[int, float]]) -> npt.NDArray[np.float64]:
    """A series of ``length`` zeros with the given (bin index, count) points set."""
    series = np.zeros(length, dtype=np.float64)
    for index, value in points:
        if 0 <= index < length:
            series[index] += value
    return series
