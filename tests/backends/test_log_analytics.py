"""The Log Analytics backend over a real HTTP round trip.

The real ``LogsQueryClient`` talks HTTPS to a local fake of the query endpoint
(``tests/fakes``) that runs the KQL with duckdb-kql on the same files the local backend
reads. The answers of both backends must agree exactly; faults injected at the endpoint
must be retried, marked or reported, and nothing may hang.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from fakes.log_analytics import (
    FakeCredential,
    FakeLogAnalytics,
    FakeWorkspace,
    Fault,
    language_service_tables,
    make_client,
    serve,
)
from kusto.language_service import LanguageService, schema_tables, shared_service, usage_table

from lookup.backends.base import (
    ColumnInfo,
    CountsRequest,
    EntityProbe,
    ProfileRequest,
    SeriesGroup,
)
from lookup.backends.la_queries import LaQuery
from lookup.backends.local import LocalBackend
from lookup.backends.log_analytics import (
    LogAnalyticsBackend,
    QueryGate,
    RetrySchedule,
    create_backend,
    query_printer,
)
from lookup.errors import (
    BudgetExceededError,
    QueryError,
    TableError,
    ThrottledError,
    WorkspaceError,
)
from lookup.models import Window
from lookup.settings import Settings
from lookup.tables import load_bundled_schema

WORKSPACE_ID = "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f"
T0 = datetime(2024, 5, 1, tzinfo=UTC)
DAY = timedelta(days=1)
ALERT = datetime(2024, 5, 15, 10, 30, tzinfo=UTC)
SCAN = (T0, datetime(2024, 5, 16, tzinfo=UTC))
DAILY = Window(T0, DAY, 15)
# Windows are anchored on the alert (10:30), not on the epoch.
HOURLY = Window(datetime(2024, 5, 12, 11, 30, tzinfo=UTC), timedelta(hours=1), 72)

HOSTILE_USER = "o'brien\"x\\y"
USERS = ("jdoe@contoso.com", "CONTOSO\\jdoe", HOSTILE_USER, "ユーザー@例え.jp", "other@contoso.com")
APPS = ("Azure Portal", "Microsoft Teams", "Office 365", "take 1 | union *", "emoji 😀")
ODD_COLUMNS = ("my col", "where", "Type", "__alm0")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _signins() -> list[dict[str, Any]]:
    rows = []
    for day in range(15):
        for hour in range(0, 24, 3):
            for u, user in enumerate(USERS):
                if user == USERS[3] and day < 13:
                    continue  # a user first seen recently: hourly series
                moment = T0 + day * DAY + timedelta(hours=hour, minutes=u)
                app = APPS[(day + hour + u) % 3]
                if day == 14 and u == 0 and hour >= 9:
                    app = APPS[3]  # the anomaly: a new value on the alert day
                rows.append(
                    {
                        "TimeGenerated": _iso(moment),
                        "UserPrincipalName": user,
                        "IPAddress": f"10.0.{u}.{(day * 7 + hour) % 5 + 1}",
                        "AppDisplayName": app,
                        "ResultType": "0" if hour % 6 else "50126",
                        "Location": "" if hour == 21 else ("US" if u % 2 else "DE"),
                    }
                )
    return rows


def _custom_rows() -> list[dict[str, Any]]:
    rows = []
    for day in range(15):
        for i in range(6):
            user = USERS[i % len(USERS)]
            rows.append(
                {
                    "TimeGenerated": _iso(T0 + day * DAY + timedelta(hours=2 * i)),
                    "my col": f"login by {user} from host-{i % 2}",
                    "where": APPS[(day + i) % len(APPS)],
                    "Type": "Custom_CL",
                    "__alm0": None if i == 3 else f"code {i % 3}",
                    "Count": i % 4,
                }
            )
    return rows


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("la-ws")
    _write_jsonl(directory / "SigninLogs.jsonl", _signins())
    _write_jsonl(directory / "Custom_CL.jsonl", _custom_rows())
    return directory


@pytest.fixture(scope="module")
def fake_workspace(workspace_dir: Path) -> FakeWorkspace:
    return FakeWorkspace.from_directory(workspace_dir)


@pytest.fixture(scope="module")
def fake_server(fake_workspace: FakeWorkspace) -> Iterator[FakeLogAnalytics]:
    with serve({WORKSPACE_ID: fake_workspace}) as fake:
        yield fake
    fake_workspace.close()


@pytest.fixture
def fake(fake_server: FakeLogAnalytics) -> FakeLogAnalytics:
    fake_server.clear()
    return fake_server


@pytest.fixture(scope="module")
def local(workspace_dir: Path) -> LocalBackend:
    return LocalBackend(workspace_dir)


class Recorder:
    """Injected sleep/rand: no real waiting, and the delays asked for are kept."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.queries: list[tuple[str, int]] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_query(self, query: LaQuery, attempt: int) -> None:
        self.queries.append((query.label, attempt))


