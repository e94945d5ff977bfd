"""An offline replay of the original notebook's algorithm ("Guided Investigation - Anomaly Lookup").

What a user of the notebook gets, reproduced on a local workspace (see
``docs/reference/anomaly-lookup-notebook.md`` and ``AnomalyFinder.run`` /
``get_timewindow`` of its helper module). One run per entity string, as the notebook works:

1. ``LISTTABLES`` (1 query), then per table ``ISENTITYINTABLE``: rows ingested within one
   hour of the alert where any column has the entity (``search``), ``take 1``. The entity
   column is the first string column of that row whose text contains the entity string
   (``str.contains``, a regex, case-insensitive).
2. ``get_timewindow``: daily probes from 30 days back until the first day with a hit (one
   query each); earliest day more than 3 days back: daily window from that day to "now";
   within 3 days: hourly probes from 72 h back to 6 h back; nothing there (the entity is
   newer than 5 hours) or no daily hit: ``None`` -- and ``run`` then crashes on
   ``None.strftime`` (bug 2). An entity column that was not found crashes the first probe
   (``[] has ...``, bug 3).
3. ``ISCATCOLUMN`` (1 query) and ``ISCATHEURISTIC`` per int/long/string column (1 query
   each) over the last day *before now*: ``1 < dcount < 1000`` and ``dcount/count < 0.01``
   over the whole table.
4. ``TIMESERIESANOMALYDETECTION`` per categorical column (1 query each): rows with
   ``minTimestamp < TimeGenerated < maxTimestamp`` whose entity column has the entity,
   ``make-series ... step 1d`` always (bug 1), bins starting at ``minTimestamp``;
   ``series_decompose_anomalies(count_, 1.5, -1, 'avg', 1)`` (``lookup.scoring``, the same
   Kusto port ours uses) and the filter ``score[-1] > 1.5``, ``count[-1] > expected[-1]``,
   ``sum(flags) < 5`` (signed sum, as written).

Offline replay conventions: "now" is the alert time (the analyst runs the notebook as the
alert fires); ``ingestion_time()`` is ``TimeGenerated`` (the generated data has no ingestion
delay); Kusto's ``dcount`` is computed exactly; ``take 1`` returns the earliest row. Every
query the notebook would send is counted, and all of them are sequential, so queries and
round trips are the same number. Several notebook queries are answered here by one DuckDB
query (the counting is per notebook query, not per DuckDB query).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lookup.backends.local import term_regex
from lookup.scoring import series_decompose_anomalies

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
_CATEGORICAL_DUCK = ("VARCHAR", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UINTEGER")


@dataclass(frozen=True)
class NotebookAnomaly:
    """One row of the notebook's output."""

    entity: str  # the string the user typed
    table: str
    entity_column: str
    column: str
    value: str
    expected: float
    actual: float
    score: float


@dataclass
class TableTrace:
    """How the notebook handled one table for one entity (for the results' explanations)."""

    table: str
    found: bool = False
    entity_column: str | None = None
    window: str | None = None  # "1d", "1h" (binned daily anyway) or None
    bins: int = 0
    categorical: tuple[str, ...] = ()
    probes: int = 0


