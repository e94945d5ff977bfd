"""The local backend: an embedded DuckDB engine over a workspace directory.

A workspace directory holds one file per table, named after the table
(``SigninLogs.parquet``, ``SecurityEvent.csv``, ``Syslog.jsonl``, ``AuditLogs.json``).
DuckDB reads the files in place and answers the same two aggregate questions per table as
the Log Analytics backend, so the heavy scan stays inside the engine and only counts come
back to Python.

Every value reaches DuckDB as a bound parameter; only column and table names are written
into SQL text, through :func:`sql_identifier`.
"""

from __future__ import annotations

import re
import stat
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from lookup.backends.base import (
    BackendBase,
    ColumnInfo,
    CountRow,
    CountsRequest,
    EntityHit,
    EntityIndex,
    ProfileRequest,
    QueryStats,
    Scope,
    TableCounts,
    TableProfile,
)
from lookup.backends.local_sql import GroupSpec, Match, Searched, counts_sql, profile_sql
from lookup.column_types import NESTED_TYPES, duckdb_kql_type, untyped_column_type
from lookup.errors import TableError, WorkspaceError
from lookup.tables import load_bundled_schema
from lookup.timezones import UnknownTimeZoneError, export_time_zone

#: File endings read as tables, and how DuckDB reads each.
SUPPORTED_SUFFIXES = (".parquet", ".csv", ".jsonl", ".ndjson", ".json")

_TIME_COLUMN = "TimeGenerated"
# Log Analytics' "Export to CSV" names the column after the display time zone:
# "TimeGenerated [UTC]", "TimeGenerated [Local Time]", "TimeGenerated [Jerusalem]".
_EXPORTED_TIME_COLUMN = re.compile(r"^TimeGenerated \[(?P<zone>[^\]]+)\]$")
# Every other datetime column of such an export is named the same way: "Start_Time [UTC]".
_EXPORTED_COLUMN = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*) \[(?P<zone>[^\]]+)\]$")
# Log Analytics exports write local-looking timestamps such as "4/19/2021, 12:13:19.483 PM".
_EXPORT_TIME_FORMATS = (
    "%m/%d/%Y, %I:%M:%S.%g %p",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)


def sql_identifier(name: str) -> str:
    """Quote a column or view name for DuckDB SQL."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(text: str) -> str:
    """Quote a constant (only file paths, never entity data) as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def term_regex(identifier: str) -> str:
    r"""An RE2 pattern matching ``identifier`` the way Kusto's ``has`` does.

    Kusto splits text into terms, maximal runs of letters and digits; ``has`` matches whole
    terms, case-insensitively. So the identifier must not be glued to a letter or digit on a
    side where it starts or ends with one. Every character is written as a ``\\x{...}``
    escape, so no identifier can change the pattern's structure.
    """
    return terms_regex([identifier])


def terms_regex(identifiers: Sequence[str]) -> str:
    """One RE2 pattern matching any of the identifiers as ``has`` does (``has_any``)."""
    branches = []
    for identifier in identifiers:
        body = "".join(f"\\x{{{ord(c):x}}}" for c in identifier)
        left = r"(?:^|[^\pL\pN])" if identifier[:1].isalnum() else ""
        right = r"(?:$|[^\pL\pN])" if identifier[-1:].isalnum() else ""
        branches.append(f"{left}{body}{right}")
    return "(?is)(?:" + "|".join(branches) + ")"


class _Table:
    """A table: SQL ``source`` of its rows (file or DataFrame), ``label`` for messages, ``view``."""

    def __init__(self, name: str, source: str, label: str, view: str) -> None:
        self.name = name
        self.source = source
        self.label = label
        self.view = view
        self.columns: tuple[ColumnInfo, ...] | None = None
        self.duck_types: dict[str, str] = {}
        self.error: TableError | None = None


