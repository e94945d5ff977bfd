"""A report in Jupyter: the incident comment's HTML (:meth:`Report._repr_html_`)."""

from __future__ import annotations

from lookup.drilldown import portal_link
from lookup.render.html import render_comment_html
from lookup.report import Report

__all__ = ["drilldown_links", "report_html"]


def drilldown_links(report: Report) -> dict[int, str]:
    """Log Analytics portal links of the drill-down queries, by rank.

    Empty when the incident's workspace is not known by its ARM coordinates (a local or
    DataFrame workspace): the comment then shows the queries without links.
    """
    workspace = report.incident.workspace.arm_id
    if workspace is None:
        return {}
    return {
        a.rank: portal_link(
            a.drilldown_kql, workspace, timespan=(a.bin_start, a.bin_start + a.step)
        )
        for a in report.anomalies
        if a.drilldown_kql
    }


def report_html(report: Report) -> str:
    """The HTML Sentinel would show as the incident comment, with portal links if known."""
    return render_comment_html(report, links=drilldown_links(report))
