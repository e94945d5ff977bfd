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
    assert plan.query.text == (
        "SigninLogs\n"
        "| where TimeGenerated >= datetime(2024-04-30T00:00:00.000000Z)"
        " and TimeGenerated < datetime(2024-05-15T00:00:00.000000Z)\n"
        '| extend __alm0 = UserPrincipalName has_any ("jdoe@contoso.com", "CONTOSO\\\\j\\"doe"),\n'
        '    __alm1 = IPAddress has "10.1.2.3",\n'
        '    __alm2 = tostring(EventId) has "10.1.2.3"\n'
        "| summarize rows = count(),\n"
        "    d0 = dcount(AppDisplayName),\n"
        "    d1 = dcount(ResultType),\n"
        "    h0 = countif(__alm0),\n"
        "    f0 = min(iff(__alm0, TimeGenerated, datetime(null))),\n"
        "    h1 = countif(__alm1),\n"
        "    f1 = min(iff(__alm1, TimeGenerated, datetime(null))),\n"
        "    h2 = countif(__alm2),\n"
        "    f2 = min(iff(__alm2, TimeGenerated, datetime(null)))"
    )


def test_profile_query_scratch_columns_avoid_table_columns() -> None:
    request = ProfileRequest(
        "Odd_CL", START, END, (EntityProbe(0, ("x",), ("__alm0",)),), ("__alg",)
    )
    text = profile_query(request, {}).query.text
    assert "| extend ___alm0 = __alm0 has" in text
    assert "countif(___alm0)" in text


def test_parse_profile() -> None:
    request = _profile_request()
    plan = profile_query(request, {})
    result = ResultTable(
        ("rows", "d0", "d1", "h0", "f0", "h1", "f1", "h2", "f2"),
        ((1200, 14, 3, 5, "2024-05-02T08:15:00.1234567Z", 0, None, 2, datetime(2024, 5, 3)),),
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
    empty = ResultTable(plan_columns := ("rows",), ())
    assert parse_profile(request, plan, empty, "PartialError: truncated").partial == (
        "PartialError: truncated"
    )
    with pytest.raises(ValueError, match="no row"):
        parse_profile(request, plan, empty, None)
    two = ResultTable(plan_columns, ((1,), (2,)))
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


def test_counts_query_text_one_leg_per_group_with_its_own_window_and_step() -> None:
    query = counts_query(_counts_request(), {"ResultType": "string"})
    assert query.timespan == (START, END)
    assert query.text == (
        "union\n"
        "    (SigninLogs | where TimeGenerated >= datetime(2024-04-30T00:00:00.000000Z)"
        " and TimeGenerated < datetime(2024-05-15T00:00:00.000000Z)"
        ' | where UserPrincipalName has "jdoe@contoso.com"'
        " | extend __alg = 0, __alb = tolong(bin(TimeGenerated"
        " - datetime(2024-04-30T00:00:00.000000Z), 1d) / 1d)),\n"
        "    (SigninLogs | where TimeGenerated >= datetime(2024-05-11T09:00:00.000000Z)"
        " and TimeGenerated < datetime(2024-05-14T10:00:00.000000Z)"
        ' | where IPAddress has_any ("10.1.2.3", "10.1.2.4")'
        " | extend __alg = 1, __alb = tolong(bin(TimeGenerated"
        " - datetime(2024-05-11T09:00:00.000000Z), 1h) / 1h))\n"
        "| project __alg, __alb, __alv = pack_array(tostring(AppDisplayName),"
        " tostring(ResultType))\n"
        "| mv-expand with_itemindex=__alc __alv to typeof(string)\n"
        "| where isnotempty(__alv)\n"
        "| summarize n = count() by g = __alg, c = __alc, v = __alv, k = __alb"
    )


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
        ("g", "c", "v", "k", "n"),
        ((1, 1, "50126", 72, 4), (0, 0, "Azure Portal", 14, 7)),
    )
    counts = parse_counts(request, result, "PartialError: x")
    assert counts.partial == "PartialError: x"
    assert counts.rows == (
        CountRow(
            0, "UserPrincipalName", "AppDisplayName", "Azure Portal",
            datetime(2024, 5, 14, tzinfo=UTC), 7,
        ),
        CountRow(
            1, "IPAddress", "ResultType", "50126", datetime(2024, 5, 14, 9, tzinfo=UTC), 4
        ),
    )  # fmt: skip
    outside = ResultTable(("g", "c", "v", "k", "n"), ((0, 0, "x", 15, 1),))
    with pytest.raises(ValueError, match="outside the 15 bins"):
        parse_counts(request, outside, None)


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
