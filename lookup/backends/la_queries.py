"""KQL for the Log Analytics backend: the text of every query, and the parsing of answers.

Pure functions only: a request dataclass of :mod:`lookup.backends.base` goes in, a
:class:`LaQuery` (KQL text plus the API ``timespan`` it must run with) comes out, and the
result table of that query is parsed back into the answer dataclass. No network, no
client, so every query shape is testable against Microsoft's Kusto language service and
against a local KQL engine.

Per table the lookup costs two queries whatever the number of entities and columns, and
the text and the work inside each grow with the identifiers, not with entities x columns
(:mod:`lookup.backends.la_match`: identifiers written once, one ``has_any`` prefilter per
entity column, one ``mv-expand`` to the (entity column, entity) pairs found):

* :func:`profile_query`: row count and ``dcount`` per candidate column over the baseline
  window, plus hits and first-seen time per (entity, column) found, in one ``union``.
* :func:`counts_query`: one scan of the rows that mention an entity, binned per group on
  its own window and step, one ``mv-expand`` over the requested columns, one row per series.

Plus constants per incident: :func:`usage_tables_query` (table discovery from the
``Usage`` table, never ``union *``) and :func:`schema_query` (``getschema`` of every table
without a bundled schema, all in one query).

Every value and name goes through :mod:`lookup.kql`. Output columns are named by position
(``d0``, ``h1_2``) so no column name of the workspace ever becomes an output name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lookup.backends.base import (
    ColumnInfo,
    CountRow,
    CountsRequest,
    EntityHit,
    EntityIndex,
    EntityProbe,
    ProfileRequest,
    Scope,
    TableCounts,
    TableProfile,
)
from lookup.backends.la_match import (
    MatchShape,
    capped_reason,
    fit_entities,
    shape_for,
    worst_case_types,
)
from lookup.kql import (
    TIME_COLUMN,
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
    """A profile query and what its output rows mean."""

    query: LaQuery
    #: Every (entity, column) pair of the request, in request order.
    pairs: tuple[tuple[EntityIndex, str], ...]
    candidates: tuple[str, ...]
    #: The probes the query searches (the first ones, when the text budget cut the rest).
    probes: tuple[EntityProbe, ...]
    #: Entity columns by ordinal (the ``c`` of the answer).
    columns: tuple[str, ...]
    #: Why some entities were not searched (the text budget), or ``None``.
    capped: str | None = None


def profile_query(request: ProfileRequest, column_types: Mapping[str, str]) -> ProfilePlan:
    """Discovery and profile of one table, all entities at once.

    A ``union`` of two legs over the window: one row ``rows`` (row count) and ``d{i}``
    (``dcount`` of candidate ``i``); then, from the rows where some entity column has some
    entity (:mod:`lookup.backends.la_match`), one row per (entity ``e``, entity column ``c``)
    found, with ``h`` (rows) and ``f`` (first ``TimeGenerated``).
    """
    _check_window(request.start, request.end)
    probes = request.probes
    names = [*column_types, TIME_COLUMN, *request.categorical_candidates]
    names += [c for probe in probes for c in probe.columns]
    names += [c for probe in probes if probe.scope for c in probe.scope.columns]
    prefix = _scratch_prefix(names)
    worst = worst_case_types(names)
    kept = fit_entities(lambda n: _profile_text(request, probes[:n], worst, prefix), len(probes))
    text = _profile_text(request, probes[:kept], column_types, prefix)
    shape = _probe_shape(prefix, probes[:kept])
    return ProfilePlan(
        LaQuery(f"profile {request.table}", text, (request.start, request.end)),
        tuple((probe.entity, column) for probe in probes for column in probe.columns),
        tuple(request.categorical_candidates),
        tuple(probes[:kept]),
        shape.columns,
        capped_reason(len(probes) - kept, len(probes), "searched"),
    )


def _probe_shape(prefix: str, probes: Sequence[EntityProbe]) -> MatchShape:
    return shape_for(
        prefix, ((probe.identifiers, probe.columns, _scope(probe.scope)) for probe in probes)
    )


def _scope(scope: Scope | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    return None if scope is None else (scope.identifiers, scope.columns)


def _profile_text(
    request: ProfileRequest,
    probes: Sequence[EntityProbe],
    column_types: Mapping[str, str],
    prefix: str,
) -> str:
    totals = ["rows = count()"]
    totals += [
        f"d{i} = dcount({kql_identifier(column)})"
        for i, column in enumerate(request.categorical_candidates)
    ]
    scan = [kql_identifier(request.table), f"| where {time_filter(request.start, request.end)}"]
    window = f"{prefix}w"
    legs = [[f"{window} | summarize {', '.join(totals)}"]]
    shape = _probe_shape(prefix, probes)
    if probes:
        legs.append(
            [
                window,
                shape.prefilter(column_types),
                *shape.expand(column_types, ()),
                f"| summarize h = count(), f = min({prefix}t) by e = {prefix}m, c = {prefix}c",
            ]
        )
    if request.activity_step is not None:
        index = _step_index(request.start, request.activity_step, kql_identifier(TIME_COLUMN))
        legs.append([f"{window} | summarize an = count() by ak = {index}"])
    if len(legs) == 1:
        return "\n".join([*scan, f"| summarize {', '.join(totals)}"])
    body = ",\n".join(_union_leg(leg) for leg in legs)
    return "\n".join([*shape.lets(), f"let {window} = {scan[0]}", f"{scan[1]};", "union", body])


def _union_leg(lines: Sequence[str]) -> str:
    """One leg of a ``union``, indented: ``(a | b)`` on one line, or one line per step."""
    if len(lines) == 1:
        return f"    ({lines[0]})"
    steps = "\n".join(lines).splitlines()
    return "\n".join([f"    ({steps[0]}", *(f"    {line}" for line in steps[1:]), "    )"])


def parse_profile(
    request: ProfileRequest, plan: ProfilePlan, result: ResultTable, partial: str | None
) -> TableProfile:
    """The :class:`TableProfile` from the answer of :func:`profile_query`.

    Pairs the answer has no row for had no hit (or were left out by the text budget, which
    ``partial`` then says).
    """
    partial = _joined(plan.capped, partial)
    rows_i = result.index("rows")
    activity_i = result.columns.index("ak") if "ak" in result.columns else None
    activity = [r for r in result.rows if activity_i is not None and r[activity_i] is not None]
    answer = [r for r in result.rows if activity_i is None or r[activity_i] is None]
    totals = [row for row in answer if row[rows_i] is not None]
    if not totals:
        if partial is None:
            raise ValueError("the profile query returned no row")
        return TableProfile(request.table, 0, {}, (), partial=partial)
    if len(totals) != 1:
        raise ValueError(f"the profile query returned {len(totals)} rows, expected 1")
    row = totals[0]
    distinct = {
        column: _as_int(row[result.index(f"d{i}")]) for i, column in enumerate(plan.candidates)
    }
    found: dict[tuple[EntityIndex, str], tuple[int, datetime | None]] = {}
    if plan.probes:
        e_i, c_i, h_i, f_i = (result.index(name) for name in ("e", "c", "h", "f"))
        for hit in answer:
            if hit[rows_i] is not None:
                continue
            probe = plan.probes[_as_int(hit[e_i])]
            key = (probe.entity, plan.columns[_as_int(hit[c_i])])
            count = _as_int(hit[h_i])
            found[key] = (count, as_utc(hit[f_i]) if count else None)
    hits = tuple(
        EntityHit(key, column, *found.get((key, column), (0, None))) for key, column in plan.pairs
    )
    return TableProfile(
        request.table,
        _as_int(row[rows_i]),
        distinct,
        hits,
        partial=partial,
        activity=_parse_activity(request, result, activity),
    )


def _parse_activity(
    request: ProfileRequest, result: ResultTable, rows: Sequence[tuple[Any, ...]]
) -> tuple[tuple[datetime, int], ...]:
    """(bin start, rows) of the activity leg, oldest first."""
    step = request.activity_step
    if step is None or not rows:
        return ()
    k_i, n_i = result.index("ak"), result.index("an")
    bins = sorted((_as_int(r[k_i]), _as_int(r[n_i])) for r in rows)
    return tuple((request.start + step * k, n) for k, n in bins if n > 0)


# -- counts -------------------------------------------------------------------------------


def counts_window(request: CountsRequest) -> tuple[datetime, datetime]:
    """The span of every group's window: the API ``timespan`` of the counts query."""
    if not request.groups:
        raise ValueError("no series groups")
    return (
        min(group.window.start for group in request.groups),
        max(group.window.end for group in request.groups),
    )


