"""Detection quality: labelled incidents, three methods, precision / recall / rank / traps.

The labelled set comes from :func:`bench.generators.build_detection_workspace`: shared
workspaces in which each incident has its own victim, attacker and planted anomalies
(ground truth per incident entity) plus traps. For every incident:

* **ours**: ``run_lookup`` with default settings (through a recording proxy of the local
  backend, which keeps the count series it scored);
* **notebook**: the original notebook's algorithm replayed offline
  (:mod:`bench.notebook`), run once per entity with the string an analyst copies from the
  incident (account name, host name, IP address); "as shipped" (a crash loses the entity's
  whole run) and "crash-fixed" (tables without a window skipped);
* **msticpy STL**: ``ts_anomalies_stl`` (:mod:`bench.stl`) on the same count series ours
  scored, a spike reported when the last point is labelled 1; "as shipped" and without its
  seasonal-sign rule and crash (score > 3 at the last point).

A reported row is *explained* when the value it names (or a value folded into it) is
carried by planted rows; precision = explained rows / reported rows; recall = planted
anomalies reported / planted anomalies; rank = position of the row naming a planted
anomaly in the incident's ranked list; a trap counts when its value is reported.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.generators import build_detection_workspace
from bench.notebook import EntityRun, NotebookReplay
from bench.profiles import DetectionSet, Profile
from bench.recording import (
    RecordingBackend,
    SeriesBlock,
    TableRecord,
    concurrent_rounds,
    engine_candidates,
    series_from_records,
)
from bench.stl import msticpy_stl
from bench.workspaces import GENERATED_SECONDS
from lookup.backends.local import LocalBackend
from lookup.demo import DemoScenario, Injected
from lookup.engine import run_lookup
from lookup.models import Entity, EntityKind
from lookup.ranking import passes_filter
from lookup.scoring import series_decompose_anomalies
from lookup.sentinel.payload import parse_incident
from lookup.settings import Settings

Key = tuple[str, str, str, str]
METHODS = ("ours", "notebook", "notebook_fixed", "msticpy_stl", "stl_no_sign_rule")
LA_CONCURRENCY = 4


@dataclass
class Row:
    """One reported row of a method, with every (entity, table, column, value) it names."""

    rank: int
    keys: list[Key]
    score: float
    label: str = ""


@dataclass
class Judged:
    """A method's rows for one incident, compared with the ground truth."""

    found: dict[Injected, int] = field(default_factory=dict)
    missed: list[Injected] = field(default_factory=list)
    traps: list[Key] = field(default_factory=list)
    reported: int = 0
    unexplained: list[Row] = field(default_factory=list)


def judge(rows: Sequence[Row], scenario: DemoScenario) -> Judged:
    where: dict[Key, int] = {}
    out = Judged(reported=len(rows))
    for row in rows:
        for key in row.keys:
            where.setdefault(key, row.rank)
        if not any(key in scenario.caused_by_injection for key in row.keys):
            out.unexplained.append(row)
    for item in scenario.injected:
        rank = where.get((item.entity, item.table, item.column, item.value))
        if rank is None:
            out.missed.append(item)
        else:
            out.found[item] = rank
    out.traps = [
        (t.entity, t.table, t.column, t.value)
        for t in scenario.traps
        if (t.entity, t.table, t.column, t.value) in where
    ]
    return out


def _ranked(rows: list[tuple[float, list[Key], str]]) -> list[Row]:
    ordered = sorted(rows, key=lambda r: -r[0])
    return [Row(i + 1, keys, score, label) for i, (score, keys, label) in enumerate(ordered)]


def notebook_string(entity: Entity) -> str:
    """What an analyst copies from the incident page: account name, host name, IP address."""
    if entity.kind is EntityKind.ACCOUNT:
        return entity.value.split("@")[0]
    if entity.kind is EntityKind.HOST:
        return entity.value.split(".")[0]
    return entity.value


def _series_text(series: Iterable[float]) -> str:
    return " ".join(f"{v:g}" for v in series)


