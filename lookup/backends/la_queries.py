"""KQL for the Log Analytics backend: the text of every query, and the parsing of answers.

Pure functions only: a request dataclass of :mod:`lookup.backends.base` goes in, a
:class:`LaQuery` (KQL text plus the API ``timespan`` it must run with) comes out, and the
result table of that query is parsed back into the answer dataclass. No network, no
client, so every query shape is testable against Microsoft's Kusto language service and
against a local KQL engine.

Per table the lookup costs two queries whatever the number of entities and columns:

* :func:`profile_query`: one ``summarize`` over the baseline window: row count, ``dcount``
  per candidate column, and per (entity, column) the hit count and first-seen time.
* :func:`counts_query`: one ``union`` of one leg per (entity, entity column), each filtered
  on its own window and binned on its own step from its own start, then one ``mv-expand``
  over the requested columns and one ``summarize count() by group, column, value, bin``.

Plus constants per incident: :func:`usage_tables_query` (table discovery from the
``Usage`` table, never ``union *``) and :func:`schema_query` (``getschema`` of every table
without a bundled schema, all in one query).

Every value and name goes through :mod:`lookup.kql`. Output columns are named by position
(``d0``, ``h1_2``) so no column name of the workspace ever becomes an output name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lookup.backends.base import (
    ColumnInfo,
    CountRow,
    CountsRequest,
    EntityHit,
    EntityIndex,
    ProfileRequest,
    TableCounts,
    TableProfile,
)
from lookup.kql import (
    TIME_COLUMN,
    has_terms,
    kql_datetime,
    kql_identifier,
    kql_string,
    kql_timespan,
    time_filter,
)
from lookup.models import Window
from lookup.tables import normalize_kql_type
from lookup.timefmt import as_utc


@dataclass(frozen=True)
class LaQuery:
    """One query to send: its KQL, the API ``timespan`` and a short label for logs."""

    label: str
    text: str
    #: The API ``timespan``: the analysis window, or ``None`` for schema queries (no data).
    timespan: tuple[datetime, datetime] | None


@dataclass(frozen=True)
class ResultTable:
    """The primary result table of a query: column names and rows, as the client gives them."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def index(self, name: str) -> int:
        """Position of a column, or a :class:`ValueError` naming it."""
        try:
            return self.columns.index(name)
        except ValueError:
            raise ValueError(f"the result has no column {name!r}") from None


def _check_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("query windows must be timezone-aware")
    if not start < end:
        raise ValueError(f"empty window {start.isoformat()} .. {end.isoformat()}")


def _scratch_prefix(names: Iterable[str]) -> str:
    """A prefix for the query's own columns that no referenced column starts with."""
    taken = list(names)
    prefix = "__al"
    while any(name.startswith(prefix) for name in taken):
        prefix = "_" + prefix
    return prefix


# -- table discovery ----------------------------------------------------------------------


def usage_tables_query(start: datetime, end: datetime) -> LaQuery:
    """Tables that ingested data in the window, from the ``Usage`` table.

    ``Usage`` holds one row per table and hour of ingestion, so this is cheap, unlike
    ``union *`` over every table. Its rows are stamped by ingestion hour; for an incident
    that is close to the ingestion of its data, which is how Sentinel works, the two agree.
    """
    _check_window(start, end)
    text = "\n".join(
        [
            "Usage",
            f"| where {time_filter(start, end)}",
            "| where Quantity > 0",
            "| summarize by DataType",
            "| sort by DataType asc",
        ]
    )
    return LaQuery("tables (Usage)", text, (start, end))


def parse_usage_tables(result: ResultTable) -> list[str]:
    """Table names from the answer of :func:`usage_tables_query`, sorted and unique."""
    column = result.index("DataType")
    names = {str(row[column]) for row in result.rows if row[column]}
    return sorted(names)


def schema_query(tables: Sequence[str]) -> LaQuery:
    """``getschema`` of several tables in one query (no data is read, so no timespan).

    ``isfuzzy=true`` lets a missing table drop out of the union (Kusto reports a warning)
    instead of failing the schemas of every other table; the caller reports those tables
    as missing.
    """
    if not tables:
        raise ValueError("no tables to describe")
    legs = [
        f"    ({kql_identifier(table)} | getschema | extend TableName = {kql_string(table)})"
        for table in tables
    ]
    text = "\n".join(
        [
            "union isfuzzy=true",
            ",\n".join(legs),
            "| project TableName, ColumnName, ColumnType, ColumnOrdinal",
            "| sort by TableName asc, ColumnOrdinal asc",
        ]
    )
    return LaQuery(f"schemas of {len(tables)} table(s)", text, None)


