from __future__ import annotations

import re

from conftest import HOURLY, IP, JDOE, ReportFactory, make_anomaly

from lookup.models import SkippedEntity
from lookup.render.markdown import render_markdown

FENCE = re.compile(r"^(`{3,})kql\n(.*?)\n\1$", re.S | re.M)


def drilldowns(markdown: str) -> str:
    """The drill-down section (the chart queries after it are also kql blocks)."""
    return markdown.split("## Drill-down queries", 1)[-1].split("## Charts", 1)[0]


def table_rows(markdown: str, header_start: str) -> list[list[str]]:
    """Cells of the Markdown table whose header starts with ``header_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    found = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        found.append([c.strip() for c in cells])
    return found


def test_header(make_report: ReportFactory) -> None:
    out = render_markdown(make_report(3))
    assert out.startswith("# Anomaly lookup: incident #4711 Sign-in from an unusual country\n")
    assert "- Alert time: 2025-01-03T10:15:00Z (from `alerts[].endTimeUtc`)" in out
    assert (
        "- Window: 2024-12-20T00:00:00Z to 2025-01-04T00:00:00Z (end exclusive), step 1d, "
        "15 bins; test bin 2025-01-03T00:00:00Z"
    ) in out


def test_entities_with_verdicts_and_identifiers(make_report: ReportFactory) -> None:
    out = render_markdown(make_report(3))
    assert (
        "- `jdoe@contoso.com` (Account): 2 anomalies in 2 tables, top #1: "
        "SigninLogs Location = 'value-1' 41 vs ~1.2 expected"
    ) in out
    assert "  - searched as: `jdoe@contoso.com`, `jdoe`, `CONTOSO\\jdoe`" in out
    assert "- `ws-042.contoso.com` (Host): nothing unusual in 2 tables" in out


def test_ranked_table(make_report: ReportFactory) -> None:
    anomalies = [
        make_anomaly(2, value="b", actual=7, expected=0.4, score=3.5, series=[0] * 14 + [7]),
        make_anomaly(1, entity=IP, value="a", score=9.25, first_seen=True),
    ]
    rows = table_rows(render_markdown(make_report(anomalies)), "| # | Score |")
    assert rows == [
        ["1", "9.25", "`203.0.113.7`", "`SigninLogs`", "`Location` = `a`", "42 vs ~1.2, new",
         "▂▂▂▂▂▂▂▂▂▂▂▂▂▂█", "2025-01-03 (1d)"],
        ["2", "3.50", "`jdoe@contoso.com`", "`SigninLogs`", "`Location` = `b`", "7 vs ~0.4",
         "▁▁▁▁▁▁▁▁▁▁▁▁▁▁█", "2025-01-03 (1d)"],
    ]  # fmt: skip


def test_drill_down_code_blocks_in_rank_order(make_report: ReportFactory) -> None:
    report = make_report(4)
    blocks = FENCE.findall(drilldowns(render_markdown(report)))
    assert [query for _, query in blocks] == [a.drilldown_kql for a in report.anomalies]
    assert "### #1 `SigninLogs`: `Location` = `value-1`" in render_markdown(report)


def test_backticks_in_values_cannot_close_the_fence(make_report: ReportFactory) -> None:
    value = "```\nrm -rf /\n````"
    out = render_markdown(make_report([make_anomaly(1, value=value)]))
    ((fence, query),) = FENCE.findall(drilldowns(out))
    assert len(fence) == 5
    assert "`````kql" in out
    assert value.replace("\n", "\\n") in query  # the drill-down's KQL literal


def test_hostile_values_keep_the_table_intact(make_report: ReportFactory) -> None:
    value = "a | b\nc <script>` x"
    out = render_markdown(make_report([make_anomaly(1, value=value, column="C|D")]))
    row = next(line for line in out.splitlines() if line.startswith("| 1 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 9
    assert "a \\| b␊c <script>` x" in row
    assert "\n\n\n" not in out


def test_no_anomalies_sentence(make_report: ReportFactory) -> None:
    out = render_markdown(make_report(0, series_scored=340))
    assert "## Anomalies\n\nNo anomalies: 340 series scored across 2 tables." in out
    assert "```kql" not in out
    assert "| # | Score |" not in out


def test_tables_with_statuses_and_reasons(make_report: ReportFactory) -> None:
    report = make_report(
        1,
        tables={
            "SigninLogs": "ok",
            "AuditLogs": "partial",
            "SecurityEvent": "no_match",
            "DnsEvents": "failed",
            "Syslog": "skipped",
        },
        errors={
            "AuditLogs": "row limit reached",
            "DnsEvents": "403 | Forbidden",
            "Syslog": "time budget exhausted",
        },
    )
    out = render_markdown(report)
    assert "## Tables (5: 1 ok, 1 no_match, 1 partial, 1 failed, 1 skipped)" in out
    rows = {r[0]: r for r in table_rows(out, "| Table |")}
    assert rows["`AuditLogs`"][1:] == [
        "partial",
        "1,000",
        "60",
        "`UserPrincipalName`",
        "row limit reached",
    ]
    assert rows["`DnsEvents`"][1] == "failed"
    assert rows["`DnsEvents`"][5] == "403 \\| Forbidden"
    assert rows["`Syslog`"][5] == "time budget exhausted"
    assert rows["`SecurityEvent`"][1:4] == ["no_match", "", "0"]
    assert "- **Incomplete:** 1 partial, 1 failed, 1 skipped of 5 tables" in out


def test_skipped_entities_settings_and_stats(make_report: ReportFactory) -> None:
    report = make_report(1, skipped=[SkippedEntity("Malware", "kind not supported", "EvilDropper")])
    out = render_markdown(report)
    assert "## Skipped entities (1)\n\n- Malware 'EvilDropper': kind not supported" in out
    assert "## Settings\n\n- tables: `auto`\n- lookback_days: `14`\n" in out
    assert "7 queries in 3.25 s, 120 series scored, 5,400 rows returned, 0 retries." in out
    assert "anomaly-lookup 0.1.0, backend local, generated 2025-01-03T10:20:05Z" in out


def test_hourly_entity_is_noted(make_report: ReportFactory) -> None:
    out = render_markdown(make_report(0, windows={IP.value: HOURLY}))
    assert "(1h bins from 2024-12-31 11:00)" in out


def test_header_lists_each_step_with_its_entities(make_report: ReportFactory) -> None:
    out = render_markdown(make_report(1, entities=[JDOE, IP], windows={IP.value: HOURLY}))
    assert (
        "- Windows (each entity is tested in its own step):\n"
        "  - 2024-12-20T00:00:00Z to 2025-01-04T00:00:00Z (end exclusive), step 1d, 15 bins; "
        "test bin 2025-01-03T00:00:00Z: jdoe@contoso.com\n"
        "  - 2024-12-31T11:00:00Z to 2025-01-03T11:00:00Z (end exclusive), step 1h, 72 bins; "
        "test bin 2025-01-03T10:00:00Z: 203.0.113.7\n"
    ) in out


def test_header_states_the_hourly_window_when_every_entity_used_it(
    make_report: ReportFactory,
) -> None:
    windows = {IP.value: HOURLY, JDOE.value: HOURLY}
    out = render_markdown(make_report(1, entities=[JDOE, IP], windows=windows))
    header = out.split("\n## ")[0]
    assert (
        "- Window: 2024-12-31T11:00:00Z to 2025-01-03T11:00:00Z (end exclusive), step 1h" in header
    )
    assert "step 1d" not in header


def test_no_usable_entity(make_report: ReportFactory) -> None:
    report = make_report(
        0, entities=[], tables={}, skipped=[SkippedEntity("Malware", "kind not supported")]
    )
    out = render_markdown(report)
    assert "**No lookup was run:** the incident has no entity the lookup can search." in out
    assert "- Malware: kind not supported" in out
    assert "## Anomalies" not in out
    assert "Window" not in out


def test_every_anomaly_is_shown(make_report: ReportFactory) -> None:
    out = render_markdown(make_report(300))
    assert len(table_rows(out, "| # | Score |")) == 300
    assert len(FENCE.findall(drilldowns(out))) == 300


def test_related_columns_are_listed(make_report: ReportFactory) -> None:
    from dataclasses import replace

    report = make_report(1)
    folded = replace(report.anomalies[0], related=(("EventID", "4625"),))
    text = render_markdown(replace(report, anomalies=(folded,)))
    assert "(same rows: `EventID` = `4625`)" in text


def test_chart_queries_follow_the_drilldowns(make_report: ReportFactory) -> None:
    out = render_markdown(make_report(3))
    charts = out.split("## Charts", 1)[1].split("## Tables", 1)[0]
    queries = FENCE.findall(charts)
    assert queries
    assert all("render anomalychart" in query for _, query in queries)
