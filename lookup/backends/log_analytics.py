"""The Log Analytics backend: the lookup's two questions per table, asked of a workspace.

Queries go through an injected :class:`azure.monitor.query.LogsQueryClient` (callers and
tests pass their own: managed identity in the function app, ``az login`` on the command
line, a fake endpoint in tests, a sovereign-cloud endpoint). The KQL itself comes from
:mod:`lookup.backends.la_queries`; this module runs it the way the service wants to be
called:

* at most ``max_concurrent_queries`` (≤ 5) queries in flight per client, and at most 200
  started per 30 s, shared by every backend on the same client (thread-safe: the engine
  calls :meth:`profile` and :meth:`counts` for several tables from a thread pool);
* an explicit ``server_timeout`` on every query, never more than the time budget left;
* retries with exponential backoff on 429, 5xx, dropped connections and unreadable
  answers, honouring ``Retry-After``. The SDK's own retry policy is switched off per call
  (``retry_total=0``) so the two never multiply into a retry storm;
* partial results (``LogsQueryPartialResult``) keep their data and carry the service's
  reason, so the table is reported ``partial``;
* a deadline (:meth:`set_deadline`): a query or retry that would start after it raises
  :class:`~lookup.errors.BudgetExceededError`, and the engine reports the table skipped.

The deprecated ``$batch`` API is not used: one HTTP request per query.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from lookup.backends.base import (
    BackendBase,
    ColumnInfo,
    CountsRequest,
    ProfileRequest,
    QueryStats,
    TableCounts,
    TableProfile,
)
from lookup.backends.la_queries import (
    LaQuery,
    ResultTable,
    counts_query,
    parse_counts,
    parse_profile,
    parse_schemas,
    parse_usage_tables,
    profile_query,
    schema_query,
    usage_tables_query,
)
from lookup.errors import (
    AnomalyLookupError,
    BudgetExceededError,
    QueryError,
    TableError,
    ThrottledError,
    WorkspaceError,
)
from lookup.settings import Settings
from lookup.tables import load_bundled_schema

if TYPE_CHECKING:
    from azure.monitor.query import LogsQueryClient

log = logging.getLogger(__name__)

#: HTTP statuses worth another try: throttling and the server's transient failures.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Log Analytics' rate limit per identity: 200 queries per 30 seconds.
RATE_LIMIT = (200, 30.0)
#: Below this many seconds of budget a query is not worth starting.
MIN_QUERY_SECONDS = 1.0

QueryListener = Callable[[LaQuery, int], None]


@dataclass(frozen=True)
class RetrySchedule:
    """How often and how long to retry a failed query (injectable so tests run fast)."""

    #: Retries after the first attempt.
    max_retries: int = 4
    #: Backoff before retry ``n`` (0-based): ``base_delay * 2**n``, capped at ``max_delay``.
    base_delay: float = 2.0
    max_delay: float = 60.0
    #: Up to this fraction is added at random, so parallel workers do not retry in step.
    jitter: float = 0.25
    #: A ``Retry-After`` longer than this is not waited for: the query fails as throttled.
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rand: Callable[[], float]) -> float:
        """Seconds to wait before retry ``attempt`` when the service gave no ``Retry-After``."""
        delay = min(self.max_delay, self.base_delay * (2.0**attempt))
        return float(delay * (1.0 + self.jitter * rand()))


class QueryGate:
    """Concurrency and rate limit for one identity: ``limit`` in flight, 200 per 30 s."""

    def __init__(
        self,
        limit: int,
        *,
        rate: tuple[int, float] = RATE_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= limit <= 5:
            raise ValueError("Log Analytics allows 1 to 5 concurrent queries per identity")
        self.limit = limit
        self._rate_count, self._rate_period = rate
        self._clock = clock
        self._cond = threading.Condition()
        self._in_flight = 0
        self._started: deque[float] = deque()
        #: Highest number of queries seen in flight at once (for tests and logs).
        self.peak = 0

    def acquire(self, timeout: float | None) -> None:
        """Wait for a slot; :class:`BudgetExceededError` if none frees within ``timeout`` s."""
        with self._cond:
            deadline = None if timeout is None else self._clock() + timeout
            while True:
                now = self._clock()
                while self._started and now - self._started[0] >= self._rate_period:
                    self._started.popleft()
                wait: float | None = None
                if self._in_flight >= self.limit:
                    wait = None  # until a release notifies
                elif len(self._started) >= self._rate_count:
                    wait = self._rate_period - (now - self._started[0])
                else:
                    self._in_flight += 1
                    self.peak = max(self.peak, self._in_flight)
                    self._started.append(now)
                    return
                if deadline is not None:
                    left = deadline - now
                    if left <= 0:
                        raise BudgetExceededError(
                            "time budget ran out while waiting for a query slot"
                        )
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(timeout=wait)

    def release(self) -> None:
        """Give a slot back."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify()