def parse_schemas(result: ResultTable) -> dict[str, tuple[ColumnInfo, ...]]:
    """Column lists per table from the answer of :func:`schema_query`, in ordinal order."""
    table_i = result.index("TableName")
    name_i = result.index("ColumnName")
    type_i = result.index("ColumnType")
    ordinal_i = result.index("ColumnOrdinal")
    collected: dict[str, list[tuple[int, ColumnInfo]]] = {}
    for row in result.rows:
        info = ColumnInfo(str(row[name_i]), normalize_kql_type(str(row[type_i])))
        collected.setdefault(str(row[table_i]), []).append((int(row[ordinal_i]), info))
    return {
        table: tuple(info for _, info in sorted(items, key=lambda item: item[0]))
        for table, items in collected.items()
    }


# -- profile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfilePlan:
    """A profile query and what its output columns mean."""

    query: LaQuery
    #: (entity, column) for each hit pair, in the order of the ``h{i}``/``f{i}`` outputs.
    pairs: tuple[tuple[EntityIndex, str], ...]
    candidates: tuple[str, ...]


def profile_query(request: ProfileRequest, column_types: Mapping[str, str]) -> ProfilePlan:
    """Discovery and profile of one table, all entities at once, in one pass.

    Output: one row with ``rows`` (row count), ``d{i}`` (``dcount`` of candidate ``i``),
    and per (entity, column) pair ``i``: ``h{i}`` (rows where the column has any of the
    entity's identifiers) and ``f{i}`` (first ``TimeGenerated`` of those rows, null when
    there is none).
    """
    _check_window(request.start, request.end)
    pairs = tuple((probe.entity, column) for probe in request.probes for column in probe.columns)
    referenced = [TIME_COLUMN, *request.categorical_candidates, *(c for _, c in pairs)]
    prefix = _scratch_prefix(referenced)
    lines = [kql_identifier(request.table), f"| where {time_filter(request.start, request.end)}"]
    flags: list[str] = []
    predicates = {
        (probe.entity, column): has_terms(column, probe.identifiers, column_types)
        for probe in request.probes
        for column in probe.columns
    }
    if pairs:
        assignments = []
        for i, pair in enumerate(pairs):
            flag = f"{prefix}m{i}"
            flags.append(flag)
            assignments.append(f"{flag} = {predicates[pair]}")
        lines.append("| extend " + ",\n    ".join(assignments))
    aggregates = ["rows = count()"]
    aggregates += [
        f"d{i} = dcount({kql_identifier(column)})"
        for i, column in enumerate(request.categorical_candidates)
    ]
    time = kql_identifier(TIME_COLUMN)
    for i, flag in enumerate(flags):
        aggregates.append(f"h{i} = countif({flag})")
        # minif() would say the same; min(iff(...)) keeps to functions every KQL engine has,
        # and min() ignores the nulls of rows that do not match.
        aggregates.append(f"f{i} = min(iff({flag}, {time}, datetime(null)))")
    lines.append("| summarize " + ",\n    ".join(aggregates))
    query = LaQuery(f"profile {request.table}", "\n".join(lines), (request.start, request.end))
    return ProfilePlan(query, pairs, tuple(request.categorical_candidates))


def parse_profile(
    request: ProfileRequest, plan: ProfilePlan, result: ResultTable, partial: str | None
) -> TableProfile:
    """The :class:`TableProfile` from the one-row answer of :func:`profile_query`."""
    if not result.rows:
        if partial is None:
            raise ValueError("the profile query returned no row")
        return TableProfile(request.table, 0, {}, (), partial=partial)
    if len(result.rows) != 1:
        raise ValueError(f"the profile query returned {len(result.rows)} rows, expected 1")
    row = result.rows[0]
    row_count = _as_int(row[result.index("rows")])
    distinct = {
        column: _as_int(row[result.index(f"d{i}")]) for i, column in enumerate(plan.candidates)
    }
    hits = []
    for i, (key, column) in enumerate(plan.pairs):
        count = _as_int(row[result.index(f"h{i}")])
        first = as_utc(row[result.index(f"f{i}")]) if count else None
        hits.append(EntityHit(key, column, count, first))
    return TableProfile(request.table, row_count, distinct, tuple(hits), partial=partial)


