"""The Sentinel incident comment: ranked anomalies as simple HTML that always fits.

Sentinel renders HTML in incident comments and refuses messages over 30,000 characters,
counted as .NET counts a string: UTF-16 code units, so an emoji or any character beyond
U+FFFF counts twice (:func:`~lookup.sentinel.comments.sentinel_length`; every size below
is measured that way). The comment is assembled from parts whose sizes are known, and
trimmed in a fixed order until it fits: drill-down queries of the lowest-ranked rows go
first, then the lowest-ranked rows, then detail in the header and footer (long texts are
cut shorter, long lists are summarised). Failed, partial and skipped tables are never left
out: the analyst must know where the lookup could not look.

Output rules, relied on by the tests:

- only the tags ``table tr th td b i br p pre ul li a small``, and ``href`` as the only
  attribute (https URLs only);
- every text from the report is escaped with :func:`html.escape` and made printable with
  :func:`~lookup.render._common.display_text` (control characters become ``␊``-style
  pictures, bidi overrides become ``[U+202E]`` markers);
- no blank line anywhere, so a renderer that treats the comment as Markdown with inline
  HTML keeps the whole comment as one HTML block.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import urlsplit

from lookup import __version__
from lookup.models import Anomaly, Window
from lookup.render._common import (
    EntitySummary,
    actual_vs_expected,
    display_text,
    entity_list_text,
    entity_summaries,
    fmt_bin,
    fmt_count,
    fmt_score,
    fmt_seconds,
    fmt_time,
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
from lookup.sentinel.comments import sentinel_length as _size
from lookup.timefmt import iso

#: Sentinel's limit on one incident comment, in UTF-16 code units.
COMMENT_MAX_CHARS = 30_000
#: Rows shown when neither the caller nor ``report.settings`` says otherwise.
DEFAULT_MAX_ANOMALIES = 25
#: Characters of sparkline per row; hourly series (73 points) are shortened to this.
SPARKLINE_WIDTH = 24
#: Longest link accepted in ``links``; longer ones are dropped rather than eat the budget.
MAX_LINK_CHARS = 4_000

_HEADER_ROW = "<tr><th>#</th><th>Score</th><th>What</th><th>Rows: actual vs expected</th></tr>\n"
_TABLE_OPEN = "<table>\n" + _HEADER_ROW
_TABLE_CLOSE = "</table>\n"
_DRILL_OPEN = "<p><b>Drill-down KQL</b> (the raw rows behind each row):</p>\n<ul>\n"
_DRILL_CLOSE = "</ul>\n"


@dataclass(frozen=True)
class _Detail:
    """How much detail one attempt at the comment affords."""

    text: int  # longest entity / value text in cells and verdicts
    name: int  # longest table or column name
    reason: int  # longest failure or skip reason; 0 lists names only
    verdicts: int  # entity verdict lines; 0 gives a one-line count instead
    skipped: int  # skipped entities listed one per line
    listed: int  # incomplete tables named per status and reason
    settings: bool  # echo the settings
    kql: int  # longest drill-down query shown
    min_rows: int  # rows that must fit, or the next, terser level is tried


# Tried in order until one fits. Rows are worth more than the verdict list, skipped
# entities and settings (hence min_rows), but failure reasons are worth more than rows:
# they are only shortened, in the last levels, when nothing else is left to cut.
_LEVELS = (
    _Detail(
        text=120, name=128, reason=400, verdicts=50, skipped=50, listed=500, settings=True,
        kql=4_000, min_rows=10,
    ),
    _Detail(
        text=80, name=100, reason=400, verdicts=20, skipped=20, listed=500, settings=True,
        kql=2_000, min_rows=5,
    ),
    _Detail(
        text=40, name=64, reason=400, verdicts=10, skipped=10, listed=500, settings=True,
        kql=1_000, min_rows=3,
    ),
    _Detail(
        text=40, name=64, reason=400, verdicts=5, skipped=0, listed=500, settings=False,
        kql=1_000, min_rows=0,
    ),
    _Detail(
        text=24, name=48, reason=160, verdicts=3, skipped=0, listed=500, settings=False,
        kql=600, min_rows=0,
    ),
    _Detail(
        text=24, name=48, reason=60, verdicts=0, skipped=0, listed=500, settings=False,
        kql=600, min_rows=0,
    ),
    _Detail(
        text=16, name=48, reason=0, verdicts=0, skipped=0, listed=200, settings=False,
        kql=0, min_rows=0,
    ),
    _Detail(
        text=16, name=32, reason=0, verdicts=0, skipped=0, listed=20, settings=False,
        kql=0, min_rows=0,
    ),
)  # fmt: skip


def render_comment_html(
    report: Report,
    *,
    max_anomalies: int | None = None,
    max_chars: int = COMMENT_MAX_CHARS,
    links: Mapping[int, str] | None = None,
) -> str:
    """Render the report as the incident comment, never longer than ``max_chars``.

    The comment opens with one verdict line per entity, then the ranked anomalies (score,
    entity, table, column, value, actual vs expected, sparkline, bin) and their drill-down
    KQL, and ends with the window, table statuses and every failure reason, skipped
    entities, settings and stats. An incident without a usable entity gets a comment
    saying so, with the skipped entities and why.

    Args:
        report: the lookup's result.
        max_anomalies: rows shown at most; by default ``report.settings["max_anomalies"]``,
            else 25. Rows left out (by this or by the size budget) are counted in a
            "N more not shown" line.
        max_chars: the size budget in UTF-16 code units; Sentinel's limit is 30,000.
        links: optional deep links by anomaly rank (e.g. a Log Analytics query link). Only
            https URLs are used; others are ignored. A linked rank number opens its URL.

    Raises:
        ValueError: ``max_chars`` or ``max_anomalies`` is negative.
    """
    if max_chars < 0:
        raise ValueError(f"max_chars must not be negative, got {max_chars}")
    limit = _row_limit(report, max_anomalies)
    ordered = ranked(report)
    safe_links: dict[int, str] = {}
    for rank, url in (links or {}).items():
        checked = _safe_url(url)
        if checked is not None:
            safe_links[rank] = checked
    for detail in _LEVELS:
        head = _head(report, detail)
        foot = _footer(report, detail)
        room = max_chars - _size(head) - _size(foot)
        if room < 0:
            continue
        body = _body(report, ordered, limit, detail, room, safe_links)
        if body is not None:
            return head + body + foot
    return _last_resort(report, max_chars)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _t(text: str, limit: int) -> str:
    """Untrusted text for an element's content: printable, bounded, escaped."""
    return _e(display_text(text, limit))