def diagnose(
    item: Injected,
    entities: Sequence[Entity],
    records: dict[str, TableRecord],
    blocks: Sequence[SeriesBlock],
    settings: Settings,
) -> str:
    """Why our lookup did not report a planted anomaly."""
    index = next(i for i, e in enumerate(entities) if e.value == item.entity)
    record = records.get(item.table)
    if record is None or record.profile is None or record.profile_request is None:
        return f"{item.table} was not profiled for any entity"
    probe = next(
        (p for p in record.profile_request.probes if p.identifiers == entities[index].identifiers),
        None,
    )
    if probe is None:
        return f"no column of {item.table} is mapped to {entities[index].kind} entities"
    if not any(h.entity == probe.entity and h.hits > 0 for h in record.profile.hits):
        return f"the entity does not appear in {item.table} within the window"
    if record.counts_request is None or item.column not in record.counts_request.columns:
        distinct = record.profile.distinct_counts.get(item.column, 0)
        rows = max(record.profile.row_count, 1)
        return (
            f"{item.column} is not categorical: {distinct} distinct values in "
            f"{record.profile.row_count} rows (ratio {distinct / rows:.3f})"
        )
    best: tuple[float, str] | None = None
    for block in blocks:
        if block.table != item.table:
            continue
        for row, key in enumerate(block.keys):
            if key[0] != index or key[2] != item.column or key[3] != item.value:
                continue
            series = block.matrix[row : row + 1]
            flags, scores, baseline = series_decompose_anomalies(
                series, settings.threshold, -1, "avg", 1
            )
            kept = passes_filter(
                series,
                flags,
                scores,
                baseline,
                threshold=settings.threshold,
                max_flagged_points=settings.max_flagged_points,
            )[0]
            step = "1h" if block.window.step == timedelta(hours=1) else "1d"
            flagged = int(np.count_nonzero(flags[0]))
            if kept:
                reason = "kept by the filter but folded away (unexpected)"
            elif scores[0, -1] <= settings.threshold:
                reason = f"score {scores[0, -1]:.2f} <= {settings.threshold:g}"
            elif series[0, -1] <= baseline[0, -1]:
                reason = "count not above the baseline"
            else:
                reason = (
                    f"{flagged} flagged points in the series: the notebook's noise guard "
                    f"keeps fewer than {settings.max_flagged_points}"
                )
            text = (
                f"{reason} ({step} bins via {key[1]}; series {_series_text(series[0])}; "
                f"expected {baseline[0, -1]:.1f}, score {scores[0, -1]:.2f})"
            )
            if best is None or scores[0, -1] > best[0]:
                best = (float(scores[0, -1]), text)
    if best is None:
        return "the value was never counted for this entity in the window"
    return best[1]


def _notebook_reason(item: Injected, runs: dict[str, EntityRun]) -> str:
    """Why the notebook (as shipped) did not report a planted anomaly."""
    run = runs[item.entity]
    trace = next((t for t in run.tables if t.table == item.table), None)
    if trace is None or not trace.found:
        return "entity not seen in the table within 1 h of the alert (ISENTITYINTABLE)"
    if run.crashed:
        return "the entity's run crashed (get_timewindow returned None, bug 2)"
    if trace.window is None:
        return "no time window for the table (entity newer than 5 h)"
    if item.column not in trace.categorical:
        return "column not categorical over the last day (1% distinct-ratio test)"
    if trace.window == "1h":
        return f"new entity: {trace.bins} daily bins only (step 1d always, bug 1)"
    return "scored below 1.5 or filtered (daily bins ending at the alert, 30-day history)"


def _stl_reason(item: Injected, entities: Sequence[Entity], blocks: Sequence[SeriesBlock]) -> str:
    """Why msticpy's STL method did not report a planted anomaly."""
    index = next(i for i, e in enumerate(entities) if e.value == item.entity)
    best: str | None = None
    for block in blocks:
        if block.table != item.table:
            continue
        period = 24 if block.window.step == timedelta(hours=1) else 7
        for row, key in enumerate(block.keys):
            if key[0] != index or key[2] != item.column or key[3] != item.value:
                continue
            result = msticpy_stl(block.matrix[row], period)
            if result.status == "too short":
                reason = "series shorter than two STL periods"
            elif result.score <= 3.0:
                reason = f"z-score of the last point <= 3 ({'hourly' if period == 24 else 'daily'})"
            elif result.status == "error":
                reason = "msticpy raises (truncated seasonal 0 at a point scoring > 3)"
            else:
                reason = "labelled -1: truncated seasonal < 0 (sign rule)"
            best = best or reason
            if result.score > 3.0:
                best = reason
    return best or "series not built (same inputs as ours: column/entity not analysed)"


Scored = list[tuple[float, list[Key], str]]


