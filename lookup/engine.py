"""The lookup itself: incident in, ranked anomalies out (docs/design.md §2, steps 3-10).

Per table the engine asks the backend two questions, whatever the number of entities and
columns: a *profile* over the baseline window (how many rows, how many distinct values in
each candidate column, which entity appears in which column and since when), then the
*counts* per (entity, entity column, column, value, bin). Scoring, filtering and ranking
happen here, once, in numpy, so every backend gives the same anomalies for the same data.

A table that fails, answers partially or runs past the time budget is recorded with its
reason and the others carry on: one bad table never sinks the incident.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime

from lookup import __version__
from lookup.backends.base import (
    Backend,
    ColumnInfo,
    CountsRequest,
    EntityProbe,
    ProfileRequest,
    Scope,
    SeriesGroup,
)
from lookup.drilldown import anomaly_chart_queries
from lookup.errors import AnomalyLookupError, BudgetExceededError, TableError
from lookup.findings import (
    ScoringInput,
    TableScores,
    cap_small_table,
    categorical_columns,
    matches,
    score_table,
    table_gaps,
    table_notes,
)
from lookup.models import Entity, EntityIndex, EntityKind, Incident, TableResult, Window
from lookup.ranking import Candidate, rank_anomalies
from lookup.report import EntityReport, Report, Stats
from lookup.sentinel.payload import parse_incident
from lookup.settings import Settings
from lookup.tables import categorical_candidates, entity_columns
from lookup.windows import HOUR, choose_window, daily_window, hourly_window

log = logging.getLogger(__name__)

#: One count series: (entity, entity column, column, value).
_SeriesKey = tuple[EntityIndex, str, str, str]


@dataclass(frozen=True)
class Progress:
    """A progress event: ``done`` of ``total`` tables finished, the last one named."""

    done: int
    total: int
    table: str | None
    status: str | None = None


ProgressCallback = Callable[[Progress], None]


def run_lookup(
    payload: object,
    backend: Backend,
    *,
    settings: Settings | None = None,
    at: datetime | None = None,
    entities: object | None = None,
    progress: ProgressCallback | None = None,
) -> Report:
    """Run the whole anomaly lookup for one incident.

    Args:
        payload: any incident payload shape the parser accepts (trigger body, ``{"body":..}``
            wrapper, REST incident, Event Grid event or CloudEvent; dict, str or bytes), or
            an already parsed :class:`~lookup.models.Incident`.
        backend: where the logs are (local DuckDB or Log Analytics).
        settings: tunables; built from the environment when omitted.
        at: overrides the alert time found in the payload.
        entities: a list-entities API response, for REST incidents without entities.
        progress: called after each table.

    Raises:
        PayloadError: the payload is malformed (names the field).
        WorkspaceError: the workspace cannot be used at all.
    """
    settings = settings if settings is not None else Settings.from_env()
    incident = (
        payload
        if isinstance(payload, Incident)
        else parse_incident(payload, at=at, entities=entities)
    )
    return LookupEngine(backend, settings, progress=progress).run(incident)


@dataclass
class _EntityState:
    first_seen: datetime | None = None
    window: Window | None = None
    tables: list[str] = field(default_factory=list)


@dataclass
class _TableOutcome:
    result: TableResult
    candidates: list[Candidate] = field(default_factory=list)
    first_seen: dict[EntityIndex, datetime] = field(default_factory=dict)
    windows: dict[EntityIndex, Window] = field(default_factory=dict)


class LookupEngine:
    """Runs lookups against one backend with one set of settings."""

    def __init__(
        self,
        backend: Backend,
        settings: Settings,
        *,
        progress: ProgressCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.progress = progress
        self.clock = clock

    def run(self, incident: Incident) -> Report:
        """Analyse every table for every entity of the incident and build the report."""
        started = self.clock()
        queries_before = self.backend.stats.queries
        retries_before = self.backend.stats.retries
        rows_before = self.backend.stats.rows_returned
        settings = self.settings
        alert = incident.alert_time
        daily = daily_window(alert, settings.lookback_days, settings.bin_alignment)
        hourly = hourly_window(alert, settings.hourly_lookback_hours, settings.bin_alignment)
        main_window = hourly if settings.forced_step == hourly.step else daily
        scan_start = min(daily.start, hourly.start)
        scan_end = max(daily.end, hourly.end)

        outcomes: list[_TableOutcome] = []
        if incident.entities:
            deadline = started + settings.time_budget_seconds
            self.backend.set_deadline(deadline)
            tables = list(settings.tables) or self.backend.list_tables(scan_start, scan_end)
            schemas = self.backend.table_schemas(tables) if tables else {}
            outcomes = self._analyse_tables(
                incident, tables, schemas, scan_start, scan_end, deadline
            )

        states = [_EntityState() for _ in incident.entities]
        candidates: list[Candidate] = []
        for outcome in outcomes:
            candidates.extend(outcome.candidates)
            for index, seen in outcome.first_seen.items():
                state = states[index]
                state.tables.append(outcome.result.table)
                if state.first_seen is None or seen < state.first_seen:
                    state.first_seen = seen
                state.window = state.window or outcome.windows.get(index)

        anomalies = rank_anomalies(candidates)
        series_scored = sum(o.result.series_scored for o in outcomes)
        stats = Stats(
            queries=self.backend.stats.queries - queries_before,
            seconds=self.clock() - started,
            series_scored=series_scored,
            rows_returned=self.backend.stats.rows_returned - rows_before,
            retries=self.backend.stats.retries - retries_before,
        )
        log.info(
            "lookup finished",
            extra={
                "incident": incident.arm_id or incident.name,
                "tables": len(outcomes),
                "anomalies": len(anomalies),
                "queries": stats.queries,
                "seconds": round(stats.seconds, 3),
            },
        )
        return Report(
            incident=incident,
            window=main_window,
            entities=tuple(
                EntityReport(
                    entity=entity,
                    window=state.window or main_window,
                    first_seen=state.first_seen,
                    tables=tuple(state.tables),
                )
                for entity, state in zip(incident.entities, states, strict=True)
            ),
            tables=tuple(o.result for o in outcomes),
            anomalies=anomalies,
            stats=stats,
            settings=settings.echo(),
            backend=self.backend.description,
            version=__version__,
            charts=anomaly_chart_queries(
                anomalies, incident.entities, threshold=settings.threshold
            ),
        )

    # -- tables ---------------------------------------------------------------------------

    def _analyse_tables(
        self,
        incident: Incident,
        tables: Sequence[str],
        schemas: Mapping[str, tuple[ColumnInfo, ...] | TableError],
        scan_start: datetime,
        scan_end: datetime,
        deadline: float,
    ) -> list[_TableOutcome]:
        total = len(tables)
        done = 0

        def one(table: str) -> _TableOutcome:
            if self.clock() >= deadline:
                return _TableOutcome(
                    TableResult(
                        table,
                        "skipped",
                        error=(
                            f"time budget of {self.settings.time_budget_seconds:g} s "
                            "ran out before this table started"
                        ),
                    )
                )
            begun = self.clock()
            schema = schemas.get(table)
            if schema is None:
                schema = TableError(table, "the backend returned no schema for this table")
            outcome = self._analyse_table_safely(incident, table, schema, scan_start, scan_end)
            log.info(
                "table analysed",
                extra={
                    "table": table,
                    "status": outcome.result.status,
                    "series": outcome.result.series_scored,
                    "anomalies": len(outcome.candidates),
                    "seconds": round(self.clock() - begun, 3),
                },
            )
            return outcome

        def report(outcome: _TableOutcome) -> None:
            nonlocal done
            done += 1
            if self.progress is not None:
                self.progress(Progress(done, total, outcome.result.table, outcome.result.status))

        workers = max(1, min(self.backend.max_parallel, self.settings.max_concurrent_queries))
        outcomes: list[_TableOutcome] = []
        if workers == 1 or total <= 1:
            for table in tables:
                outcome = one(table)
                report(outcome)
                outcomes.append(outcome)
            return outcomes
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup") as pool:
            futures = [pool.submit(one, table) for table in tables]
            for future in futures:
                outcome = future.result()
                report(outcome)
                outcomes.append(outcome)
        return outcomes

    def _analyse_table_safely(
        self,
        incident: Incident,
        table: str,
        schema: tuple[ColumnInfo, ...] | TableError,
        scan_start: datetime,
        scan_end: datetime,
    ) -> _TableOutcome:
        try:
            if isinstance(schema, TableError):
                raise schema
            return self._analyse_table(incident, table, schema, scan_start, scan_end)
        except BudgetExceededError as exc:
            return _TableOutcome(TableResult(table, "skipped", error=str(exc)))
        except AnomalyLookupError as exc:
            message = exc.message if isinstance(exc, TableError) else str(exc)
            return _TableOutcome(TableResult(table, "failed", error=message))
        except Exception as exc:  # a bug must not cost the analyst the other tables
            log.exception("unexpected error while analysing %s", table)
            return _TableOutcome(
                TableResult(table, "failed", error=f"internal error: {type(exc).__name__}: {exc}")
            )

    def _analyse_table(
        self,
        incident: Incident,
        table: str,
        schema: tuple[ColumnInfo, ...],
        scan_start: datetime,
        scan_end: datetime,
    ) -> _TableOutcome:
        entities = incident.entities
        probes = _probes(entities, table, schema)
        if not probes:
            kinds = sorted({str(e.kind) for e in entities})
            return _TableOutcome(
                TableResult(
                    table,
                    "no_match",
                    error=f"no column of this table holds {'/'.join(kinds)} entities",
                )
            )
        candidates = tuple(categorical_candidates(schema, exclude=()))
        profile = self.backend.profile(
            ProfileRequest(
                table, scan_start, scan_end, tuple(probes), candidates, activity_step=HOUR
            )
        )
        if profile.row_count == 0:
            return _TableOutcome(
                TableResult(table, "no_match", error="no rows in the analysis window", row_count=0)
            )
        matched_columns, first_seen = matches(profile)
        entity_column_map = {
            entities[i].value: tuple(cols) for i, cols in sorted(matched_columns.items())
        }
        if not matched_columns:
            return _TableOutcome(
                TableResult(
                    table,
                    "no_match",
                    entity_columns={},
                    error="none of the entities appears in this table in the window",
                    row_count=profile.row_count,
                ),
            )
        categorical = categorical_columns(
            profile.distinct_counts,
            profile.row_count,
            candidates,
            max_distinct=self.settings.max_distinct,
            max_ratio=self.settings.max_distinct_ratio,
        )
        windows = {
            index: self._window(incident.alert_time, first_seen.get(index))
            for index in matched_columns
        }
        gaps, gap_notes = table_gaps(profile.activity, windows.values())
        data = _scoring_input(table, entities, probes, schema, matched_columns, windows)
        data = replace(data, first_seen=first_seen, gaps=gaps)
        scores, counts_partial = self._scores(data, categorical)
        partial = profile.partial or counts_partial
        result = TableResult(
            table,
            "partial" if partial else "ok",
            entity_columns=entity_column_map,
            categorical_columns=categorical,
            error=partial,
            row_count=profile.row_count,
            series_scored=scores.series_scored,
            notes=table_notes(scores, *gap_notes, cap_small_table(scores, profile.row_count)),
        )
        return _TableOutcome(result, scores.candidates, first_seen, windows)

    def _scores(
        self, data: ScoringInput, categorical: tuple[str, ...]
    ) -> tuple[TableScores, str | None]:
        """The table's counts, scored; and why the counts were partial, if they were."""
        if not categorical:
            return TableScores(), None
        counts = self.backend.counts(CountsRequest(data.table, tuple(data.groups), categorical))
        scores = score_table(
            data,
            counts,
            threshold=self.settings.threshold,
            max_flagged_points=self.settings.max_flagged_points,
        )
        return scores, counts.partial

    def _window(self, alert_time: datetime, first_seen: datetime | None) -> Window:
        """The series window of an entity first seen at ``first_seen`` in a table."""
        settings = self.settings
        return choose_window(
            alert_time,
            first_seen,
            forced_step=settings.forced_step,
            lookback_days=settings.lookback_days,
            hourly_lookback_hours=settings.hourly_lookback_hours,
            new_entity_days=settings.new_entity_days,
            alignment=settings.bin_alignment,
        )


