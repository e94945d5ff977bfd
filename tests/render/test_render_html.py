from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import replace

import pytest
from conftest import (
    DAILY,
    HOSTILE,
    HOSTILE_SHOWN,
    HOURLY,
    IP,
    JDOE,
    Element,
    ReportFactory,
    make_anomaly,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookup.models import Entity, EntityKind, SkippedEntity
from lookup.render.html import COMMENT_MAX_CHARS, render_comment_html
from lookup.report import Report

Parse = Callable[[str], Element]

MORE = re.compile(r"(\d+) more not shown \(see the JSON report / run the lookup locally\)")


SPARK = re.compile("[▁▂▃▄▅▆▇█]+")


def rows(doc: Element) -> list[list[str]]:
    """Data rows of the ranked table as fields: rank, score, entity, table, column, value,
    actual vs expected, sparkline, bin (the comment packs them into four cells)."""
    out = []
    for tr in doc.find_all("tr"):
        cells = tr.find_all("td")
        if not cells:
            continue
        rank, score, what, counts = cells
        column = what.find_all("b")[0].text
        place, *related = [small.text for small in what.find_all("small")]
        value = what.text[
            len(column) + len(" = ") : len(what.text) - len("".join([place, *related]))
        ]
        entity, table = place.rsplit(" in ", 1)
        bin_text = counts.find_all("small")[0].text
        spark = SPARK.findall(counts.text)[-1]
        actual = counts.text[: counts.text.rindex(spark)]
        out.append([rank.text, score.text, entity, table, column, value, actual, spark, bin_text])
    return out


def drilled_ranks(doc: Element) -> list[int]:
    """Ranks that have a drill-down query block."""
    ranks = []
    for li in doc.find_all("li"):
        if li.find_all("pre"):
            found = re.match(r"#(\d+)", li.text)
            assert found is not None
            ranks.append(int(found.group(1)))
    return ranks


def more_not_shown(markup: str) -> int:
    found = MORE.findall(markup)
    assert len(found) <= 1
    return int(found[0]) if found else 0


def big_hostile_report(make_report: ReportFactory, anomalies: int = 1000) -> Report:
    long = "<script>alert('x')</script>&\"\n" * 400
    tables = {
        f"Table_{i:03d}_CL": ("ok", "no_match", "partial", "failed", "skipped")[i % 5]
        for i in range(200)
    }
    errors = {name: f"error for {name}: " + long for name in tables if not name.endswith("0_CL")}
    entities = [
        Entity(EntityKind.ACCOUNT, f"user{i}@contoso.com<img src=x>" + "x" * 300, (f"u{i}",))
        for i in range(60)
    ]
    skipped = [SkippedEntity("Malware", long, f"mal{i}" + long) for i in range(300)]
    return make_report(
        anomalies,
        tables=tables,
        errors=errors,
        entities=entities,
        skipped=skipped,
        values=lambda i: long + str(i),
        settings={f"key{i}": long for i in range(50)},
    )


# --- size budget --------------------------------------------------------------------------


@pytest.mark.parametrize("anomalies", [0, 1, 1000])
def test_huge_hostile_report_fits_in_a_comment(
    make_report: ReportFactory, parse: Parse, anomalies: int
) -> None:
    report = big_hostile_report(make_report, anomalies)
    for max_anomalies in (None, 25, 1000):
        out = render_comment_html(report, max_anomalies=max_anomalies)
        assert len(out) <= COMMENT_MAX_CHARS
        parse(out)


def test_huge_report_still_names_every_incomplete_table(
    make_report: ReportFactory, parse: Parse
) -> None:
    report = big_hostile_report(make_report)
    text = parse(render_comment_html(report)).text
    for table in report.failed_tables:
        assert table.table in text


@pytest.mark.parametrize("max_chars", [0, 10, 50, 200, 800, 1500, 3000, 6000, 12_000])
def test_any_budget_is_respected(make_report: ReportFactory, max_chars: int) -> None:
    report = make_report(
        200, tables={"SigninLogs": "ok", "AuditLogs": "failed"}, errors={"AuditLogs": "timeout"}
    )
    assert len(render_comment_html(report, max_chars=max_chars, max_anomalies=200)) <= max_chars


def test_negative_budget_is_an_error(make_report: ReportFactory) -> None:
    with pytest.raises(ValueError, match="max_chars"):
        render_comment_html(make_report(1), max_chars=-1)
    with pytest.raises(ValueError, match="max_anomalies"):
        render_comment_html(make_report(1), max_anomalies=-1)


# --- rows cut: "N more not shown" -----------------------------------------------------------


def test_all_rows_fit_no_more_line(make_report: ReportFactory, parse: Parse) -> None:
    out = render_comment_html(make_report(3))
    assert [r[0] for r in rows(parse(out))] == ["1", "2", "3"]
    assert "more not shown" not in out
    assert drilled_ranks(parse(out)) == [1, 2, 3]


def test_max_anomalies_cuts_rows_and_counts_the_rest(
    make_report: ReportFactory, parse: Parse
) -> None:
    out = render_comment_html(make_report(100), max_anomalies=10)
    assert [r[0] for r in rows(parse(out))] == [str(i) for i in range(1, 11)]
    assert more_not_shown(out) == 90


def test_max_anomalies_defaults_to_the_setting(make_report: ReportFactory, parse: Parse) -> None:
    report = make_report(40)
    assert len(rows(parse(render_comment_html(report)))) == 25
    assert more_not_shown(render_comment_html(report)) == 15
    report = replace(report, settings={"max_anomalies": "7"})
    assert len(rows(parse(render_comment_html(report)))) == 7
    report = replace(report, settings={})
    assert len(rows(parse(render_comment_html(report)))) == 25


def test_zero_rows_allowed(make_report: ReportFactory, parse: Parse) -> None:
    out = render_comment_html(make_report(5), max_anomalies=0)
    assert rows(parse(out)) == []
    assert more_not_shown(out) == 5
    assert "jdoe@contoso.com" in parse(out).text  # the verdicts still say what was found


def test_budget_cuts_rows_and_counts_them(make_report: ReportFactory, parse: Parse) -> None:
    report = make_report(1000, values=lambda i: f"value-{i}-" + "v" * 100)
    out = render_comment_html(report, max_anomalies=1000)
    assert len(out) <= COMMENT_MAX_CHARS
    shown = rows(parse(out))
    assert 10 <= len(shown) < 1000
    assert [r[0] for r in shown] == [str(i) for i in range(1, len(shown) + 1)]
    assert more_not_shown(out) == 1000 - len(shown)


@pytest.mark.parametrize("max_chars", [2500, 4000, 6000, 9000, 15_000, 30_000])
def test_drill_downs_go_before_rows(
    make_report: ReportFactory, parse: Parse, max_chars: int
) -> None:
    out = render_comment_html(make_report(60), max_anomalies=60, max_chars=max_chars)
    assert len(out) <= max_chars
    doc = parse(out)
    shown = [int(r[0]) for r in rows(doc)]
    drilled = drilled_ranks(doc)
    assert shown == list(range(1, len(shown) + 1))
    assert drilled == shown[: len(drilled)]
    assert more_not_shown(out) == 60 - len(shown)
    if len(drilled) < len(shown):
        first = len(drilled) + 1
        assert f"Drill-down KQL for #{first}" in doc.text
        assert "every query is in the JSON report" in doc.text


def test_budget_between_rows_and_drill_downs(make_report: ReportFactory, parse: Parse) -> None:
    report = make_report(25)
    full = render_comment_html(report)
    doc = parse(render_comment_html(report, max_chars=len(full) - 500))
    assert len(rows(doc)) == 25
    assert 0 < len(drilled_ranks(doc)) < 25


def test_oversized_query_is_replaced_by_a_note(make_report: ReportFactory, parse: Parse) -> None:
    anomalies = [
        make_anomaly(1, kql="T\n| where x == 1\n" + "| where y == 2\n" * 2000),
        make_anomaly(2),
    ]
    doc = parse(render_comment_html(make_report(anomalies)))
    assert drilled_ranks(doc) == [2]
    assert "query too long for the comment" in doc.text


# --- escaping -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_render_as_their_own_text(
    make_report: ReportFactory, parse: Parse, value: str
) -> None:
    hostile_entity = Entity(EntityKind.ACCOUNT, value, (value,))
    anomaly = make_anomaly(1, entity=hostile_entity, table=value, column=value, value=value)
    report = make_report(
        [anomaly],
        entities=[hostile_entity],
        tables={value: "failed", "SigninLogs": "ok"},
        errors={value: value},
        skipped=[SkippedEntity(value, value, value)],
        settings={"k": value},
    )
    out = render_comment_html(report)
    doc = parse(out)
    row = rows(doc)[0]
    assert row[2:6] == [value, value, value, value]
    verdict = doc.find_all("li")[0]
    assert verdict.find_all("b")[0].text == value
    assert f"= '{value}'" in verdict.text
    assert f"{value}: {value}" in doc.text  # the failed table and its reason
    assert f"{value} '{value}': {value}" in doc.text  # the skipped entity
    assert f"k={value}" in doc.text  # the settings echo
    assert value in doc.find_all("pre")[0].text
    assert "<script" not in out.lower()
    assert "<img" not in out.lower()
    assert "\n\n" not in out


