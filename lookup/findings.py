"""From one table's counts to scored findings: series, baselines, verdicts, anomalies.

The engine asks the backend for the counts of a table; this module turns them into the
table's candidate anomalies. Each (entity, entity column, column, value) gets its count
series over the entity's window, zero-filled; :mod:`lookup.baselines` says which bins are
its baseline (not the table's collection gaps, not the bins before the entity existed) and
scores it; the series that pass become :class:`~lookup.models.Anomaly` rows with their
drill-down query. Counts that merely restate the entity (its own columns, its own
identifiers) are never findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from lookup.backends.base import CountRow, SeriesGroup, TableCounts, TableProfile
from lookup.baselines import (
    MIN_HISTORY_BINS,
    BoolArray,
    FloatArray,
    Verdict,
    baseline_mask,
    score_series,
)
from lookup.drilldown import drilldown_query
from lookup.models import Anomaly, Entity, EntityIndex
from lookup.ranking import Candidate, zero_filled

#: One count series: (entity, entity column, column, value).
SeriesKey = tuple[EntityIndex, str, str, str]


@dataclass
class TableScores:
    """What scoring one table gave: its candidates and what the report says about it."""

    candidates: list[Candidate] = field(default_factory=list)
    series_scored: int = 0
    #: Series left unscored because too few baseline bins remained.
    too_little_history: int = 0


@dataclass(frozen=True)
class ScoringInput:
    """Everything about one table that scoring needs besides the counts."""

    table: str
    entities: Sequence[Entity]
    groups: Sequence[SeriesGroup]
    #: Per entity, the columns it is searched in: a count about them restates it.
    own_columns: Mapping[EntityIndex, set[str]]
    column_types: Mapping[str, str]
    #: Per entity, its first sighting in the table (within the scanned window).
    first_seen: Mapping[EntityIndex, datetime]
    #: Per bin step, the bins of each window start in which the table logged (next to)
    #: nothing: ``gaps[(window start, step)]`` is a mask over that window's bins.
    gaps: Mapping[tuple[datetime, timedelta], BoolArray] = field(default_factory=dict)


def score_table(data: ScoringInput, counts: TableCounts, *, threshold: float,
                max_flagged_points: int) -> TableScores:  # fmt: skip
    """Score every series of one table's counts and keep the anomalies."""
    group_by_key = {(g.entity, g.entity_column): g for g in data.groups}
    points: dict[SeriesKey, list[tuple[int, float]]] = defaultdict(list)
    for count in counts.rows:
        group = group_by_key.get((count.entity, count.entity_column))
        if group is None or restates(data.entities[count.entity], count, data.own_columns):
            continue
        index = (count.bin_start - group.window.start) // group.window.step
        points[(count.entity, count.entity_column, count.column, count.value)].append(
            (index, float(count.count))
        )
    keys = sorted(points)
    groups = [group_by_key[(key[0], key[1])] for key in keys]
    series = [zero_filled(g.window.bins, points[key]) for key, g in zip(keys, groups, strict=True)]
    masks = [
        baseline_mask(
            g.window, data.first_seen.get(g.entity), data.gaps.get((g.window.start, g.window.step))
        )
        for g in groups
    ]
    verdicts = score_series(
        series,
        masks,
        [g.window.step for g in groups],
        threshold=threshold,
        max_flagged_points=max_flagged_points,
    )
    out = TableScores(series_scored=len(keys))
    for key, group, values, mask, verdict in zip(keys, groups, series, masks, verdicts,
                                                  strict=True):  # fmt: skip
        out.too_little_history += verdict.too_little_history
        if not verdict.anomalous:
            continue
        anomaly = _anomaly(data, key, group, values, verdict, mask)
        out.candidates.append(Candidate(key[0], anomaly))
    return out


def _anomaly(
    data: ScoringInput,
    key: SeriesKey,
    group: SeriesGroup,
    values: FloatArray,
    verdict: Verdict,
    mask: BoolArray,
) -> Anomaly:
    entity_index, entity_column, column, value = key
    entity = data.entities[entity_index]
    window = group.window
    return Anomaly(
        rank=0,
        entity=entity.value,
        entity_kind=str(entity.kind),
        table=data.table,
        entity_column=entity_column,
        column=column,
        value=value,
        bin_start=window.test_bin_start,
        step=window.step,
        actual=float(values[-1]),
        expected=verdict.expected,
        score=verdict.score,
        series=tuple(float(v) for v in values),
        drilldown_kql=drilldown_query(
            table=data.table,
            entity_column=entity_column,
            identifiers=entity.identifiers,
            column=column,
            column_types=data.column_types,
            value=value,
            bin_start=window.test_bin_start,
            step=window.step,
        ),
        first_seen=verdict.new,
        excluded_bins=tuple(int(i) for i in np.flatnonzero(~mask)),
    )


def restates(entity: Entity, count: CountRow, own_columns: Mapping[EntityIndex, set[str]]) -> bool:
    """Whether a count only restates the entity, which is never a finding.

    It does when it is about one of the entity's own columns, or when its value is one of
    the entity's identifiers (``ClientIP_ = <the IP>``, ``UserId_ = <the account>``).
    """
    if count.column in own_columns.get(count.entity, set()):
        return True
    value = count.value.strip().casefold()
    return any(value == identifier.casefold() for identifier in entity.identifiers)


def table_notes(scores: TableScores, gap_notes: Sequence[str] = ()) -> tuple[str, ...]:
    """What the report says about a table's data: its gaps, and history too short to score."""
    notes = list(gap_notes)
    if scores.too_little_history:
        notes.append(
            f"too little history: {scores.too_little_history} of {scores.series_scored} "
            f"series had fewer than {MIN_HISTORY_BINS} bins of baseline and were not scored"
        )
    return tuple(notes)


def matches(
    profile: TableProfile,
) -> tuple[dict[EntityIndex, list[str]], dict[EntityIndex, datetime]]:
    """Per entity: the columns it was found in, and when it was first seen in the table."""
    matched_columns: dict[EntityIndex, list[str]] = defaultdict(list)
    first_seen: dict[EntityIndex, datetime] = {}
    for hit in profile.hits:
        if hit.hits <= 0:
            continue
        index = hit.entity
        matched_columns[index].append(hit.column)
        if hit.first_seen is not None and (
            index not in first_seen or hit.first_seen < first_seen[index]
        ):
            first_seen[index] = hit.first_seen
    return dict(matched_columns), first_seen