def _probes(
    entities: Sequence[Entity], table: str, schema: Sequence[ColumnInfo]
) -> list[EntityProbe]:
    """One probe per entity that some column of the table can hold.

    An entity that lives on a host (a Process or File of the incident's host) is searched
    on that host: its probe's scope is the host's identifiers in the table's host columns.
    A table without host columns cannot tie a row to a host; the entity is searched there
    without one.
    """
    probes = []
    for index, entity in enumerate(entities):
        columns = entity_columns(entity.kind, table, schema)
        if not columns:
            continue
        scope = None
        if entity.scope:
            hosts = entity_columns(EntityKind.HOST, table, schema)
            if hosts:
                scope = Scope(entity.scope, tuple(hosts))
        probes.append(EntityProbe(EntityIndex(index), entity.identifiers, tuple(columns), scope))
    return probes


def _scoring_input(
    table: str,
    entities: Sequence[Entity],
    probes: Sequence[EntityProbe],
    schema: Sequence[ColumnInfo],
    matched_columns: Mapping[EntityIndex, list[str]],
    windows: Mapping[EntityIndex, Window],
) -> ScoringInput:
    """The series groups of a table (entity x entity column found) and what scoring needs.

    An entity scoped to a host counts its host columns as its own: ``Computer = <its
    host>`` restates the scope, it is never a finding.
    """
    scopes = {p.entity: p.scope for p in probes}
    groups = tuple(
        SeriesGroup(index, column, entities[index].identifiers, windows[index], scopes.get(index))
        for index, columns in sorted(matched_columns.items())
        for column in columns
    )
    own = {p.entity: set(p.columns) | set(p.scope.columns if p.scope else ()) for p in probes}
    return ScoringInput(
        table=table,
        entities=entities,
        groups=groups,
        own_columns=own,
        column_types={c.name: c.kql_type for c in schema},
        first_seen={},
    )