@pytest.mark.parametrize(("value", "shown"), HOSTILE_SHOWN.items())
def test_control_and_bidi_characters_are_shown_not_obeyed(
    make_report: ReportFactory, parse: Parse, value: str, shown: str
) -> None:
    report = make_report([make_anomaly(1, value=value)])
    out = render_comment_html(report)
    doc = parse(out)
    assert rows(doc)[0][5] == shown
    assert "\n\n" not in out
    assert "\u202e" not in out


def test_long_values_are_cut_with_an_ellipsis(make_report: ReportFactory, parse: Parse) -> None:
    value = "<b>" * 5000
    out = render_comment_html(make_report([make_anomaly(1, value=value)]))
    cell = rows(parse(out))[0][5]
    assert cell.endswith("…")
    assert value.startswith(cell[:-1])
    assert len(cell) <= 120


def test_empty_value_is_labelled(make_report: ReportFactory, parse: Parse) -> None:
    out = render_comment_html(make_report([make_anomaly(1, value="")]))
    assert rows(parse(out))[0][5] == "(empty)"


# --- links ----------------------------------------------------------------------------------


def test_https_links_on_rank_numbers(make_report: ReportFactory, parse: Parse) -> None:
    url = 'https://portal.azure.com/#blade/q/H4sI%252F?x=1&y="2"><script>'
    links = {1: url, 2: "javascript:alert(1)", 3: "http://plain.example/q"}
    out = render_comment_html(make_report(3), links=links)
    doc = parse(out)
    anchors = doc.find_all("a")
    assert [(a.attrs, a.text) for a in anchors] == [([("href", url)], "1")]
    assert "javascript:" not in out
    assert "http://plain" not in out
    assert "a linked # opens the query" in doc.text