def _incident(
    scenario: DemoScenario,
    description: str,
    backend: RecordingBackend,
    replay: NotebookReplay,
    settings: Settings,
) -> dict[str, Any]:
    """Ours, msticpy's STL and the notebook on one labelled incident, judged."""
    incident = parse_incident(scenario.incident)
    entities = incident.entities
    backend.reset()
    started = time.perf_counter()
    report = run_lookup(incident, backend, settings=settings)
    seconds = time.perf_counter() - started
    records = dict(backend.records)
    blocks = series_from_records(records, entities)
    rebuilt = engine_candidates(records, entities, settings)
    ours_rows = report_rows(report)
    reported_keys = {k for row in ours_rows for k in row.keys}
    per_table = [records[t].queries for t in sorted(records)]
    results: dict[str, Any] = {
        "description": description,
        "title": incident.title,
        "entities": [f"{e.kind}:{e.value}" for e in entities],
        "injected": len(scenario.injected),
        "traps": len(scenario.traps),
        "ours_seconds": seconds,
        "rebuilt_series_match_engine": rebuilt == reported_keys,
        "queries": {
            "ours": report.stats.queries,
            "ours_rounds_sequential": sum(per_table),
            "ours_rounds_la": concurrent_rounds(per_table, LA_CONCURRENCY),
        },
    }
    judged: dict[str, Judged] = {"ours": judge(ours_rows, scenario)}
    strict, loose, outcomes = _stl_rows(blocks, entities)
    judged["msticpy_stl"] = judge(_ranked(strict), scenario)
    judged["stl_no_sign_rule"] = judge(_ranked(loose), scenario)
    results["stl_series"] = dict(outcomes)
    shipped, fixed, runs, entity_runs = _notebook_rows(entities, incident.alert_time, replay)
    judged["notebook"] = judge(_ranked(shipped), scenario)
    judged["notebook_fixed"] = judge(_ranked(fixed), scenario)
    results["notebook_miss_reasons"] = dict(
        Counter(_notebook_reason(item, entity_runs) for item in judged["notebook"].missed)
    )
    results["stl_miss_reasons"] = dict(
        Counter(_stl_reason(item, entities, blocks) for item in judged["msticpy_stl"].missed)
    )
    results["notebook_runs"] = runs
    results["queries"]["notebook"] = sum(r.queries for r in entity_runs.values())
    results["queries"]["notebook_fixed"] = sum(r.fixed_queries for r in entity_runs.values())
    results["methods"] = {name: _method_result(j) for name, j in judged.items()}
    ours = judged["ours"]
    results["ours_misses"] = [
        _planted(i) | {"why": diagnose(i, entities, records, blocks, settings)} for i in ours.missed
    ]
    worst = max(ours.found.values(), default=0)
    results["ours_misranked"] = [
        {
            "rank": row.rank,
            "keys": ["|".join(k) for k in row.keys],
            "score": row.score,
            "detail": row.label,
        }
        for row in ours.unexplained
        if row.rank < worst
    ]
    results["_judged"] = judged
    results["_scenario"] = scenario
    return results


def report_rows(report: Any) -> list[Row]:
    """A report's rows, each with every (entity, table, column, value) it names.

    A row names its own value, the values folded into it as the same rows (``related``,
    ``in_step``) and the values of the other entities that reach the same rows (``also``).
    """
    rows = []
    for a in report.anomalies:
        keys = [(a.entity, a.table, a.column, a.value)]
        keys += [(a.entity, a.table, c, v) for c, v in a.related]
        keys += [(a.entity, a.table, c, v) for c, v in getattr(a, "in_step", ())]
        keys += [(e[0], a.table, e[2], e[3]) for e in getattr(a, "also", ())]
        label = f"{a.entity_column} -> {a.column}; series {_series_text(a.series)}"
        rows.append(Row(a.rank, keys, a.score, label))
    return rows


