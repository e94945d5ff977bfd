"""Renderers: the report as JSON, as Markdown for a terminal, or as the incident comment."""

from __future__ import annotations

from lookup.render.html import COMMENT_MAX_CHARS, render_comment_html
from lookup.render.markdown import render_markdown
from lookup.render.sparkline import sparkline
from lookup.report import Report

#: The formats :func:`render` accepts (the CLI's ``--format`` choices).
FORMATS = ("json", "markdown", "html")

__all__ = [
    "COMMENT_MAX_CHARS",
    "FORMATS",
    "render",
    "render_comment_html",
    "render_markdown",
    "sparkline",
]


def render(report: Report, fmt: str) -> str:
    """Render ``report`` as ``json``, ``markdown`` or ``html`` (the incident comment).

    Raises:
        ValueError: ``fmt`` is not one of :data:`FORMATS`.
    """
    if fmt == "json":
        return report.to_json()
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "html":
        return render_comment_html(report)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
