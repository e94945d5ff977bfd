"""Many labelled incidents over one shared workspace: the detection benchmark's ground truth.

:func:`build_detection_workspace` writes, in this order (every step draws from one random
generator, so the order is part of the data): the company's ordinary activity
(:func:`_company_background`), then per incident its victim (:mod:`.victims`: ordinary weeks,
traps, the attacker's history) and its attack (:mod:`.attacks`), and labels what the
incident's entities should and should not show (:func:`_label`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from bench.generators.attacks import Plan, plant_attack
from bench.generators.victims import (
    Victim,
    Workspace,
    earlier_spike,
    high_cardinality,
    known_partner,
    make_victim,
    ordinary_weeks,
    recon,
)
from lookup.demo import DEFAULT_ALERT_TIME, HISTORY_DAYS, TABLE_SHARES, DemoScenario, Injected
from lookup.demo.generator import Clock, make_company, pick
from lookup.demo.pools import FACILITIES, SEVERITIES, SYSLOG_PROCESSES
from lookup.demo.tables import cef_rows, company_signins, office_rows, security_rows

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class DetectionWorkspace:
    """Many labelled incidents over one shared workspace (:func:`build_detection_workspace`)."""

    directory: Path
    alert_time: datetime
    #: One scenario per incident: its payload, planted anomalies, traps and the values the
    #: planted rows carry (so :func:`lookup.demo.evaluate` works on each).
    scenarios: tuple[DemoScenario, ...]
    #: One line per incident: entity kinds and what was planted, for the results.
    descriptions: tuple[str, ...]
    rows: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Labelled:
    victim: Victim
    injected: tuple[Injected, ...]
    caused: frozenset[Key]
    description: str


def build_detection_workspace(
    directory: str | Path,
    *,
    incidents: int = 12,
    background_rows: int = 120_000,
    seed: int = 11,
    alert_time: datetime = DEFAULT_ALERT_TIME,
    history_days: int = HISTORY_DAYS,
) -> DetectionWorkspace:
    """Write a workspace holding ``incidents`` labelled incidents and return their ground truth.

    A company goes about its weeks (the demo's five tables, busy weekdays, quiet weekends,
    Poisson noise). Each incident has its own victim user, workstation and attacker IP and
    names one of six entity mixes (Account; Host; Ip; Account+Ip; Account+Host;
    Account+Host+Ip, in turn). Every victim gets an ordinary activity profile of random
    size, and the traps the lookup must not report: a steadily high value, a spike on an
    earlier day, and values of high-cardinality columns (documents of the day, a job whose
    command line changes daily). Then attacks are planted before the alert time, with
    random sizes and durations: password spray from a new country and IP with a new client
    app, mailbox abuse (a spike of downloads, a new inbox rule), RDP brute force, malware
    runs (a new binary, a spike of PowerShell) and inbound traffic on a new port. The
    attacker IP is brand new, probed the tenant one or two days earlier, or has been a
    known partner address for weeks.

    The ground truth names, per incident entity, the planted anomalies (shapes
    ``brand-new value``, ``spike on a usual value``, ``burst of failures``, ``new
    location``, ``new IP``), the traps, and every value the planted rows carry.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    clock = Clock(rng, alert_time, history_days)
    n_users = int(max(60, background_rows // 1500, incidents * 3 + 10))
    ws = Workspace(rng, clock, make_company(rng, n_users), alert_time, history_days)
    _company_background(ws, background_rows)
    victims = rng.choice(np.arange(3, n_users), size=incidents, replace=False)
    labelled = [_incident(ws, k, int(victims[k])) for k in range(incidents)]
    rows = {t.name: t.write(out / f"{t.name}.parquet") for t in ws.tables}
    scenarios = tuple(
        DemoScenario(
            directory=out,
            incident=item.victim.incident,
            alert_time=alert_time,
            injected=item.injected,
            traps=tuple(
                t
                for t in item.victim.traps
                if (t.entity, t.table, t.column, t.value) not in item.caused
            ),
            caused_by_injection=item.caused,
            rows=dict(rows),
        )
        for item in labelled
    )
    return DetectionWorkspace(
        directory=out,
        alert_time=alert_time,
        scenarios=scenarios,
        descriptions=tuple(item.description for item in labelled),
        rows=rows,
    )


def _company_background(ws: Workspace, background_rows: int) -> None:
    """The company's ordinary activity in the five tables."""
    rng, clock, co = ws.rng, ws.clock, ws.co

    def rows_of(table: str) -> int:
        return int(background_rows * TABLE_SHARES[table])

    company_signins(ws.signin, rng, clock, co, rows_of("SigninLogs"), -1)
    times = clock.background(rows_of("SecurityEvent"))
    owners = pick(rng, len(times), co.activity)
    for o in np.unique(owners):
        security_rows(ws.security, times[owners == o], rng, host=co.hosts[o], user=co.users[o])
    for server in ("DC01.contoso.com", "FS01.contoso.com"):
        security_rows(
            ws.security,
            clock.background(max(50, background_rows // 60), flat=True),
            rng,
            host=server,
            user="svc-backup@contoso.com",
            event_weights=(0.5, 0.3, 0.1, 0.05, 0.0, 0.05, 0.0, 0.0),
        )
    times = clock.background(rows_of("OfficeActivity"))
    actor = pick(rng, len(times), co.activity)
    for a in np.unique(actor):
        office_rows(ws.office, times[actor == a], rng, user=co.users[a], ip=co.home_ips[a])
    _linux_servers(ws, rows_of("Syslog"))
    times = clock.background(rows_of("CommonSecurityLog"))
    actor = pick(rng, len(times), co.activity)
    source = [co.host_ips[a] for a in actor]
    cef_rows(ws.cef, times, rng, source=source, user=[f"CONTOSO\\{co.names[a]}" for a in actor])


def _linux_servers(ws: Workspace, n: int) -> None:
    """About ``n`` Syslog rows of the company's Linux servers, at all hours."""
    rng, co = ws.rng, ws.co
    times = ws.clock.background(n, flat=True)
    host = rng.integers(0, len(co.linux_hosts), len(times))
    ws.syslog.add(
        times,
        Computer=[co.linux_hosts[h] for h in host],
        HostName=[co.linux_hosts[h] for h in host],
        HostIP=[co.linux_ips[h] for h in host],
        Facility=[FACILITIES[f] for f in pick(rng, len(times), (3, 2, 2.5, 1.5, 0.5, 0.5))],
        SeverityLevel=[SEVERITIES[i] for i in pick(rng, len(times), (0.7, 0.15, 0.1, 0.05))],
        ProcessName=[SYSLOG_PROCESSES[p] for p in pick(rng, len(times), (3, 1.5, 2, 2.5, 1, 1))],
        SyslogMessage=[
            f"session {rng.integers(10**5, 10**6)} opened for user svc{h}" for h in host
        ],
        ProcessID=rng.integers(300, 40000, len(times)),
    )


def _incident(ws: Workspace, k: int, index: int) -> _Labelled:
    """Incident ``k`` against company user ``index``: victim, traps, history, attack, labels."""
    victim = make_victim(ws, k, index)
    ordinary_weeks(ws, victim)
    high_cardinality(ws, victim)
    earlier = earlier_spike(ws, victim)
    history = str(ws.rng.choice(["new", "new", "recon", "known"]))
    if history == "known":
        known_partner(ws, victim, earlier)
    # From here on, rows that name the incident's entities were planted by the attack.
    marks = {t.name: len(t.times) for t in ws.tables}
    if history == "recon":
        recon(ws, victim)
    plan = plant_attack(ws, victim)
    description = f"{' + '.join(victim.kinds)} (attacker IP {history}): {'; '.join(plan.steps)}"
    return _label(ws, victim, plan, marks, description)


def _label(
    ws: Workspace, victim: Victim, plan: Plan, marks: Mapping[str, int], description: str
) -> _Labelled:
    """The planted anomalies per incident entity, and every value the planted rows carry."""
    injected = [Injected(victim.value[k], *rest) for k, *rest in plan.wanted if k in victim.kinds]
    caused: set[Key] = set()
    for t in ws.tables:
        for row in t.rows_since(marks[t.name]):
            text = "|".join(row.values()).casefold()
            for entity in victim.entities:
                if any(i.casefold() in text for i in entity.identifiers):
                    caused.update((entity.value, t.name, c, x) for c, x in row.items() if x)
    unique_injected = tuple(dict.fromkeys(injected))
    caused |= {(i.entity, i.table, i.column, i.value) for i in unique_injected}
    return _Labelled(victim, unique_injected, frozenset(caused), description)
