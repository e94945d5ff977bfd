"""A local Log Analytics query endpoint: the real REST shape, answered by DuckDB.

``POST /v1/workspaces/{workspace_id}/query`` with ``{"query", "timespan"}`` runs the KQL with
duckdb-kql over the tables of a workspace directory (the same files the local backend
reads) and answers in the service's JSON shape (``tables[].columns[].{name,type}`` and
``rows``, plus ``error`` for partial results). It serves HTTPS on 127.0.0.1 with a
throwaway certificate, because the SDK refuses to send a bearer token over plain HTTP, so
tests drive the real ``LogsQueryClient`` (pipeline, auth policy, JSON parsing) end to end.

Like the service it:

* applies the API ``timespan`` to every table (``start <= TimeGenerated < end``);
* knows the ``Usage`` table (one row per table and hour with data);
* gives known Sentinel tables every column of their bundled schema (missing ones are
  null), as a real workspace table has them whether or not a row fills them.

Faults are injected on demand (:class:`Fault`): 429 with ``Retry-After``, 5xx, slow
answers, partial results, malformed JSON, bad requests. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
from azure.core.credentials import AccessToken

from fakes.kql_engine import install_escape_fix, run
from fakes.tls import serve_https
from lookup.column_types import suffix_type
from lookup.tables import load_bundled_schema, normalize_kql_type

_PATH = re.compile(r"^/v1/workspaces/(?P<workspace>[^/]+)/query$")

_KQL_TO_DUCKDB = {
    "string": "VARCHAR",
    "int": "INTEGER",
    "long": "BIGINT",
    "real": "DOUBLE",
    "decimal": "DOUBLE",
    "bool": "BOOLEAN",
    "datetime": "TIMESTAMP",
    "timespan": "INTERVAL",
    "guid": "VARCHAR",
    "dynamic": "JSON",
}


def _kql_type(duck_type: str) -> str:
    upper = duck_type.upper()
    if upper in ("VARCHAR", "UUID"):
        return "string"
    if upper in ("INTEGER", "SMALLINT", "TINYINT", "UTINYINT", "USMALLINT"):
        return "int"
    if upper in ("BIGINT", "UINTEGER", "UBIGINT", "HUGEINT"):
        return "long"
    if upper in ("DOUBLE", "FLOAT") or upper.startswith("DECIMAL"):
        return "real"
    if upper == "BOOLEAN":
        return "bool"
    if upper.startswith("TIMESTAMP") or upper == "DATE":
        return "datetime"
    if upper == "INTERVAL":
        return "timespan"
    return "dynamic" if upper == "JSON" or "STRUCT" in upper or upper.endswith("]") else "string"


def _iso(moment: datetime) -> str:
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _json_value(value: Any, kql_type: str, duck_type: str = "") -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return _iso(value)
    if kql_type == "dynamic" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if duck_type.upper() == "JSON[]" and isinstance(value, list):
        # DuckDB hands ``make_list`` of dynamic values back as a list of JSON texts.
        return [_json_value(item, "dynamic") for item in value]
    if kql_type == "timespan":
        return str(value)
    return value


# -- the workspace ------------------------------------------------------------------------


class FakeWorkspace:
    """Workspace tables in DuckDB (schema ``base``), queried through per-request views."""

    def __init__(self) -> None:
        install_escape_fix()
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute("CREATE SCHEMA base")
        self._lock = threading.Lock()
        self.tables: list[str] = []

    @classmethod
    def from_directory(cls, directory: Path) -> FakeWorkspace:
        """Load every table file (Parquet, CSV, JSON lines, JSON array) of a directory."""
        workspace = cls()
        for path in sorted(directory.iterdir()):
            suffix = path.suffix.lower()
            literal = "'" + str(path).replace("'", "''") + "'"
            if suffix == ".parquet":
                reader = f"read_parquet({literal})"
            elif suffix == ".csv":
                reader = f"read_csv({literal}, header = true, sample_size = 20480)"
            elif suffix in (".jsonl", ".ndjson"):
                reader = f"read_json({literal}, format = 'newline_delimited', sample_size = -1)"
            elif suffix == ".json":
                reader = f"read_json({literal}, format = 'auto', sample_size = -1)"
            else:
                continue
            workspace.add_table_sql(path.stem, f"SELECT * FROM {reader}")
        workspace.build_usage()
        return workspace

    def add_table_sql(self, name: str, select: str) -> None:
        """Create table ``name`` from a SELECT; complete known tables to their full schema."""
        quoted = '"' + name.replace('"', '""') + '"'
        with self._lock:
            self._con.execute(f"CREATE TABLE base.{quoted} AS {select}")
            columns = {
                row[0]: row[1]
                for row in self._con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'base' AND table_name = ?",
                    [name],
                ).fetchall()
            }
            if columns.get("TimeGenerated", "").startswith("TIMESTAMP WITH TIME ZONE") or (
                columns.get("TimeGenerated") == "VARCHAR"
            ):
                self._con.execute(
                    f'ALTER TABLE base.{quoted} ALTER "TimeGenerated" TYPE TIMESTAMP '
                    'USING CAST(CAST("TimeGenerated" AS TIMESTAMPTZ) AS TIMESTAMP)'
                )
            bundled = load_bundled_schema(name)
            if bundled is None:
                self._type_custom_columns(quoted, columns)
            for column in bundled or ():
                if column.name not in columns:
                    duck = _KQL_TO_DUCKDB.get(normalize_kql_type(column.kql_type), "VARCHAR")
                    col = '"' + column.name.replace('"', '""') + '"'
                    self._con.execute(f"ALTER TABLE base.{quoted} ADD COLUMN {col} {duck}")
            if name not in self.tables:
                self.tables.append(name)

    def _type_custom_columns(self, quoted: str, columns: dict[str, str]) -> None:
        """Type a custom table's columns as Log Analytics does (``SessionId_g``).

        Its custom-log convention names the type: ``_g`` guid, ``_d`` real, ``_b`` bool,
        ``_t`` datetime; a file carries none, so the columns are cast here, and a column the
        file reader took for UUIDs without the suffix is text (caller holds the lock).
        """
        for name, current in columns.items():
            wanted = suffix_type(name) or ("string" if current.upper() == "UUID" else None)
            duck = {
                "guid": "UUID",
                "real": "DOUBLE",
                "bool": "BOOLEAN",
                "datetime": "TIMESTAMP",
                "string": "VARCHAR",
            }
            target = duck.get(wanted or "")
            if target is None or current.upper().startswith(target):
                continue
            col = '"' + name.replace('"', '""') + '"'
            self._con.execute(
                f"ALTER TABLE base.{quoted} ALTER {col} TYPE {target} "
                f"USING TRY_CAST({col} AS {target})"
            )

    def build_usage(self) -> None:
        """The ``Usage`` table: rows per table and hour of ``TimeGenerated``."""
        legs = []
        for name in self.tables:
            if name == "Usage":
                continue
            quoted = '"' + name.replace('"', '""') + '"'
            legs.append(
                f'SELECT date_trunc(\'hour\', "TimeGenerated") AS "TimeGenerated", '
                f'\'{name}\' AS "DataType", count(*) * 0.001 AS "Quantity", '
                f'\'MBytes\' AS "QuantityUnit", true AS "IsBillable", '
                f"'LogManagement' AS \"Solution\", 'Usage' AS \"Type\" "
                f"FROM base.{quoted} GROUP BY 1"
            )
        with self._lock:
            self._con.execute('DROP TABLE IF EXISTS base."Usage"')
            if legs:
                self._con.execute(f'CREATE TABLE base."Usage" AS {" UNION ALL ".join(legs)}')
            else:
                self._con.execute(
                    'CREATE TABLE base."Usage" ("TimeGenerated" TIMESTAMP, "DataType" VARCHAR, '
                    '"Quantity" DOUBLE, "QuantityUnit" VARCHAR, "IsBillable" BOOLEAN, '
                    '"Solution" VARCHAR, "Type" VARCHAR)'
                )

    def close(self) -> None:
        """Release the DuckDB connection."""
        with self._lock:
            self._con.close()

    def schema(self, table: str) -> list[tuple[str, str]]:
        """(column, KQL type) of a table, for the language-service database."""
        with self._lock:
            rows = self._con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'base' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
        return [(str(name), _kql_type(str(duck))) for name, duck in rows]

    def execute(
        self, query: str, timespan: tuple[datetime, datetime] | None
    ) -> tuple[list[dict[str, str]], list[list[Any]]]:
        """Run KQL with every table limited to ``timespan``; (columns, rows) as JSON data."""
        with self._lock:
            cursor = self._con.cursor()
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            names = [
                row[0]
                for row in cursor.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'base'"
                ).fetchall()
            ]
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                where = ""
                if timespan is not None:
                    start, end = (
                        m.astimezone(UTC).replace(tzinfo=None).isoformat() for m in timespan
                    )
                    where = (
                        f" WHERE \"TimeGenerated\" >= TIMESTAMP '{start}'"
                        f" AND \"TimeGenerated\" < TIMESTAMP '{end}'"
                    )
                cursor.execute(f"CREATE TEMP VIEW {quoted} AS SELECT * FROM base.{quoted}{where}")
            relation = run(cursor, query)
            duck_types = [str(t) for t in relation.types]
            kql_types = [_kql_type(t) for t in duck_types]
            columns = [
                {"name": str(n), "type": t}
                for n, t in zip(relation.columns, kql_types, strict=True)
            ]
            rows = [
                [_json_value(v, t, d) for v, t, d in zip(row, kql_types, duck_types, strict=True)]
                for row in relation.fetchall()
            ]
            return columns, rows
        finally:
            cursor.close()


# -- faults -------------------------------------------------------------------------------


@dataclass
class Fault:
    """A misbehaviour for the next ``times`` requests whose query contains ``match``.

    kind: ``throttle`` (429 + ``Retry-After``), ``error`` (``status``, a JSON error body),
    ``slow`` (answer after ``delay`` seconds), ``partial`` (answer with ``keep`` of the rows
    and a ``PartialError``), ``malformed`` (200 with a body that is not JSON), ``drop``
    (close the connection without answering).
    """

    kind: str
    match: str | None = None
    #: Only queries that read this table (``T\n| ...``, ``let x = T\n| ...`` or union legs
    #: ``(T | ...)``).
    table: str | None = None
    times: int = 1
    status: int = 500
    retry_after: str | None = "0"
    delay: float = 0.0
    keep: float = 0.5
    message: str = "injected fault"

    def matches(self, query: str) -> bool:
        if self.times <= 0 or (self.match is not None and self.match not in query):
            return False
        if self.table is None:
            return True
        if f"({self.table} |" in query:
            return True
        return re.search(rf"(?m)^(?:let \w+ = )?{re.escape(self.table)}$", query) is not None


@dataclass(frozen=True)
class RecordedRequest:
    workspace_id: str
    query: str
    timespan: str | None
    prefer: str | None
    authorization: str | None
    fault: str | None
    status: int


def parse_timespan(text: str | None) -> tuple[datetime, datetime] | None:
    if not text:
        return None
    start_text, _, end_text = text.partition("/")
    if not end_text or end_text.startswith("P"):
        raise ValueError(f"only start/end timespans are expected, got {text!r}")

    def parse(value: str) -> datetime:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    return parse(start_text), parse(end_text)


# -- the server ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # The client pools keep-alive connections; an idle one must not hold its handler thread
    # (and so the server's shutdown, which joins them) for ever.
    timeout = 1.0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        # The query is over once its answer is ready: record it and count it out of flight
        # before the client can read the answer and look at the records or send again.
        self._finish(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        body = {
            "error": {
                "code": code,
                "message": message,
                "innererror": {"code": code, "message": message},
            }
        }
        self._send(status, json.dumps(body).encode("utf-8"), headers)

    def _finish(self, status: int) -> None:
        pending = getattr(self, "_pending", None)
        if pending is not None:
            self._pending = None
            self.server.fake.done(RecordedRequest(**pending, status=status))

    def do_POST(self) -> None:
        fake = self.server.fake
        self._pending: dict[str, Any] | None = None
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        match = _PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._error(404, "PathNotFoundError", f"no route {self.path}")
            return
        try:
            body = json.loads(raw)
            query = str(body["query"])
            timespan_text = body.get("timespan")
            timespan = parse_timespan(timespan_text)
        except (ValueError, KeyError, TypeError) as exc:
            self._error(400, "BadArgumentError", f"bad request body: {exc}")
            return
        fault = fake.take_fault(query)
        self._pending = {
            "workspace_id": match.group("workspace"),
            "query": query,
            "timespan": timespan_text,
            "prefer": self.headers.get("Prefer"),
            "authorization": self.headers.get("Authorization"),
            "fault": fault.kind if fault else None,
        }
        try:
            self._answer(fake, fault, match.group("workspace"), query, timespan)
        finally:
            self._finish(500)  # only if no answer was sent (an unexpected error)

    def _answer(
        self,
        fake: FakeLogAnalytics,
        fault: Fault | None,
        workspace_id: str,
        query: str,
        timespan: tuple[datetime, datetime] | None,
    ) -> None:
        if fault is not None and fault.kind == "slow":
            fake.wake.wait(fault.delay)
            if fake.closing:
                self._error(503, "ServiceUnavailable", "the endpoint is shutting down")
                return
        if fault is not None and fault.kind == "throttle":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._error(429, "ThrottledError", fault.message, headers)
            return
        if fault is not None and fault.kind == "error":
            self._error(fault.status, "ServiceError", fault.message)
            return
        if fault is not None and fault.kind == "malformed":
            self._send(200, b'{"tables": [{"name": "PrimaryResult", "columns": [')
            return
        if fault is not None and fault.kind == "drop":
            self._finish(0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        workspace = fake.workspaces.get(workspace_id)
        if workspace is None:
            self._error(404, "WorkspaceNotFoundError", "workspace not found")
            return
        try:
            columns, rows = workspace.execute(query, timespan)
        except Exception as exc:  # any engine error is the service's 400 "semantic error"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._error(400, "BadArgumentError", f"{type(exc).__name__}: {first}")
            return
        answer: dict[str, Any] = {
            "tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]
        }
        if fault is not None and fault.kind == "partial":
            answer["tables"][0]["rows"] = rows[: int(len(rows) * fault.keep)]
            answer["error"] = {
                "code": "PartialError",
                "message": "There were some errors when processing your query.",
                "details": [{"code": "EngineError", "message": fault.message}],
            }
        self._send(200, json.dumps(answer).encode("utf-8"))


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close: none may run DuckDB while the interpreter exits.
    daemon_threads = False
    block_on_close = True
    fake: FakeLogAnalytics

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout, budget) closes its end: not a server bug.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


@dataclass
class FakeLogAnalytics:
    """The running endpoint: ``endpoint`` and ``ca_path`` configure a real client."""

    workspaces: dict[str, FakeWorkspace]
    endpoint: str = ""
    ca_path: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    #: Set to cut slow answers short (between tests and at shutdown).
    wake: threading.Event = field(default_factory=threading.Event)
    closing: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    peak_in_flight: int = 0

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, query: str) -> Fault | None:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            for fault in self.faults:
                if fault.matches(query):
                    fault.times -= 1
                    return fault
        return None

    def done(self, request: RecordedRequest) -> None:
        """A request was answered (or dropped): record it; it is no longer in flight."""
        with self._lock:
            self.in_flight -= 1
            self.requests.append(request)

    def clear(self) -> None:
        """Forget requests and faults; finish answers still in flight from earlier tests."""
        self.wake.set()
        deadline = time.monotonic() + 10
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        self.wake.clear()
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.peak_in_flight = self.in_flight


@contextmanager
def serve(workspaces: dict[str, FakeWorkspace]) -> Iterator[FakeLogAnalytics]:
    """Run the endpoint on 127.0.0.1 over HTTPS with a fresh CA; stop it afterwards."""
    fake = FakeLogAnalytics(workspaces)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake

    def release_waiters() -> None:
        # Slow answers wait on this event: let them finish before the server stops.
        fake.closing = True
        fake.wake.set()

    with serve_https(server, before_stop=release_waiters) as served:
        fake.endpoint, fake.ca_path = served.endpoint, served.ca_path
        yield fake


class FakeCredential:
    """A TokenCredential that hands out a fixed token (the endpoint only checks presence)."""

    def __init__(self) -> None:
        self.calls = 0
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        self.scopes.append(scopes)
        return AccessToken("fake-token", int(time.time()) + 3600)


def make_client(fake: FakeLogAnalytics, **kwargs: Any) -> Any:
    """A real ``LogsQueryClient`` pointed at the fake endpoint, trusting its CA."""
    from azure.monitor.query import LogsQueryClient

    return LogsQueryClient(
        FakeCredential(),
        endpoint=fake.endpoint,
        connection_verify=fake.ca_path,
        **kwargs,
    )


def language_service_tables(workspace: FakeWorkspace, names: Sequence[str]) -> list[dict[str, Any]]:
    """Table specs of workspace tables for the Kusto language service."""
    return [
        {"name": name, "columns": [{"name": c, "type": t} for c, t in workspace.schema(name)]}
        for name in names
    ]