_BREAK_AFTER = frozenset("\\/.,;:=&?_-")
_LONGEST_RUN = 24


def _wrappable(text: str, limit: int) -> str:
    """Like :func:`_t`, with ``<wbr>`` break points inside long unbroken runs.

    Paths, URLs and hashes have no spaces, so a table cell holding one cannot wrap and pushes
    the counts out of a narrow comment pane. ``<wbr>`` only allows a break; copying the value
    still gives the exact text (a zero-width space would not).
    """
    pieces: list[str] = []
    current: list[str] = []
    run = 0
    for char in display_text(text, limit):
        current.append(char)
        run = 0 if char.isspace() else run + 1
        if char in _BREAK_AFTER or run >= _LONGEST_RUN:
            pieces.append("".join(current))
            current, run = [], 0
    pieces.append("".join(current))
    return "<wbr>".join(_e(p) for p in pieces if p)


def _row_limit(report: Report, max_anomalies: int | None) -> int:
    if max_anomalies is not None:
        if max_anomalies < 0:
            raise ValueError(f"max_anomalies must not be negative, got {max_anomalies}")
        return max_anomalies
    try:
        configured = int(report.settings.get("max_anomalies", ""))
    except ValueError:
        return DEFAULT_MAX_ANOMALIES
    return configured if configured >= 0 else DEFAULT_MAX_ANOMALIES


def _safe_url(url: object) -> str | None:
    """The URL if it is a plain absolute https URL, else ``None``."""
    if not isinstance(url, str) or not url or len(url) > MAX_LINK_CHARS:
        return None
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    return url


# --- header ----------------------------------------------------------------------------


