"""What every real-data scenario is made of: rows with labels, times, incidents, files.

A :class:`Builder` collects the rows of a few tables in memory, each row tagged with the
incident entities it concerns, plus the ground truth: planted anomalies (:class:`Injected`),
traps (:class:`Trap`) and every (entity, table, column, value) the planted rows carry.
:meth:`Builder.write` writes one file per table (JSON lines, or CSV for the untyped-file
scenario) and returns a :class:`Scenario`. Every draw comes from one ``numpy`` generator, so
a seed gives the same files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.generators.entities import with_entities
from lookup.demo import DemoScenario, Injected, Trap, demo_incident
from lookup.demo.incident import entity_payload

#: Every scenario's alert: a Monday afternoon (the weekly-job scenario needs a Monday).
ALERT = datetime(2026, 11, 16, 14, 30, tzinfo=UTC)
#: Days of history written before the alert day (enough for a 28-day lookback).
HISTORY_DAYS = 29
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Variant:
    """One way of running a scenario: a label and the Settings fields it changes."""

    label: str
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A labelled workspace for one point of issue 12, with one or more incidents."""

    name: str
    point: str
    description: str
    directory: Path
    incidents: tuple[DemoScenario, ...]
    #: Per table, the rows as written (with their entity tags), to check "same rows" claims.
    rows: Mapping[str, tuple[dict[str, Any], ...]]
    variants: tuple[Variant, ...] = (Variant("default"),)


@dataclass
class _Incident:
    payload: dict[str, Any]
    injected: list[Injected] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    caused: set[Key] = field(default_factory=set)


