"""KQL that finds every entity of a table's request in one pass over the matching rows.

Both Log Analytics queries of a table (profile and counts) have to tell, for every row, which
entity appears in which entity column. Written as one predicate per (entity, column) pair,
the query text and the work per row grow with entities x columns (a 348-entity incident once
made a 292,131-character profile query). Here instead:

* every entity's identifiers are written once, as ``let <p>e<i> = dynamic([...]);``
* one prefilter per entity column: ``column has_any (<p>e0, <p>e3, ...)`` (``has_any`` uses
  the term index, so only rows that mention some entity are read further);
* one ``mv-expand`` over the entity columns' text, then per entity one
  ``iff(<p>v has_any (<p>e<i>), "<i> ", "")`` (restricted to the entity's columns), the
  flags concatenated and only the indices found expanded again (``extract_all``): a row per
  (row, entity column, entity that appears there), never one per entity that does not.

The text grows with the identifiers (each written once) plus a few characters per entity
and per (entity, column) pair, and the tree stays shallow: no chain of per-pair ``or``, no
``union`` leg per entity (Kusto's documented "query complexity" limits).

The documented limits of the Log Analytics query API (looked up for issue 13):

* results: at most 500,000 records and ~104 MB (~100 MiB; 64 MB compressed) per query,
  10 minutes of run time, 200 requests per 30 s per user
  (https://learn.microsoft.com/azure/azure-monitor/service-limits#la-query-api), 5
  concurrent queries per user, queued up to 3 minutes
  (https://learn.microsoft.com/azure/azure-monitor/service-limits#log-queries-and-language);
  Kusto's own result truncation is the same 500,000 records / 64 MB
  (``E_QUERY_RESULT_SET_TOO_LARGE``, https://learn.microsoft.com/kusto/concepts/query-limits);
* query complexity: the operator tree has a depth limit; long chains of binary operators
  (``a == 1 or a == 2 or ...``, use ``in``/``has_any``) and wide ``union`` schemas are the
  documented ways to hit it (same Kusto page);
* query text: no documented limit. The one rejection on record is a 1.69-million-character
  query answered "payload too large" (https://github.com/Azure/Azure-Sentinel/issues/8376).

So :data:`MAX_QUERY_CHARS` is our own budget, 17x below that rejection. A query that would
exceed it leaves out the last entities and says so (:func:`fit_entities`,
:func:`capped_reason`); the table is then reported as partial. The result size is kept down
by answering one row per series (counts) and per (entity, column) found (profile); a
truncated answer comes back as the service's partial result and marks the table partial.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from lookup.kql import TIME_COLUMN, kql_identifier, kql_string, text_of

#: Our budget for the text of one query, in characters (see the module docstring).
MAX_QUERY_CHARS = 100_000


@dataclass(frozen=True)
class Searched:
    """One entity to find: its identifiers and the entity columns (ordinals) to look in.

    ``scope``, when set, is (identifiers, columns) that the same row must also have: a
    Process or File of the incident's host is only found on rows of that host.
    """

    identifiers: tuple[str, ...]
    columns: tuple[int, ...]
    scope: tuple[tuple[str, ...], tuple[str, ...]] | None = None


@dataclass(frozen=True)
class MatchShape:
    """Which entities to look for in which entity columns, and the KQL that does it."""

    prefix: str
    columns: tuple[str, ...]
    entities: tuple[Searched, ...]

    def entity_name(self, index: int) -> str:
        """The ``let`` name of entity ``index``'s identifiers."""
        return f"{self.prefix}e{index}"

    def scope_name(self, index: int) -> str:
        """The ``let`` name of entity ``index``'s scope identifiers (its host's)."""
        return f"{self.prefix}s{index}"

    def lets(self) -> list[str]:
        """One ``let`` per entity (and scope): its identifiers, written once for the query."""
        lets = []
        for i, e in enumerate(self.entities):
            terms = ", ".join(map(kql_string, e.identifiers))
            lets.append(f"let {self.entity_name(i)} = dynamic([{terms}]);")
            if e.scope is not None:
                terms = ", ".join(map(kql_string, e.scope[0]))
                lets.append(f"let {self.scope_name(i)} = dynamic([{terms}]);")
        return lets

    def scope_flags(self, column_types: Mapping[str, str]) -> list[str]:
        """``<p>q<i> = <the row is on entity i's host>``, to carry through the expansion."""
        flags = []
        for i, e in enumerate(self.entities):
            if e.scope is None:
                continue
            tests = " or ".join(
                f"{text_of(column, column_types)} has_any ({self.scope_name(i)})"
                for column in e.scope[1]
            )
            flags.append(f"{self.prefix}q{i} = ({tests})")
        return flags

    def prefilter(self, column_types: Mapping[str, str]) -> str:
        """``| where`` keeping the rows where some entity column has some of its entities."""
        terms = []
        for ordinal, column in enumerate(self.columns):
            names = [
                self.entity_name(i) for i, e in enumerate(self.entities) if ordinal in e.columns
            ]
            if names:
                terms.append(f"{text_of(column, column_types)} has_any ({', '.join(names)})")
        return "| where " + ("\n    or ".join(terms) if terms else "false")

    def expand(self, column_types: Mapping[str, str], carry: Sequence[str]) -> list[str]:
        """Lines giving one row per (row, entity column ``<p>c``, entity ``<p>m`` found there).

        The row's time is ``<p>t``; ``carry`` are more ``name = expression`` to keep. One
        ``mv-expand`` over the entity columns' text, then each entity is one ``has_any``
        (restricted to its columns) that adds its index to one string; only the entities
        found are expanded into rows.
        """
        p = self.prefix
        texts = ", ".join(text_of(column, column_types) for column in self.columns)
        projected = [f"{p}t = {kql_identifier(TIME_COLUMN)}", f"{p}v = pack_array({texts})"]
        projected += self.scope_flags(column_types)
        if not self.entities:
            return [f"| project {', '.join([*projected, *carry])}", "| where false"]
        # One column per entity ("<i> " when it is there), then their concatenation, in
        # steps of plain columns: each test is written and evaluated once.
        tests = ",\n    ".join(f"{p}m{i} = {self._test(i, e)}" for i, e in enumerate(self.entities))
        names = [f"{p}m{i}" for i in range(len(self.entities))]
        steps = []
        level = 0
        while len(names) > 1:
            groups = [names[i : i + 64] for i in range(0, len(names), 64)]
            names = [f"{p}g{level}_{j}" for j in range(len(groups))]
            steps.append(
                "| extend "
                + ", ".join(
                    f"{name} = strcat({', '.join(group)})"
                    for name, group in zip(names, groups, strict=True)
                )
            )
            level += 1
        return [
            f"| project {', '.join([*projected, *carry])}",
            f"| mv-expand with_itemindex={p}c {p}v to typeof(string)",
            f"| extend {tests}",
            *steps,
            f'| mv-expand {p}m = extract_all(@"([0-9]+)", {names[0]}) to typeof(string)',
            f"| extend {p}m = tolong({p}m)",
            f"| where {p}m >= 0",
        ]

    def _test(self, index: int, entity: Searched) -> str:
        p = self.prefix
        check = f"{p}v has_any ({self.entity_name(index)})"
        if len(entity.columns) < len(self.columns):
            check = f"{_among(f'{p}c', entity.columns)} and {check}"
        if entity.scope is not None:
            check = f"{check} and {p}q{index}"
        return f'iff({check}, "{index} ", "")'