_gates: weakref.WeakKeyDictionary[Any, QueryGate] = weakref.WeakKeyDictionary()
_gates_lock = threading.Lock()


def gate_for(client: object, limit: int) -> QueryGate:
    """The gate shared by every backend that queries through ``client`` (one identity)."""
    with _gates_lock:
        gate = _gates.get(client)
        if gate is None:
            gate = QueryGate(limit)
            _gates[client] = gate
        return gate


class LogAnalyticsBackend(BackendBase):
    """Answers profile and counts questions from a Log Analytics workspace.

    The injected client belongs to the caller: :meth:`close` leaves it open.
    """

    #: The service runs at most 5 queries at once per identity.
    max_parallel: ClassVar[int] = 5

    def __init__(
        self,
        client: LogsQueryClient,
        workspace_id: str,
        *,
        settings: Settings,
        retry: RetrySchedule | None = None,
        gate: QueryGate | None = None,
        on_query: QueryListener | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        read_timeout_slack: float = 30.0,
        deadline_grace: float = 5.0,
        schema_source: Callable[[str], tuple[ColumnInfo, ...] | None] = load_bundled_schema,
    ) -> None:
        """Wrap ``client`` for ``workspace_id`` (the workspace's customer id GUID).

        Args:
            client: the SDK client, with its credential and endpoint (sovereign clouds).
            workspace_id: Log Analytics workspace id.
            settings: concurrency, server timeout and budget come from here.
            retry: retry counts and delays; defaults suit the service.
            gate: concurrency/rate gate; by default one per ``client`` (one identity).
            on_query: called with every query before it is sent, and the attempt number
                (0 for the first), e.g. for ``--show-queries``.
            clock: monotonic clock for the deadline and the rate limit.
            sleep: waits between retries.
            rand: jitter source in [0, 1).
            read_timeout_slack: seconds the HTTP read may take beyond the server timeout.
            deadline_grace: seconds the HTTP read may run past the deadline before the
                query is abandoned (a slow answer never holds the lookup much longer).
            schema_source: known tables' schemas (the bundled ones by default); tables it
                does not know are described with ``getschema``.
        """
        if not workspace_id:
            raise WorkspaceError("a Log Analytics workspace id is required")
        self.client = client
        self.workspace_id = workspace_id
        self.settings = settings
        self.retry = retry or RetrySchedule()
        self.gate = gate or gate_for(client, settings.max_concurrent_queries)
        self.on_query = on_query
        self.description = f"log-analytics:{workspace_id}"
        self.stats = QueryStats()
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._read_timeout_slack = read_timeout_slack
        self._deadline_grace = deadline_grace
        self._schema_source = schema_source
        self._deadline: float | None = None
        self._lock = threading.Lock()
        self._types: dict[str, dict[str, str]] = {}

    # -- budget ---------------------------------------------------------------------------

    def set_deadline(self, deadline: float | None) -> None:
        """Refuse to start queries after ``deadline``; ``None`` lifts it.

        ``deadline`` is a value of the backend's clock (``time.monotonic`` by default), the
        clock the engine uses for the per-incident time budget.
        """
        self._deadline = deadline

    def _remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return self._deadline - self._clock()

    # -- the Backend protocol -------------------------------------------------------------

    def list_tables(self, start: datetime, end: datetime) -> list[str]:
        """Tables with data ingested in the window, from the ``Usage`` table.

        Raises:
            WorkspaceError: the workspace cannot be queried (the lookup cannot go on).
        """
        query = usage_tables_query(start, end)
        try:
            result, partial = self._run(query)
        except AnomalyLookupError as exc:
            raise WorkspaceError(f"cannot list the workspace's tables: {exc}") from exc
        if partial:
            log.warning("table list is partial: %s", partial)
        return parse_usage_tables(result)

    def table_schemas(self, tables: list[str]) -> dict[str, tuple[ColumnInfo, ...] | TableError]:
        """Bundled schemas for known tables; one ``getschema`` query for all the others."""
        out: dict[str, tuple[ColumnInfo, ...] | TableError] = {}
        unknown = []
        for table in dict.fromkeys(tables):
            columns = self._schema_source(table)
            if columns is None:
                unknown.append(table)
            else:
                out[table] = columns
        if unknown:
            out.update(self._described(unknown))
        for table, value in out.items():
            if not isinstance(value, TableError):
                with self._lock:
                    self._types[table] = {c.name: c.kql_type for c in value}
        return {table: out[table] for table in dict.fromkeys(tables)}

    def _described(self, tables: list[str]) -> dict[str, tuple[ColumnInfo, ...] | TableError]:
        query = schema_query(tables)
        try:
            result, partial = self._run(query)
            schemas = parse_schemas(result)
        except (AnomalyLookupError, ValueError) as exc:
            reason = f"cannot read the table's schema: {exc}"
            return {table: TableError(table, reason) for table in tables}
        out: dict[str, tuple[ColumnInfo, ...] | TableError] = {}
        for table in tables:
            if table in schemas:
                out[table] = schemas[table]
            elif partial:
                out[table] = TableError(table, f"schema missing from a partial answer: {partial}")
            else:
                out[table] = TableError(table, "the workspace has no table of this name")
        return out

    def _column_types(self, table: str) -> dict[str, str]:
        with self._lock:
            known = self._types.get(table)
        if known is not None:
            return known
        schema = self.table_schemas([table])[table]
        if isinstance(schema, TableError):
            raise schema
        return {c.name: c.kql_type for c in schema}

    def profile(self, request: ProfileRequest) -> TableProfile:
        """Row count, distinct counts and entity hits for one table: one query."""
        plan = profile_query(request, self._column_types(request.table))
        result, partial = self._run_for_table(request.table, plan.query)
        try:
            return parse_profile(request, plan, result, partial)
        except ValueError as exc:
            raise TableError(request.table, f"unexpected profile answer: {exc}") from exc

    def counts(self, request: CountsRequest) -> TableCounts:
        """Rows per (entity, entity column, column, value, bin) for one table: one query."""
        if not request.groups or not request.columns:
            return TableCounts(request.table, ())
        query = counts_query(request, self._column_types(request.table))
        result, partial = self._run_for_table(request.table, query)
        try:
            return parse_counts(request, result, partial)
        except (ValueError, IndexError) as exc:
            raise TableError(request.table, f"unexpected counts answer: {exc}") from exc

    # -- running queries ------------------------------------------------------------------

    def _run_for_table(self, table: str, query: LaQuery) -> tuple[ResultTable, str | None]:
        try:
            result, partial = self._run(query)
        except BudgetExceededError:
            raise
        except QueryError as exc:
            raise TableError(table, str(exc)) from exc
        if partial and not result.rows and not result.columns:
            raise TableError(table, f"the service answered with an error and no data: {partial}")
        return result, partial

    def _send(self, query: LaQuery, attempt: int) -> tuple[ResultTable, str | None]:
        """One attempt, while holding a gate slot."""
        # Measured after the wait for a slot: the server gets what is left, no more.
        remaining = self._remaining()
        server_timeout = self.settings.query_timeout_seconds
        read_timeout = server_timeout + self._read_timeout_slack
        if remaining is not None:
            server_timeout = max(1, min(server_timeout, int(remaining)))
            read_timeout = min(read_timeout, max(0.0, remaining) + self._deadline_grace)
        self._record(query, attempt)
        response = self.client.query_workspace(
            self.workspace_id,
            query.text,
            timespan=query.timespan,
            server_timeout=server_timeout,
            retry_total=0,
            read_timeout=read_timeout,
        )
        return self._unpack(response)

    def _run(self, query: LaQuery) -> tuple[ResultTable, str | None]:
        """Send one query, retrying as the service asks.

        Returns the primary result table and the partial-result reason, if any.

        Raises:
            BudgetExceededError: the budget ran out before the query (or a retry) started.
            ThrottledError: still throttled after the allowed retries.
            QueryError: any other failure.
        """
        from azure.core.exceptions import (
            DecodeError,
            HttpResponseError,
            ServiceRequestError,
            ServiceResponseError,
        )

        attempt = 0
        while True:
            remaining = self._remaining()
            if remaining is not None and remaining < MIN_QUERY_SECONDS:
                raise BudgetExceededError(f"time budget ran out before {query.label} could start")
            self.gate.acquire(None if remaining is None else remaining - MIN_QUERY_SECONDS)
            try:
                return self._send(query, attempt)
            except HttpResponseError as exc:
                problem: Exception = exc
                status: int | None = exc.status_code
                retry_after: float | None = None
                # A 200 whose body does not parse is a broken answer, not a refusal: the
                # query itself was fine, so it is worth another try.
                if isinstance(exc, DecodeError) or status == 200:
                    status = None
                    message = f"{query.label}: the service's answer was not valid JSON"
                    retry_after = None
                else:
                    message = f"{query.label}: HTTP {status}: {_error_text(exc)}"
                    if status not in RETRY_STATUSES:
                        raise QueryError(message, query=query.text, status=status) from exc
                    retry_after = _retry_after(exc)
            except (ServiceRequestError, ServiceResponseError) as exc:
                problem = exc
                status = None
                message = f"{query.label}: {type(exc).__name__}: {exc}"
                retry_after = None
                left = self._remaining()
                if left is not None and left <= 0:
                    raise BudgetExceededError(
                        f"time budget ran out while waiting for {query.label}"
                    ) from exc
            finally:
                self.gate.release()
            if attempt >= self.retry.max_retries:
                error = ThrottledError if status == 429 else QueryError
                raise error(
                    f"{message} (gave up after {attempt + 1} attempts)",
                    query=query.text,
                    status=status,
                ) from problem
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                raise ThrottledError(
                    f"{message} (the service asked to wait {retry_after:g} s)",
                    query=query.text,
                    status=status,
                ) from problem
            delay = (
                retry_after if retry_after is not None else self.retry.backoff(attempt, self._rand)
            )
            left = self._remaining()
            if left is not None and delay + MIN_QUERY_SECONDS > left:
                raise BudgetExceededError(
                    f"time budget ran out: {message}; the next try would start {delay:.1f} s later"
                ) from problem
            log.info("retrying %s in %.1f s: %s", query.label, delay, message)
            self._sleep(delay)
            attempt += 1

    def _record(self, query: LaQuery, attempt: int) -> None:
        with self._lock:
            self.stats.queries += 1
            if attempt:
                self.stats.retries += 1
            else:
                self.stats.log.append(f"// {query.label}\n{query.text}")
        if self.on_query is not None:
            self.on_query(query, attempt)

    def _unpack(self, response: Any) -> tuple[ResultTable, str | None]:
        from azure.monitor.query import LogsQueryPartialResult

        partial: str | None = None
        if isinstance(response, LogsQueryPartialResult):
            tables = list(response.partial_data or [])
            partial = _partial_reason(response.partial_error)
        else:
            tables = list(response.tables or [])
        if not tables:
            table = ResultTable((), ())
        else:
            primary = tables[0]
            columns = tuple(str(c) for c in primary.columns)
            rows = tuple(tuple(row) for row in primary.rows)
            table = ResultTable(columns, rows)
        with self._lock:
            self.stats.rows_returned += len(table.rows)
        return table, partial


