"""The lookup's settings: what to scan, how to score, how long to try. From the environment.

:class:`Settings` holds the tunables of one lookup, whatever runs it. The CLI builds it with
:meth:`Settings.from_env` and then overrides fields from its options; the function app
builds it once at start-up inside its deployment settings
(:class:`lookup.functionapp.settings.AppSettings`: workspace, endpoints, queue, identity),
so a bad app setting fails loudly at deployment time, not on the first incident.
:meth:`Settings.echo` is what the report footer and the incident comment show, so an
analyst can see how a lookup was run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any

from lookup.errors import SettingsError
from lookup.models import BIN_ALIGNMENTS, BinAlignment, StepChoice

ENV_PREFIX = "ANOMALY_LOOKUP_"

# Environment variable names, also used by infra/ (Bicep app settings) and the README.
ENV_TABLES = "ANOMALY_LOOKUP_TABLES"
ENV_LOOKBACK_DAYS = "ANOMALY_LOOKUP_LOOKBACK_DAYS"
ENV_HOURLY_LOOKBACK_HOURS = "ANOMALY_LOOKUP_HOURLY_LOOKBACK_HOURS"
ENV_STEP = "ANOMALY_LOOKUP_STEP"
ENV_NEW_ENTITY_DAYS = "ANOMALY_LOOKUP_NEW_ENTITY_DAYS"
ENV_BIN_ALIGNMENT = "ANOMALY_LOOKUP_BIN_ALIGNMENT"
ENV_THRESHOLD = "ANOMALY_LOOKUP_THRESHOLD"
ENV_MAX_FLAGGED_POINTS = "ANOMALY_LOOKUP_MAX_FLAGGED_POINTS"
ENV_MAX_DISTINCT = "ANOMALY_LOOKUP_MAX_DISTINCT"
ENV_MAX_DISTINCT_RATIO = "ANOMALY_LOOKUP_MAX_DISTINCT_RATIO"
ENV_MAX_ANOMALIES = "ANOMALY_LOOKUP_MAX_ANOMALIES"
ENV_TIME_BUDGET_SECONDS = "ANOMALY_LOOKUP_TIME_BUDGET_SECONDS"
ENV_QUERY_TIMEOUT_SECONDS = "ANOMALY_LOOKUP_QUERY_TIMEOUT_SECONDS"
ENV_MAX_CONCURRENT_QUERIES = "ANOMALY_LOOKUP_MAX_CONCURRENT_QUERIES"

_STEPS = {"auto": None, "1d": timedelta(days=1), "1h": timedelta(hours=1)}
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def is_guid(text: str) -> bool:
    """Whether ``text`` is a GUID (``8-4-4-4-12`` hex digits), nothing before or after.

    ``fullmatch``, not ``match`` with ``$``: ``$`` also matches before a trailing newline.
    """
    return _GUID.fullmatch(text) is not None


@dataclass(frozen=True)
class Settings:
    """Every tunable of the lookup, with the defaults the README documents.

    Where the lookup runs and as whom (workspace, endpoints, identity) is not here: the CLI
    takes it from its options, the function app from
    :class:`lookup.functionapp.settings.AppSettings`.
    """

    #: Tables to scan; empty means "every table with data in the window".
    tables: tuple[str, ...] = ()
    #: History before the test bin for daily series (the notebook's 14 days).
    lookback_days: int = 14
    #: History before the test bin for hourly series (entities first seen recently).
    hourly_lookback_hours: int = 72
    #: ``auto`` picks hourly bins for entities first seen less than ``new_entity_days`` ago.
    step: StepChoice = "auto"
    new_entity_days: float = 3.0
    #: ``alert``: bins end at the alert (full-length test bin); ``calendar``: Kusto ``bin()``
    #: alignment, the test bin being the calendar day/hour holding the alert.
    bin_alignment: BinAlignment = "alert"
    #: Score threshold of ``series_decompose_anomalies`` (Kusto's default, the notebook's).
    threshold: float = 1.5
    #: The notebook's noise guard: a series with this many flagged points or more is noise.
    max_flagged_points: int = 5
    #: Categorical column heuristic: ``1 < dcount < max_distinct`` and
    #: ``dcount / rows < max_distinct_ratio`` over the baseline window.
    max_distinct: int = 1000
    max_distinct_ratio: float = 0.01
    #: Rows shown in the incident comment (the JSON report keeps them all).
    max_anomalies: int = 25
    #: Wall-clock budget per incident; tables not started by then are reported as skipped.
    time_budget_seconds: float = 600.0
    #: Server-side timeout per Log Analytics query (the service allows up to 600 s).
    query_timeout_seconds: int = 180
    #: Queries in flight at once (Log Analytics allows 5 per identity).
    max_concurrent_queries: int = 4

    def __post_init__(self) -> None:
        self.validate()

    @property
    def forced_step(self) -> timedelta | None:
        """The configured step, or ``None`` for automatic choice."""
        return _STEPS[self.step]

    def validate(self) -> None:
        """Raise :class:`SettingsError` naming the first invalid setting."""
        for table in self.tables:
            if not _TABLE_NAME.match(table):
                raise SettingsError(ENV_TABLES, f"{table!r} is not a valid table name")
        _check_range(ENV_LOOKBACK_DAYS, self.lookback_days, 3, 90)
        _check_range(ENV_HOURLY_LOOKBACK_HOURS, self.hourly_lookback_hours, 12, 24 * 14)
        if self.step not in _STEPS:
            raise SettingsError(ENV_STEP, f"{self.step!r} is not one of {', '.join(_STEPS)}")
        _check_range(ENV_NEW_ENTITY_DAYS, self.new_entity_days, 0, 30)
        if self.bin_alignment not in BIN_ALIGNMENTS:
            raise SettingsError(
                ENV_BIN_ALIGNMENT, f"{self.bin_alignment!r} is not alert or calendar"
            )
        _check_range(ENV_THRESHOLD, self.threshold, 0.1, 100)
        _check_range(ENV_MAX_FLAGGED_POINTS, self.max_flagged_points, 1, 1000)
        _check_range(ENV_MAX_DISTINCT, self.max_distinct, 2, 1_000_000)
        _check_range(ENV_MAX_DISTINCT_RATIO, self.max_distinct_ratio, 0.0001, 1.0)
        _check_range(ENV_MAX_ANOMALIES, self.max_anomalies, 1, 500)
        _check_range(ENV_TIME_BUDGET_SECONDS, self.time_budget_seconds, 5, 3600)
        _check_range(ENV_QUERY_TIMEOUT_SECONDS, self.query_timeout_seconds, 10, 600)
        _check_range(ENV_MAX_CONCURRENT_QUERIES, self.max_concurrent_queries, 1, 5)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (unset or empty ones keep defaults).

        Raises:
            SettingsError: a variable is present but not valid.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, attr, parse in _ENV_FIELDS:
            raw = env.get(name, "").strip()
            if raw:
                try:
                    values[attr] = parse(raw)
                except ValueError as exc:
                    raise SettingsError(name, f"cannot parse {raw!r}: {exc}") from exc
        return cls(**values)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (``None`` values are ignored), validated."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def echo(self) -> dict[str, str]:
        """The settings that shape results, as short strings for the report footer."""
        shown = (
            "tables",
            "lookback_days",
            "hourly_lookback_hours",
            "step",
            "threshold",
            "max_flagged_points",
            "max_distinct",
            "max_distinct_ratio",
            "max_anomalies",
            "time_budget_seconds",
        )
        out: dict[str, str] = {}
        by_name = {f.name: f for f in fields(self)}
        for name in shown:
            value = getattr(self, by_name[name].name)
            out[name] = ",".join(value) if isinstance(value, tuple) else str(value)
        out["tables"] = out["tables"] or "auto"
        return out


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise SettingsError(name, f"{value} is outside {low}..{high}")


def _parse_tables(raw: str) -> tuple[str, ...]:
    if raw.lower() == "auto":
        return ()
    return tuple(t.strip() for t in raw.split(",") if t.strip())


def _parse_int(raw: str) -> int:
    return int(raw, 10)


_ENV_FIELDS: tuple[tuple[str, str, Any], ...] = (
    (ENV_TABLES, "tables", _parse_tables),
    (ENV_LOOKBACK_DAYS, "lookback_days", _parse_int),
    (ENV_HOURLY_LOOKBACK_HOURS, "hourly_lookback_hours", _parse_int),
    (ENV_STEP, "step", str.lower),
    (ENV_NEW_ENTITY_DAYS, "new_entity_days", float),
    (ENV_BIN_ALIGNMENT, "bin_alignment", str.lower),
    (ENV_THRESHOLD, "threshold", float),
    (ENV_MAX_FLAGGED_POINTS, "max_flagged_points", _parse_int),
    (ENV_MAX_DISTINCT, "max_distinct", _parse_int),
    (ENV_MAX_DISTINCT_RATIO, "max_distinct_ratio", float),
    (ENV_MAX_ANOMALIES, "max_anomalies", _parse_int),
    (ENV_TIME_BUDGET_SECONDS, "time_budget_seconds", float),
    (ENV_QUERY_TIMEOUT_SECONDS, "query_timeout_seconds", _parse_int),
    (ENV_MAX_CONCURRENT_QUERIES, "max_concurrent_queries", _parse_int),
)