def _among(name: str, ordinals: Sequence[int]) -> str:
    """``name`` is one of ``ordinals``, as comparisons over their runs (``c >= 2 and c <= 4``).

    Comparisons rather than ``in``: one ``in`` per entity is a join each in some engines.
    """
    runs: list[list[int]] = []
    for value in sorted(ordinals):
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    terms = [
        f"{name} == {run[0]}" if len(run) == 1 else f"({name} >= {run[0]} and {name} <= {run[-1]})"
        for run in runs
    ]
    return terms[0] if len(terms) == 1 else "(" + " or ".join(terms) + ")"


#: (identifiers, entity columns) of an entity to find, optionally with its scope:
#: (identifiers, entity columns, (scope identifiers, scope columns) or None).
Wanted = (
    tuple[tuple[str, ...], Sequence[str]]
    | tuple[tuple[str, ...], Sequence[str], tuple[tuple[str, ...], tuple[str, ...]] | None]
)


def shape_for(prefix: str, wanted: Iterable[Wanted]) -> MatchShape:
    """The shape for entities given as (identifiers, columns[, scope]), in order."""
    columns: list[str] = []
    entities = []
    for item in wanted:
        identifiers, names = item[0], item[1]
        scope = item[2] if len(item) > 2 else None
        ordinals = []
        for name in names:
            if name not in columns:
                columns.append(name)
            ordinals.append(columns.index(name))
        entities.append(Searched(tuple(identifiers), tuple(sorted(set(ordinals))), scope))
    return MatchShape(prefix, tuple(columns), tuple(entities))


def fit_entities(build: Callable[[int], str], count: int, limit: int = MAX_QUERY_CHARS) -> int:
    """How many of the ``count`` entities (taken in order) fit a query of ``limit`` characters.

    ``build(n)`` is the query text with the first ``n`` entities. At least one entity is
    always kept, so a request is never answered with nothing at all.
    """
    if count <= 1 or len(build(count)) <= limit:
        return count
    low, high = 1, count  # build(low) is kept whatever its size; build(high) is too long
    while high - low > 1:
        middle = (low + high) // 2
        if len(build(middle)) <= limit:
            low = middle
        else:
            high = middle
    return low


def capped_reason(left_out: int, total: int, what: str) -> str | None:
    """The partial-result reason when ``left_out`` of ``total`` entities did not fit."""
    if not left_out:
        return None
    return (
        f"query text budget ({MAX_QUERY_CHARS:,} characters): {left_out} of {total} entities "
        f"not {what} in this table"
    )


def worst_case_types(columns: Iterable[str]) -> dict[str, str]:
    """A type map that makes every column's text the longest (``tostring(...)``).

    Sizing a query with it gives an upper bound of the real text, which only depends on the
    request: the parser of an answer can then tell which entities were left out without the
    table's column types.
    """
    return dict.fromkeys(columns, "dynamic")