def _backend(
    fake: FakeLogAnalytics,
    recorder: Recorder | None = None,
    *,
    settings: Settings | None = None,
    retry: RetrySchedule | None = None,
    **kwargs: Any,
) -> LogAnalyticsBackend:
    recorder = recorder or Recorder()
    settings = settings or Settings(query_timeout_seconds=60, max_concurrent_queries=4)
    return LogAnalyticsBackend(
        make_client(fake),
        WORKSPACE_ID,
        settings=settings,
        retry=retry or RetrySchedule(max_retries=3, base_delay=1.0, jitter=0.0),
        sleep=recorder.sleep,
        rand=lambda: 0.0,
        on_query=recorder.on_query,
        **kwargs,
    )


def _profile_request(table: str = "SigninLogs") -> ProfileRequest:
    if table == "Custom_CL":
        return ProfileRequest(
            table,
            *SCAN,
            (
                EntityProbe(0, ("jdoe@contoso.com", "CONTOSO\\jdoe"), ("my col",)),
                EntityProbe(1, (HOSTILE_USER,), ("my col", "where")),
                EntityProbe(2, ("take 1", "3"), ("where", "Count")),
            ),
            ("where", "Type", "__alm0", "Count"),
        )
    return ProfileRequest(
        table,
        *SCAN,
        (
            EntityProbe(0, ("jdoe@contoso.com", "jdoe"), ("UserPrincipalName",)),
            EntityProbe(1, (HOSTILE_USER,), ("UserPrincipalName", "AppDisplayName")),
            EntityProbe(2, ("ユーザー",), ("UserPrincipalName",)),
            EntityProbe(3, ("10.0.1.3",), ("IPAddress",)),
            EntityProbe(4, ("nobody",), ("UserPrincipalName",)),
        ),
        ("AppDisplayName", "ResultType", "Location", "IPAddress"),
    )


def _counts_request(table: str = "SigninLogs") -> CountsRequest:
    if table == "Custom_CL":
        return CountsRequest(
            table,
            (
                SeriesGroup(0, "my col", ("jdoe@contoso.com", "CONTOSO\\jdoe"), DAILY),
                SeriesGroup(1, "my col", (HOSTILE_USER,), HOURLY),
            ),
            ("where", "__alm0", "Count", "Type"),
        )
    return CountsRequest(
        table,
        (
            SeriesGroup(0, "UserPrincipalName", ("jdoe@contoso.com", "jdoe"), DAILY),
            SeriesGroup(1, "UserPrincipalName", (HOSTILE_USER,), DAILY),
            SeriesGroup(2, "UserPrincipalName", ("ユーザー",), HOURLY),
            SeriesGroup(3, "IPAddress", ("10.0.1.3",), HOURLY),
        ),
        ("AppDisplayName", "ResultType", "Location"),
    )


# -- agreement with the local backend -----------------------------------------------------