@dataclass(frozen=True)
class _CountsLayout:
    """How a counts request maps onto the query: entity ordinals, columns, groups, windows."""

    #: (entity, identifiers) searched, by entity ordinal, and the groups of each.
    entities: tuple[tuple[tuple[EntityIndex, tuple[str, ...]], tuple[int, ...]], ...]
    #: The first entities the query searches (the text budget may leave out the rest).
    kept: int

    def shape(self, request: CountsRequest, prefix: str, kept: int) -> MatchShape:
        return shape_for(
            prefix,
            (
                (
                    identifiers,
                    [request.groups[g].entity_column for g in groups],
                    _scope(request.groups[groups[0]].scope),
                )
                for (_, identifiers), groups in self.entities[:kept]
            ),
        )

    def codes(self, request: CountsRequest, kept: int) -> dict[tuple[int, int], int]:
        """(entity ordinal, entity column ordinal) -> group index, for the kept entities."""
        columns = self.shape(request, "", kept).columns
        return {
            (ordinal, columns.index(request.groups[g].entity_column)): g
            for ordinal, (_, groups) in enumerate(self.entities[:kept])
            for g in groups
        }


def _counts_layout(request: CountsRequest) -> _CountsLayout:
    order: dict[tuple[EntityIndex, tuple[str, ...]], list[int]] = {}
    for index, group in enumerate(request.groups):
        order.setdefault((group.entity, tuple(group.identifiers)), []).append(index)
    entities = tuple((key, tuple(groups)) for key, groups in order.items())
    layout = _CountsLayout(entities, len(entities))
    worst = worst_case_types([*request.columns, *(g.entity_column for g in request.groups)])
    kept = fit_entities(lambda n: _counts_text(request, layout, n, worst, "__al"), len(entities))
    return _CountsLayout(entities, kept)


