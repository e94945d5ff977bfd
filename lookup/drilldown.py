"""The KQL an analyst runs after reading a finding: drill-downs, anomaly charts, portal links.

Depends only on the models and on :mod:`lookup.kql` (every value goes through its escaping),
so the engine, the renderers and the function app can all use it without a cycle.

- :func:`drilldown_query` returns the raw rows behind one anomaly.
- :func:`chart_queries` / :func:`anomaly_chart_queries` draw Kusto's own
  ``series_decompose_anomalies`` view of the anomalous values (``render anomalychart``),
  so an analyst can check the lookup's scores in the Logs blade.
- :func:`portal_link` opens a query in the Log Analytics portal.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, unquote

from lookup.kql import (
    TIME_COLUMN,
    has_terms,
    kql_datetime,
    kql_identifier,
    kql_string,
    kql_timespan,
    text_of,
    time_filter,
)
from lookup.models import Anomaly, Entity, Window
from lookup.tables import load_bundled_schema
from lookup.timefmt import iso_millis


def drilldown_query(
    *,
    table: str,
    entity_column: str,
    identifiers: Iterable[str],
    column: str,
    column_types: Mapping[str, str],
    value: str,
    bin_start: datetime,
    step: timedelta,
    limit: int = 1000,
) -> str:
    """KQL that returns the raw rows behind one anomaly: that value, in that bin.

    String columns compare with ``==`` (exact, as the count was); other types compare on
    their text form, which is how the value was reported. ``column_types`` gives the KQL
    type of the entity column and the value's column (string when absent).
    """
    end = bin_start + step
    return "\n".join(
        [
            kql_identifier(table),
            f"| where {time_filter(bin_start, end)}",
            f"| where {has_terms(entity_column, tuple(identifiers), column_types)}",
            f"| where {text_of(column, column_types)} == {kql_string(value)}",
            f"| take {int(limit)}",
        ]
    )


@dataclass(frozen=True)
class ChartSeries:
    """One anomalous value to draw: which rows (entity, column) and which value."""

    label: str
    entity_column: str
    identifiers: tuple[str, ...]
    column: str
    value: str
    window: Window


def chart_queries(
    table: str,
    series: Sequence[ChartSeries],
    column_types: Mapping[str, str],
    *,
    threshold: float = 1.5,
) -> list[tuple[Window, str]]:
    """Queries that draw Kusto's own anomaly view of a table's anomalous values.

    One query per distinct window (a table's anomalies normally share one): a
    ``make-series`` per value over the window, ``series_decompose_anomalies`` with the
    lookup's parameters, and ``render anomalychart`` so the Logs blade shows the flagged
    points. Sorted by window start for a stable order.
    """
    by_window: dict[Window, list[ChartSeries]] = {}
    for item in series:
        by_window.setdefault(item.window, []).append(item)
    out = []
    for window in sorted(by_window, key=lambda w: (w.start, w.step)):
        out.append((window, _chart_query(table, by_window[window], column_types, threshold)))
    return out


def anomaly_chart_queries(
    anomalies: Iterable[Anomaly], entities: Iterable[Entity], *, threshold: float = 1.5
) -> dict[str, tuple[str, ...]]:
    """Chart queries per table for ranked anomalies (see :func:`chart_queries`).

    Known tables' columns are typed from the bundled schemas; any other column is compared
    on its text (``tostring``), which is how it was counted. Tables without anomalies get
    no chart.
    """
    identifiers = {e.value: e.identifiers for e in entities}
    by_table: dict[str, list[ChartSeries]] = {}
    for anomaly in anomalies:
        bins = len(anomaly.series)
        window = Window(anomaly.bin_start - anomaly.step * (bins - 1), anomaly.step, bins)
        label = f"{anomaly.entity} · {anomaly.column} = {anomaly.value}"
        by_table.setdefault(anomaly.table, []).append(
            ChartSeries(
                label=label if len(label) <= 120 else label[:119] + "…",
                entity_column=anomaly.entity_column,
                identifiers=identifiers.get(anomaly.entity, (anomaly.entity,)),
                column=anomaly.column,
                value=anomaly.value,
                window=window,
            )
        )
    out: dict[str, tuple[str, ...]] = {}
    for table, items in sorted(by_table.items()):
        # Known tables: typed columns; any other column is compared on its text.
        types = {c.name: c.kql_type for c in load_bundled_schema(table) or ()}
        for item in items:
            for column in (item.entity_column, item.column):
                types.setdefault(column, "dynamic")
        out[table] = tuple(
            text for _, text in chart_queries(table, items, types, threshold=threshold)
        )
    return out


def _chart_query(
    table: str,
    series: Sequence[ChartSeries],
    column_types: Mapping[str, str],
    threshold: float,
) -> str:
    window = series[0].window
    time = kql_identifier(TIME_COLUMN)
    legs = []
    for item in series:
        value_text = text_of(item.column, column_types)
        legs.append(
            f"    ({kql_identifier(table)}"
            f" | where {time_filter(window.start, window.end)}"
            f" | where {has_terms(item.entity_column, item.identifiers, column_types)}"
            f" | where {value_text} == {kql_string(item.value)}"
            f" | extend Series = {kql_string(item.label)})"
        )
    title = f"{table}: anomalous values, {kql_timespan(window.step)} bins"
    threshold_text = repr(float(threshold))
    return "\n".join(
        [
            "union",
            ",\n".join(legs),
            f"| make-series Rows = count() default = 0 on {time}"
            f" from {kql_datetime(window.start)} to {kql_datetime(window.end)}"
            f" step {kql_timespan(window.step)} by Series",
            f"| extend (Anomalies, Score, Baseline) = series_decompose_anomalies(Rows,"
            f" {threshold_text}, -1, 'avg', 1)",
            f"| render anomalychart with (anomalycolumns=Anomalies, title={kql_string(title)})",
        ]
    )


PORTAL = "https://portal.azure.com"


def portal_link(
    query: str,
    workspace_arm_id: str,
    *,
    tenant_id: str | None = None,
    timespan: tuple[datetime, datetime] | None = None,
    portal: str = PORTAL,
) -> str:
    """A Log Analytics portal link that opens ``query`` on the workspace.

    The query travels as base64(gzip(UTF-8)) in the ``q`` segment, percent-encoded twice as
    the portal's own "share link" writes it; ``timespan`` is ``start/end`` in ISO 8601.
    Sovereign clouds pass their portal (``https://portal.azure.us``).
    """
    if not workspace_arm_id.startswith("/subscriptions/"):
        raise ValueError("workspace_arm_id must be an ARM resource id (/subscriptions/...)")
    packed = base64.b64encode(gzip.compress(query.encode("utf-8"), mtime=0)).decode("ascii")
    encoded_query = quote(quote(packed, safe=""), safe="")
    tenant = f"@{quote(tenant_id, safe='')}/" if tenant_id else ""
    link = (
        f"{portal.rstrip('/')}/#{tenant}blade/Microsoft_Azure_Monitoring_Logs/LogsBlade"
        f"/resourceId/{quote(workspace_arm_id, safe='')}"
        f"/source/LogsBlade.AnalyticsShareLinkToQuery/q/{encoded_query}"
    )
    if timespan is not None:
        start, end = (iso_millis(moment) for moment in timespan)
        link += f"/timespan/{quote(f'{start}/{end}', safe='')}"
    return link


def query_from_portal_link(link: str) -> str:
    """The query inside a portal share link (either percent-encoding depth)."""
    marker = "/q/"
    if marker not in link:
        raise ValueError("not a share-link-to-query link (no /q/ segment)")
    encoded = link.split(marker, 1)[1].split("/", 1)[0]
    packed = unquote(encoded)
    if "%" in packed:
        packed = unquote(packed)
    return gzip.decompress(base64.b64decode(packed)).decode("utf-8")