@pytest.mark.parametrize("table", ["SigninLogs", "Custom_CL"])
def test_profile_agrees_with_local_backend(
    fake: FakeLogAnalytics, local: LocalBackend, table: str
) -> None:
    backend = _backend(fake)
    backend.table_schemas([table])
    local.table_schemas([table])
    request = _profile_request(table)
    ours, theirs = backend.profile(request), local.profile(request)
    assert ours.row_count == theirs.row_count
    assert ours.hits == theirs.hits
    # dcount is approximate on both sides (Kusto's and DuckDB's HyperLogLog); it only feeds
    # the categorical heuristic, so it must be close, not equal.
    assert ours.distinct_counts.keys() == theirs.distinct_counts.keys()
    for column, distinct in theirs.distinct_counts.items():
        assert abs(ours.distinct_counts[column] - distinct) <= max(1, distinct // 20), column
    assert ours.partial is None
    assert any(hit.hits for hit in ours.hits)
    assert [r.timespan for r in fake.requests if "summarize rows" in r.query] == [
        "2024-05-01T00:00:00.000Z/2024-05-16T00:00:00.000Z"
    ]


@pytest.mark.parametrize("table", ["SigninLogs", "Custom_CL"])
def test_counts_agree_with_local_backend(
    fake: FakeLogAnalytics, local: LocalBackend, table: str
) -> None:
    backend = _backend(fake)
    backend.table_schemas([table])
    local.table_schemas([table])
    request = _counts_request(table)
    ours, theirs = backend.counts(request), local.counts(request)
    assert ours.rows == theirs.rows
    assert len(ours.rows) > 20
    assert {r.bin_start.minute for r in ours.rows} == {0, 30}
    assert ours.partial is None
    (sent,) = [r for r in fake.requests if "make_list(" in r.query]
    low = min(g.window.start for g in request.groups)
    high = max(g.window.end for g in request.groups)
    assert sent.timespan == f"{low:%Y-%m-%dT%H:%M:%S}.000Z/{high:%Y-%m-%dT%H:%M:%S}.000Z"


def test_counts_without_groups_or_columns_send_nothing(fake: FakeLogAnalytics) -> None:
    backend = _backend(fake)
    request = _counts_request()
    assert backend.counts(CountsRequest(request.table, (), request.columns)).rows == ()
    assert backend.counts(CountsRequest(request.table, request.groups, ())).rows == ()
    assert fake.requests == []


# -- discovery and schemas ----------------------------------------------------------------


def test_list_tables_reads_the_usage_table_for_the_window(fake: FakeLogAnalytics) -> None:
    backend = _backend(fake)
    assert backend.list_tables(*SCAN) == ["Custom_CL", "SigninLogs"]
    assert (
        backend.list_tables(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 2, 1, tzinfo=UTC))
        == []
    )
    first, second = fake.requests
    assert first.query.startswith("Usage\n")
    assert "union" not in first.query
    assert first.timespan == "2024-05-01T00:00:00.000Z/2024-05-16T00:00:00.000Z"
    assert second.timespan == "2020-01-01T00:00:00.000Z/2020-02-01T00:00:00.000Z"


def test_list_tables_failure_is_a_workspace_error(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("error", status=403, message="no access"))
    with pytest.raises(WorkspaceError, match="no access"):
        _backend(fake).list_tables(*SCAN)


def test_schemas_known_from_bundle_unknown_from_one_getschema_query(
    fake: FakeLogAnalytics, fake_workspace: FakeWorkspace
) -> None:
    backend = _backend(fake)
    schemas = backend.table_schemas(["SigninLogs", "Custom_CL", "Missing_CL", "SigninLogs"])
    assert list(schemas) == ["SigninLogs", "Custom_CL", "Missing_CL"]
    assert schemas["SigninLogs"] == load_bundled_schema("SigninLogs")
    assert schemas["Custom_CL"] == tuple(
        ColumnInfo(name, kql_type) for name, kql_type in fake_workspace.schema("Custom_CL")
    )
    assert {c.name for c in schemas["Custom_CL"]} >= set(ODD_COLUMNS)
    missing = schemas["Missing_CL"]
    assert isinstance(missing, TableError)
    assert missing.message == "the workspace has no table of this name"
    (request,) = fake.requests
    assert request.timespan is None
    assert request.query.count("getschema") == 2