@dataclass
class EntityRun:
    """The notebook run for one entity string."""

    entity: str
    queries: int = 0
    crashed: str | None = None
    anomalies: list[NotebookAnomaly] = field(default_factory=list)
    tables: list[TableTrace] = field(default_factory=list)
    #: what the run would give if the crashes were fixed (tables without a window skipped)
    fixed_queries: int = 0
    fixed_anomalies: list[NotebookAnomaly] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class NotebookReplay:
    """The notebook's algorithm over a directory of Parquet tables."""

    def __init__(self, directory: str | Path) -> None:
        import duckdb

        self.directory = Path(directory)
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.columns: dict[str, list[tuple[str, str]]] = {}
        for path in sorted(self.directory.glob("*.parquet")):
            literal = "'" + path.as_posix().replace("'", "''") + "'"
            self.con.execute(
                f"CREATE VIEW {_quote(path.stem)} AS SELECT * FROM read_parquet({literal})"
            )
            described = self.con.execute(f"DESCRIBE {_quote(path.stem)}").fetchall()
            self.columns[path.stem] = [(str(r[0]), str(r[1])) for r in described]
        self._heuristic: dict[tuple[str, datetime], tuple[int, tuple[str, ...]]] = {}
        self.duckdb_queries = 0

    def close(self) -> None:
        self.con.close()

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        self.duckdb_queries += 1
        return self.con.execute(sql, params).fetchall()

    @staticmethod
    def _naive(moment: datetime) -> datetime:
        return moment.astimezone(UTC).replace(tzinfo=None)

    def _strings(self, table: str) -> list[str]:
        return [name for name, kind in self.columns[table] if kind == "VARCHAR"]

    def _has(self, column: str, kind: str, params: list[Any], entity: str) -> str:
        params.append(term_regex(entity))
        text = _quote(column) if kind == "VARCHAR" else f"CAST({_quote(column)} AS VARCHAR)"
        return f"regexp_matches({text}, ${len(params)})"

    # -- the notebook's steps --------------------------------------------------------------

    def _entity_in_table(self, table: str, entity: str, alert: datetime) -> dict[str, Any] | None:
        """ISENTITYINTABLE: the first row within an hour of the alert that has the entity."""
        strings = self._strings(table)
        if not strings:
            return None
        params: list[Any] = [self._naive(alert - HOUR), self._naive(alert + HOUR)]
        test = " OR ".join(self._has(c, "VARCHAR", params, entity) for c in strings)
        names = ", ".join(_quote(c) for c in strings)
        rows = self._fetch(
            f"SELECT {names} FROM {_quote(table)} WHERE TimeGenerated BETWEEN $1 AND $2 "
            f"AND ({test}) ORDER BY TimeGenerated LIMIT 1",
            params,
        )
        return dict(zip(strings, rows[0], strict=True)) if rows else None

    def _earliest(
        self, table: str, column: str, entity: str, start: datetime, end: datetime
    ) -> datetime | None:
        kind = dict(self.columns[table])[column]
        params: list[Any] = [self._naive(start), self._naive(end)]
        test = self._has(column, kind, params, entity)
        rows = self._fetch(
            f"SELECT min(TimeGenerated) FROM {_quote(table)} "
            f"WHERE TimeGenerated > $1 AND TimeGenerated < $2 AND {test}",
            params,
        )
        first = rows[0][0] if rows else None
        return first.replace(tzinfo=UTC) if isinstance(first, datetime) else None

    def _time_window(
        self, table: str, column: str, entity: str, now: datetime, trace: TableTrace
    ) -> tuple[datetime, datetime, str] | None:
        """get_timewindow: (min, max, delta) or None; ``trace.probes`` counts the probes."""
        first = self._earliest(table, column, entity, now - 30 * DAY, now)
        if first is None:
            trace.probes = 30
            return None
        win_start = math.floor((first - now) / DAY)
        trace.probes = win_start + 31
        if win_start < -3:
            return now + win_start * DAY, now, "1d"
        hourly_first = self._earliest(table, column, entity, now - 72 * HOUR, now - 5 * HOUR)
        if hourly_first is None:
            trace.probes += 67
            return None
        win_start_h = math.floor((hourly_first - now) / HOUR)
        trace.probes += win_start_h + 73
        return now + win_start_h * HOUR, now, "1h"

    def _categorical(self, table: str, now: datetime) -> tuple[int, tuple[str, ...]]:
        """ISCATCOLUMN + ISCATHEURISTIC: (columns tested, categorical columns)."""
        key = (table, now)
        if key not in self._heuristic:
            tested = [
                name
                for name, kind in self.columns[table]
                if kind in _CATEGORICAL_DUCK and name != "TimeGenerated"
            ]
            keep: list[str] = []
            if tested:
                parts = ", ".join(f"count(DISTINCT {_quote(c)})" for c in tested)
                rows = self._fetch(
                    f"SELECT count(*), {parts} FROM {_quote(table)} "
                    "WHERE TimeGenerated > $1 AND TimeGenerated <= $2",
                    [self._naive(now - DAY), self._naive(now)],
                )
                total = int(rows[0][0])
                for column, distinct in zip(tested, rows[0][1:], strict=True):
                    dc = int(distinct or 0)
                    if 1 < dc < 1000 and total and dc / total < 0.01:
                        keep.append(column)
            self._heuristic[key] = (len(tested), tuple(keep))
        return self._heuristic[key]

    def _series_anomalies(
        self,
        table: str,
        entity_column: str,
        entity: str,
        columns: tuple[str, ...],
        start: datetime,
        end: datetime,
    ) -> list[NotebookAnomaly]:
        """TIMESERIESANOMALYDETECTION for every categorical column (one query each)."""
        bins = math.ceil((end - start) / DAY)
        if bins < 2 or not columns:
            return []  # test_points=1 needs a training point; Kusto's answer is unknown
        kinds = dict(self.columns[table])
        params: list[Any] = [self._naive(start), self._naive(end)]
        test = self._has(entity_column, kinds[entity_column], params, entity)
        branches = []
        for i, column in enumerate(columns):
            text = f"coalesce(CAST({_quote(column)} AS VARCHAR), '')"
            branches.append(
                f"SELECT {i} AS c, {text} AS v, CAST(floor((epoch_us(TimeGenerated) - "
                f"epoch_us($1)) / {int(DAY.total_seconds() * 1e6)}) AS BIGINT) AS b FROM matched"
            )
        rows = self._fetch(
            f"WITH matched AS (SELECT * FROM {_quote(table)} WHERE TimeGenerated > $1 "
            f"AND TimeGenerated < $2 AND {test}) "
            f"SELECT c, v, b, count(*) FROM ({' UNION ALL '.join(branches)}) GROUP BY c, v, b",
            params,
        )
        series: dict[tuple[int, str], np.ndarray] = defaultdict(lambda: np.zeros(bins))
        for c, value, b, count in rows:
            if 0 <= b < bins:
                series[(int(c), str(value))][int(b)] += float(count)
        out: list[NotebookAnomaly] = []
        by_column: dict[int, list[str]] = defaultdict(list)
        for c, value in sorted(series):
            by_column[c].append(value)
        for c, values in sorted(by_column.items()):
            matrix = np.vstack([series[(c, v)] for v in values])
            flags, scores, baseline = series_decompose_anomalies(matrix, 1.5, -1, "avg", 1)
            keep = (
                (scores[:, -1] > 1.5)
                & (matrix[:, -1] > baseline[:, -1])
                & (flags.astype(np.int64).sum(axis=1) < 5)
            )
            for row in np.flatnonzero(keep):
                out.append(
                    NotebookAnomaly(
                        entity=entity,
                        table=table,
                        entity_column=entity_column,
                        column=columns[c],
                        value=values[row],
                        expected=float(baseline[row, -1]),
                        actual=float(matrix[row, -1]),
                        score=float(scores[row, -1]),
                    )
                )
        return out

    def run(self, entity: str, alert: datetime, tables: list[str] | None = None) -> EntityRun:
        """The notebook for one entity string, "now" being the alert time."""
        now = alert
        names = sorted(self.columns) if tables is None else tables
        run = EntityRun(entity)
        run.queries = 1  # LISTTABLES
        try:
            re.compile(entity)
        except re.error as exc:  # bug 4: str.contains treats the entity as a regex
            run.crashed = f"str.contains raised re.error ({exc})"
            run.fixed_queries = run.queries
            return run
        searched: list[TableTrace] = []
        for table in names:
            run.queries += 1  # ISENTITYINTABLE
            trace = TableTrace(table)
            run.tables.append(trace)
            row = self._entity_in_table(table, entity, alert)
            if row is None:
                continue
            trace.found = True
            pattern = re.compile(entity, re.IGNORECASE)
            trace.entity_column = next(
                (c for c, v in row.items() if isinstance(v, str) and pattern.search(v)), None
            )
            searched.append(trace)
        windows: dict[str, tuple[datetime, datetime, str] | None] = {}
        crash_at: str | None = None
        queries_before_crash: int | None = None
        for trace in searched:
            if trace.entity_column is None:
                # bug 3: "[] has '...'" is a KQL syntax error on the first probe.
                if crash_at is None:
                    crash_at = f"no entity column in {trace.table} (KQL '[] has', bug 3)"
                    queries_before_crash = run.queries + 1
                windows[trace.table] = None
                run.queries += 1
                continue
            window = self._time_window(trace.table, trace.entity_column, entity, now, trace)
            run.queries += trace.probes
            windows[trace.table] = window
            if window is not None:
                trace.window = window[2]
                trace.bins = math.ceil((window[1] - window[0]) / DAY)
        fixed = run.queries
        series_plan: list[tuple[TableTrace, tuple[str, ...]]] = []
        for trace in searched:
            tested, categorical = self._categorical(trace.table, now)
            trace.categorical = categorical
            run.queries += 1 + tested
            fixed += 1 + tested
            series_plan.append((trace, categorical))
        for trace, categorical in series_plan:
            window = windows.get(trace.table)
            if window is None:
                if categorical and crash_at is None:
                    crash_at = f"get_timewindow gave None for {trace.table} (bug 2)"
                    queries_before_crash = run.queries
                continue
            assert trace.entity_column is not None
            found = self._series_anomalies(
                trace.table, trace.entity_column, entity, categorical, window[0], window[1]
            )
            run.queries += len(categorical)
            fixed += len(categorical)
            run.fixed_anomalies.extend(found)
        run.fixed_queries = fixed
        if crash_at is not None:
            run.crashed = crash_at
            run.queries = queries_before_crash or run.queries
        else:
            run.anomalies = list(run.fixed_anomalies)
        return run