def counts_query(request: CountsRequest, column_types: Mapping[str, str]) -> LaQuery:
    """Row counts per (entity group, column, value, bin) for one table, in one query.

    One scan: the rows where some entity column has some entity, one row per (row, entity
    column, entity) found (:mod:`lookup.backends.la_match`), the bin of that group's window
    (groups may mix ``1d`` and ``1h``; rows outside the group's window drop out), then one
    ``mv-expand`` over the requested columns' text (null and empty values drop out, as in
    the local backend). Output, one row per series: ``e`` (entity ordinal), ``ec`` (entity
    column ordinal), ``c`` (column index), ``v`` (value as text) and ``b``, the list of
    ``[bin index, rows]`` of the bins with rows.
    """
    if not request.groups or not request.columns:
        raise ValueError("a counts query needs at least one group and one column")
    for group in request.groups:
        _check_window(group.window.start, group.window.end)
    layout = _counts_layout(request)
    names = [*column_types, TIME_COLUMN, *request.columns]
    names += [g.entity_column for g in request.groups]
    names += [c for g in request.groups if g.scope for c in g.scope.columns]
    text = _counts_text(request, layout, layout.kept, column_types, _scratch_prefix(names))
    return LaQuery(f"counts {request.table}", text, counts_window(request))


def _counts_text(
    request: CountsRequest,
    layout: _CountsLayout,
    kept: int,
    column_types: Mapping[str, str],
    prefix: str,
) -> str:
    p = prefix
    shape = layout.shape(request, prefix, kept)
    low, high = counts_window(request)
    texts = [f"tostring({kql_identifier(column)})" for column in request.columns]
    values = ", ".join(texts)
    lengths = " + ".join(f"strlen({text})" for text in texts)
    by_window: dict[Window, list[int]] = {}
    width = len(shape.columns)
    for (ordinal, column), group in layout.codes(request, kept).items():
        by_window.setdefault(request.groups[group].window, []).append(ordinal * width + column)
    branches = []
    for window, codes in by_window.items():
        inside = f"{p}t >= {kql_datetime(window.start)} and {p}t < {kql_datetime(window.end)}"
        branches.append(
            f"({p}m * {width} + {p}c) in ({', '.join(map(str, sorted(codes)))}) and {inside}, "
            f"{_bin_index(window, f'{p}t')}"
        )
    cases = ",\n    ".join(branches)
    return "\n".join(
        [
            *shape.lets(),
            kql_identifier(request.table),
            f"| where {time_filter(low, high)}",
            shape.prefilter(column_types),
            *shape.expand(column_types, [f"{p}x = pack_array({values})", f"{p}l = {lengths}"]),
            f"| extend {p}k = case({cases},\n    -1)",
            f"| where {p}k >= 0",
            # The rows' fingerprint (lookup.folding): their time since the counts window's
            # start, in microseconds, and the length of their requested columns' text.
            f"| extend {p}u = tolong(({p}t - {kql_datetime(low)}) / 1microsecond)",
            f"| mv-expand with_itemindex={p}i {p}x to typeof(string)",
            f"| where isnotempty({p}x)",
            f"| summarize n = count(), s = sum({p}u), l = sum({p}l) "
            f"by e = {p}m, ec = {p}c, c = {p}i, v = {p}x, k = {p}k",
            "| summarize b = make_list(pack_array(k, n, s, l)) by e, ec, c, v",
        ]
    )


