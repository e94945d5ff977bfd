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

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from lookup.backends.base import CountRow, SeriesGroup, TableCounts, TableProfile
from lookup.baselines import (
    DAY,
    MIN_HISTORY_BINS,
    BoolArray,
    FloatArray,
    Verdict,
    baseline_mask,
    gap_bins,
    score_series,
    table_bins,
)
from lookup.column_types import id_columns
from lookup.drilldown import drilldown_query
from lookup.models import Anomaly, Entity, EntityIndex, Window
from lookup.ranking import Candidate, zero_filled

#: One count series: (entity, entity column, column, value).
SeriesKey = tuple[EntityIndex, str, str, str]

HOUR = timedelta(hours=1)

#: A table with fewer rows than this in the window is *small*: the notebook's 1 % rule
#: admits at most 9 values of a column there, and none at all under 200 rows.
SMALL_TABLE_ROWS = 1000
#: At most this many findings of a small table reach the ranking (the strongest).
SMALL_TABLE_FINDINGS = 3


@dataclass
class TableScores:
    """What scoring one table gave: its candidates and what the report says about it."""

    candidates: list[Candidate] = field(default_factory=list)
    series_scored: int = 0
    #: Series left unscored because too few baseline bins remained.
    too_little_history: int = 0
    #: Categorical columns whose every counted value is a GUID or a time: ids, not scored.
    id_columns: tuple[str, ...] = ()


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
    ids = id_columns((count.column, count.value) for count in counts.rows)
    points: dict[SeriesKey, list[tuple[int, float]]] = defaultdict(list)
    fingerprints: dict[SeriesKey, tuple[int, ...]] = {}
    for count in counts.rows:
        group = group_by_key.get((count.entity, count.entity_column))
        if group is None or count.column in ids:
            continue
        if restates(data.entities[count.entity], count, data.own_columns):
            continue
        key = (count.entity, count.entity_column, count.column, count.value)
        index = (count.bin_start - group.window.start) // group.window.step
        points[key].append((index, float(count.count)))
        if index == group.window.bins - 1 and count.fingerprint is not None:
            fingerprints[key] = count.fingerprint
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
    out = TableScores(series_scored=len(keys), id_columns=tuple(sorted(ids)))
    for key, group, values, mask, verdict in zip(keys, groups, series, masks, verdicts,
                                                  strict=True):  # fmt: skip
        out.too_little_history += verdict.too_little_history
        if not verdict.anomalous:
            continue
        anomaly = _anomaly(data, key, group, values, verdict, mask)
        out.candidates.append(Candidate(key[0], anomaly, fingerprints.get(key)))
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


def table_notes(scores: TableScores, *more: str | None) -> tuple[str, ...]:
    """What the report says about a table's data: gaps, history too short to score, caps."""
    notes = [note for note in more if note]
    if scores.id_columns:
        notes.append(
            f"id columns (every value a GUID or a time), not scored: {', '.join(scores.id_columns)}"
        )
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


def categorical_columns(
    distinct_counts: Mapping[str, int],
    rows: int,
    candidates: Sequence[str],
    *,
    max_distinct: int,
    max_ratio: float,
) -> tuple[str, ...]:
    """The notebook's categorical heuristic, with a rule for small tables.

    A column is categorical when ``1 < dcount < max_distinct`` and ``dcount / rows <
    max_ratio`` (the notebook's rule, unchanged for tables of :data:`SMALL_TABLE_ROWS` rows
    or more), or, in a small table, when ``dcount < min(sqrt(rows), SMALL_TABLE_ROWS *
    max_ratio)``: a firewall table of 60 rows may have a column of 3 services or 2 actions
    (under 7.7 values), never one of 40 source addresses. The two limits meet at
    :data:`SMALL_TABLE_ROWS` rows (10 values), so the rule has no step.
    """
    if rows <= 0:
        return ()
    small_limit = min(math.sqrt(rows), SMALL_TABLE_ROWS * max_ratio)
    keep = []
    for column in candidates:
        distinct = distinct_counts.get(column, 0)
        if 1 < distinct < max_distinct and (distinct / rows < max_ratio or distinct < small_limit):
            keep.append(column)
    return tuple(keep)


def cap_small_table(scores: TableScores, rows: int) -> str | None:
    """Keep each entity's :data:`SMALL_TABLE_FINDINGS` strongest findings of a small table.

    Small tables speak (see :func:`categorical_columns`), but their sparse series score
    high easily; capping them keeps a 60-row table from pushing the findings of the large
    tables down the list. Findings proven to be the same rows (one fingerprint, see
    :mod:`lookup.folding`) count once, as they will be shown in one row. Returns the table
    note when findings were left out.
    """
    if rows >= SMALL_TABLE_ROWS:
        return None
    ordered = sorted(scores.candidates, key=lambda c: (-c.anomaly.score, -c.anomaly.excess))
    shown: dict[int, list[object]] = defaultdict(list)
    kept: list[Candidate] = []
    for candidate in ordered:
        a = candidate.anomaly
        key = (a.actual, candidate.fingerprint) if candidate.fingerprint else (a.column, a.value)
        rows_of = shown[candidate.entity_order]
        if key not in rows_of:
            if len(rows_of) >= SMALL_TABLE_FINDINGS:
                continue
            rows_of.append(key)
        kept.append(candidate)
    dropped = len(scores.candidates) - len(kept)
    scores.candidates[:] = kept
    if not dropped:
        return None
    return (
        f"small table ({rows} rows in the window): the {SMALL_TABLE_FINDINGS} strongest "
        f"findings of each entity kept, {dropped} left out"
    )


def table_gaps(
    activity: Sequence[tuple[datetime, int]], windows: Iterable[Window]
) -> tuple[dict[tuple[datetime, timedelta], BoolArray], list[str]]:
    """The collection gaps of a table in each series window, and what the report says.

    Gaps are found on days: a day (24 hours ending where the windows end, like the daily
    bins) in which the table itself logged (next to) nothing
    (:func:`lookup.baselines.gap_bins`). Hours are too fine for that: many tables are
    silent at night, or log in batches. A bin of a series window is a gap when it lies in
    a gap day. Its zeros are missing data, left out of every baseline of the table, and the
    table's status says so: "gap: 12 of 14 daily bins had no data".
    """
    windows = sorted(set(windows), key=lambda w: (w.step, w.start))
    if not windows:
        return {}, []
    end = max(w.end for w in windows)
    days = max(-(-(end - w.start) // DAY) for w in windows)
    grid = Window(end - DAY * days, DAY, days)
    gap_days = gap_bins(table_bins(activity, grid))
    masks: dict[tuple[datetime, timedelta], BoolArray] = {}
    notes = []
    for window in windows:
        gaps = np.zeros(window.bins, dtype=np.bool_)
        for i in range(window.bins - 1):
            first = (window.start + window.step * i - grid.start) // DAY
            last = (
                window.start + window.step * (i + 1) - timedelta(microseconds=1) - grid.start
            ) // DAY
            gaps[i] = first >= 0 and last < days and bool(gap_days[first : last + 1].all())
        masks[(window.start, window.step)] = gaps
        missing = int(gaps.sum())
        if missing:
            unit = {DAY: "daily", HOUR: "hourly"}.get(window.step, window.step_label)
            notes.append(
                f"gap: {missing} of {window.bins - 1} {unit} bins before the test bin had no "
                "data (or under 1% of the table's usual volume); left out of the baselines"
            )
    return masks, notes