def _stl_rows(
    blocks: Sequence[SeriesBlock], entities: Sequence[Entity]
) -> tuple[Scored, Scored, Counter[str]]:
    """msticpy STL on the series ours scored: as shipped, without its sign rule, outcomes."""
    strict: Scored = []
    loose: Scored = []
    outcomes: Counter[str] = Counter()
    for block in blocks:
        period = 24 if block.window.step == timedelta(hours=1) else 7
        for row, (index, _, column, value) in enumerate(block.keys):
            result = msticpy_stl(block.matrix[row], period)
            outcomes[result.status] += 1
            key = [(entities[index].value, block.table, column, value)]
            if result.status == "ok" and result.label == 1:
                strict.append((result.score, key, ""))
            elif result.status == "ok" and result.label == -1:
                outcomes["spike labelled -1 (seasonal < 0)"] += 1
            if result.score > 3.0:
                loose.append((result.score, key, ""))
                if result.status == "error":
                    outcomes["score > 3 but msticpy raises"] += 1
    return strict, loose, outcomes


def _notebook_rows(
    entities: Sequence[Entity], alert_time: Any, replay: NotebookReplay
) -> tuple[Scored, Scored, list[dict[str, Any]], dict[str, EntityRun]]:
    """The notebook once per entity: rows as shipped and crash-fixed, and each run."""
    shipped: Scored = []
    fixed: Scored = []
    runs = []
    entity_runs: dict[str, EntityRun] = {}
    for entity in entities:
        run = replay.run(notebook_string(entity), alert_time)
        entity_runs[entity.value] = run
        runs.append(
            {
                "entity": entity.value,
                "typed": run.entity,
                "queries": run.queries,
                "fixed_queries": run.fixed_queries,
                "crashed": run.crashed,
                "tables": {
                    t.table: (
                        f"{t.entity_column} ({t.window}, {t.bins} daily bins, "
                        f"{len(t.categorical)} categorical)"
                        if t.found
                        else "not seen within 1 h of the alert"
                    )
                    for t in run.tables
                },
            }
        )
        for target, found in ((shipped, run.anomalies), (fixed, run.fixed_anomalies)):
            target.extend(
                (a.score, [(entity.value, a.table, a.column, a.value)], a.entity_column)
                for a in found
            )
    return shipped, fixed, runs, entity_runs


def _planted(i: Injected) -> dict[str, Any]:
    return {
        "entity": i.entity,
        "table": i.table,
        "column": i.column,
        "value": i.value,
        "shape": i.shape,
    }


def _method_result(j: Judged) -> dict[str, Any]:
    return {
        "found": {f"{i.entity}|{i.table}|{i.column}|{i.value}": r for i, r in j.found.items()},
        "missed": [_planted(i) for i in j.missed],
        "traps_reported": ["|".join(t) for t in j.traps],
        "reported": j.reported,
        "unexplained": len(j.unexplained),
        "found_ranks": sorted(j.found.values()),
    }


def _aggregate(incidents: list[dict[str, Any]], method: str) -> dict[str, Any]:
    injected = found = reported = unexplained = traps = trap_hits = clean = 0
    incidents_with_traps = 0
    ranks: list[int] = []
    by_shape: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in incidents:
        scenario: DemoScenario = item["_scenario"]
        j: Judged = item["_judged"][method]
        kinds = {e.split(":", 1)[1]: e.split(":", 1)[0] for e in item["entities"]}
        injected += len(scenario.injected)
        found += len(j.found)
        reported += j.reported
        unexplained += len(j.unexplained)
        traps += len(scenario.traps)
        trap_hits += len(j.traps)
        incidents_with_traps += bool(j.traps)
        ranks.extend(j.found.values())
        worst = max(j.found.values(), default=0)
        clean += not j.missed and all(row.rank > worst for row in j.unexplained)
        for planted in scenario.injected:
            shape = (
                "new location/IP" if planted.shape in ("new location", "new IP") else planted.shape
            )
            hit = planted in j.found
            by_shape[shape][0] += hit
            by_shape[shape][1] += 1
            by_kind[kinds[planted.entity]][0] += hit
            by_kind[kinds[planted.entity]][1] += 1
    return {
        "incidents": len(incidents),
        "injected": injected,
        "found": found,
        "recall": found / injected if injected else 0.0,
        "reported": reported,
        "unexplained": unexplained,
        "precision": (reported - unexplained) / reported if reported else 0.0,
        "traps": traps,
        "traps_reported": trap_hits,
        "incidents_with_a_trap_reported": incidents_with_traps,
        "rank_median": statistics.median(ranks) if ranks else None,
        "rank_max": max(ranks) if ranks else None,
        "incidents_all_found_above_noise": clean,
        "recall_by_shape": {k: v[0] / v[1] for k, v in sorted(by_shape.items())},
        "count_by_shape": {k: v[1] for k, v in sorted(by_shape.items())},
        "recall_by_entity_kind": {k: v[0] / v[1] for k, v in sorted(by_kind.items())},
    }


