from __future__ import annotations

import json

import pytest
from conftest import ReportFactory

from lookup.render import FORMATS, render, render_comment_html, render_markdown


def test_formats(make_report: ReportFactory) -> None:
    report = make_report(2)
    assert render(report, "json") == report.to_json()
    assert json.loads(render(report, "json"))["anomalies"][0]["rank"] == 1
    assert render(report, "markdown") == render_markdown(report)
    assert render(report, "html") == render_comment_html(report)
    assert FORMATS == ("json", "markdown", "html")


def test_unknown_format(make_report: ReportFactory) -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render(make_report(1), "xml")
