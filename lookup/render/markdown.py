"""The terminal report (``--format markdown``): everything the lookup found, readable raw.

Unlike the incident comment there is no size budget: every anomaly and every drill-down
query is shown. Values from the logs go into code spans, so Markdown viewers show them
literally, and control characters become visible pictures (see ``display_text``).
"""

from __future__ import annotations

import re

from lookup import __version__
from lookup.models import Anomaly, Window
from lookup.render._common import (
    actual_vs_expected,
    display_text,
    entity_list_text,
    entity_summaries,
    fmt_bin,
    fmt_count,
    fmt_score,
    fmt_seconds,
    folded_parts,
    incomplete_tables,
    no_anomalies_sentence,
    plural,
    ranked,
    skipped_entity_text,
    status_counts,
    step_groups,
    step_text,
    utc,
    verdict_text,
)
from lookup.render.sparkline import sparkline
from lookup.report import Report
from lookup.timefmt import iso

#: Longest value shown in a table cell; the drill-down query always carries the full value.
CELL_CHARS = 80
#: Sparkline width; hourly series (73 points) are shortened, keeping the test bin.
SPARKLINE_WIDTH = 40

_BACKTICKS = re.compile(r"`+")
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>])")


def render_markdown(report: Report) -> str:
    """Render the whole report as Markdown for a terminal or a Markdown viewer.

    Sections: header (incident, alert time and its source, window and step), entities
    with their verdicts, the ranked anomaly table with sparklines (or the plain "No
    anomalies" sentence), a drill-down KQL block per anomaly, table statuses with error
    reasons, skipped entities, settings and stats.
    """
    sections = [
        _header(report),
        _entities(report),
        _anomalies(report),
        _drilldowns(report),
        _charts(report),
        _tables(report),
        _skipped(report),
        _settings(report),
        _stats(report),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _text(value: str, limit: int | None = None) -> str:
    """Prose from untrusted input: printable, with Markdown punctuation escaped."""
    return _MD_SPECIAL.sub(r"\\\1", display_text(value, limit))


def _related(anomaly: Anomaly, shown: int = 3) -> str:
    """What is folded into this row: the same rows through other columns or entities."""
    texts = []
    for label, pairs in folded_parts(anomaly):
        parts = [
            f"{_code(column, CELL_CHARS)} = {_code(value, CELL_CHARS)}"
            for column, value in pairs[:shown]
        ]
        if len(pairs) > shown:
            parts.append(f"{len(pairs) - shown} more")
        texts.append(f"{_text(label, 200)}: " + "; ".join(parts))
    return f" ({' | '.join(texts)})" if texts else ""


def _code(value: str, limit: int | None = None) -> str:
    """A value as an inline code span, shown literally whatever it contains."""
    shown = display_text(value, limit)
    if not shown:
        return "*(empty)*"
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(shown)), default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def _cell(markdown: str) -> str:
    r"""Make Markdown safe inside a table cell: pipes would split the cell.

    GFM unescapes ``\|`` before parsing the cell, also inside code spans, so every pipe
    is escaped the same way.
    """
    return markdown.replace("|", "\\|")


def _window_text(window: Window) -> str:
    return (
        f"{iso(utc(window.start))} to {iso(utc(window.end))} (end exclusive), "
        f"step {step_text(window.step)}, {plural(window.bins, 'bin')}; "
        f"test bin {iso(utc(window.test_bin_start))}"
    )


def _window_lines(report: Report) -> list[str]:
    """The window the entities were tested in, or, with several steps, which used which."""
    groups = step_groups(report)
    if len(groups) == 1:
        return [f"- Window: {_window_text(groups[0].window)}"]
    lines = ["- Windows (each entity is tested in its own step):"]
    for group in groups:
        names = entity_list_text(group.entities, 60)
        lines.append(f"  - {_window_text(group.window)}: {_text(names, 400)}")
    return lines


def _header(report: Report) -> str:
    incident = report.incident
    title = "# Anomaly lookup"
    if incident.number is not None:
        title += f": incident #{int(incident.number)}"
    if incident.title:
        title += f" {_text(incident.title, 200)}"
    lines = [
        title,
        "",
        f"- Alert time: {iso(utc(incident.alert_time))} "
        f"(from {_code(incident.alert_time_source, 100)})",
    ]
    if incident.severity:
        lines.append(f"- Severity: {_text(incident.severity, 40)}")
    if report.entities or report.anomalies:
        lines.extend(_window_lines(report))
    else:
        lines.append(
            "- **No lookup was run:** the incident has no entity the lookup can search"
            + ("." if incident.skipped_entities else " (it has no entities at all).")
        )
    incomplete = status_counts(incomplete_tables(report))
    if incomplete:
        counts = ", ".join(f"{n} {_text(status)}" for status, n in incomplete.items())
        lines.append(
            f"- **Incomplete:** {counts} of {plural(len(report.tables), 'table')}; "
            "anomalies in those tables may be missing (see Tables)."
        )
    return "\n".join(lines)