@pytest.mark.parametrize(
    "url",
    [
        "data:text/html,x",
        "https://",
        "https:///path",
        " https://a.example",
        "https://a.example/\n",
        "HTTP://a.example",
        "//a.example",
        "https://a.example/" + "x" * 5000,
    ],
)
def test_unsafe_links_are_dropped(make_report: ReportFactory, parse: Parse, url: str) -> None:
    assert parse(render_comment_html(make_report(1), links={1: url})).find_all("a") == []


# --- content --------------------------------------------------------------------------------


def test_rows_are_ordered_by_rank_whatever_the_input_order(
    make_report: ReportFactory, parse: Parse
) -> None:
    anomalies = [make_anomaly(i, value=f"v{i}") for i in range(1, 31)]
    random.Random(7).shuffle(anomalies)
    doc = parse(render_comment_html(make_report(anomalies), max_anomalies=30))
    assert [r[0] for r in rows(doc)] == [str(i) for i in range(1, 31)]
    assert [r[5] for r in rows(doc)] == [f"v{i}" for i in range(1, 31)]
    assert drilled_ranks(doc) == list(range(1, 31))


def test_row_cells(make_report: ReportFactory, parse: Parse) -> None:
    anomaly = make_anomaly(
        1, value="RU", actual=42, expected=1.2, score=8.414, series=[0] * 14 + [42], first_seen=True
    )
    row = rows(parse(render_comment_html(make_report([anomaly]))))[0]
    assert row == [
        "1",
        "8.41",
        "jdoe@contoso.com",
        "SigninLogs",
        "Location",
        "RU",
        "42 vs ~1.2, new",
        "▁" * 14 + "█",
        "2025-01-03 (1d)",
    ]