def _partial_reason(error: Any) -> str:
    if error is None:
        return "the service returned partial results"
    code = getattr(error, "code", "") or "PartialError"
    message = getattr(error, "message", "") or ""
    details = getattr(error, "details", None) or []
    # The SDK gives details as its own model objects, which are mappings, not dicts.
    inner = [str(d["message"]) for d in details if isinstance(d, Mapping) and d.get("message")]
    text = "; ".join(part for part in [message, *inner] if part)
    return f"{code}: {text}" if text else str(code)


def _error_text(exc: Any) -> str:
    model = getattr(exc, "model", None)
    message = getattr(model, "message", None)
    code = getattr(model, "code", None)
    if message:
        return f"{code}: {message}" if code else str(message)
    return str(getattr(exc, "reason", None) or getattr(exc, "message", None) or exc)


def _retry_after(exc: Any) -> float | None:
    """Seconds the service asked to wait (``Retry-After`` seconds or date, or ``*-ms``)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def create_backend(
    workspace_id: str,
    *,
    settings: Settings,
    endpoint: str | None = None,
    credential: Any | None = None,
    on_query: QueryListener | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> LogAnalyticsBackend:
    """A backend on a new ``LogsQueryClient`` (the command line's way).

    The credential and the client come from :mod:`lookup.azure_clients`, as the function
    app's do. ``credential`` defaults to ``DefaultAzureCredential`` (environment, managed
    identity, ``az login``; ``AZURE_CLIENT_ID`` selects a user-assigned identity).
    ``endpoint`` defaults to ``https://api.loganalytics.io``: pass
    ``https://api.loganalytics.us`` or ``https://api.loganalytics.azure.cn`` for sovereign
    clouds; the token audience follows the endpoint. ``client_options`` go to
    ``LogsQueryClient`` (e.g. ``connection_verify`` for a proxy's CA bundle).
    """
    from lookup import azure_clients

    try:
        if credential is None:
            credential = azure_clients.azure_credential()
        client = azure_clients.logs_query_client(
            credential,
            endpoint=endpoint or azure_clients.DEFAULT_LOGS_ENDPOINT,
            options=client_options,
        )
    except ImportError as exc:  # pragma: no cover - depends on the install extras
        raise WorkspaceError(
            "Log Analytics needs the Azure extras: pip install 'sentinel-anomaly-lookup[azure]'"
        ) from exc
    return LogAnalyticsBackend(client, workspace_id, settings=settings, on_query=on_query)


def query_printer(stream: TextIO) -> QueryListener:
    """A listener that writes every query sent to ``stream`` (``--show-queries``)."""

    def show(query: LaQuery, attempt: int) -> None:
        note = f" (retry {attempt})" if attempt else ""
        stream.write(f"// {query.label}{note}\n{query.text}\n\n")
        stream.flush()

    return show
