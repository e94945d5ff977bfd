"""DuckDB SQL of the local backend's two questions, flat in entities and columns (issue 13).

Matching every entity against every row costs entities x columns x rows: one ``contains``
per identifier per row, then one ``UNION ALL`` branch per (entity column, categorical
column) pair over the matched rows (10 entities cost 6.6x the time of 1). Here the work on
rows does not depend on the number of entities:

1. **Distinct values first.** One ``GROUP BY GROUPING SETS`` over the entity columns gives
   every distinct value of each (with its rows and first time, for the profile): one hash
   aggregation per row and column, whatever the number of entities.
2. **Match the values, not the rows.** On those distinct values only: one case-insensitive
   alternation of every identifier searched in the column (RE2 runs it in one pass), then a
   join to the identifiers it contains, then each candidate (value, entity) is confirmed
   with the entity's own whole-term pattern (:func:`lookup.backends.local.terms_regex`,
   Kusto's ``has``; :func:`ascii_terms_regex` first, as the exact pattern's Unicode
   classes take milliseconds to compile). The same tests as before, on thousands of values
   instead of millions of rows.
3. **Counts join the rows to the matched values** (one hash probe per row and entity
   column), expand the groups of the matched rows and unpivot the categorical columns once
   (``unnest`` of one list), then one ``GROUP BY``.

Every value reaches DuckDB as a bound parameter (lists for the identifier tables); only
column and view names are written into the SQL text, quoted by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def identifier_body(identifier: str) -> str:
    r"""The identifier as an RE2 literal: every character a ``\x{...}`` escape."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in identifier)


def alternation(identifiers: Sequence[str]) -> str:
    """One RE2 pattern true where the text contains any identifier, case-insensitively."""
    return "(?is)(?:" + "|".join(identifier_body(i) for i in identifiers) + ")"


def ascii_terms_regex(identifiers: Sequence[str]) -> str:
    """:func:`lookup.backends.local.terms_regex` with ASCII term classes: cheap to compile.

    Its boundaries are any character but an ASCII letter or digit (and the two non-ASCII
    characters RE2's case folding adds to them, K and ſ, which are letters anyway). So on
    ASCII text it says exactly what the exact pattern says, and on any text it matches
    wherever the exact pattern does (a letter outside ASCII counts as a boundary here, not
    there). The exact pattern, whose Unicode classes take milliseconds to compile, is then
    only needed on the non-ASCII texts this one keeps.
    """
    branches = []
    for identifier in identifiers:
        left = "(?:^|[^0-9A-Za-z])" if identifier[:1].isalnum() else ""
        right = "(?:$|[^0-9A-Za-z])" if identifier[-1:].isalnum() else ""
        branches.append(f"{left}{identifier_body(identifier)}{right}")
    return "(?is)(?:" + "|".join(branches) + ")"


@dataclass
class Params:
    """Positional parameters of one statement (``$1``, ``$2``, ...)."""

    values: list[Any] = field(default_factory=list)

    def add(self, value: Any) -> str:
        """Bind ``value``; the placeholder to write in the SQL."""
        self.values.append(value)
        return f"${len(self.values)}"


@dataclass(frozen=True)
class Searched:
    """One entity to find: identifiers, whole-term pattern, entity column ordinals."""

    identifiers: tuple[str, ...]
    #: The exact whole-term pattern (Kusto's ``has``, Unicode term classes).
    pattern: str
    columns: tuple[int, ...]

    @property
    def ascii_pattern(self) -> str:
        """The same pattern with ASCII term classes (:func:`ascii_terms_regex`)."""
        return ascii_terms_regex(self.identifiers)


