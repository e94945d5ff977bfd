"""What the renderers share: safe display of untrusted text, formats, verdicts.

Everything here returns plain text; each renderer escapes it for its own format.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from lookup.models import TABLE_STATUSES, Anomaly, TableResult, Window, timespan_label
from lookup.report import Report

#: Table statuses that mean the lookup may have missed something, worst first.
INCOMPLETE_STATUSES = ("failed", "partial", "skipped")

# Characters that are invisible, reorder text (bidi overrides) or cannot be encoded (lone
# surrogates). Values come from attackers, so they are shown as markers, never as is.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}
ELLIPSIS = "…"


def display_text(value: str, limit: int | None = None) -> str:
    """Make an untrusted string printable and bounded, for any output format.

    C0 control characters (newline, tab, ...) become their Unicode control pictures
    (``␊``, ``␉``); other invisible or format characters, such as bidi overrides, become
    ``[U+202E]``-style markers. Text longer than ``limit`` characters is cut and ends in
    ``…``, so the result never exceeds ``limit``.
    """
    if limit is not None and limit <= 0:
        return ""
    out: list[str] = []
    length = 0
    for index, char in enumerate(value):
        shown = _visible(char)
        if limit is not None and length + len(shown) > limit - 1:
            rest = value[index:]
            if len(rest) <= limit - length:
                tail = "".join(_visible(c) for c in rest)
                if length + len(tail) <= limit:
                    return "".join(out) + tail
            return "".join(out) + ELLIPSIS
        out.append(shown)
        length += len(shown)
    return "".join(out)


def _visible(char: str) -> str:
    code = ord(char)
    if code in _CONTROL_PICTURES:
        return _CONTROL_PICTURES[code]
    if unicodedata.category(char) in _HIDDEN_CATEGORIES:
        return f"[U+{code:04X}]"
    return char


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 table``, ``3 tables``, with thousands separators."""
    word = singular if count == 1 else (many or singular + "s")
    return f"{count:,} {word}"


def fmt_count(value: float) -> str:
    """A count as an analyst reads it: ``42``, ``1,234``, ``2.5``."""
    if not math.isfinite(value):
        return "n/a"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def fmt_expected(value: float) -> str:
    """The baseline, marked approximate: ``~0``, ``~0.4``, ``~13``."""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) < 9.95:
        text = f"{value:.1f}".removesuffix(".0")
        return "~" + ("0" if text == "-0" else text)
    return f"~{value:,.0f}"


def fmt_score(value: float) -> str:
    """An anomaly score: two decimals, whole numbers once it is large."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def fmt_seconds(value: float) -> str:
    """Elapsed seconds: ``0.42 s``, ``12.3 s``, ``1,234 s``."""
    if not math.isfinite(value):
        return "n/a"
    if value < 10:
        return f"{value:.2f} s"
    if value < 1000:
        return f"{value:.1f} s"
    return f"{value:,.0f} s"


def utc(moment: datetime) -> datetime:
    """The moment in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def fmt_time(moment: datetime, step: timedelta | None = None) -> str:
    """A compact UTC time: the date alone for daily bins, else ``YYYY-MM-DD HH:MM``."""
    when = utc(moment)
    day = timedelta(days=1)
    whole_days = step is not None and step > timedelta(0) and step % day == timedelta(0)
    if whole_days and when.time() == time(0):
        return when.strftime("%Y-%m-%d")
    if when.second or when.microsecond:
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return when.strftime("%Y-%m-%d %H:%M")


def step_text(step: timedelta) -> str:
    """The step as Kusto writes it (``1d``), or Python's form for steps Kusto cannot name."""
    try:
        return timespan_label(step)
    except ValueError:
        return str(step)


def fmt_bin(anomaly: Anomaly) -> str:
    """Where the anomaly is: its bin start and the bin size, ``2025-01-03 (1d)``."""
    return f"{fmt_time(anomaly.bin_start, anomaly.step)} ({step_text(anomaly.step)})"


def actual_vs_expected(anomaly: Anomaly) -> str:
    """``42 vs ~1``, with ``, new`` when the value was never seen before the test bin."""
    text = f"{fmt_count(anomaly.actual)} vs {fmt_expected(anomaly.expected)}"
    return text + (", new" if anomaly.first_seen else "")