class Builder:
    """Rows of a scenario's tables and the ground truth of its incidents."""

    def __init__(self, name: str, seed: int, *, alert: datetime = ALERT) -> None:
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.alert = alert
        self.day0 = alert.replace(hour=0, minute=0, second=0, microsecond=0)
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.formats: dict[str, str] = {}
        self.incidents: list[_Incident] = []
        #: The incident that :meth:`plant`, :meth:`wanted` and :meth:`trap` label.
        self.current = -1

    # -- time ---------------------------------------------------------------------------

    def day(self, offset: int) -> datetime:
        """Midnight UTC of the day ``offset`` days before the alert's day."""
        return self.day0 - DAY * offset

    def office(self, offset: int, count: int, start: int = 8, end: int = 18) -> list[datetime]:
        """``count`` times within office hours of a day (never after the alert)."""
        base = self.day(offset)
        seconds = self.rng.integers(start * 3600, end * 3600, count)
        times = [base + timedelta(seconds=int(s)) for s in seconds]
        return sorted(t for t in times if t < self.alert)

    def within(self, start: datetime, end: datetime, count: int) -> list[datetime]:
        """``count`` times spread uniformly over ``[start, end)``."""
        span = int((end - start).total_seconds())
        seconds = np.sort(self.rng.integers(0, max(span, 1), count))
        return [start + timedelta(seconds=int(s)) for s in seconds]

    def before_alert(self, count: int, minutes: int) -> list[datetime]:
        """``count`` times over the ``minutes`` before the alert."""
        return self.within(self.alert - timedelta(minutes=minutes), self.alert, count)

    def history_days(self) -> range:
        """Day offsets from the oldest written day to the alert day (0)."""
        return range(HISTORY_DAYS, -1, -1)

    # -- rows ---------------------------------------------------------------------------

    def add(
        self,
        table: str,
        times: Iterable[datetime],
        *,
        entities: Sequence[str] = (),
        **columns: Any,
    ) -> list[dict[str, Any]]:
        """Rows at ``times`` with the given column values (a value or a list, one per row).

        ``entities`` tags the rows with the incident entities (display values) they concern.
        """
        rows = []
        for i, when in enumerate(times):
            row: dict[str, Any] = {"TimeGenerated": when}
            for name, value in columns.items():
                row[name] = value[i] if isinstance(value, list) else value
            row["__entities"] = frozenset(entities)
            rows.append(row)
        self.tables.setdefault(table, []).extend(rows)
        return rows

    def plant(
        self,
        table: str,
        times: Iterable[datetime],
        *,
        entities: Sequence[str],
        **columns: Any,
    ) -> list[dict[str, Any]]:
        """Rows written by the planted activity: every value they carry is explained."""
        rows = self.add(table, times, entities=entities, **columns)
        incident = self.incidents[self.current]
        for row in rows:
            for entity in entities:
                incident.caused.update(
                    (entity, table, c, str(v))
                    for c, v in row.items()
                    if not c.startswith("__") and c != "TimeGenerated" and v not in ("", None)
                )
        return rows

    # -- ground truth -------------------------------------------------------------------

    def incident(self, title: str, entities: Sequence[dict[str, Any]], number: int) -> None:
        """Start the next incident, naming these payload entities."""
        payload = with_entities(demo_incident(self.alert), entities)
        props = payload["object"]["properties"]
        props["title"] = title
        props["incidentNumber"] = number
        payload["object"]["name"] = f"00000000-0000-4000-9000-{number:012d}"
        self.incidents.append(_Incident(payload))
        self.current = len(self.incidents) - 1

    def use(self, index: int) -> None:
        """Label incident ``index`` (in creation order) from now on."""
        self.current = index

    def wanted(self, entity: str, table: str, column: str, value: str, shape: str) -> None:
        """A planted anomaly the lookup must report for the current incident."""
        self.incidents[self.current].injected.append(Injected(entity, table, column, value, shape))

    def trap(self, entity: str, table: str, column: str, value: str, kind: str) -> None:
        """A value the lookup must not report for the current incident."""
        self.incidents[self.current].traps.append(Trap(entity, table, column, value, kind))

    # -- files --------------------------------------------------------------------------

    def write(
        self,
        directory: Path,
        *,
        point: str,
        description: str,
        variants: tuple[Variant, ...] = (Variant("default"),),
    ) -> Scenario:
        """Write every table and return the scenario."""
        directory.mkdir(parents=True, exist_ok=True)
        counts: dict[str, int] = {}
        for table, rows in sorted(self.tables.items()):
            ordered = sorted(rows, key=lambda r: r["TimeGenerated"])
            self.tables[table] = ordered
            fmt = self.formats.get(table, "jsonl")
            _write_table(directory / f"{table}.{fmt}", ordered, fmt)
            counts[table] = len(ordered)
        incidents = tuple(
            DemoScenario(
                directory=directory,
                incident=item.payload,
                alert_time=self.alert,
                injected=tuple(dict.fromkeys(item.injected)),
                traps=tuple(
                    t
                    for t in dict.fromkeys(item.traps)
                    if (t.entity, t.table, t.column, t.value) not in item.caused
                ),
                caused_by_injection=frozenset(
                    item.caused | {(i.entity, i.table, i.column, i.value) for i in item.injected}
                ),
                rows=dict(counts),
            )
            for item in self.incidents
        )
        return Scenario(
            name=self.name,
            point=point,
            description=description,
            directory=directory,
            incidents=incidents,
            rows={t: tuple(r) for t, r in self.tables.items()},
            variants=variants,
        )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write_table(path: Path, rows: Sequence[dict[str, Any]], fmt: str) -> None:
    columns = list(dict.fromkeys(c for r in rows for c in r if not c.startswith("__")))
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_text(row.get(c)) for c in columns])
        return
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {c: _json(row.get(c)) for c in columns}
            handle.write(json.dumps(record) + "\n")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _stamp(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(value: Any) -> Any:
    return _stamp(value) if isinstance(value, datetime) else value


# -- payload entities ---------------------------------------------------------------------


def account(name: str, upn: str) -> dict[str, Any]:
    """An Account entity of ``upn``."""
    short, _, suffix = upn.partition("@")
    return entity_payload(
        name, "Account", {"accountName": short, "upnSuffix": suffix, "friendlyName": short}
    )


def host(name: str, host_name: str) -> dict[str, Any]:
    """A Host entity known by its NetBIOS-style host name."""
    return entity_payload(name, "Host", {"hostName": host_name, "friendlyName": host_name})


def ip(name: str, address: str) -> dict[str, Any]:
    """An Ip entity."""
    return entity_payload(name, "Ip", {"address": address, "friendlyName": address})


def file(name: str, directory: str, file_name: str, host_id: str | None = None) -> dict[str, Any]:
    """A File entity (directory + name), optionally on a host entity (its ``id``)."""
    props: dict[str, Any] = {"directory": directory, "fileName": file_name}
    if host_id is not None:
        props["hostEntityId"] = host_id
    props["friendlyName"] = file_name
    return entity_payload(name, "File", props)


def process(
    name: str, command_line: str, image_id: str, host_id: str | None = None
) -> dict[str, Any]:
    """A Process entity: its command line, its image File entity and host (``id``s)."""
    props: dict[str, Any] = {"commandLine": command_line, "imageFileEntityId": image_id}
    if host_id is not None:
        props["hostEntityId"] = host_id
    return entity_payload(name, "Process", props)


def guid(rng: np.random.Generator) -> str:
    """A random GUID string."""
    raw = "".join(f"{int(b):02x}" for b in rng.integers(0, 256, 16))
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:32]}"


def poisson(rng: np.random.Generator, rate: float) -> int:
    """One Poisson draw as an int."""
    return int(rng.poisson(rate))