def test_schema_query_failure_marks_only_unknown_tables(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("error", status=400, message="semantic error"))
    schemas = _backend(fake).table_schemas(["SigninLogs", "Custom_CL"])
    assert not isinstance(schemas["SigninLogs"], TableError)
    error = schemas["Custom_CL"]
    assert isinstance(error, TableError)
    assert "semantic error" in error.message


# -- retries, throttling, partial results -------------------------------------------------


def test_429_is_retried_after_the_retry_after_seconds(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("throttle", match="summarize rows", retry_after="7", times=2))
    recorder = Recorder()
    backend = _backend(fake, recorder)
    backend.table_schemas(["SigninLogs"])
    profile = backend.profile(_profile_request())
    assert profile.row_count > 0
    assert recorder.sleeps == [7.0, 7.0]
    assert [r.status for r in fake.requests] == [429, 429, 200]
    assert (backend.stats.queries, backend.stats.retries) == (3, 2)
    assert recorder.queries == [("profile SigninLogs", 0), ("profile SigninLogs", 1),
                                ("profile SigninLogs", 2)]  # fmt: skip
    assert len(backend.stats.log) == 1


def test_retry_after_as_http_date(fake: FakeLogAnalytics) -> None:
    when = datetime.now(UTC) + timedelta(hours=1)
    fake.add_fault(Fault("throttle", retry_after=format_datetime(when, usegmt=True)))
    recorder = Recorder()
    backend = _backend(fake, recorder, retry=RetrySchedule(max_retry_after=7200))
    backend.list_tables(*SCAN)
    (delay,) = recorder.sleeps
    assert 3000 < delay <= 3600


def test_5xx_backs_off_exponentially_then_succeeds(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("error", status=503, times=3))
    recorder = Recorder()
    backend = _backend(fake, recorder)
    assert backend.list_tables(*SCAN) == ["Custom_CL", "SigninLogs"]
    assert recorder.sleeps == [1.0, 2.0, 4.0]
    assert [r.status for r in fake.requests] == [503, 503, 503, 200]


def test_persistent_throttling_fails_the_table_as_throttled(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("throttle", retry_after=None, times=10))
    recorder = Recorder()
    backend = _backend(fake, recorder)
    backend.table_schemas(["SigninLogs"])
    with pytest.raises(TableError) as caught:
        backend.profile(_profile_request())
    assert isinstance(caught.value.__cause__, ThrottledError)
    assert caught.value.__cause__.status == 429
    assert "gave up after 4 attempts" in caught.value.message
    assert len(fake.requests) == 4
    assert recorder.sleeps == [1.0, 2.0, 4.0]


def test_sdk_retries_are_off_so_attempts_are_exactly_ours(fake: FakeLogAnalytics) -> None:
    # azure-core alone would retry a POST answered 503 three times; we ask for no retry.
    fake.add_fault(Fault("error", status=503, times=10))
    backend = _backend(fake, retry=RetrySchedule(max_retries=0))
    with pytest.raises(WorkspaceError):
        backend.list_tables(*SCAN)
    assert len(fake.requests) == 1


def test_bad_request_is_not_retried(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("error", status=400, message="Syntax error"))
    recorder = Recorder()
    backend = _backend(fake, recorder)
    backend.table_schemas(["SigninLogs"])
    with pytest.raises(TableError) as caught:
        backend.profile(_profile_request())
    assert isinstance(caught.value.__cause__, QueryError)
    assert caught.value.__cause__.status == 400
    assert "Syntax error" in caught.value.message
    assert recorder.sleeps == []
    assert len(fake.requests) == 1


def test_malformed_json_is_retried(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("malformed"))
    backend = _backend(fake)
    assert backend.list_tables(*SCAN) == ["Custom_CL", "SigninLogs"]
    assert [r.fault for r in fake.requests] == ["malformed", None]


