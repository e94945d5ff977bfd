"""The backend interface: the few aggregate questions the lookup asks a workspace.

A backend never scores anything. It answers, per table, one *profile* question (how big is
the table, how many distinct values do candidate columns hold, where and since when does
each entity appear) and one *counts* question (rows per entity, column, value and time
bin). Both the local DuckDB backend and the Log Analytics backend implement it, so the
same incident over the same data gives the same anomalies.

Entity matching follows Kusto's ``has``: an identifier matches when it appears in the
column's text as whole terms (bounded by non-alphanumeric characters or the ends of the
string), case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import ClassVar, Protocol, Self

from lookup.errors import TableError
from lookup.models import ColumnInfo, EntityIndex, Window

__all__ = [
    "Backend",
    "BackendBase",
    "ColumnInfo",
    "CountRow",
    "CountsRequest",
    "EntityHit",
    "EntityIndex",
    "EntityProbe",
    "ProfileRequest",
    "QueryStats",
    "Scope",
    "SeriesGroup",
    "TableCounts",
    "TableProfile",
]


@dataclass(frozen=True)
class Scope:
    """Where an entity's rows must also be: one of ``identifiers`` in one of ``columns``.

    A Process or File entity on a host is its rows *on that host*: a bystander running the
    same command line elsewhere is not the incident's process (issue 12).
    """

    identifiers: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class EntityProbe:
    """One entity to look for in one table: its identifiers and the columns to search.

    With a ``scope``, only rows that also match the scope count as the entity's.
    """

    entity: EntityIndex
    identifiers: tuple[str, ...]
    columns: tuple[str, ...]
    scope: Scope | None = None


@dataclass(frozen=True)
class ProfileRequest:
    """Discovery and profile of one table over the baseline window, all entities at once."""

    table: str
    start: datetime
    end: datetime
    probes: tuple[EntityProbe, ...]
    categorical_candidates: tuple[str, ...]
    #: When set, also the table's rows per bin of this step from ``start`` (its activity,
    #: to tell collection gaps from quiet entities).
    activity_step: timedelta | None = None


@dataclass(frozen=True)
class EntityHit:
    """How often an entity matched in one column, and when first (within the window)."""

    entity: EntityIndex
    column: str
    hits: int
    first_seen: datetime | None


@dataclass(frozen=True)
class TableProfile:
    """The answer to a :class:`ProfileRequest`.

    ``partial`` carries the service's reason when only part of the data was scanned.
    """

    table: str
    row_count: int
    distinct_counts: Mapping[str, int]
    hits: tuple[EntityHit, ...]
    partial: str | None = None
    #: The table's rows per bin of the request's ``activity_step``: (bin start, rows) for
    #: the bins with rows, oldest first (empty when no activity was asked for).
    activity: tuple[tuple[datetime, int], ...] = ()


@dataclass(frozen=True)
class SeriesGroup:
    """Count series wanted for one entity matched in one of its columns."""

    entity: EntityIndex
    entity_column: str
    identifiers: tuple[str, ...]
    window: Window
    scope: Scope | None = None


@dataclass(frozen=True)
class CountsRequest:
    """Row counts per (entity, entity column, column, value, bin) for one table."""

    table: str
    groups: tuple[SeriesGroup, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CountRow:
    """Rows in one bin for one value of one column, for one entity in one entity column.

    ``value`` is the column value as text (Kusto ``tostring``); null and empty values are
    not counted. ``bin_start`` is ``window.start + k * window.step`` of the group's window:
    windows end at the alert by default, so they are not epoch-aligned (in KQL:
    ``bin_at(TimeGenerated, step, window.start)``, not ``bin()``).
    """

    entity: EntityIndex
    entity_column: str
    column: str
    value: str
    bin_start: datetime
    count: int
    #: A fingerprint of the rows counted: (sum of their timestamps in microseconds since
    #: the start of the counts window, sum of the lengths of their requested columns' text).
    #: Equal counts with equal fingerprints are the same rows (:mod:`lookup.folding`);
    #: ``None`` when the backend does not give one.
    fingerprint: tuple[int, int] | None = None


@dataclass(frozen=True)
class TableCounts:
    """The answer to a :class:`CountsRequest`."""

    table: str
    rows: tuple[CountRow, ...]
    partial: str | None = None


@dataclass
class QueryStats:
    """Counters a backend keeps for the report's ``stats``."""

    queries: int = 0
    rows_returned: int = 0
    retries: int = 0
    log: list[str] = field(default_factory=list)


class Backend(Protocol):
    """What the lookup engine and the CLI need from a workspace.

    A backend is a context manager: ``with LocalBackend(path) as backend: ...`` closes it.
    """

    #: How many tables the engine may analyse at once (1 for DuckDB, which already uses
    #: every core for one query; a few for Log Analytics, within its 5-concurrent limit).
    #: The engine takes the smaller of this and ``Settings.max_concurrent_queries``.
    max_parallel: ClassVar[int]
    #: Short human description for the report, e.g. ``local:/data/ws``.
    description: str
    stats: QueryStats

    def set_deadline(self, deadline: float | None) -> None:
        """Start no query after ``deadline`` (a ``time.monotonic`` value); ``None`` lifts it.

        A query refused for that raises :class:`lookup.errors.BudgetExceededError`.
        """
        ...

    def close(self) -> None:
        """Release what the backend holds (connections); idempotent."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def list_tables(self, start: datetime, end: datetime) -> list[str]:
        """Tables that hold rows with ``start <= TimeGenerated < end``."""
        ...

    def table_schemas(self, tables: list[str]) -> dict[str, tuple[ColumnInfo, ...] | TableError]:
        """Column lists of the given tables, or the error that prevents reading each one."""
        ...

    def profile(self, request: ProfileRequest) -> TableProfile:
        """Answer one profile request (raises :class:`lookup.errors.TableError`)."""
        ...

    def counts(self, request: CountsRequest) -> TableCounts:
        """Answer one counts request (raises :class:`lookup.errors.TableError`)."""
        ...


class BackendBase:
    """The context-manager half of :class:`Backend`, for implementations to inherit."""

    def close(self) -> None:
        """Nothing to release by default."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