@dataclass(frozen=True)
class Match:
    """The entities to find in a table's entity columns, and the SQL that finds them.

    ``texts`` are the SQL expressions of the entity columns' text (as Kusto's ``tostring``
    sees it), by ordinal; ``entities`` are searched in the columns they name.
    """

    view: str
    time: str
    texts: tuple[str, ...]
    entities: tuple[Searched, ...]

    def values_cte(self, low: str, high: str, *, stats: bool) -> str:
        """``__vals(c, v[, n, f])``: every distinct text of each entity column in the window.

        With ``stats``, ``n`` rows and ``f`` first time per value (for the profile).
        """
        keys = [f"__e{i}" for i in range(len(self.texts))]
        inner = ", ".join(
            [f"{self.time} AS __t", *(f"{t} AS {k}" for t, k in zip(self.texts, keys, strict=True))]
        )
        source = (
            f"(SELECT {inner} FROM {self.view} WHERE {self.time} >= {low} AND {self.time} < {high})"
        )
        aggregates = ", count(*) AS n, min(__t) AS f" if stats else ""
        if len(keys) == 1:
            return (
                f"__vals AS (SELECT 0 AS c, __e0 AS v{aggregates} FROM {source} "
                f"WHERE __e0 IS NOT NULL GROUP BY __e0)"
            )
        which = " ".join(f"WHEN grouping({k}) = 0 THEN {i}" for i, k in enumerate(keys))
        sets = ", ".join(f"({k})" for k in keys)
        return (
            f"__vals AS (SELECT * FROM (SELECT CASE {which} END AS c, "
            f"coalesce({', '.join(keys)}) AS v{aggregates} FROM {source} "
            f"GROUP BY GROUPING SETS ({sets})) WHERE v IS NOT NULL)"
        )

    def hit_ctes(self, params: Params, *, stats: bool) -> list[str]:
        """``__hit(c, v, e[, n, f])``: the values of ``__vals`` that have entity ``e``.

        Three tests, cheapest first, each on what the one before kept: an alternation of
        every identifier searched in the column; ``contains`` of one identifier
        (lower-cased); the entity's whole-term pattern.
        """
        per_column: dict[int, list[str]] = {}
        rows: tuple[list[str], list[int], list[int]] = ([], [], [])
        for ordinal, entity in enumerate(self.entities):
            for column in entity.columns:
                per_column.setdefault(column, []).extend(entity.identifiers)
                for identifier in entity.identifiers:
                    rows[0].append(identifier.lower())
                    rows[1].append(ordinal)
                    rows[2].append(column)
        prefilter = " ".join(
            f"WHEN {column} THEN regexp_matches(v, {params.add(alternation(identifiers))})"
            for column, identifiers in sorted(per_column.items())
        )
        ids, ents, cols = (params.add(values) for values in rows)
        fast = " ".join(
            f"WHEN {ordinal} THEN regexp_matches(v, {params.add(entity.ascii_pattern)})"
            for ordinal, entity in enumerate(self.entities)
        )
        exact = params.add([entity.pattern for entity in self.entities])
        # ASCII text: the ASCII pattern is exact. Other text: the exact pattern, compiled
        # per value (a pattern that is not a constant), only for the values kept so far.
        confirm = (
            f"CASE WHEN (CASE e {fast} ELSE false END) THEN (CASE WHEN strlen(v) = length(v) "
            f"THEN true ELSE regexp_matches(v, list_extract({exact}, e + 1)) END) ELSE false END"
        )
        carried = ", x.n, x.f" if stats else ""
        return [
            f"__cand AS (SELECT * FROM __vals WHERE CASE c {prefilter} ELSE false END)",
            f"__ids AS (SELECT unnest({ids}) AS id, unnest({ents}) AS e, unnest({cols}) AS c)",
            f"__pairs AS (SELECT DISTINCT x.c, x.v, i.e{carried} FROM __cand x "
            "JOIN __ids i ON x.c = i.c AND contains(lower(x.v), i.id))",
            f"__hit AS MATERIALIZED (SELECT * FROM __pairs WHERE {confirm})",
        ]


def profile_sql(
    match: Match,
    candidates: Sequence[str],
    low: Any,
    high: Any,
    *,
    activity: tuple[int, int] | None = None,
) -> tuple[str, list[Any]]:
    """One row: rows, ``approx_count_distinct`` of each candidate, then the hits.

    The hits are a list of ``{e, c, h, f}``: entity ordinal, entity column ordinal, rows and
    first time, for every (entity, column) found (null when none is). With ``activity``
    (start and step in microseconds), a last column lists ``{k, n}``: the table's rows per
    bin ``k`` of that step (issue 12: collection gaps).
    """
    params = Params()
    start, end = params.add(low), params.add(high)
    distinct = [f"approx_count_distinct({c})" for c in candidates]
    totals = (
        f"SELECT {', '.join(['count(*)', *distinct])} FROM {match.view} "
        f"WHERE {match.time} >= {start} AND {match.time} < {end}"
    )
    extra = ""
    if activity is not None:
        origin, step = params.add(activity[0]), params.add(activity[1])
        extra = (
            ", (SELECT list(struct_pack(k := k, n := n)) FROM (SELECT "
            f"(epoch_us({match.time}) - {origin}) // {step} AS k, count(*) AS n "
            f"FROM {match.view} WHERE {match.time} >= {start} AND {match.time} < {end} "
            "GROUP BY k))"
        )
    if not match.entities:
        return (f"SELECT *{extra} FROM ({totals})" if extra else totals), params.values
    ctes = [match.values_cte(start, end, stats=True), *match.hit_ctes(params, stats=True)]
    hits = (
        "(SELECT list(struct_pack(e := e, c := c, h := h, f := f)) FROM "
        "(SELECT e, c, sum(n) AS h, min(f) AS f FROM __hit GROUP BY e, c))"
    )
    sql = f"WITH {', '.join(ctes)} SELECT *, {hits}{extra} FROM ({totals})"
    return sql, params.values