def _head(report: Report, detail: _Detail) -> str:
    incident = report.incident
    title = "<b>Anomaly lookup</b>"
    if incident.number is not None:
        title += f" for incident #{int(incident.number)}"
    source = display_text(incident.alert_time_source, 60)
    lines = [f"{title}, alert time {_e(fmt_time(incident.alert_time))} UTC (from {_e(source)})"]
    if not report.entities and not report.anomalies:
        parts = ["<p>" + lines[0] + "</p>\n"]
        parts.append(
            "<p><b>No lookup was run:</b> the incident has no entity the lookup can search"
            + ("" if report.incident.skipped_entities else " (it has no entities at all)")
            + ".</p>\n"
        )
        return "".join(parts)
    lines.extend(_window_lines(report))
    parts = ["<p>" + "<br>\n".join(lines) + "</p>\n"]
    incomplete = status_counts(incomplete_tables(report))
    if incomplete:
        counts = ", ".join(f"{n} {_e(status)}" for status, n in incomplete.items())
        parts.append(
            f"<p><b>Incomplete:</b> {counts} of {plural(len(report.tables), 'table')}; "
            "anomalies in those tables may be missing (reasons below).</p>\n"
        )
    parts.append(_verdicts(report, entity_summaries(report), detail))
    return "".join(parts)


def _window_sentence(window: Window) -> str:
    return (
        f"{_e(fmt_time(window.start, window.step))} to "
        f"{_e(fmt_time(window.end, window.step))} UTC in {_e(step_text(window.step))} bins; "
        f"the last bin ({_e(fmt_time(window.test_bin_start, window.step))} to "
        f"{_e(fmt_time(window.end, window.step))}) is the one tested"
    )


def _window_lines(report: Report) -> list[str]:
    """The window the entities were tested in, or, with several steps, which used which."""
    groups = step_groups(report)
    if len(groups) == 1:
        return [f"Window {_window_sentence(groups[0].window)}."]
    return [
        f"Window {_window_sentence(group.window)} for {_e(entity_list_text(group.entities, 60))}."
        for group in groups
    ]


def _verdicts(report: Report, summaries: Sequence[EntitySummary], detail: _Detail) -> str:
    flagged = sum(1 for s in summaries if s.anomalies)
    if detail.verdicts == 0 or not summaries:
        return (
            f"<p>{plural(len(summaries), 'entity', 'entities')} searched, "
            f"{fmt_count(flagged)} with anomalies.</p>\n"
        )
    items = [
        f"<li><b>{_t(s.value, detail.text)}</b> ({_t(s.kind, 40)}): "
        f"{_e(verdict_text(s, report, detail.text))}</li>\n"
        for s in summaries[: detail.verdicts]
    ]
    rest = summaries[detail.verdicts :]
    if rest:
        rest_flagged = sum(1 for s in rest if s.anomalies)
        items.append(
            f"<li>and {plural(len(rest), 'more entity', 'more entities')} "
            f"({fmt_count(rest_flagged)} with anomalies)</li>\n"
        )
    return "<ul>\n" + "".join(items) + "</ul>\n"


# --- ranked rows and drill-downs --------------------------------------------------------


def _body(
    report: Report,
    ordered: Sequence[Anomaly],
    limit: int,
    detail: _Detail,
    room: int,
    links: Mapping[int, str],
) -> str | None:
    """The anomalies part within ``room`` characters, or ``None`` if it cannot fit.

    The minimum is ``detail.min_rows`` rows without drill-downs.
    """
    if not ordered:
        if not report.entities:
            return ""
        text = f"<p><b>{_e(no_anomalies_sentence(report))}</b></p>\n"
        return text if _size(text) <= room else None

    candidates = ordered[:limit]
    need = min(detail.min_rows, len(candidates))
    rows = _render_within(candidates, room, lambda a: _row(a, detail, links.get(a.rank)))
    candidates = candidates[: len(rows)]
    drills = _render_within(candidates, room, lambda a: _drill(a, detail))
    row_sums = [0, *accumulate(_size(r) for r in rows)]
    drill_sums = [0, *accumulate(_size(d) for d in drills)]
    intro = (
        f"<p><b>{plural(len(ordered), 'anomaly', 'anomalies')}</b>, ranked by score"
        + ("; a linked # opens the query" if links else "")
        + ":</p>\n"
    )

    def size(shown: int, drilled: int) -> int:
        total = _size(intro)
        if shown:
            total += _size(_TABLE_OPEN) + row_sums[shown] + _size(_TABLE_CLOSE)
        if len(ordered) > shown:
            total += _size(_more_line(len(ordered) - shown))
        if drilled:
            total += _size(_DRILL_OPEN) + drill_sums[drilled] + _size(_DRILL_CLOSE)
        if drilled < shown:
            total += _size(_omitted_line(candidates[drilled:shown]))
        return total

    shown = next((k for k in range(len(candidates), need - 1, -1) if size(k, 0) <= room), None)
    if shown is None:
        return None
    most = min(shown, len(drills))
    drilled = next((j for j in range(most, 0, -1) if size(shown, j) <= room), 0)

    parts = [intro]
    if shown:
        parts += [_TABLE_OPEN, *rows[:shown], _TABLE_CLOSE]
    if len(ordered) > shown:
        parts.append(_more_line(len(ordered) - shown))
    if drilled:
        parts += [_DRILL_OPEN, *drills[:drilled], _DRILL_CLOSE]
    if drilled < shown:
        parts.append(_omitted_line(candidates[drilled:shown]))
    return "".join(parts)