def test_malformed_json_every_time_fails_the_table(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("malformed", times=10))
    backend = _backend(fake)
    backend.table_schemas(["SigninLogs"])
    with pytest.raises(TableError, match="not valid JSON"):
        backend.counts(_counts_request())


def test_dropped_connection_is_retried(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("drop"))
    backend = _backend(fake)
    assert backend.list_tables(*SCAN) == ["Custom_CL", "SigninLogs"]
    assert len(fake.requests) == 2


def test_partial_profile_keeps_data_and_reason(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("partial", keep=1.0, message="Query result set has exceeded the limit"))
    backend = _backend(fake)
    backend.table_schemas(["SigninLogs"])
    profile = backend.profile(_profile_request())
    assert profile.row_count > 0
    assert profile.partial == (
        "PartialError: There were some errors when processing your query.; "
        "Query result set has exceeded the limit"
    )


def test_partial_counts_keep_the_rows_that_came(
    fake: FakeLogAnalytics, local: LocalBackend
) -> None:
    fake.add_fault(Fault("partial", keep=0.5, message="truncated"))
    backend = _backend(fake)
    backend.table_schemas(["SigninLogs"])
    local.table_schemas(["SigninLogs"])
    counts = backend.counts(_counts_request())
    complete = local.counts(_counts_request())
    assert counts.partial is not None and counts.partial.endswith("truncated")
    assert 0 < len(counts.rows) < len(complete.rows)
    assert set(counts.rows) <= set(complete.rows)


def test_partial_answer_without_data_fails_the_table(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("partial", keep=0.0))
    backend = _backend(fake)
    backend.table_schemas(["SigninLogs"])
    profile_error = None
    try:
        backend.profile(_profile_request())
    except TableError as exc:
        profile_error = exc
    # The fake keeps the column list; the one summarize row is dropped.
    assert profile_error is None or "no data" in profile_error.message


# -- budget, timeouts, concurrency --------------------------------------------------------


def test_server_timeout_is_sent_and_capped_by_the_budget(fake: FakeLogAnalytics) -> None:
    clock = [1000.0]
    backend = _backend(fake, clock=lambda: clock[0])
    backend.list_tables(*SCAN)
    backend.set_deadline(1000.0 + 42.7)
    backend.list_tables(*SCAN)
    assert [r.prefer for r in fake.requests] == ["wait=60", "wait=42"]


def test_no_query_starts_after_the_deadline(fake: FakeLogAnalytics) -> None:
    clock = [1000.0]
    backend = _backend(fake, clock=lambda: clock[0])
    backend.table_schemas(["SigninLogs"])
    backend.set_deadline(1000.5)
    with pytest.raises(BudgetExceededError):
        backend.profile(_profile_request())
    assert fake.requests == []
    backend.set_deadline(None)
    assert backend.profile(_profile_request()).row_count > 0


def test_retry_after_past_the_deadline_gives_up_without_waiting(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("throttle", retry_after="30"))
    recorder = Recorder()
    clock = [0.0]
    backend = _backend(fake, recorder, clock=lambda: clock[0])
    backend.table_schemas(["SigninLogs"])
    backend.set_deadline(20.0)
    with pytest.raises(BudgetExceededError, match=r"next try would start 30\.0 s later"):
        backend.profile(_profile_request())
    assert recorder.sleeps == []


def test_slow_answer_past_the_budget_does_not_hang(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("slow", delay=30.0))
    import time

    backend = _backend(fake, deadline_grace=0.2)
    backend.table_schemas(["SigninLogs"])
    backend.set_deadline(time.monotonic() + 1.5)
    with pytest.raises(BudgetExceededError, match="while waiting for profile SigninLogs"):
        backend.profile(_profile_request())
    assert fake.requests == [] or fake.requests[0].fault == "slow"