def _entities(report: Report) -> str:
    summaries = entity_summaries(report)
    if not summaries:
        return ""
    identifiers = {
        (e.entity.value, str(e.entity.kind)): e.entity.identifiers for e in report.entities
    }
    lines = [f"## Entities ({len(summaries)})", ""]
    for summary in summaries:
        lines.append(
            f"- {_code(summary.value, 200)} ({_text(summary.kind, 40)}): "
            f"{_text(verdict_text(summary, report, 200))}"
        )
        terms = [t for t in identifiers.get((summary.value, summary.kind), ()) if t]
        if len(terms) > 1:
            lines.append("  - searched as: " + ", ".join(_code(t, 200) for t in terms))
    return "\n".join(lines)


def _anomalies(report: Report) -> str:
    ordered = ranked(report)
    if not (report.entities or ordered):
        return ""
    if not ordered:
        return f"## Anomalies\n\n{no_anomalies_sentence(report)}"
    lines = [
        f"## Anomalies ({len(ordered)}, ranked by score)",
        "",
        "| # | Score | Entity | Table | Column = value | Actual vs expected | Series | Bin (UTC) |",
        "|--:|------:|--------|-------|----------------|--------------------|--------|-----------|",
    ]
    for anomaly in ordered:
        cells = (
            str(int(anomaly.rank)),
            fmt_score(anomaly.score),
            _code(anomaly.entity, CELL_CHARS),
            _code(anomaly.table, CELL_CHARS),
            f"{_code(anomaly.column, CELL_CHARS)} = {_code(anomaly.value, CELL_CHARS)}"
            + _related(anomaly),
            actual_vs_expected(anomaly),
            sparkline(anomaly.series, width=SPARKLINE_WIDTH),
            fmt_bin(anomaly),
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _drilldowns(report: Report) -> str:
    ordered = ranked(report)
    if not ordered:
        return ""
    blocks = ["## Drill-down queries"]
    for anomaly in ordered:
        blocks.append(f"### #{int(anomaly.rank)} {_drill_title(anomaly)}\n\n{_kql_block(anomaly)}")
    return "\n\n".join(blocks)


def _charts(report: Report) -> str:
    charts = report.charts
    if not charts:
        return ""
    blocks = [
        "## Charts\n\nKusto's own `series_decompose_anomalies` view of the anomalous values, "
        "one query per table and bin size (run in Log Analytics)."
    ]
    for table, queries in charts.items():
        for query in queries:
            blocks.append(f"### {_code(table, CELL_CHARS)}\n\n{_fenced(query)}")
    return "\n\n".join(blocks)


def _drill_title(anomaly: Anomaly) -> str:
    return (
        f"{_code(anomaly.table, CELL_CHARS)}: {_code(anomaly.column, CELL_CHARS)} = "
        f"{_code(anomaly.value, CELL_CHARS)} ({_code(anomaly.entity, CELL_CHARS)}, "
        f"{fmt_count(anomaly.actual)} rows in the bin starting {fmt_bin(anomaly)})"
    )


def _kql_block(anomaly: Anomaly) -> str:
    return _fenced(anomaly.drilldown_kql)


def _fenced(kql: str) -> str:
    query = "\n".join(display_text(line) for line in kql.split("\n"))
    # A fence longer than any backtick run inside, so no value can close the block.
    longest = max((len(m) for m in _BACKTICKS.findall(query)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}kql\n{query}\n{fence}"


def _tables(report: Report) -> str:
    if not report.tables:
        return ""
    counts = ", ".join(f"{n} {status}" for status, n in status_counts(report.tables).items())
    lines = [
        f"## Tables ({len(report.tables)}: {_text(counts)})",
        "",
        "| Table | Status | Rows | Series scored | Entity columns | Reason, notes |",
        "|-------|--------|-----:|--------------:|----------------|--------|",
    ]
    for table in report.tables:
        columns = sorted({c for cols in table.entity_columns.values() for c in cols})
        cells = (
            _code(table.table, CELL_CHARS),
            _text(table.status, 20),
            "" if table.row_count is None else fmt_count(table.row_count),
            fmt_count(table.series_scored),
            ", ".join(_code(c, 60) for c in columns),
            _text("; ".join(filter(None, (table.error, *table.notes))), 500),
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _skipped(report: Report) -> str:
    skipped = report.incident.skipped_entities
    if not skipped:
        return ""
    lines = [f"## Skipped entities ({len(skipped)})", ""]
    lines += [f"- {_text(skipped_entity_text(s.kind, s.name, s.reason, 200))}" for s in skipped]
    return "\n".join(lines)


def _settings(report: Report) -> str:
    if not report.settings:
        return ""
    lines = ["## Settings", ""]
    lines += [f"- {_text(k, 60)}: {_code(v, 200)}" for k, v in report.settings.items()]
    return "\n".join(lines)


def _stats(report: Report) -> str:
    stats = report.stats
    line = (
        f"{plural(stats.queries, 'query', 'queries')} in {fmt_seconds(stats.seconds)}, "
        f"{plural(stats.series_scored, 'series', 'series')} scored, "
        f"{plural(stats.rows_returned, 'row')} returned, "
        f"{plural(stats.retries, 'retry', 'retries')}."
    )
    made = f"anomaly-lookup {_text(report.version or __version__, 40)}"
    if report.backend:
        made += f", backend {_text(report.backend, 40)}"
    made += f", generated {iso(utc(report.generated_at))}"
    return f"## Stats\n\n{line}\n\n{made}"