def _render_within(
    anomalies: Sequence[Anomaly], room: int, render: Callable[[Anomaly], str]
) -> list[str]:
    """Render pieces in rank order, stopping once they alone would overflow ``room``.

    Pieces past that point can never be shown, so a 1,000-anomaly report costs only
    what fits.
    """
    pieces: list[str] = []
    used = 0
    for anomaly in anomalies:
        piece = render(anomaly)
        used += _size(piece)
        if used > room:
            break
        pieces.append(piece)
    return pieces


def _row(anomaly: Anomaly, detail: _Detail, link: str | None) -> str:
    # Four columns, not nine: Sentinel shows comments in a narrow pane, and the value and the
    # counts are what the analyst reads first.
    rank = str(int(anomaly.rank))
    if link is not None:
        rank = f'<a href="{_e(link)}">{rank}</a>'
    value = _wrappable(anomaly.value, detail.text) if anomaly.value else "<i>(empty)</i>"
    what = (
        f"<b>{_t(anomaly.column, detail.name)}</b> = {value}<br>"
        f"<small>{_t(anomaly.entity, detail.text)} in {_t(anomaly.table, detail.name)}"
        f"</small>{_related(anomaly, detail)}"
    )
    counts = (
        f"{_e(actual_vs_expected(anomaly))}<br>"
        f"{_e(sparkline(anomaly.series, width=SPARKLINE_WIDTH))}<br>"
        f"<small>{_e(fmt_bin(anomaly))}</small>"
    )
    cells = (rank, _e(fmt_score(anomaly.score)), what, counts)
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>\n"


def _related(anomaly: Anomaly, detail: _Detail, shown: int = 3) -> str:
    """What is folded into this row: the same rows through other columns or entities."""
    out = ""
    for label, pairs in folded_parts(anomaly):
        parts = [
            f"{_t(column, detail.name)} = {_t(value, detail.text)}"
            for column, value in pairs[:shown]
        ]
        extra = len(pairs) - shown
        if extra > 0:
            parts.append(f"{extra} more")
        out += f"<br><small>{_t(label, detail.text)}: " + "; ".join(parts) + "</small>"
    return out


def _drill(anomaly: Anomaly, detail: _Detail) -> str:
    label = (
        f"<b>#{int(anomaly.rank)}</b> {_t(anomaly.table, detail.name)}: "
        f"{_t(anomaly.column, detail.name)} = '{_t(anomaly.value, detail.text)}'"
    )
    # Blank lines would end an HTML block for a Markdown-minded renderer; KQL needs none.
    lines = [display_text(line) for line in anomaly.drilldown_kql.split("\n") if line.strip()]
    query = _e("\n".join(lines))
    if not query:
        block = "<br><i>no drill-down query</i>"
    elif len(query) > detail.kql:
        block = (
            f"<br><i>query too long for the comment ({len(query):,} characters); "
            "it is in the JSON report</i>"
        )
    else:
        block = f"<pre>{query}</pre>"
    return f"<li>{label}{block}</li>\n"


def _more_line(count: int) -> str:
    return f"<p>{count} more not shown (see the JSON report / run the lookup locally)</p>\n"


def _omitted_line(rows: Sequence[Anomaly]) -> str:
    first, last = rows[0].rank, rows[-1].rank
    which = f"#{int(first)}" if len(rows) == 1 else f"#{int(first)} to #{int(last)}"
    return (
        f"<p><i>Drill-down KQL for {which} left out to fit the comment; "
        "every query is in the JSON report.</i></p>\n"
    )


# --- footer -------------------------------------------------------------------------------