def _bin_index(window: Window, time: str) -> str:
    """KQL for the index of a row's bin in ``window`` (0 = the oldest bin).

    Bins start at ``window.start``, which the engine anchors on the alert, so they are
    not epoch-aligned: ``bin_at(TimeGenerated, step, start)`` in Kusto terms. The index form
    ``bin(TimeGenerated - start, step) / step`` is exact (a whole multiple of the step
    divided by the step) and is understood by every KQL engine we test against, including
    duckdb-kql, which has no ``bin_at``.
    """
    return _step_index(window.start, window.step, time)


def _step_index(start: datetime, step: timedelta, time: str) -> str:
    """KQL for the index of a row's bin of ``step`` counted from ``start``."""
    span = kql_timespan(step)
    return f"tolong(bin({time} - {kql_datetime(start)}, {span}) / {span})"


def parse_counts(request: CountsRequest, result: ResultTable, partial: str | None) -> TableCounts:
    """The :class:`TableCounts` from the answer of :func:`counts_query`, sorted."""
    layout = _counts_layout(request)
    codes = layout.codes(request, layout.kept)
    left_out = len(layout.entities) - layout.kept
    partial = _joined(capped_reason(left_out, len(layout.entities), "counted"), partial)
    e_i, ec_i, c_i, v_i, b_i = (result.index(name) for name in ("e", "ec", "c", "v", "b"))
    rows = []
    for row in result.rows:
        group_index = codes.get((_as_int(row[e_i]), _as_int(row[ec_i])))
        if group_index is None:
            raise ValueError(f"entity {row[e_i]} in entity column {row[ec_i]} is no series group")
        group = request.groups[group_index]
        window = group.window
        for point in _as_list(row[b_i]):
            index, count, *rest = (_as_int(x) for x in _as_list(point))
            fingerprint = (rest[0], rest[1]) if len(rest) == 2 else None
            if not 0 <= index < window.bins:
                raise ValueError(f"bin index {index} outside the {window.bins} bins of the window")
            rows.append(
                CountRow(
                    entity=group.entity,
                    entity_column=group.entity_column,
                    column=request.columns[_as_int(row[c_i])],
                    value=str(row[v_i]),
                    bin_start=window.start + window.step * index,
                    count=count,
                    fingerprint=fingerprint,
                )
            )
    rows.sort(key=lambda r: (r.entity, r.entity_column, r.column, r.value, r.bin_start))
    return TableCounts(request.table, tuple(rows), partial=partial)


# -- helpers ------------------------------------------------------------------------------


def _joined(*reasons: str | None) -> str | None:
    """Partial-result reasons joined with ``; `` (``None`` when there is none)."""
    return "; ".join(r for r in reasons if r) or None


def _as_list(value: Any) -> list[Any]:
    """A dynamic array of an answer: a list, or its JSON text (as the service sends it)."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expected a list, got {value!r}")
    return list(value)


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