def ranked(report: Report) -> list[Anomaly]:
    """The report's anomalies in rank order (stable for equal ranks)."""
    return sorted(report.anomalies, key=lambda a: a.rank)


def series_scored(report: Report) -> int:
    """Series scored in total, from the stats or else summed over the tables."""
    return report.stats.series_scored or sum(t.series_scored for t in report.tables)


def searched_tables(report: Report) -> list[TableResult]:
    """Tables that answered (fully or partly): where "nothing unusual" means something."""
    return [t for t in report.tables if t.status not in {"failed", "skipped"}]


def status_counts(tables: Iterable[TableResult]) -> dict[str, int]:
    """Tables per status, known statuses first in their usual order, zero counts left out."""
    counts: dict[str, int] = {}
    for table in tables:
        counts[table.status] = counts.get(table.status, 0) + 1
    order: dict[str, int] = {status: i for i, status in enumerate(TABLE_STATUSES)}
    return dict(sorted(counts.items(), key=lambda item: order.get(item[0], len(order))))


def incomplete_tables(report: Report) -> list[TableResult]:
    """Failed, partial and skipped tables, worst status first, then in report order."""
    order = {status: i for i, status in enumerate(INCOMPLETE_STATUSES)}
    found = [t for t in report.tables if t.status in order]
    return sorted(found, key=lambda t: order[t.status])


@dataclass(frozen=True)
class EntitySummary:
    """One entity as the verdict line sees it."""

    value: str
    kind: str
    anomalies: tuple[Anomaly, ...]
    tables: tuple[str, ...]
    window: Window | None = None
    first_seen: datetime | None = None

    @property
    def top(self) -> Anomaly | None:
        """The entity's best-ranked anomaly."""
        return self.anomalies[0] if self.anomalies else None


def entity_summaries(report: Report) -> list[EntitySummary]:
    """One summary per entity, the entities with anomalies first.

    Entities with anomalies come by their best rank, the others in report order.
    Anomalies of an entity the report does not list get their own summary rather than
    being dropped.
    """
    keys: dict[tuple[str, str], int] = {}
    for index, entity_report in enumerate(report.entities):
        entity = entity_report.entity
        kind = str(entity.kind).casefold()
        for term in (entity.value, *entity.identifiers):
            keys.setdefault((term.casefold(), kind), index)

    found: dict[int, list[Anomaly]] = {}
    orphans: dict[tuple[str, str], list[Anomaly]] = {}
    for anomaly in ranked(report):
        # A row folds in the same rows of other entities (``also``): it is theirs too.
        reached = [(anomaly.entity, anomaly.entity_kind)]
        reached += [(entity, kind) for entity, kind, _, _ in anomaly.also]
        for key in dict.fromkeys((e.casefold(), k.casefold()) for e, k in reached):
            if key in keys:
                found.setdefault(keys[key], []).append(anomaly)
            else:
                orphans.setdefault(key, []).append(anomaly)

    summaries: list[EntitySummary] = []
    for index, entity_report in enumerate(report.entities):
        entity = entity_report.entity
        seen = dict.fromkeys(entity_report.tables)
        for table in report.tables:
            if entity.value in table.entity_columns:
                seen.setdefault(table.table, None)
        summaries.append(
            EntitySummary(
                value=entity.value,
                kind=str(entity.kind),
                anomalies=tuple(found.get(index, ())),
                tables=tuple(seen),
                window=entity_report.window,
                first_seen=entity_report.first_seen,
            )
        )
    for group in orphans.values():
        first = group[0]
        summaries.append(
            EntitySummary(
                value=first.entity,
                kind=first.entity_kind,
                anomalies=tuple(group),
                tables=tuple(dict.fromkeys(a.table for a in group)),
            )
        )
    position = {id(s): i for i, s in enumerate(summaries)}
    return sorted(
        summaries,
        key=lambda s: (0, s.anomalies[0].rank) if s.anomalies else (1, position[id(s)]),
    )