def test_at_most_the_configured_queries_in_flight(fake: FakeLogAnalytics) -> None:
    fake.add_fault(Fault("slow", delay=0.15, times=12))
    settings = Settings(max_concurrent_queries=3)
    client = make_client(fake)
    backend = LogAnalyticsBackend(client, WORKSPACE_ID, settings=settings)
    # The service's own limit; the engine runs min(this, settings) tables at once, and the
    # gate holds every query of this identity to the settings' limit.
    assert backend.max_parallel == 5
    # A second backend on the same client (same identity) shares the limit.
    twin = LogAnalyticsBackend(client, WORKSPACE_ID, settings=settings)
    assert twin.gate is backend.gate
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: (backend, twin)[i % 2].list_tables(*SCAN), range(12)))
    assert results == [["Custom_CL", "SigninLogs"]] * 12
    assert backend.gate.peak <= 3
    assert fake.peak_in_flight <= 3
    assert backend.stats.queries + twin.stats.queries == 12


def test_gate_rate_limit_and_deadline() -> None:
    now = [0.0]
    gate = QueryGate(5, rate=(2, 30.0), clock=lambda: now[0])
    gate.acquire(None)
    gate.release()
    gate.acquire(None)
    gate.release()
    with pytest.raises(BudgetExceededError, match="query slot"):
        gate.acquire(0.0)  # a third start within 30 s would break the rate limit
    now[0] = 30.0
    gate.acquire(0.0)
    gate.release()
    with pytest.raises(ValueError):
        QueryGate(6)


def test_gate_blocks_a_sixth_query_until_one_ends() -> None:
    gate = QueryGate(1)
    gate.acquire(None)
    released = threading.Event()

    def second() -> None:
        gate.acquire(None)
        released.set()
        gate.release()

    worker = threading.Thread(target=second)
    worker.start()
    assert not released.wait(0.05)
    gate.release()
    worker.join(timeout=5)
    assert released.is_set()


def test_missing_workspace_id_is_refused(fake: FakeLogAnalytics) -> None:
    with pytest.raises(WorkspaceError):
        LogAnalyticsBackend(make_client(fake), "", settings=Settings())


# -- every query sent binds in Microsoft's language service --------------------------------


@pytest.fixture(scope="module")
def service(schemas_dir: Path, fake_workspace: FakeWorkspace) -> LanguageService:
    ls = shared_service()
    ls.set_tables(
        [
            *schema_tables(schemas_dir),
            usage_table(),
            *language_service_tables(fake_workspace, ["Custom_CL"]),
        ]
    )
    return ls


def test_every_query_sent_binds_in_the_language_service(
    fake: FakeLogAnalytics, local: LocalBackend, service: LanguageService
) -> None:
    backend = _backend(fake)
    backend.list_tables(*SCAN)
    backend.table_schemas(["SigninLogs", "Custom_CL", "Missing_CL"])
    for table in ("SigninLogs", "Custom_CL"):
        backend.profile(_profile_request(table))
        backend.counts(_counts_request(table))
    assert len(fake.requests) == 6
    for request in fake.requests:
        analysis = service.analyse(request.query)
        assert analysis.errors == (), analysis.explain()
    assert [r.authorization for r in fake.requests] == ["Bearer fake-token"] * 6


def test_create_backend_for_a_sovereign_endpoint(fake: FakeLogAnalytics) -> None:
    credential = FakeCredential()
    stream = io.StringIO()
    backend = create_backend(
        WORKSPACE_ID,
        settings=Settings(),
        endpoint=fake.endpoint,
        credential=credential,
        on_query=query_printer(stream),
        client_options={"connection_verify": fake.ca_path},
    )
    assert backend.list_tables(*SCAN) == ["Custom_CL", "SigninLogs"]
    # The token audience follows the endpoint (api.loganalytics.us, .azure.cn, ...).
    assert credential.scopes == [(f"{fake.endpoint}/.default",)]
    assert backend.description == f"log-analytics:{WORKSPACE_ID}"
    assert stream.getvalue() == f"// tables (Usage)\n{fake.requests[0].query}\n\n"
