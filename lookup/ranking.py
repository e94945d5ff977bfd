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
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from lookup.models import Anomaly


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


@dataclass(frozen=True)
class Candidate:
    """An anomaly before ranking; ``entity_order`` keeps the payload's entity order."""

    entity_order: int
    anomaly: Anomaly


def rank_anomalies(candidates: Iterable[Candidate]) -> tuple[Anomaly, ...]:
    """Order anomalies across entities and tables and number them from 1.

    Two kinds of repetition are folded so the analyst reads each lead once:

    - one value of one column anomalous through two entity columns of the same table (e.g.
      ``Account`` and ``TargetUserName`` both holding the user): only the best row stays;
    - columns that move together because they describe the same rows (``EventID`` and
      ``Activity``, ``Operation`` and ``RecordType``): when another column's value has
      exactly the same series for the same entity, table and bin, it is listed in the
      first row's ``related`` instead of getting a row of its own (one value per column:
      two values of one column are never the same rows).
    """

    def sort_key(c: Candidate) -> tuple[float, float, int, str, str, str, str]:
        a = c.anomaly
        return (-a.score, -a.excess, c.entity_order, a.table, a.column, a.value, a.entity_column)

    seen: set[tuple[int, str, str, str]] = set()
    leaders: dict[tuple[int, str, object, tuple[float, ...]], int] = {}
    kept: list[Anomaly] = []
    related: list[list[tuple[str, str]]] = []
    for candidate in sorted(candidates, key=sort_key):
        a = candidate.anomaly
        identity = (candidate.entity_order, a.table, a.column, a.value)
        if identity in seen:
            continue
        seen.add(identity)
        shape = (candidate.entity_order, a.table, a.bin_start, a.series)
        leader = leaders.get(shape)
        # A row has one value per column, so two values of one column never describe the
        # same rows: only a column not yet in the group can join it.
        if leader is not None and a.column not in {kept[leader].column} | {
            c for c, _ in related[leader]
        }:
            related[leader].append((a.column, a.value))
            continue
        leaders.setdefault(shape, len(kept))
        kept.append(a)
        related.append([])
    return tuple(
        replace(a, rank=i + 1, related=tuple(extra))
        for i, (a, extra) in enumerate(zip(kept, related, strict=True))
    )


def zero_filled(length: int, points: Sequence[tuple[int, float]]) -> npt.NDArray[np.float64]:
    """A series of ``length`` zeros with the given (bin index, count) points set."""
    series = np.zeros(length, dtype=np.float64)
    for index, value in points:
        if 0 <= index < length:
            series[index] += value
    return series