# -- counts -------------------------------------------------------------------------------


def counts_window(request: CountsRequest) -> tuple[datetime, datetime]:
    """The span of every group's window: the API ``timespan`` of the counts query."""
    if not request.groups:
        raise ValueError("no series groups")
    return (
        min(group.window.start for group in request.groups),
        max(group.window.end for group in request.groups),
    )


def counts_query(request: CountsRequest, column_types: Mapping[str, str]) -> LaQuery:
    """Row counts per (entity group, column, value, bin) for one table, in one query.

    Each (entity, entity column) group is one ``union`` leg with its own window and its own
    ``bin()`` step (groups may mix ``1d`` and ``1h``). The legs then share one ``mv-expand``
    over the requested columns' text, so null and empty values drop out as the local backend
    drops them, and one ``summarize``. Output columns: ``g`` (group index), ``c`` (column
    index), ``v`` (value as text), ``k`` (bin index in the group's window), ``n`` (rows).
    """
    if not request.groups or not request.columns:
        raise ValueError("a counts query needs at least one group and one column")
    referenced = [TIME_COLUMN, *request.columns, *(g.entity_column for g in request.groups)]
    prefix = _scratch_prefix(referenced)
    g, b, v, c = (f"{prefix}{s}" for s in ("g", "b", "v", "c"))
    legs = []
    for index, group in enumerate(request.groups):
        window = group.window
        _check_window(window.start, window.end)
        legs.append(
            f"    ({kql_identifier(request.table)}"
            f" | where {time_filter(window.start, window.end)}"
            f" | where {has_terms(group.entity_column, group.identifiers, column_types)}"
            f" | extend {g} = {index}, {b} = {_bin_index(window)})"
        )
    values = ", ".join(f"tostring({kql_identifier(column)})" for column in request.columns)
    lines = [
        "union",
        ",\n".join(legs),
        f"| project {g}, {b}, {v} = pack_array({values})",
        f"| mv-expand with_itemindex={c} {v} to typeof(string)",
        f"| where isnotempty({v})",
        f"| summarize n = count() by g = {g}, c = {c}, v = {v}, k = {b}",
    ]
    return LaQuery(f"counts {request.table}", "\n".join(lines), counts_window(request))


def _bin_index(window: Window) -> str:
    """KQL for the index of a row's bin in ``window`` (0 = the oldest bin).

    Bins start at ``window.start``, which the engine anchors on the alert, so they are
    not epoch-aligned: ``bin_at(TimeGenerated, step, start)`` in Kusto terms. The index form
    ``bin(TimeGenerated - start, step) / step`` is exact (a whole multiple of the step
    divided by the step) and is understood by every KQL engine we test against, including
    duckdb-kql, which has no ``bin_at``.
    """
    time = kql_identifier(TIME_COLUMN)
    step = kql_timespan(window.step)
    return f"tolong(bin({time} - {kql_datetime(window.start)}, {step}) / {step})"


def parse_counts(request: CountsRequest, result: ResultTable, partial: str | None) -> TableCounts:
    """The :class:`TableCounts` from the answer of :func:`counts_query`, sorted."""
    g_i, c_i, v_i, k_i, n_i = (result.index(name) for name in ("g", "c", "v", "k", "n"))
    rows = []
    for row in result.rows:
        group = request.groups[_as_int(row[g_i])]
        window = group.window
        index = _as_int(row[k_i])
        if not 0 <= index < window.bins:
            raise ValueError(f"bin index {index} outside the {window.bins} bins of the window")
        rows.append(
            CountRow(
                entity=group.entity,
                entity_column=group.entity_column,
                column=request.columns[_as_int(row[c_i])],
                value=str(row[v_i]),
                bin_start=window.start + window.step * index,
                count=_as_int(row[n_i]),
            )
        )
    rows.sort(key=lambda r: (r.entity, r.entity_column, r.column, r.value, r.bin_start))
    return TableCounts(request.table, tuple(rows), partial=partial)


# -- helpers ------------------------------------------------------------------------------


def _as_int(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"expected a count, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"expected a count, got {value!r}")
