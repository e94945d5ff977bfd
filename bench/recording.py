"""A backend proxy that records what the engine asked and got, to rebuild its count series.

The msticpy baseline and the miss diagnostics need the exact series our lookup scored. The
proxy keeps, per table, the profile and counts requests and answers (the public contract of
``lookup.backends.base``); :func:`series_from_records` turns them into count matrices the
way the engine does: bins counted from each group's window start, zero-filled, the entity's
own columns left out. :func:`engine_candidates` scores them with the engine's scoring and
filter, so a test can check the rebuild reproduces the engine's anomalies exactly.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from lookup.backends.base import (
    Backend,
    ColumnInfo,
    CountsRequest,
    ProfileRequest,
    TableCounts,
    TableProfile,
)
from lookup.errors import TableError
from lookup.findings import ScoringInput, cap_small_table, matches, score_table, table_gaps
from lookup.models import Entity, Window
from lookup.ranking import zero_filled
from lookup.settings import Settings

#: (entity index in the incident, entity column, column, value)
SeriesKey = tuple[int, str, str, str]


@dataclass
class TableRecord:
    """Everything the engine exchanged with the backend about one table."""

    table: str
    profile_request: ProfileRequest | None = None
    profile: TableProfile | None = None
    counts_request: CountsRequest | None = None
    counts: TableCounts | None = None
    queries: int = 0
    profile_seconds: float = 0.0
    counts_seconds: float = 0.0


@dataclass
class RecordingBackend:
    """Delegates to ``inner`` and records every profile and counts exchange."""

    inner: Backend
    records: dict[str, TableRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.description = self.inner.description
        self.stats = self.inner.stats
        self.max_parallel = self.inner.max_parallel
        self._lock = threading.Lock()

    def reset(self) -> None:
        self.records = {}

    def set_deadline(self, deadline: float | None) -> None:
        self.inner.set_deadline(deadline)

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> RecordingBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _record(self, table: str) -> TableRecord:
        with self._lock:
            return self.records.setdefault(table, TableRecord(table))

    def list_tables(self, start: datetime, end: datetime) -> list[str]:
        return self.inner.list_tables(start, end)

    def table_schemas(self, tables: list[str]) -> dict[str, tuple[ColumnInfo, ...] | TableError]:
        return self.inner.table_schemas(tables)

    def profile(self, request: ProfileRequest) -> TableProfile:
        record = self._record(request.table)
        record.profile_request = request
        record.queries += 1
        started = time.perf_counter()
        record.profile = self.inner.profile(request)
        record.profile_seconds += time.perf_counter() - started
        return record.profile

    def counts(self, request: CountsRequest) -> TableCounts:
        record = self._record(request.table)
        record.counts_request = request
        record.queries += 1
        started = time.perf_counter()
        record.counts = self.inner.counts(request)
        record.counts_seconds += time.perf_counter() - started
        return record.counts


@dataclass
class SeriesBlock:
    """Equal-length count series of one table, one per key, as the engine scores them."""

    table: str
    window: Window
    keys: list[SeriesKey]
    matrix: npt.NDArray[np.float64]


def _entity_index(identifiers: tuple[str, ...], entities: Sequence[Entity]) -> int:
    for index, entity in enumerate(entities):
        if entity.identifiers == identifiers:
            return index
    raise LookupError(f"no incident entity has identifiers {identifiers!r}")


def series_from_records(
    records: dict[str, TableRecord], entities: Sequence[Entity]
) -> list[SeriesBlock]:
    """Rebuild the engine's count series from recorded requests and answers."""
    blocks: list[SeriesBlock] = []
    for table in sorted(records):
        record = records[table]
        if record.counts is None or record.counts_request is None or record.profile_request is None:
            continue
        by_key = {
            p.entity: _entity_index(p.identifiers, entities) for p in record.profile_request.probes
        }
        own = {by_key[p.entity]: set(p.columns) for p in record.profile_request.probes}
        groups = {(g.entity, g.entity_column): g for g in record.counts_request.groups}
        points: dict[SeriesKey, list[tuple[int, float]]] = defaultdict(list)
        windows: dict[SeriesKey, Window] = {}
        for row in record.counts.rows:
            group = groups.get((row.entity, row.entity_column))
            if group is None:
                continue
            index = by_key[row.entity]
            if row.column in own.get(index, set()):
                continue
            key = (index, row.entity_column, row.column, row.value)
            points[key].append(
                ((row.bin_start - group.window.start) // group.window.step, float(row.count))
            )
            windows[key] = group.window
        by_window: dict[Window, list[SeriesKey]] = defaultdict(list)
        for key in sorted(points):
            by_window[windows[key]].append(key)
        for window, keys in sorted(
            by_window.items(), key=lambda item: (item[0].bins, item[0].start)
        ):
            matrix = np.vstack([zero_filled(window.bins, points[key]) for key in keys])
            blocks.append(SeriesBlock(table, window, keys, matrix))
    return blocks


def engine_candidates(
    records: dict[str, TableRecord], entities: Sequence[Entity], settings: Settings
) -> set[tuple[str, str, str, str]]:
    """(entity, table, column, value) of every series the engine's scoring keeps.

    The recorded requests and answers go through the engine's own scoring
    (:func:`lookup.findings.score_table`: baselines, the notebook's filter, the weekly
    opinion), so equality with the report shows the report depends on nothing else.
    """
    out: set[tuple[str, str, str, str]] = set()
    for table in sorted(records):
        record = records[table]
        request, profile = record.profile_request, record.profile
        if record.counts is None or record.counts_request is None or request is None:
            continue
        _, first_seen = matches(profile) if profile is not None else ({}, {})
        groups = record.counts_request.groups
        gaps, _ = table_gaps(profile.activity if profile else (), [g.window for g in groups])
        data = ScoringInput(
            table=table,
            entities=entities,
            groups=groups,
            own_columns={
                p.entity: set(p.columns) | set(p.scope.columns if p.scope else ())
                for p in request.probes
            },
            column_types={},
            first_seen=first_seen,
            gaps=gaps,
        )
        scores = score_table(
            data,
            record.counts,
            threshold=settings.threshold,
            max_flagged_points=settings.max_flagged_points,
        )
        cap_small_table(scores, profile.row_count if profile else 0)
        out |= {
            (c.anomaly.entity, table, c.anomaly.column, c.anomaly.value) for c in scores.candidates
        }
    return out


def concurrent_rounds(queries_per_table: Sequence[int], workers: int) -> int:
    """Sequential round trips when tables run ``workers`` at a time, each query one round.

    The engine hands tables to a pool in order and each table's queries run one after the
    other; with equal latencies that is list scheduling, and the makespan is the answer.
    """
    free = [0] * max(1, workers)
    for count in queries_per_table:
        if count <= 0:
            continue
        slot = free.index(min(free))
        free[slot] += count
    return max(free)
