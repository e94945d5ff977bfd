"""The lookup's result: one :class:`Report` per incident, and its JSON form.

The JSON layout is a contract (docs/design.md §3, "JSON report"): keys may be added, none renamed
or removed without a migration note in the changelog.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lookup.models import Anomaly, Entity, Incident, TableResult, Window
from lookup.timefmt import iso


@dataclass(frozen=True)
class EntityReport:
    """An entity as searched: its identifiers and the series window chosen for it."""

    entity: Entity
    window: Window
    first_seen: datetime | None = None
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stats:
    """What the lookup cost."""

    queries: int
    seconds: float
    series_scored: int = 0
    rows_returned: int = 0
    retries: int = 0


@dataclass(frozen=True)
class Report:
    """Everything the lookup found for one incident, ready to render."""

    incident: Incident
    window: Window
    entities: tuple[EntityReport, ...]
    tables: tuple[TableResult, ...]
    anomalies: tuple[Anomaly, ...]
    stats: Stats
    settings: dict[str, str] = field(default_factory=dict)
    backend: str = ""
    #: Per table, KQL charting Kusto's own view of the anomalous values
    #: (:func:`lookup.drilldown.anomaly_chart_queries`), computed once by the engine.
    charts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: str = ""

    @property
    def failed_tables(self) -> tuple[TableResult, ...]:
        """Tables that failed, were partial or were skipped: what the reader must know."""
        return tuple(t for t in self.tables if t.status in {"failed", "partial", "skipped"})

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data, in the contract's layout."""
        incident = self.incident
        return {
            "incident": {
                "id": incident.arm_id or incident.name,
                "number": incident.number,
                "title": incident.title,
                "alert_time": iso(incident.alert_time),
                "alert_time_source": incident.alert_time_source,
                "severity": incident.severity,
                "url": incident.url,
                "workspace_id": incident.workspace.workspace_id,
            },
            "window": _window_dict(self.window),
            "entities": [
                {
                    "kind": str(e.entity.kind),
                    "value": e.entity.value,
                    "identifiers": list(e.entity.identifiers),
                    "window": _window_dict(e.window),
                    "first_seen": iso(e.first_seen) if e.first_seen else None,
                    "tables": list(e.tables),
                }
                for e in self.entities
            ],
            "skipped_entities": [
                {"kind": s.kind, "name": s.name, "reason": s.reason}
                for s in incident.skipped_entities
            ],
            "tables": [table_dict(t) for t in self.tables],
            "anomalies": [_anomaly_dict(a) for a in self.anomalies],
            "charts": [
                {"table": table, "kql": query}
                for table, queries in self.charts.items()
                for query in queries
            ],
            "stats": {
                "queries": self.stats.queries,
                "seconds": round(self.stats.seconds, 3),
                "series_scored": self.stats.series_scored,
                "rows_returned": self.stats.rows_returned,
                "retries": self.stats.retries,
            },
            "settings": dict(self.settings),
            "backend": self.backend,
            "generated_at": iso(self.generated_at),
            "version": self.version,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (the ``--format json`` output)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    # -- in a notebook: the [notebook] extra, imported on call (never by the function app) --

    def to_dataframe(self) -> Any:
        """The findings as a pandas DataFrame: one row per anomaly, in rank order.

        Every field of the JSON ``anomalies`` under its JSON name (``rank``, ``score``,
        ``entity``, ``entity_kind``, ``table``, ``entity_column``, ``column``, ``value``,
        ``related``, ``actual``, ``expected``, ``bin_start`` and ``step``, ``first_seen``,
        ``drilldown_kql``, ``series`` as a list per row), plus ``bin_end``; times are UTC
        pandas timestamps. See :mod:`lookup.notebook.frames`. Needs pandas.
        """
        from lookup.notebook.frames import findings_frame

        return findings_frame(self)

    def tables_dataframe(self) -> Any:
        """The tables looked at as a pandas DataFrame: status, rows, columns, error."""
        from lookup.notebook.frames import tables_frame

        return tables_frame(self)

    def _repr_html_(self) -> str:
        """Jupyter's view of the report: the HTML of the Sentinel incident comment."""
        from lookup.notebook.display import report_html

        return report_html(self)


def _window_dict(window: Window) -> dict[str, Any]:
    return {
        "start": iso(window.start),
        "end": iso(window.end),
        "step": window.step_label,
        "bins": window.bins,
    }


def table_dict(t: TableResult) -> dict[str, Any]:
    """One table's result in the JSON report's layout."""
    return {
        "table": t.table,
        "status": t.status,
        "entity_columns": {k: list(v) for k, v in t.entity_columns.items()},
        "categorical_columns": list(t.categorical_columns),
        "error": t.error,
        "row_count": t.row_count,
        "series_scored": t.series_scored,
        "notes": list(t.notes),
    }


def _anomaly_dict(a: Anomaly) -> dict[str, Any]:
    return {
        "rank": a.rank,
        "entity": a.entity,
        "entity_kind": a.entity_kind,
        "table": a.table,
        "entity_column": a.entity_column,
        "column": a.column,
        "value": a.value,
        "bin_start": iso(a.bin_start),
        "step": Window(a.bin_start, a.step, 1).step_label,
        "actual": a.actual,
        "expected": a.expected,
        "score": a.score,
        "first_seen": a.first_seen,
        "related": [{"column": c, "value": v} for c, v in a.related],
        "in_step": [{"column": c, "value": v} for c, v in a.in_step],
        "also": [{"entity": e, "entity_kind": k, "column": c, "value": v} for e, k, c, v in a.also],
        "series": list(a.series),
        "excluded_bins": list(a.excluded_bins),
        "drilldown_kql": a.drilldown_kql,
    }