def test_hourly_sparkline_is_shortened_and_keeps_the_test_bin(
    make_report: ReportFactory, parse: Parse
) -> None:
    anomaly = make_anomaly(1, series=[0.0] * 71 + [9.0], step=HOURLY.step)
    row = rows(parse(render_comment_html(make_report([anomaly]))))[0]
    assert row[7] == "▁" * 23 + "█"
    assert row[8] == "2025-01-03 10:00 (1h)"


def test_verdict_per_entity(make_report: ReportFactory, parse: Parse) -> None:
    doc = parse(render_comment_html(make_report(3)))
    verdicts = [li.text for li in doc.find_all("ul")[0].find_all("li")]
    assert verdicts == [
        "jdoe@contoso.com (Account): 2 anomalies in 2 tables, top #1: "
        "SigninLogs Location = 'value-1' 41 vs ~1.2 expected",
        "203.0.113.7 (Ip): 1 anomaly in 1 table, top #2: "
        "SigninLogs AppDisplayName = 'value-2' 42 vs ~1.2 expected",
        "ws-042.contoso.com (Host): nothing unusual in 2 tables",
    ]


def test_verdict_for_an_entity_seen_nowhere_and_an_hourly_entity(
    make_report: ReportFactory, parse: Parse
) -> None:
    report = make_report(1, entities=[JDOE, IP], windows={IP.value: HOURLY})
    report = replace(report, tables=tuple(replace(t, entity_columns={}) for t in report.tables))
    report = replace(
        report,
        entities=tuple(
            replace(e, first_seen=HOURLY.start if e.entity == IP else DAILY.start)
            for e in report.entities
        ),
    )
    verdicts = [li.text for li in parse(render_comment_html(report)).find_all("li")]
    assert verdicts[1] == (
        "203.0.113.7 (Ip): not seen in any of the 3 tables searched "
        "(1h bins from 2024-12-31 11:00; first seen 2024-12-31 11:00)"
    )


def test_header_says_which_entity_used_which_step(make_report: ReportFactory, parse: Parse) -> None:
    report = make_report(1, entities=[JDOE, IP], windows={IP.value: HOURLY})
    text = parse(render_comment_html(report)).text
    assert "Window 2024-12-20 to 2025-01-04 UTC in 1d bins;" in text
    assert "is the one tested for jdoe@contoso.com." in text
    assert "Window 2024-12-31 11:00 to 2025-01-03 11:00 UTC in 1h bins;" in text
    assert "is the one tested for 203.0.113.7." in text


def test_header_states_the_hourly_window_when_every_entity_used_it(
    make_report: ReportFactory, parse: Parse
) -> None:
    # Issue 10: the header said "1d bins" while every entity was analysed in 1h bins.
    report = make_report(1, entities=[JDOE, IP], windows={IP.value: HOURLY, JDOE.value: HOURLY})
    text = parse(render_comment_html(report)).text
    assert "1d bins" not in text
    assert "Window 2024-12-31 11:00 to 2025-01-03 11:00 UTC in 1h bins;" in text
    assert "(1h bins from" not in text  # no per-entity note repeating the header


def test_entities_with_anomalies_come_first(make_report: ReportFactory, parse: Parse) -> None:
    anomalies = [make_anomaly(1, entity=IP), make_anomaly(2, entity=IP)]
    verdicts = [li.text for li in parse(render_comment_html(make_report(anomalies))).find_all("li")]
    assert verdicts[0].startswith("203.0.113.7 (Ip): 2 anomalies")
    assert verdicts[1].startswith("jdoe@contoso.com (Account): nothing unusual")


