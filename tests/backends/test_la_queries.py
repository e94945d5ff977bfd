"""KQL generation and answer parsing of the Log Analytics backend (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lookup.backends.base import (
    ColumnInfo,
    CountRow,
    CountsRequest,
    EntityHit,
    EntityProbe,
    ProfileRequest,
    SeriesGroup,
)
from lookup.backends.la_queries import (
    ResultTable,
    counts_query,
    counts_window,
    parse_counts,
    parse_profile,
    parse_schemas,
    parse_usage_tables,
    profile_query,
    schema_query,
    usage_tables_query,
)
from lookup.drilldown import ChartSeries, chart_queries, portal_link, query_from_portal_link
from lookup.models import Window
from lookup.tables import normalize_kql_type

START = datetime(2024, 4, 30, tzinfo=UTC)
END = datetime(2024, 5, 15, tzinfo=UTC)
DAILY = Window(START, timedelta(days=1), 15)
HOURLY = Window(datetime(2024, 5, 11, 9, tzinfo=UTC), timedelta(hours=1), 73)
ARM_ID = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-secops"
    "/providers/Microsoft.OperationalInsights/workspaces/law-secops"
)


def test_usage_query_text_and_timespan() -> None:
    query = usage_tables_query(START, END)
    assert query.text == (
        "Usage\n"
        "| where TimeGenerated >= datetime(2024-04-30T00:00:00.000000Z)"
        " and TimeGenerated < datetime(2024-05-15T00:00:00.000000Z)\n"
        "| where Quantity > 0\n"
        "| summarize by DataType\n"
        "| sort by DataType asc"
    )
    assert query.timespan == (START, END)
    assert "union" not in query.text


def test_usage_query_rejects_naive_or_empty_windows() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        usage_tables_query(datetime(2024, 1, 1), END)
    with pytest.raises(ValueError, match="empty window"):
        usage_tables_query(END, START)


def test_parse_usage_tables_sorts_and_dedupes() -> None:
    result = ResultTable(("DataType",), (("SigninLogs",), ("AuditLogs",), ("",), (None,)))
    assert parse_usage_tables(result) == ["AuditLogs", "SigninLogs"]


def test_schema_query_batches_every_table_in_one_query() -> None:
    query = schema_query(["Custom_CL", "my table", "where"])
    assert query.timespan is None
    assert query.text == (
        "union isfuzzy=true\n"
        '    (Custom_CL | getschema | extend TableName = "Custom_CL"),\n'
        '    (["my table"] | getschema | extend TableName = "my table"),\n'
        '    (["where"] | getschema | extend TableName = "where")\n'
        "| project TableName, ColumnName, ColumnType, ColumnOrdinal\n"
        "| sort by TableName asc, ColumnOrdinal asc"
    )
    with pytest.raises(ValueError):
        schema_query([])


def test_parse_schemas_orders_by_ordinal_and_normalises_types() -> None:
    result = ResultTable(
        ("TableName", "ColumnName", "ColumnType", "ColumnOrdinal"),
        (
            ("Custom_CL", "b", "BigInt", 1),
            ("Custom_CL", "TimeGenerated", "datetime", 0),
            ("Other_CL", "x", "System.String", 0),
        ),
    )
    assert parse_schemas(result) == {
        "Custom_CL": (ColumnInfo("TimeGenerated", "datetime"), ColumnInfo("b", "long")),
        "Other_CL": (ColumnInfo("x", "string"),),
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("String", "string"), ("BigInt", "long"), ("Float", "real"), ("DateTime", "datetime")],
)
def test_normalize_kql_type(raw: str, expected: str) -> None:
    assert normalize_kql_type(raw) == expected


def _profile_request() -> ProfileRequest:
    return ProfileRequest(
        "SigninLogs",
        START,
        END,
        (
            EntityProbe(0, ("jdoe@contoso.com", 'CONTOSO\\j"doe'), ("UserPrincipalName",)),
            EntityProbe(1, ("10.1.2.3",), ("IPAddress", "EventId")),
        ),
        ("AppDisplayName", "ResultType"),
    )


def test_profile_query_text() -> None:
    plan = profile_query(_profile_request(), {"EventId": "long"})
    assert plan.query.timespan == (START, END)
    assert plan.pairs == ((0, "UserPrincipalName"), (1, "IPAddress"), (1, "EventId"))
    assert plan.columns == ("UserPrincipalName", "IPAddress", "EventId")
    assert plan.capped is None
    assert plan.query.text.split("\n") == [
        'let __ale0 = dynamic(["jdoe@contoso.com", "CONTOSO\\\\j\\"doe"]);',
        'let __ale1 = dynamic(["10.1.2.3"]);',
        "let __alw = SigninLogs",
        (
            "| where TimeGenerated >= datetime(2024-04-30T00:00:00.000000Z) and TimeGenerated < "
            "datetime(2024-05-15T00:00:00.000000Z);"
        ),
        "union",
        (
            "    (__alw | summarize rows = count(), d0 = dcount(AppDisplayName), d1 = "
            "dcount(ResultType)),"
        ),
        "    (__alw",
        "    | where UserPrincipalName has_any (__ale0)",
        "        or IPAddress has_any (__ale1)",
        "        or tostring(EventId) has_any (__ale1)",
        (
            "    | project __alt = TimeGenerated, __alv = pack_array(UserPrincipalName, "
            "IPAddress, tostring(EventId))"
        ),
        "    | mv-expand with_itemindex=__alc __alv to typeof(string)",
        '    | extend __alm0 = iff(__alc == 0 and __alv has_any (__ale0), "0 ", ""),',
        '        __alm1 = iff((__alc >= 1 and __alc <= 2) and __alv has_any (__ale1), "1 ", "")',
        "    | extend __alg0_0 = strcat(__alm0, __alm1)",
        '    | mv-expand __alm = extract_all(@"([0-9]+)", __alg0_0) to typeof(string)',
        "    | extend __alm = tolong(__alm)",
        "    | where __alm >= 0",
        "    | summarize h = count(), f = min(__alt) by e = __alm, c = __alc",
        "    )",
    ]


def test_profile_query_scratch_names_avoid_every_table_column() -> None:
    request = ProfileRequest(
        "Odd_CL", START, END, (EntityProbe(0, ("x1",), ("__alm0",)),), ("__alg",)
    )
    text = profile_query(request, {"__alw": "string"}).query.text
    assert text.startswith('let ___ale0 = dynamic(["x1"]);\nlet ___alw = Odd_CL\n')
    assert "| where __alm0 has_any (___ale0)" in text
    assert "__alv" not in text.replace("___alv", "")


def test_profile_query_without_probes_counts_rows_only() -> None:
    request = ProfileRequest("SigninLogs", START, END, (), ("AppDisplayName",))
    plan = profile_query(request, {})
    assert plan.query.text == (
        "SigninLogs\n"
        "| where TimeGenerated >= datetime(2024-04-30T00:00:00.000000Z)"
        " and TimeGenerated < datetime(2024-05-15T00:00:00.000000Z)\n"
        "| summarize rows = count(), d0 = dcount(AppDisplayName)"
    )
    answer = ResultTable(("rows", "d0"), ((10, 2),))
    assert parse_profile(request, plan, answer, None).row_count == 10


def test_parse_profile() -> None:
    request = _profile_request()
    plan = profile_query(request, {})
    result = ResultTable(
        ("rows", "d0", "d1", "e", "c", "h", "f"),
        (
            (None, None, None, 1, 2, 2, datetime(2024, 5, 3)),
            (1200, 14, 3, None, None, None, None),
            (None, None, None, 0, 0, 5, "2024-05-02T08:15:00.1234567Z"),
        ),
    )
    profile = parse_profile(request, plan, result, None)
    assert profile.row_count == 1200
    assert profile.distinct_counts == {"AppDisplayName": 14, "ResultType": 3}
    assert profile.hits == (
        EntityHit(0, "UserPrincipalName", 5, datetime(2024, 5, 2, 8, 15, 0, 123456, tzinfo=UTC)),
        EntityHit(1, "IPAddress", 0, None),
        EntityHit(1, "EventId", 2, datetime(2024, 5, 3, tzinfo=UTC)),
    )
    assert profile.partial is None


def test_parse_profile_keeps_partial_reason_and_rejects_bad_answers() -> None:
    request = _profile_request()
    plan = profile_query(request, {})
    columns = ("rows", "d0", "d1", "e", "c", "h", "f")
    empty = ResultTable(columns, ())
    assert parse_profile(request, plan, empty, "PartialError: truncated").partial == (
        "PartialError: truncated"
    )
    with pytest.raises(ValueError, match="no row"):
        parse_profile(request, plan, empty, None)
    two = ResultTable(columns, ((1, 1, 1, None, None, None, None),) * 2)
    with pytest.raises(ValueError, match="2 rows"):
        parse_profile(request, plan, two, None)


def _counts_request() -> CountsRequest:
    return CountsRequest(
        "SigninLogs",
        (
            SeriesGroup(0, "UserPrincipalName", ("jdoe@contoso.com",), DAILY),
            SeriesGroup(1, "IPAddress", ("10.1.2.3", "10.1.2.4"), HOURLY),
        ),
        ("AppDisplayName", "ResultType"),
    )


def test_counts_query_text_one_scan_each_group_on_its_own_window_and_step() -> None:
    query = counts_query(_counts_request(), {"ResultType": "string"})
    assert query.timespan == (START, END)
    assert query.text.split("\n") == [
        'let __ale0 = dynamic(["jdoe@contoso.com"]);',
        'let __ale1 = dynamic(["10.1.2.3", "10.1.2.4"]);',
        "SigninLogs",
        (
            "| where TimeGenerated >= datetime(2024-04-30T00:00:00.000000Z) and TimeGenerated < "
            "datetime(2024-05-15T00:00:00.000000Z)"
        ),
        "| where UserPrincipalName has_any (__ale0)",
        "    or IPAddress has_any (__ale1)",
        (
            "| project __alt = TimeGenerated, __alv = pack_array(UserPrincipalName, IPAddress), "
            "__alx = pack_array(tostring(AppDisplayName), tostring(ResultType)), __all = "
            "strlen(tostring(AppDisplayName)) + strlen(tostring(ResultType))"
        ),
        "| mv-expand with_itemindex=__alc __alv to typeof(string)",
        '| extend __alm0 = iff(__alc == 0 and __alv has_any (__ale0), "0 ", ""),',
        '    __alm1 = iff(__alc == 1 and __alv has_any (__ale1), "1 ", "")',
        "| extend __alg0_0 = strcat(__alm0, __alm1)",
        '| mv-expand __alm = extract_all(@"([0-9]+)", __alg0_0) to typeof(string)',
        "| extend __alm = tolong(__alm)",
        "| where __alm >= 0",
        (
            "| extend __alk = case((__alm * 2 + __alc) in (0) and __alt >= "
            "datetime(2024-04-30T00:00:00.000000Z) and __alt < "
            "datetime(2024-05-15T00:00:00.000000Z), tolong(bin(__alt - "
            "datetime(2024-04-30T00:00:00.000000Z), 1d) / 1d),"
        ),
        (
            "    (__alm * 2 + __alc) in (3) and __alt >= datetime(2024-05-11T09:00:00.000000Z) "
            "and __alt < datetime(2024-05-14T10:00:00.000000Z), tolong(bin(__alt - "
            "datetime(2024-05-11T09:00:00.000000Z), 1h) / 1h),"
        ),
        "    -1)",
        "| where __alk >= 0",
        "| extend __alu = tolong((__alt - datetime(2024-04-30T00:00:00.000000Z)) / 1microsecond)",
        "| mv-expand with_itemindex=__ali __alx to typeof(string)",
        "| where isnotempty(__alx)",
        (
            "| summarize n = count(), s = sum(__alu), l = sum(__all) by e = __alm, ec = __alc, c "
            "= __ali, v = __alx, k = __alk"
        ),
        "| summarize b = make_list(pack_array(k, n, s, l)) by e, ec, c, v",
    ]


def test_counts_query_needs_groups_and_columns() -> None:
    request = _counts_request()
    with pytest.raises(ValueError):
        counts_query(CountsRequest(request.table, (), request.columns), {})
    with pytest.raises(ValueError):
        counts_query(CountsRequest(request.table, request.groups, ()), {})


def test_counts_window_spans_every_group() -> None:
    assert counts_window(_counts_request()) == (START, END)


def test_parse_counts_maps_indices_back_and_sorts() -> None:
    request = _counts_request()
    result = ResultTable(
        ("e", "ec", "c", "v", "b"),
        (
            (1, 1, 1, "50126", [[72, 4]]),
            (0, 0, 0, "Azure Portal", "[[14, 7], [3, 1]]"),  # the service sends JSON text
        ),
    )
    counts = parse_counts(request, result, "PartialError: x")
    assert counts.partial == "PartialError: x"
    assert counts.rows == (
        CountRow(
            0, "UserPrincipalName", "AppDisplayName", "Azure Portal",
            datetime(2024, 5, 3, tzinfo=UTC), 1,
        ),
        CountRow(
            0, "UserPrincipalName", "AppDisplayName", "Azure Portal",
            datetime(2024, 5, 14, tzinfo=UTC), 7,
        ),
        CountRow(
            1, "IPAddress", "ResultType", "50126", datetime(2024, 5, 14, 9, tzinfo=UTC), 4
        ),
    )  # fmt: skip
    outside = ResultTable(("e", "ec", "c", "v", "b"), ((0, 0, 0, "x", [[15, 1]]),))
    with pytest.raises(ValueError, match="outside the 15 bins"):
        parse_counts(request, outside, None)
    stranger = ResultTable(("e", "ec", "c", "v", "b"), ((0, 1, 0, "x", [[1, 1]]),))
    with pytest.raises(ValueError, match="no series group"):
        parse_counts(request, stranger, None)


def test_chart_queries_one_per_window() -> None:
    series = [
        ChartSeries("jdoe · App = x", "UserPrincipalName", ("jdoe",), "AppDisplayName", "x", DAILY),
        ChartSeries("ip · Result = 5", "IPAddress", ("10.1.2.3",), "ResultType", "5", HOURLY),
        ChartSeries(
            'jdoe · App = "y"', "UserPrincipalName", ("jdoe",), "AppDisplayName", 'y"', DAILY
        ),
    ]
    charts = chart_queries("SigninLogs", series, {"ResultType": "long"}, threshold=2.0)
    assert [window for window, _ in charts] == [DAILY, HOURLY]
    daily_text = charts[0][1]
    assert daily_text.count("(SigninLogs |") == 2
    assert '| where AppDisplayName == "y\\""' in daily_text
    assert "series_decompose_anomalies(Rows, 2.0, -1, 'avg', 1)" in daily_text
    assert daily_text.endswith(
        "| render anomalychart with (anomalycolumns=Anomalies, "
        'title="SigninLogs: anomalous values, 1d bins")'
    )
    assert "step 1h by Series" in charts[1][1]
    assert '| where tostring(ResultType) == "5"' in charts[1][1]


def test_portal_link_round_trips_the_query() -> None:
    query = 'SigninLogs\n| where UserPrincipalName has "o\'brien ü 😀"\n| take 10'
    link = portal_link(
        query, ARM_ID, tenant_id="8f2c1f55-3a0e-4c52-9a39-5b0c1f7e2d11", timespan=(START, END)
    )
    assert link.startswith(
        "https://portal.azure.com/#@8f2c1f55-3a0e-4c52-9a39-5b0c1f7e2d11/blade/"
        "Microsoft_Azure_Monitoring_Logs/LogsBlade/resourceId/%2Fsubscriptions%2F1111"
    )
    assert "/source/LogsBlade.AnalyticsShareLinkToQuery/q/H4sI" in link
    assert link.endswith("/timespan/2024-04-30T00%3A00%3A00.000Z%2F2024-05-15T00%3A00%3A00.000Z")
    assert query_from_portal_link(link) == query
    # Double percent-encoding, as the portal's own share links: no raw '/', '+' or '='.
    encoded = link.split("/q/", 1)[1].split("/", 1)[0]
    assert not set(encoded) & {"+", "=", "/"}


def test_portal_link_is_deterministic_and_supports_sovereign_portals() -> None:
    first = portal_link("T | take 1", ARM_ID, portal="https://portal.azure.us")
    assert first == portal_link("T | take 1", ARM_ID, portal="https://portal.azure.us")
    assert first.startswith("https://portal.azure.us/#blade/")
    with pytest.raises(ValueError, match="ARM resource id"):
        portal_link("T", "law-secops")


def test_query_from_microsofts_own_demo_link() -> None:
    # Link from Microsoft Learn's KQL tutorial (reference/sentinel-integration.md §4).
    link = (
        "https://portal.azure.com/#@72f988bf-86f1-41af-91ab-2d7cd011db47/blade/"
        "Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/resourceId/x"
        "/source/LogsBlade.AnalyticsShareLinkToQuery/q/"
        "H4sIAAAAAAAAA%252FNxDCxNLar0yU8vBgDTZ2tdCwAAAA%253D%253D"
    )
    assert query_from_portal_link(link) == "LAQueryLogs"