def run_detection(profile: Profile, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    settings = Settings()
    incidents: list[dict[str, Any]] = []
    sets = []
    for spec in profile.detection:
        sets.append(_one_set(spec, cache, settings, incidents, log))
    summary = {m: _aggregate(incidents, m) for m in METHODS}
    queries = {
        name: {
            "mean": statistics.mean(i["queries"][name] for i in incidents),
            "max": max(i["queries"][name] for i in incidents),
        }
        for name in (
            "ours",
            "ours_rounds_sequential",
            "ours_rounds_la",
            "notebook",
            "notebook_fixed",
        )
    }
    crashed = sum(1 for i in incidents for r in i["notebook_runs"] if r["crashed"])
    entity_runs = sum(len(i["notebook_runs"]) for i in incidents)
    stl = Counter[str]()
    for item in incidents:
        stl.update(item["stl_series"])
    notebook_reasons = Counter[str]()
    stl_reasons = Counter[str]()
    for item in incidents:
        notebook_reasons.update(item["notebook_miss_reasons"])
        stl_reasons.update(item["stl_miss_reasons"])
    for item in incidents:
        item.pop("_judged")
        item.pop("_scenario")
    return {
        "sets": sets,
        "summary": summary,
        "findings_per_incident": findings_per_incident(incidents),
        "issue12": _issue12(profile.name, cache, log),
        "queries_per_incident": queries,
        "notebook_entity_runs": entity_runs,
        "notebook_entity_runs_crashed": crashed,
        "stl_series": dict(stl),
        "notebook_miss_reasons": dict(notebook_reasons.most_common()),
        "stl_miss_reasons": dict(stl_reasons.most_common()),
        "rebuilt_series_match_engine": all(i["rebuilt_series_match_engine"] for i in incidents),
        "incidents": incidents,
    }


def _issue12(profile: str, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    from bench.scenarios import issue12_results  # it judges with this module's judge()

    return issue12_results(profile, cache, log)


def findings_per_incident(incidents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rows ours reports per incident, and the rank of its first planted finding."""
    rows = [i["methods"]["ours"]["reported"] for i in incidents]
    firsts = [min(r) for i in incidents if (r := i["methods"]["ours"]["found_ranks"])]
    return {
        "median": statistics.median(rows) if rows else 0,
        "max": max(rows, default=0),
        "mean": statistics.mean(rows) if rows else 0,
        "total": sum(rows),
        "first_planted_rank_median": statistics.median(firsts) if firsts else None,
        "first_planted_rank_max": max(firsts, default=None),
    }


def _one_set(
    spec: DetectionSet,
    cache: Path,
    settings: Settings,
    incidents: list[dict[str, Any]],
    log: Callable[[str], None],
) -> dict[str, Any]:
    directory = cache / f"detection-{spec.name}-{spec.incidents}-{spec.background_rows}"
    shutil.rmtree(directory, ignore_errors=True)
    started = time.perf_counter()
    workspace = build_detection_workspace(
        directory,
        incidents=spec.incidents,
        background_rows=spec.background_rows,
        seed=spec.seed,
        alert_time=spec.alert_time,
    )
    generated = time.perf_counter() - started
    GENERATED_SECONDS.append(generated)
    backend = RecordingBackend(LocalBackend(workspace.directory))
    replay = NotebookReplay(workspace.directory)
    try:
        for scenario, description in zip(workspace.scenarios, workspace.descriptions, strict=True):
            item = _incident(scenario, description, backend, replay, settings)
            item["set"] = spec.name
            incidents.append(item)
            ours = item["methods"]["ours"]
            log(
                f"detection {spec.name} #{len(incidents)}: ours found "
                f"{len(ours['found'])}/{item['injected']}, notebook "
                f"{len(item['methods']['notebook']['found'])}, STL "
                f"{len(item['methods']['msticpy_stl']['found'])}"
            )
    finally:
        replay.close()
    return {
        "name": spec.name,
        "alert_time": spec.alert_time.isoformat(),
        "weekday": spec.alert_time.strftime("%A"),
        "incidents": spec.incidents,
        "rows": dict(workspace.rows),
        "total_rows": sum(workspace.rows.values()),
        "generation_seconds": generated,
    }