def test_no_anomalies_is_said_plainly(make_report: ReportFactory, parse: Parse) -> None:
    doc = parse(render_comment_html(make_report(0, series_scored=1234)))
    assert "No anomalies: 1,234 series scored across 2 tables." in doc.text
    assert doc.find_all("table") == []
    assert "nothing unusual in 2 tables" in doc.text


def test_header_and_footer(make_report: ReportFactory, parse: Parse) -> None:
    report = make_report(
        2,
        tables={
            "SigninLogs": "ok",
            "AuditLogs": "partial",
            "SecurityEvent": "no_match",
            "DeviceLogonEvents": "failed",
            "Syslog": "skipped",
            "DnsEvents": "failed",
        },
        errors={
            "AuditLogs": "row limit 500000 reached",
            "DeviceLogonEvents": "timeout",
            "DnsEvents": "timeout",
            "Syslog": "time budget exhausted",
        },
        skipped=[
            SkippedEntity("Malware", "kind not supported", "EvilDropper"),
            SkippedEntity("Account", "no identifier"),
        ],
    )
    text = parse(render_comment_html(report)).text
    for expected in [
        "Anomaly lookup for incident #4711, alert time 2025-01-03 10:15 UTC "
        "(from alerts[].endTimeUtc)",
        "Window 2024-12-20 to 2025-01-04 UTC in 1d bins; the last bin (2025-01-03 to "
        "2025-01-04) is the one tested.",
        "Incomplete: 1 partial, 2 failed, 1 skipped of 6 tables",
        "Tables: 6 (1 ok, 1 no_match, 1 partial, 2 failed, 1 skipped)",
        "failed DeviceLogonEvents, DnsEvents: timeout",
        "partial AuditLogs: row limit 500000 reached",
        "skipped Syslog: time budget exhausted",
        "Skipped entities (2):",
        "Malware 'EvilDropper': kind not supported",
        "Account: no identifier",
        "Window 2024-12-20T00:00:00Z to 2025-01-04T00:00:00Z (end exclusive), step 1d, 15 bins",
        "Settings: tables=auto; lookback_days=14; step=auto; threshold=1.5; max_anomalies=25",
        "Stats: 7 queries in 3.25 s, 120 series scored, 5,400 rows returned, 0 retries.",
        "anomaly-lookup 0.1.0, backend local, generated 2025-01-03T10:20:05Z",
    ]:
        assert expected in text


def test_failures_survive_any_cut(make_report: ReportFactory, parse: Parse) -> None:
    errors = {"AuditLogs": "Query timed out after 180 s", "DnsEvents": "403 Forbidden: no access"}
    report = make_report(
        1000,
        tables={"SigninLogs": "ok", "AuditLogs": "failed", "DnsEvents": "partial"},
        errors=errors,
    )
    for max_chars in (2000, 5000, 30_000):
        out = render_comment_html(report, max_anomalies=1000, max_chars=max_chars)
        assert len(out) <= max_chars
        text = parse(out).text
        assert "failed AuditLogs: Query timed out after 180 s" in text
        assert "partial DnsEvents: 403 Forbidden: no access" in text
        assert more_not_shown(out) == 1000 - len(rows(parse(out)))


def test_many_distinct_failures_are_shortened_not_dropped(
    make_report: ReportFactory, parse: Parse
) -> None:
    tables = {f"T{i}_CL": "failed" for i in range(200)}
    errors = {name: f"{name} broke: " + "detail " * 300 for name in tables}
    out = render_comment_html(make_report(50, tables=tables, errors=errors))
    assert len(out) <= COMMENT_MAX_CHARS
    text = parse(out).text
    assert all(re.search(rf"\b{name}\b", text) for name in tables)
    assert "Incomplete: 200 failed of 200 tables" in text


