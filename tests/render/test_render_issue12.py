"""What issue 12 adds to the renderings: table notes, rows folded across entities."""

from __future__ import annotations

from dataclasses import replace

from conftest import ReportFactory

from lookup.models import TableResult
from lookup.render import render

GAP = "gap: 12 of 14 daily bins before the test bin had no data"


def _with_notes(make_report: ReportFactory) -> object:
    report = make_report(1)
    notes = TableResult(
        "SAPAuditLog_CL", "ok", row_count=3214, series_scored=40, notes=(GAP, "too little history")
    )
    (anomaly,) = report.anomalies
    folded = replace(
        anomaly,
        related=(("EventID", "4625"),),
        in_step=(("LogonType", "10"),),
        also=(("WS-1", "Host", "EventID", "4625"),),
    )
    return replace(report, tables=(*report.tables, notes), anomalies=(folded,))


def test_markdown_says_what_each_table_is_missing_and_what_a_row_folds(
    make_report: ReportFactory,
) -> None:
    text = render(_with_notes(make_report), "markdown")  # type: ignore[arg-type]
    assert f"{GAP}; too little history" in text
    assert "same rows: `EventID` = `4625`" in text
    assert "moved in step with: `LogonType` = `10`" in text
    assert "also WS-1: `EventID` = `4625`" in text


def test_the_comment_lists_table_notes_and_every_entity_of_a_row(
    make_report: ReportFactory,
) -> None:
    html = render(_with_notes(make_report), "html")  # type: ignore[arg-type]
    assert f"<b>note</b> SAPAuditLog_CL: {GAP}; too little history" in html
    assert "also WS-1: EventID = 4625" in html