@dataclass(frozen=True)
class GroupSpec:
    """A series group as the counts SQL sees it: ordinals and its window in microseconds."""

    column: int
    entity: int
    start_us: int
    end_us: int
    step_us: int


def counts_sql(
    match: Match,
    groups: Sequence[GroupSpec],
    values: Sequence[str],
    low: Any,
    high: Any,
) -> tuple[str, list[Any]]:
    """Rows per (group ``g``, column ``c``, value ``v``, bin ``b``): count, fingerprint.

    ``values`` are the SQL text expressions of the requested columns; null and empty
    values are not counted. Bins count from each group's window start. The fingerprint of
    the rows counted (:mod:`lookup.folding`) is the sum of their times in microseconds since
    ``low`` and the sum of the lengths of their ``values`` text.
    """
    params = Params()
    start, end = params.add(low), params.add(high)
    ctes = [match.values_cte(start, end, stats=False), *match.hit_ctes(params, stats=False)]
    g_col, g_ent = params.add([g.column for g in groups]), params.add([g.entity for g in groups])
    g_ids = params.add(list(range(len(groups))))
    starts = params.add([g.start_us for g in groups])
    ends = params.add([g.end_us for g in groups])
    steps = params.add([g.step_us for g in groups])
    ctes.append(
        f"__grp AS (SELECT unnest({g_col}) AS c, unnest({g_ent}) AS e, unnest({g_ids}) AS g)"
    )
    ctes.append(
        "__mv AS MATERIALIZED (SELECT h.c, h.v, list(x.g) AS gl FROM __hit h "
        "JOIN __grp x ON h.c = x.c AND h.e = x.e GROUP BY h.c, h.v)"
    )
    used = sorted({g.column for g in groups})
    inner = [f"{match.time} AS __t"]
    inner += [f"{v} AS __x{i}" for i, v in enumerate(values)]
    inner += [f"{match.texts[c]} AS __e{c}" for c in used]
    joins = " ".join(
        f"LEFT JOIN (SELECT v, gl FROM __mv WHERE c = {c}) m{c} ON r.__e{c} = m{c}.v" for c in used
    )
    lists = ", ".join(f"coalesce(m{c}.gl, [])" for c in used)
    found = " OR ".join(f"m{c}.v IS NOT NULL" for c in used)
    cats = ", ".join(f"__x{i}" for i in range(len(values)))
    ctes.append(
        f"__rows AS (SELECT r.__t, {cats}, list_concat({lists}) AS gl FROM "
        f"(SELECT {', '.join(inner)} FROM {match.view} WHERE {match.time} >= {start} "
        f"AND {match.time} < {end}) r {joins} WHERE {found})"
    )
    ctes.append(f"__exp AS (SELECT epoch_us(__t) AS us, {cats}, unnest(gl) AS g FROM __rows)")
    lengths = " + ".join(f"coalesce(length(__x{i}), 0)" for i in range(len(values)))
    ctes.append(
        f"__bin AS (SELECT g, (us - list_extract({starts}, g + 1)) // "
        f"list_extract({steps}, g + 1) AS b, {cats}, us - epoch_us({start}) AS u, "
        f"{lengths} AS ln FROM __exp "
        f"WHERE us >= list_extract({starts}, g + 1) AND us < list_extract({ends}, g + 1))"
    )
    # Rows with the same group, bin and values are counted once before the unpivot.
    ctes.append(
        f"__same AS (SELECT g, b, {cats}, count(*) AS n, sum(u) AS s, sum(ln) AS l "
        f"FROM __bin GROUP BY g, b, {cats})"
    )
    sql = (
        f"WITH {', '.join(ctes)} SELECT g, c, v, b, sum(n), sum(s), sum(l) FROM "
        f"(SELECT g, b, n, s, l, unnest(range({len(values)})) AS c, unnest([{cats}]) AS v "
        "FROM __same) WHERE v IS NOT NULL AND v <> '' GROUP BY g, c, v, b"
    )
    return sql, params.values