def test_no_blank_lines_so_markdown_renderers_keep_one_html_block(
    make_report: ReportFactory,
) -> None:
    anomaly = make_anomaly(1, kql="T\n\n\n| take 1\n\n", value="a\n\nb")
    out = render_comment_html(make_report([anomaly], errors={"AuditLogs": "x\n\ny"}))
    assert "\n\n" not in out
    assert out.startswith("<p>")


# --- no entities --------------------------------------------------------------------------


def test_no_usable_entity_still_gets_a_comment(make_report: ReportFactory, parse: Parse) -> None:
    skipped = [
        SkippedEntity("Malware", "kind not supported by the lookup", "EvilDropper"),
        SkippedEntity("Account", "no name, UPN, SID or object id", None),
    ]
    report = make_report(0, entities=[], skipped=skipped, tables={})
    out = render_comment_html(report)
    text = parse(out).text
    assert "No lookup was run: the incident has no entity the lookup can search." in text
    assert "Skipped entities (2):" in text
    assert "Malware 'EvilDropper': kind not supported by the lookup" in text
    assert "Account: no name, UPN, SID or object id" in text
    assert "No anomalies" not in text
    assert "Window" not in text


def test_incident_without_any_entity(make_report: ReportFactory, parse: Parse) -> None:
    text = parse(render_comment_html(make_report(0, entities=[], tables={}))).text
    assert "the incident has no entity the lookup can search (it has no entities at all)." in text


def test_many_hostile_skipped_entities_fit(make_report: ReportFactory, parse: Parse) -> None:
    skipped = [SkippedEntity("<b>K", "<script>" * 500, f"n{i}" + "&" * 500) for i in range(2000)]
    out = render_comment_html(make_report(0, entities=[], skipped=skipped, tables={}))
    assert len(out) <= COMMENT_MAX_CHARS
    assert "Skipped entities (2,000):" in parse(out).text


# --- properties -----------------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(st.text(min_size=0, max_size=300), min_size=4, max_size=4),
    count=st.integers(min_value=0, max_value=60),
    max_chars=st.integers(min_value=0, max_value=40_000),
)
def test_any_text_any_budget(
    make_report: ReportFactory, parse: Parse, texts: list[str], count: int, max_chars: int
) -> None:
    entity_value, table, value, reason = texts
    entity = Entity(EntityKind.HOST, entity_value, (entity_value,))
    anomalies = [
        make_anomaly(i, entity=entity, table=table or "T", value=value) for i in range(1, count + 1)
    ]
    report = make_report(
        anomalies,
        entities=[entity],
        tables={table or "T": "partial"},
        errors={table or "T": reason},
    )
    out = render_comment_html(report, max_chars=max_chars)
    assert len(out) <= max_chars
    assert "\n\n" not in out
    doc = parse(out)
    shown = rows(doc)
    assert [r[0] for r in shown] == [str(i) for i in range(1, len(shown) + 1)]
    if shown:
        assert more_not_shown(out) == count - len(shown)


def test_related_columns_are_shown_escaped(make_report: ReportFactory, parse: Parse) -> None:
    report = make_report(1)
    folded = replace(
        report.anomalies[0],
        related=(("EventID", "4625"), ("Activity", "<b>x</b>"), ("A", "1"), ("B", "2")),
    )
    html = render_comment_html(replace(report, anomalies=(folded,)))
    (small,) = [e for e in parse(html).find_all("small") if "same rows" in e.text]
    assert small.text == "same rows: EventID = 4625; Activity = <b>x</b>; A = 1; 1 more"
    assert "<b>x</b>" not in html


def test_long_unbroken_values_can_wrap_without_changing_their_text(
    make_report: ReportFactory, parse: Parse
) -> None:
    path = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    digest = "3395856ce81f2b7382dee72602f798b642f14140"
    report = make_report([make_anomaly(1, value=path), make_anomaly(2, value=digest)])
    html = render_comment_html(report)
    assert "powershell.<wbr>exe" in html
    assert "3395856ce81f2b7382dee726<wbr>02f798b642f14140" in html
    assert [row[5] for row in rows(parse(html))] == [path, digest]