class LocalBackend(BackendBase):
    """Answer the lookup's aggregate questions from files in a directory, with DuckDB."""

    max_parallel: ClassVar[int] = 1  # DuckDB already uses every core for one query.

    def __init__(
        self,
        directory: str | Path,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        """Open a workspace directory.

        Raises:
            WorkspaceError: the directory does not exist or holds no table file.
        """
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise WorkspaceError(f"workspace directory not found: {self.directory}")
        self.description = f"local:{self.directory}"
        self._connect(threads, memory_limit)
        self._tables = self._discover()
        if not self._tables:
            raise WorkspaceError(
                f"no table files ({', '.join(SUPPORTED_SUFFIXES)}) in {self.directory}"
            )

    def _connect(self, threads: int | None, memory_limit: str | None) -> None:
        """The DuckDB connection and the query state, whatever the tables are read from.

        :class:`~lookup.backends.dataframes.DataFrameBackend` calls this instead of
        ``__init__`` and registers DataFrames where this class discovers files: state every
        backend needs belongs here, not in ``__init__``.
        """
        try:
            import duckdb
        except ImportError as exc:  # pragma: no cover - depends on the install extras
            raise WorkspaceError(
                "the local backend needs DuckDB: pip install 'sentinel-anomaly-lookup[local]'"
            ) from exc
        self.stats = QueryStats()
        self._lock = threading.Lock()
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self._con.execute(f"SET memory_limit = {sql_string(memory_limit)}")

    # -- discovery ------------------------------------------------------------------------

    def _discover(self) -> dict[str, _Table]:
        """Every entry named like a table file; those that cannot be read carry the reason.

        A directory, FIFO, socket or device, a broken link and a link leading out of the
        workspace directory are reported as failed tables (never opened: reading a FIFO
        would block), not skipped in silence.
        """
        tables: dict[str, _Table] = {}
        root = self.directory.resolve()
        paths = sorted(
            p for p in self.directory.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES
        )
        for index, path in enumerate(paths):
            name = path.stem
            if name in tables:
                tables[name].error = TableError(
                    name, f"two files for one table: {tables[name].label} and {path.name}"
                )
                continue
            target, problem = _table_file(path, root)
            table = _Table(name, self._reader_sql(target), path.name, f"__table_{index}")
            if problem is not None:
                table.error = TableError(name, f"{path.name} {problem}")
            tables[name] = table
        return tables

    def _unknown_table(self, name: str) -> TableError:
        """The error of a table the workspace does not hold."""
        return TableError(name, f"no file for table {name} in {self.directory}")

    def list_tables(self, start: datetime, end: datetime) -> list[str]:
        """Every table file in the directory.

        Tables are not pre-filtered by time: a table without rows in the window comes back
        from :meth:`profile` with ``row_count == 0``, which the engine reports as no match.
        """
        return sorted(self._tables)

    def table_schemas(self, tables: list[str]) -> dict[str, tuple[ColumnInfo, ...] | TableError]:
        """Column lists of the tables, or the error that prevents reading each one."""
        out: dict[str, tuple[ColumnInfo, ...] | TableError] = {}
        for name in tables:
            table = self._tables.get(name)
            if table is None:
                out[name] = self._unknown_table(name)
                continue
            try:
                out[name] = self._prepare(table)
            except TableError as exc:
                out[name] = exc
        return out

    def _reader_sql(self, path: Path) -> str:
        """SQL reading exactly the file ``path``, never a glob.

        DuckDB expands ``* ? [`` in file names as glob patterns (``Sign*.jsonl`` would also
        read ``SigninLogs.jsonl``), so each is written as a one-character class (``[*]``)
        that matches only itself.
        """
        suffix = path.suffix.lower()
        literal = sql_string(_glob_literal(str(path)))
        if suffix == ".parquet":
            return f"read_parquet({literal})"
        if suffix == ".csv":
            return f"read_csv({literal}, header = true, sample_size = 20480)"
        if suffix in {".jsonl", ".ndjson"}:
            return f"read_json({literal}, format = 'newline_delimited', sample_size = -1)"
        return f"read_json({literal}, format = 'auto', sample_size = -1)"

    def _prepare(self, table: _Table) -> tuple[ColumnInfo, ...]:
        if table.error is not None:
            raise table.error
        if table.columns is not None:
            return table.columns
        try:
            with self._lock:
                raw = self._con.sql(f"SELECT * FROM {table.source}")
                names, types = list(raw.columns), [str(t) for t in raw.types]
        except Exception as exc:  # DuckDB raises many error classes for unreadable files
            table.error = TableError(table.name, f"cannot read {table.label}: {_first_line(exc)}")
            raise table.error from exc
        source_time, zone = _time_source(table, names)
        time_type = types[names.index(source_time)]
        time_sql = self._time_expression(table, source_time, time_type, zone)
        select = [f"{time_sql} AS {sql_identifier(_TIME_COLUMN)}"]
        columns = [ColumnInfo(_TIME_COLUMN, "datetime")]
        custom = load_bundled_schema(table.name) is None
        for name, duck_type in zip(names, types, strict=True):
            if name == source_time:
                continue
            exported = self._exported_time(table, name, duck_type, names)
            if exported is not None:
                # "ElevationTime [UTC]" of an export is the datetime column ElevationTime.
                base, expression = exported
                select.append(f"{expression} AS {sql_identifier(base)}")
                columns.append(ColumnInfo(base, "datetime"))
                table.duck_types[base] = "TIMESTAMP"
                continue
            select.append(sql_identifier(name))
            kql_type = duckdb_kql_type(duck_type)
            if custom:  # a custom-log suffix types the column as Log Analytics does
                kql_type = untyped_column_type(name, kql_type)
            columns.append(ColumnInfo(name, kql_type))
            table.duck_types[name] = duck_type
        sql = (
            f"CREATE OR REPLACE TEMP VIEW {sql_identifier(table.view)} AS "
            f"SELECT {', '.join(select)} FROM {table.source}"
        )
        with self._lock:
            self._con.execute(sql)
        table.columns = tuple(columns)
        return table.columns

    def _exported_time(
        self, table: _Table, name: str, duck_type: str, names: Sequence[str]
    ) -> tuple[str, str] | None:
        """(column name, SQL in UTC) of another time column of an export, ``X [<zone>]``.

        None when the name is not of that form, its zone is unknown, the plain name is
        taken or the column holds no text or times: the column is then kept as it is.
        """
        match = _EXPORTED_COLUMN.match(name)
        if match is None or match["name"] in names:
            return None
        if duck_type != "VARCHAR" and not duck_type.startswith("TIMESTAMP"):
            return None
        try:
            zone = export_time_zone(match["zone"])
        except UnknownTimeZoneError:
            return None
        return match["name"], self._time_expression(table, name, duck_type, zone)

    def _time_expression(
        self, table: _Table, column: str, duck_type: str, zone: str | None = None
    ) -> str:
        """SQL for the UTC time of a row; ``zone`` is the IANA zone of local-time exports."""
        quoted = sql_identifier(column)
        formats = "[" + ", ".join(sql_string(f) for f in _EXPORT_TIME_FORMATS) + "]"
        if duck_type.startswith("TIMESTAMP WITH TIME ZONE"):
            return f"CAST({quoted} AS TIMESTAMP)"
        if zone is not None and (duck_type.startswith("TIMESTAMP") or duck_type == "VARCHAR"):
            # Wall-clock times of the named zone (a zoneinfo name, not text from the file).
            local = (
                f"coalesce(TRY_CAST({quoted} AS TIMESTAMP), try_strptime({quoted}, {formats}))"
                if duck_type == "VARCHAR"
                else f"CAST({quoted} AS TIMESTAMP)"
            )
            return f"CAST(timezone({sql_string(zone)}, {local}) AS TIMESTAMP)"
        if duck_type.startswith("TIMESTAMP") or duck_type == "DATE":
            return f"CAST({quoted} AS TIMESTAMP)"
        if duck_type == "VARCHAR":
            return (
                f"coalesce(CAST(TRY_CAST({quoted} AS TIMESTAMPTZ) AS TIMESTAMP), "
                f"try_strptime({quoted}, {formats}))"
            )
        raise TableError(
            table.name, f"TimeGenerated in {table.label} has type {duck_type}, not a time"
        )

    # -- the two questions ----------------------------------------------------------------

    def _text(self, table: _Table, column: str) -> str:
        """SQL for a column's text, as Kusto's ``tostring`` would see it."""
        duck_type = table.duck_types.get(column, "VARCHAR")
        quoted = sql_identifier(column)
        if duck_type == "VARCHAR":
            return quoted
        if duck_type.startswith(NESTED_TYPES) or duck_type.endswith("[]"):
            return f"CAST(to_json({quoted}) AS VARCHAR)"
        return f"CAST({quoted} AS VARCHAR)"

    def _match(
        self, table: _Table, wanted: Sequence[tuple[Sequence[str], Sequence[str], Scope | None]]
    ) -> tuple[Match, list[tuple[str, Scope | None]]]:
        """The entities (identifiers, entity columns, scope) to find in ``table``, for the SQL.

        Returns the match and the (column, scope) of each entity column ordinal. An entity
        with a scope (a Process of one host) is searched in its own copy of each column,
        whose text is null on the rows that are not in the scope.
        """
        columns: list[tuple[str, Scope | None]] = []
        entities = []
        for identifiers, names, scope in wanted:
            ordinals = []
            for name in names:
                if (name, scope) not in columns:
                    columns.append((name, scope))
                ordinals.append(columns.index((name, scope)))
            entities.append(
                Searched(tuple(identifiers), terms_regex(identifiers), tuple(sorted(set(ordinals))))
            )
        match = Match(
            sql_identifier(table.view),
            sql_identifier(_TIME_COLUMN),
            tuple(self._scoped_text(table, c, scope) for c, scope in columns),
            tuple(entities),
        )
        return match, columns

    def _scoped_text(self, table: _Table, column: str, scope: Scope | None) -> str:
        """A column's text, null on the rows outside ``scope``.

        A row is in the scope when one of the scope's columns has one of its identifiers
        (Kusto's ``has``).
        """
        text = self._text(table, column)
        if scope is None:
            return text
        pattern = sql_string(terms_regex(scope.identifiers))
        inside = " OR ".join(
            f"coalesce(regexp_matches({self._text(table, c)}, {pattern}), false)"
            for c in scope.columns
        )
        return f"(CASE WHEN {inside or 'false'} THEN {text} END)"

    def _table(self, name: str) -> _Table:
        table = self._tables.get(name)
        if table is None:
            raise self._unknown_table(name)
        self._prepare(table)
        return table

    def _check_columns(self, table: _Table, columns: Iterable[str]) -> None:
        known = {c.name for c in table.columns or ()}
        missing = sorted(set(columns) - known)
        if missing:
            raise TableError(table.name, f"unknown column(s) {', '.join(missing)}")

    def profile(self, request: ProfileRequest) -> TableProfile:
        """Row count, distinct counts and entity hits for one table (:mod:`.local_sql`)."""
        table = self._table(request.table)
        self._check_columns(
            table,
            [*request.categorical_candidates, *(c for p in request.probes for c in p.columns)],
        )
        probes = [p for p in request.probes if p.identifiers and p.columns]
        match, keys = self._match(table, [(p.identifiers, p.columns, p.scope) for p in probes])
        step = request.activity_step
        start = _naive_utc(request.start)
        sql, params = profile_sql(
            match,
            [sql_identifier(c) for c in request.categorical_candidates],
            start,
            _naive_utc(request.end),
            activity=None if step is None else (_epoch_micros(start), _micros(step)),
        )
        row = self._fetch(table, sql, params)[0]
        candidates = request.categorical_candidates
        distinct = {c: int(row[1 + i] or 0) for i, c in enumerate(candidates)}
        found: dict[tuple[EntityIndex, str], tuple[int, datetime | None]] = {}
        for hit in (row[1 + len(candidates)] if probes else None) or ():
            first = hit["f"]
            key = (probes[hit["e"]].entity, keys[hit["c"]][0])
            found[key] = (int(hit["h"]), _aware(first) if first else None)
        hits = tuple(
            EntityHit(p.entity, c, *found.get((p.entity, c), (0, None)))
            for p in request.probes
            for c in p.columns
        )
        activity: tuple[tuple[datetime, int], ...] = ()
        if step is not None:
            bins = sorted((int(b["k"]), int(b["n"])) for b in row[-1] or ())
            activity = tuple((request.start + step * k, n) for k, n in bins if n > 0)
        return TableProfile(request.table, int(row[0]), distinct, hits, activity=activity)

    def counts(self, request: CountsRequest) -> TableCounts:
        """Rows per (entity, entity column, column, value, bin), zero bins omitted."""
        table = self._table(request.table)
        self._check_columns(table, [*request.columns, *(g.entity_column for g in request.groups)])
        groups = [g for g in request.groups if g.identifiers]
        if not groups or not request.columns:
            return TableCounts(request.table, ())
        searched: dict[tuple[EntityIndex, tuple[str, ...], Scope | None], list[str]] = {}
        for group in groups:
            searched.setdefault((group.entity, tuple(group.identifiers), group.scope), []).append(
                group.entity_column
            )
        keys = list(searched)
        match, columns = self._match(
            table, [(key[1], names, key[2]) for key, names in searched.items()]
        )
        specs = []
        for group in groups:
            start = _naive_utc(group.window.start)
            specs.append(
                GroupSpec(
                    column=columns.index((group.entity_column, group.scope)),
                    entity=keys.index((group.entity, tuple(group.identifiers), group.scope)),
                    start_us=_epoch_micros(start),
                    end_us=_epoch_micros(_naive_utc(group.window.end)),
                    step_us=_micros(group.window.step),
                )
            )
        sql, params = counts_sql(
            match,
            specs,
            [self._text(table, c) for c in request.columns],
            _naive_utc(min(g.window.start for g in groups)),
            _naive_utc(max(g.window.end for g in groups)),
        )
        rows = []
        for g, c, value, b, count, micros, lengths in self._fetch(table, sql, params):
            group = groups[g]
            rows.append(
                CountRow(
                    entity=group.entity,
                    entity_column=group.entity_column,
                    column=request.columns[c],
                    value=str(value),
                    bin_start=group.window.start + group.window.step * int(b),
                    count=int(count),
                    fingerprint=(int(micros), int(lengths)),
                )
            )
        rows.sort(key=lambda r: (r.entity, r.entity_column, r.column, r.value, r.bin_start))
        return TableCounts(request.table, tuple(rows))

    def set_deadline(self, deadline: float | None) -> None:
        """Nothing to do here: the engine checks the budget before each table.

        DuckDB runs one table's queries back to back on every core: no queue to cut.
        """

    def _fetch(self, table: _Table, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            self.stats.queries += 1
            self.stats.log.append(sql)
            try:
                rows = self._con.execute(sql, params).fetchall()
            except Exception as exc:  # DuckDB raises many error classes on bad data
                raise TableError(table.name, f"query failed: {_first_line(exc)}") from exc
            self.stats.rows_returned += len(rows)
        return rows

    def close(self) -> None:
        """Release the DuckDB connection."""
        self._con.close()


def _time_source(table: _Table, names: Sequence[str]) -> tuple[str, str | None]:
    """The column holding TimeGenerated, and the IANA zone of its wall-clock times.

    ``TimeGenerated`` is UTC; an export's ``TimeGenerated [<zone>]`` is in the zone it names
    (:func:`lookup.timezones.export_time_zone`; None for UTC).
    """
    if _TIME_COLUMN in names:
        return _TIME_COLUMN, None
    for name in names:
        match = _EXPORTED_TIME_COLUMN.match(name)
        if match is None:
            continue
        try:
            return name, export_time_zone(match["zone"])
        except UnknownTimeZoneError as exc:
            table.error = TableError(table.name, f"{table.label}: {name!r}: {exc}")
            raise table.error from exc
    table.error = TableError(table.name, f"{table.label} has no TimeGenerated column")
    raise table.error


def _glob_literal(path: str) -> str:
    """``path`` as a DuckDB glob pattern that matches only ``path``."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in path)


def _table_file(path: Path, root: Path) -> tuple[Path, str | None]:
    """The file a table entry names (links resolved), and why it cannot be read, if so."""
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return path, "is a symbolic link to a missing file"
    except (OSError, RuntimeError) as exc:  # a link loop (RuntimeError before Python 3.13)
        return path, f"cannot be resolved: {getattr(exc, 'strerror', None) or exc}"
    if not target.is_relative_to(root):
        return path, "is a symbolic link out of the workspace directory: refused"
    try:
        mode = target.stat().st_mode
    except OSError as exc:
        return target, f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return target, "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return target, "is a FIFO (named pipe), not a regular file"
    if not stat.S_ISREG(mode):
        return target, "is not a regular file (a socket or a device)"
    return target, None


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("backend times must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: Any) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _micros(step: timedelta) -> int:
    return step // timedelta(microseconds=1)


def _epoch_micros(moment: datetime) -> int:
    """Microseconds since the epoch of a naive UTC time (DuckDB's ``epoch_us``)."""
    return _micros(moment - datetime(1970, 1, 1))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