def verdict_text(summary: EntitySummary, report: Report, value_limit: int) -> str:
    """The one-line verdict after the entity's name, as plain text.

    ``3 anomalies in 2 tables, top #1: SigninLogs Location = 'RU' 42 vs ~1 expected``,
    ``nothing unusual in 5 tables``, or ``not seen in any of the 12 tables searched``.
    """
    top = summary.top
    if top is not None:
        count = len(summary.anomalies)
        tables = len({a.table for a in summary.anomalies})
        text = (
            f"{plural(count, 'anomaly', 'anomalies')} in {plural(tables, 'table')}, "
            f"top #{top.rank}: {display_text(top.table, value_limit)} "
            f"{display_text(top.column, value_limit)} = "
            f"'{display_text(top.value, value_limit)}' "
            f"{fmt_count(top.actual)} vs {fmt_expected(top.expected)} expected"
        )
        if top.first_seen:
            text += ", never seen before"
    elif summary.tables:
        text = f"nothing unusual in {plural(len(summary.tables), 'table')}"
    else:
        answered = len(searched_tables(report))
        if answered:
            text = f"not seen in any of the {plural(answered, 'table')} searched"
        else:
            text = "not searched: no table answered"
    return text + _window_note(summary, report)


def _window_note(summary: EntitySummary, report: Report) -> str:
    window = summary.window
    if window is None or window.step == header_window(report).step:
        return ""
    note = f" ({step_text(window.step)} bins from {fmt_time(window.start)}"
    if summary.first_seen is not None:
        note += f"; first seen {fmt_time(summary.first_seen)}"
    return note + ")"


def skipped_entity_text(kind: str, name: str | None, reason: str, limit: int) -> str:
    """``Malware 'evil.exe': kind not supported`` as plain text."""
    label = display_text(kind, limit)
    if name:
        label += f" '{display_text(name, limit)}'"
    return f"{label}: {display_text(reason, limit * 2)}"


def no_anomalies_sentence(report: Report) -> str:
    """The plain statement for an empty result, which is a result too.

    Tables counted are those where the entities matched and series were built (``ok`` and
    ``partial``); the footer gives the full breakdown.
    """
    tables = sum(1 for t in report.tables if t.status in {"ok", "partial"})
    return (
        f"No anomalies: {plural(series_scored(report), 'series', 'series')} scored "
        f"across {plural(tables, 'table')}."
    )


@dataclass(frozen=True)
class StepGroup:
    """Entities analysed with one series window (one step), for the report header."""

    window: Window
    entities: tuple[str, ...]


def step_groups(report: Report) -> list[StepGroup]:
    """The windows the entities were analysed with, each with its entities.

    Entities found in no table keep the default window and are left out, unless no entity
    was found at all. Daily (longer) steps first.
    """
    found_values = {value for table in report.tables for value in table.entity_columns}
    chosen = [
        e
        for e in report.entities
        if e.tables or e.first_seen is not None or e.entity.value in found_values
    ] or list(report.entities)
    groups: dict[Window, list[str]] = {}
    for entity_report in chosen:
        groups.setdefault(entity_report.window, []).append(entity_report.entity.value)
    if not groups:
        return [StepGroup(report.window, ())]
    ordered = sorted(groups.items(), key=lambda item: (-item[0].step, item[0].start))
    return [StepGroup(window, tuple(values)) for window, values in ordered]


def header_window(report: Report) -> Window:
    """The window the header states: the only one used, else the report's default one."""
    groups = step_groups(report)
    return groups[0].window if len(groups) == 1 else report.window


def entity_list_text(values: Iterable[str], limit: int, shown: int = 4) -> str:
    """``a, b, c and 2 more``: entity names for a header line, each cut to ``limit``."""
    items = [display_text(v, limit) for v in values]
    if len(items) <= shown:
        return ", ".join(items)
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"


def folded_parts(anomaly: Anomaly) -> list[tuple[str, list[tuple[str, str]]]]:
    """What a row folds in, by label: ``same rows``, ``moved in step with``, ``also <entity>``.

    Each label comes with its (column, value) pairs, in order (see :mod:`lookup.folding`).
    """
    parts: list[tuple[str, list[tuple[str, str]]]] = []
    if anomaly.related:
        parts.append(("same rows", list(anomaly.related)))
    if anomaly.in_step:
        parts.append(("moved in step with", list(anomaly.in_step)))
    by_entity: dict[str, list[tuple[str, str]]] = {}
    for entity, _, column, value in anomaly.also:
        by_entity.setdefault(entity, []).append((column, value))
    parts += [(f"also {entity}", pairs) for entity, pairs in by_entity.items()]
    return parts
