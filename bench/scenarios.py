"""Issue 12's labelled scenarios: the lookup on data shaped like real workspaces, judged.

Each scenario of :mod:`bench.generators.scenarios` is written once into the cache, the
lookup runs on every incident (with each of the scenario's setting variants) through the
local backend, and the report is judged like the detection set (:func:`bench.detection.judge`):

* **recall**: planted anomalies reported / planted;
* **traps**: trap values reported (a gap read as zero activity, an ordinary value of a new
  entity, a bystander's host, a session id, a weekly-only job on its weekday...);
* **findings**: rows in the incident's report;
* **first planted rank**: the rank of the first row naming a planted anomaly, and whether
  every planted anomaly ranks above every row the planted activity does not explain;
* **false "same rows" claims**: values shown as the same rows as a finding (or the same
  rows reached through another entity) whose rows in the test bin are not the finding's,
  checked against the rows as written;
* **table notes**: what the report says about tables with gaps or too little history.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.detection import judge, report_rows
from bench.generators.scenarios import BUILDERS, Scenario
from lookup.backends.local import LocalBackend
from lookup.engine import run_lookup
from lookup.models import Anomaly
from lookup.report import Report
from lookup.settings import Settings

#: The numbers of the code before issue 12 (measured on the same data, recorded once).
BEFORE = Path(__file__).resolve().parent / "results" / "issue12_before.json"


def issue12_results(profile: str, cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """The scenarios, the weekly-rhythm simulation and the numbers before issue 12."""
    from bench.weekly import run_weekly

    out = run_scenarios(cache, log)
    out["profile"] = profile
    out["weekly"] = run_weekly()
    if BEFORE.is_file():
        out["before"] = json.loads(BEFORE.read_text(encoding="utf-8"))
    return out


def run_scenarios(cache: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Every scenario, every variant, every incident: the measures above."""
    out: list[dict[str, Any]] = []
    for name, build in BUILDERS.items():
        directory = cache / f"scenario-{name}"
        shutil.rmtree(directory, ignore_errors=True)
        scenario = build(directory)
        for variant in scenario.variants:
            item = _run_variant(scenario, variant.label, variant.settings)
            item["name"] = name
            out.append(item)
            log(
                f"scenario {name} ({variant.label}): recall {item['found']}/{item['injected']}, "
                f"traps {item['traps_reported']}/{item['traps']}, findings {item['findings']}"
            )
    return {"scenarios": out}


def _run_variant(scenario: Scenario, label: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    settings = Settings(**dict(overrides))
    incidents = []
    with LocalBackend(scenario.directory) as backend:
        for labelled in scenario.incidents:
            started = time.perf_counter()
            report = run_lookup(labelled.incident, backend, settings=settings)
            seconds = time.perf_counter() - started
            incidents.append(_judge_incident(scenario, labelled, report, seconds))
    found = sum(i["found"] for i in incidents)
    injected = sum(i["injected"] for i in incidents)
    findings = [i["findings"] for i in incidents]
    firsts = [i["first_planted_rank"] for i in incidents if i["first_planted_rank"]]
    return {
        "point": scenario.point,
        "description": scenario.description,
        "variant": label,
        "incidents": incidents,
        "injected": injected,
        "found": found,
        "recall": found / injected if injected else None,
        "traps": sum(i["traps"] for i in incidents),
        "traps_reported": sum(len(i["traps_reported"]) for i in incidents),
        "findings": sum(findings),
        "findings_median": statistics.median(findings) if findings else 0,
        "findings_max": max(findings, default=0),
        "first_planted_rank": max(firsts, default=None),
        "clean": all(i["clean"] for i in incidents),
        "false_same_rows": sum(len(i["false_same_rows"]) for i in incidents),
    }


def _judge_incident(
    scenario: Scenario, labelled: Any, report: Report, seconds: float
) -> dict[str, Any]:
    rows = report_rows(report)
    judged = judge(rows, labelled)
    worst = max(judged.found.values(), default=0)
    return {
        "title": report.incident.title,
        "entities": [e.entity.value for e in report.entities],
        "injected": len(labelled.injected),
        "found": len(judged.found),
        "missed": ["|".join((i.entity, i.table, i.column, i.value)) for i in judged.missed],
        "traps": len(labelled.traps),
        "traps_reported": ["|".join(t) for t in judged.traps],
        "findings": len(rows),
        "first_planted_rank": min(judged.found.values(), default=None),
        "planted_ranks": sorted(judged.found.values()),
        "unexplained_above_planted": sum(1 for r in judged.unexplained if r.rank < worst),
        "clean": not judged.missed and all(r.rank > worst for r in judged.unexplained),
        "false_same_rows": false_same_rows(report.anomalies, scenario.rows),
        "tables": {t.table: _table_text(t) for t in report.tables},
        "seconds": seconds,
    }


def _table_text(table: Any) -> str:
    notes = "; ".join(getattr(table, "notes", ()) or ())
    text = str(table.status) + (f": {table.error}" if table.error else "")
    return text + (f" [{notes}]" if notes else "")


def false_same_rows(
    anomalies: Iterable[Anomaly], rows: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[str]:
    """Values a report shows as the same rows as a finding, whose rows differ.

    For each finding, its rows are the rows of the table tagged with its entity, in its
    test bin, holding its value; every folded value (``related``, same entity) and every
    other entity reaching it (``also``) must name exactly the same rows.
    """
    wrong = []
    for anomaly in anomalies:
        table = rows.get(anomaly.table, ())
        end = anomaly.bin_start + anomaly.step
        lead = _row_ids(
            table, anomaly.entity, anomaly.column, anomaly.value, anomaly.bin_start, end
        )
        if not lead:
            continue
        claims = [(anomaly.entity, c, v) for c, v in anomaly.related]
        claims += [(a[0], a[2], a[3]) for a in getattr(anomaly, "also", ())]
        for entity, column, value in claims:
            if _row_ids(table, entity, column, value, anomaly.bin_start, end) != lead:
                wrong.append(f"{anomaly.entity}: {anomaly.column}={anomaly.value} ~ "
                             f"{entity}: {column}={value}")  # fmt: skip
    return wrong


def _row_ids(
    table: Sequence[Mapping[str, Any]],
    entity: str,
    column: str,
    value: str,
    start: datetime,
    end: datetime,
) -> frozenset[int]:
    return frozenset(
        i
        for i, row in enumerate(table)
        if start <= row["TimeGenerated"] < end
        and entity in row["__entities"]
        and str(row.get(column)) == value
    )