def _footer(report: Report, detail: _Detail) -> str:
    parts = []
    if report.tables:
        parts.append(_tables_block(report, detail))
    if report.incident.skipped_entities:
        parts.append(_skipped_block(report, detail))
    parts.append(_small_print(report, detail))
    return "".join(parts)


def _tables_block(report: Report, detail: _Detail) -> str:
    counts = ", ".join(
        f"{n} {_e(display_text(status, 20))}" for status, n in status_counts(report.tables).items()
    )
    lines = [f"<b>Tables:</b> {len(report.tables):,} ({counts})"]
    groups: dict[tuple[str, str], list[str]] = {}
    for table in incomplete_tables(report):
        reason = display_text(table.error or "no reason given", detail.reason)
        groups.setdefault((table.status, reason), []).append(table.table)
    for (status, reason), names in groups.items():
        listed = ", ".join(_t(name, detail.name) for name in names[: detail.listed])
        if len(names) > detail.listed:
            listed += f" and {len(names) - detail.listed:,} more"
        line = f"<b>{_t(status, 20)}</b> {listed}"
        if reason:
            line += f": {_e(reason)}"
        lines.append(line)
    # What the analyst should know about analysed tables: collection gaps, short history.
    noted = [t for t in report.tables if t.notes and t.status in {"ok", "partial"}]
    for table in noted[: detail.listed]:
        text = display_text("; ".join(table.notes), detail.reason)
        lines.append(f"<b>note</b> {_t(table.table, detail.name)}: {_e(text)}")
    if len(noted) > detail.listed:
        lines.append(f"notes on {len(noted) - detail.listed:,} more tables in the JSON report")
    return "<p>" + "<br>\n".join(lines) + "</p>\n"


def _skipped_block(report: Report, detail: _Detail) -> str:
    skipped = report.incident.skipped_entities
    title = f"<b>Skipped entities ({len(skipped):,}):</b>"
    if detail.skipped == 0:
        return f"<p>{title} listed in the JSON report.</p>\n"
    limit = max(detail.reason // 2, 40)
    lines = [
        _e(skipped_entity_text(s.kind, s.name, s.reason, limit)) for s in skipped[: detail.skipped]
    ]
    if len(skipped) > detail.skipped:
        lines.append(f"and {len(skipped) - detail.skipped:,} more")
    return f"<p>{title}<br>\n" + "<br>\n".join(lines) + "</p>\n"


def _small_print(report: Report, detail: _Detail) -> str:
    stats = report.stats
    lines = []
    if report.entities or report.anomalies:
        for group in step_groups(report):
            window = group.window
            lines.append(
                f"Window {_e(iso(utc(window.start)))} to {_e(iso(utc(window.end)))} "
                f"(end exclusive), step {_e(step_text(window.step))}, "
                f"{plural(window.bins, 'bin')}; the last bin is the test bin."
            )
    if detail.settings and report.settings:
        shown = list(report.settings.items())[:30]
        echo = "; ".join(f"{_t(key, 40)}={_t(value, min(detail.text, 80))}" for key, value in shown)
        lines.append(f"Settings: {echo}")
    lines.append(
        f"Stats: {plural(stats.queries, 'query', 'queries')} in {fmt_seconds(stats.seconds)}, "
        f"{plural(stats.series_scored, 'series', 'series')} scored, "
        f"{plural(stats.rows_returned, 'row')} returned, "
        f"{plural(stats.retries, 'retry', 'retries')}."
    )
    tail = f"anomaly-lookup {_t(report.version or __version__, 40)}"
    if report.backend:
        tail += f", backend {_t(report.backend, 40)}"
    tail += f", generated {_e(iso(utc(report.generated_at)))}"
    lines.append(tail)
    return "<p><small>" + "<br>\n".join(lines) + "</small></p>\n"


def _last_resort(report: Report, max_chars: int) -> str:
    """For budgets too small for any level: counts only, cut to fit if need be."""
    text = (
        f"<p><b>Anomaly lookup:</b> {plural(len(report.anomalies), 'anomaly', 'anomalies')}, "
        f"{plural(len(incomplete_tables(report)), 'table')} failed, partial or skipped. "
        "The details do not fit in a comment; see the JSON report.</p>"
    )
    if _size(text) <= max_chars:
        return text
    return "Anomaly lookup: see the JSON report."[:max_chars]
