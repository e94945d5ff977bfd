"""The demo scenario: a company's three weeks, one attack, and its ground truth.

The story: a password spray from 203.0.113.66 against adele.vance@contoso.com succeeds
from a new country, the attacker RDPs to her workstation WS-ADELE, creates an account,
runs PowerShell, adds an inbox rule and downloads files. Around her, a company of users,
hosts and IPs goes about its week: busy weekdays, quiet weekends, office hours, noise.

The generator also plants traps the lookup must not report: a value that is always high, a
spike on an earlier day, high-cardinality columns. :func:`build_demo_workspace` writes one
function's worth of story per table (``_signin_logs``, ``_security_events``...), in a fixed
order: every step draws from the same random generator, so the order is the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lookup.demo.generator import Clock, Company, Table, make_company, pick
from lookup.demo.incident import demo_incident
from lookup.demo.pools import (
    ACTIVITY,
    CMD,
    FACILITIES,
    FILE_ACCESSED,
    FILE_DOWNLOADED,
    NEW_INBOX_RULE,
    POWERSHELL,
    RESULTS,
    SEVERITIES,
    SYSLOG_PROCESSES,
)
from lookup.demo.tables import (
    cef_rows,
    cef_table,
    company_signins,
    office_rows,
    office_table,
    security_rows,
    security_table,
    signin_table,
    syslog_table,
    user_signins,
)
from lookup.demo.tenant import (
    ATTACKER_IP,
    DEFAULT_ALERT_TIME,
    HISTORY_DAYS,
    VICTIM_AAD_ID,
    VICTIM_HOME_IP,
    VICTIM_HOST,
    VICTIM_HOST_FQDN,
    VICTIM_HOST_IP,
    VICTIM_NAME,
    VICTIM_UPN,
)

#: Share of the rows each table gets when a total row count is requested.
TABLE_SHARES = {
    "SigninLogs": 0.25,
    "SecurityEvent": 0.35,
    "OfficeActivity": 0.15,
    "Syslog": 0.12,
    "CommonSecurityLog": 0.13,
}

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Injected:
    """A planted anomaly: ``value`` of ``column`` for ``entity`` in ``table`` in the test bin."""

    entity: str
    table: str
    column: str
    value: str
    shape: str


@dataclass(frozen=True)
class Trap:
    """A pattern that looks suspicious to a naive check and must not be reported.

    ``value`` ``*`` stands for every value of the column (a high-cardinality column).
    """

    entity: str
    table: str
    column: str
    value: str
    kind: str


@dataclass(frozen=True)
class DemoScenario:
    """A generated workspace, its incident and its ground truth."""

    directory: Path
    incident: dict[str, Any]
    alert_time: datetime
    injected: tuple[Injected, ...]
    traps: tuple[Trap, ...]
    #: (entity, table, column, value) of every value carried by injected rows: a reported
    #: anomaly outside this set (and outside the injected list) came from background noise.
    caused_by_injection: frozenset[Key]
    rows: Mapping[str, int] = field(default_factory=dict)


@dataclass
class GroundTruth:
    """What a story planted, collected while its tables are written."""

    injected: list[Injected] = field(default_factory=list)
    traps: list[Trap] = field(default_factory=list)
    caused: set[Key] = field(default_factory=set)

    def mark(
        self, entities: Iterable[str], table: str, columns: Mapping[str, object | Sequence[object]]
    ) -> None:
        """Record the values that injected rows carry (one or several per column)."""
        for entity in entities:
            for column, values in columns.items():
                many = values if isinstance(values, (list, tuple)) else [values]
                for value in many:
                    self.caused.add((entity, table, column, str(value)))

    def scenario(
        self,
        directory: Path,
        incident: dict[str, Any],
        alert_time: datetime,
        rows: Mapping[str, int],
    ) -> DemoScenario:
        """The scenario of a written workspace: the planted anomalies count as carried too."""
        caused = self.caused | {(i.entity, i.table, i.column, i.value) for i in self.injected}
        return DemoScenario(
            directory=directory,
            incident=incident,
            alert_time=alert_time,
            injected=tuple(self.injected),
            traps=tuple(self.traps),
            caused_by_injection=frozenset(caused),
            rows=rows,
        )


@dataclass(frozen=True)
class _World:
    """What every step of the story draws from."""

    rng: np.random.Generator
    clock: Clock
    co: Company
    total_rows: int

    def rows_of(self, table: str) -> int:
        return int(self.total_rows * TABLE_SHARES[table])


#: The victim takes the place of the company's user 0: nobody else's rows are hers.
_VICTIM = 0


def build_demo_workspace(
    directory: str | Path,
    *,
    total_rows: int = 250_000,
    seed: int = 7,
    alert_time: datetime = DEFAULT_ALERT_TIME,
    history_days: int = HISTORY_DAYS,
) -> DemoScenario:
    """Write the demo workspace (one Parquet file per table) and return its scenario.

    ``total_rows`` is split across the five tables (:data:`TABLE_SHARES`); the incident's
    entities keep the same activity at every size, so the lookup's answer does not change
    with scale, only its cost.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    clock = Clock(rng, alert_time, history_days)
    co = make_company(rng, int(np.clip(total_rows // 1500, 60, 4000)))
    world = _World(rng, clock, co, total_rows)
    truth = GroundTruth()
    tables = (
        _signin_logs(world, truth),
        _security_events(world, truth),
        _office_activity(world, truth),
        _syslog(world),
        _firewall(world, truth),
    )
    rows = {table.name: table.write(out / f"{table.name}.parquet") for table in tables}
    return truth.scenario(out, demo_incident(alert_time), alert_time, rows)


# -- SigninLogs: a password spray that succeeds from a new country ----------------------------


def _victim_signins(
    t: Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    app: str,
    result: int = 0,
    ip: str = VICTIM_HOME_IP,
    country: str = "US",
    client: str = "Browser",
    device: str | None = VICTIM_HOST_FQDN,
) -> None:
    user_signins(
        t,
        times,
        rng,
        user=VICTIM_UPN,
        user_id=VICTIM_AAD_ID,
        app=app,
        ip=ip,
        country=country,
        result=result,
        client=client,
        device=device,
    )


def _signin_logs(w: _World, truth: GroundTruth) -> Table:
    signin = signin_table()
    company_signins(signin, w.rng, w.clock, w.co, w.rows_of("SigninLogs"), _VICTIM)
    # The victim's usual sign-ins: mail all day every day, Teams, SharePoint, MFA prompts.
    usual = "Office 365 Exchange Online"
    _victim_signins(signin, w.clock.daily(34, rhythm=False), w.rng, app=usual)
    _victim_signins(signin, w.clock.daily(6), w.rng, app="Microsoft Teams")
    _victim_signins(signin, w.clock.daily(3), w.rng, app="Office 365 SharePoint Online")
    _victim_signins(signin, w.clock.daily(0.3), w.rng, app="Microsoft Teams", result=2)
    truth.traps.append(
        Trap(VICTIM_UPN, "SigninLogs", "AppDisplayName", usual, "steadily high value")
    )
    # The spray, then the attacker's successful sign-ins.
    attack: dict[str, Any] = dict(
        app="Azure Active Directory PowerShell",
        ip=ATTACKER_IP,
        country="RU",
        client="Other clients",
        device=None,
    )
    _victim_signins(signin, w.clock.before_alert(36, minutes=110), w.rng, result=1, **attack)
    _victim_signins(signin, w.clock.before_alert(7, minutes=40), w.rng, **attack)
    truth.mark(
        (VICTIM_UPN, ATTACKER_IP),
        "SigninLogs",
        {
            "Location": "RU",
            "IPAddress": ATTACKER_IP,
            "ResultType": ["50126", "0"],
            "ResultDescription": [RESULTS[1][1], RESULTS[0][1]],
            "AppDisplayName": "Azure Active Directory PowerShell",
            "ClientAppUsed": "Other clients",
            "ConditionalAccessStatus": ["failure", "success"],
            "AuthenticationRequirement": "multiFactorAuthentication",
            "UserPrincipalName": VICTIM_UPN,
            "UserDisplayName": "Adele Vance",
            "UserId": VICTIM_AAD_ID,
        },
    )
    truth.traps.append(Trap(VICTIM_UPN, "SigninLogs", "UserAgent", "*", "high-cardinality column"))
    truth.injected += [
        Injected(VICTIM_UPN, "SigninLogs", "Location", "RU", "new location"),
        Injected(VICTIM_UPN, "SigninLogs", "IPAddress", ATTACKER_IP, "new IP"),
        Injected(VICTIM_UPN, "SigninLogs", "ResultType", "50126", "burst of failures"),
        Injected(
            VICTIM_UPN,
            "SigninLogs",
            "AppDisplayName",
            "Azure Active Directory PowerShell",
            "brand-new value",
        ),
        Injected(ATTACKER_IP, "SigninLogs", "UserPrincipalName", VICTIM_UPN, "brand-new value"),
    ]
    return signin


# -- SecurityEvent: RDP brute force, a new account, PowerShell --------------------------------


def _security_events(w: _World, truth: GroundTruth) -> Table:
    security = security_table()
    _company_workstations(security, w)
    _victim_workstation(security, w, truth)
    _workstation_attack(security, w, truth)
    return security


def _company_workstations(security: Table, w: _World) -> None:
    """Everyone's workstation (one owner each, never the victim) and three servers."""
    n_sec = w.rows_of("SecurityEvent")
    times = w.clock.background(n_sec)
    owners = pick(w.rng, len(times), w.co.activity)
    owners = np.where(owners == _VICTIM, 1, owners)
    order = np.argsort(owners, kind="stable")
    times, owners = times[order], owners[order]
    bounds = np.flatnonzero(np.diff(owners)) + 1
    for chunk_times, chunk_owner in zip(
        np.split(times, bounds), np.split(owners, bounds), strict=True
    ):
        if len(chunk_times):
            o = int(chunk_owner[0])
            security_rows(security, chunk_times, w.rng, host=w.co.hosts[o], user=w.co.users[o])
    for server in ("DC01.contoso.com", "FS01.contoso.com", "SQL01.contoso.com"):
        security_rows(
            security,
            w.clock.background(max(50, n_sec // 40), flat=True),
            w.rng,
            host=server,
            user="svc-backup@contoso.com",
            event_weights=(0.5, 0.3, 0.1, 0.05, 0.0, 0.05, 0.0, 0.0),
        )


def _victim_workstation(security: Table, w: _World, truth: GroundTruth) -> None:
    """A steady, busy machine with a weekly rhythm, and an admin's busy day a week ago."""
    security_rows(
        security,
        w.clock.daily(90),
        w.rng,
        host=VICTIM_HOST_FQDN,
        user=VICTIM_UPN,
        event_weights=(0.45, 0.3, 0.2, 0.04, 0.01, 0.0, 0.0, 0.0),
    )
    truth.traps.append(
        Trap(VICTIM_HOST_FQDN, "SecurityEvent", "EventID", "4634", "steadily high value")
    )
    # Many processes on one day, long gone by the alert.
    security_rows(
        security,
        w.clock.on_day(7, 140),
        w.rng,
        host=VICTIM_HOST_FQDN,
        user=VICTIM_UPN,
        event=4688,
        process=CMD,
    )
    truth.traps.append(
        Trap(VICTIM_HOST_FQDN, "SecurityEvent", "NewProcessName", CMD, "spike on an earlier day")
    )


def _workstation_attack(security: Table, w: _World, truth: GroundTruth) -> None:
    """RDP brute force, then a new account and PowerShell."""
    victim: dict[str, Any] = dict(host=VICTIM_HOST_FQDN, user=VICTIM_UPN)
    rdp: dict[str, Any] = dict(ip=ATTACKER_IP, logon_type=10, **victim)
    clock, rng = w.clock, w.rng
    security_rows(security, clock.before_alert(48, minutes=90), rng, event=4625, **rdp)
    security_rows(security, clock.before_alert(3, minutes=30), rng, event=4624, **rdp)
    security_rows(security, clock.before_alert(3, minutes=25), rng, event=4720, **victim)
    posh = clock.before_alert(45, minutes=25)
    security_rows(security, posh, rng, event=4688, process=POWERSHELL, **victim)
    codes = [4625, 4624, 4720, 4688]
    truth.mark(
        (VICTIM_HOST_FQDN, VICTIM_UPN, ATTACKER_IP),
        "SecurityEvent",
        {
            "EventID": codes,
            "Activity": [ACTIVITY[c] for c in codes],
            "IpAddress": ATTACKER_IP,
            "LogonType": 10,
            "Computer": VICTIM_HOST_FQDN,
            "WorkstationName": VICTIM_HOST,
            "TargetUserName": VICTIM_NAME,
            "Account": f"CONTOSO\\{VICTIM_NAME}",
            "SubjectUserName": VICTIM_NAME,
            "AccountType": "User",
            "TargetDomainName": "CONTOSO",
            "NewProcessName": POWERSHELL,
            "Process": "powershell.exe",
        },
    )
    truth.injected += [
        Injected(VICTIM_HOST_FQDN, "SecurityEvent", "EventID", "4625", "burst of failures"),
        Injected(VICTIM_HOST_FQDN, "SecurityEvent", "IpAddress", ATTACKER_IP, "new IP"),
        Injected(VICTIM_HOST_FQDN, "SecurityEvent", "EventID", "4720", "brand-new value"),
        Injected(
            VICTIM_HOST_FQDN,
            "SecurityEvent",
            "NewProcessName",
            POWERSHELL,
            "spike on a usual value",
        ),
    ]


# -- OfficeActivity: an inbox rule and a mass download ----------------------------------------


def _office_activity(w: _World, truth: GroundTruth) -> Table:
    office = office_table()
    clock, rng = w.clock, w.rng
    times = clock.background(w.rows_of("OfficeActivity"))
    actor = pick(rng, len(times), w.co.activity)
    actor = np.where(actor == _VICTIM, 2, actor)
    for a in np.unique(actor):
        office_rows(office, times[actor == a], rng, user=w.co.users[a], ip=w.co.home_ips[a])
    home: dict[str, Any] = dict(user=VICTIM_UPN, ip=VICTIM_HOME_IP)
    weights = (0.45, 0.15, 0.05, 0.3, 0.05, 0.0, 0.0, 0.0, 0.0)
    office_rows(office, clock.daily(30), rng, weights=weights, **home)
    office_rows(office, clock.on_day(5, 260), rng, operation=FILE_ACCESSED, **home)
    truth.traps.append(
        Trap(VICTIM_UPN, "OfficeActivity", "Operation", "FileAccessed", "spike on an earlier day")
    )
    attacker: dict[str, Any] = dict(user=VICTIM_UPN, ip=ATTACKER_IP)
    office_rows(
        office, clock.before_alert(3, minutes=20), rng, operation=NEW_INBOX_RULE, **attacker
    )
    downloads = clock.before_alert(180, minutes=15)
    office_rows(office, downloads, rng, operation=FILE_DOWNLOADED, **attacker)
    truth.mark(
        (VICTIM_UPN, ATTACKER_IP),
        "OfficeActivity",
        {
            "Operation": ["New-InboxRule", "FileDownloaded"],
            "RecordType": ["ExchangeAdmin", "SharePointFileOperation"],
            "OfficeWorkload": ["Exchange", "OneDrive"],
            "ClientIP": ATTACKER_IP,
            "UserId": VICTIM_UPN,
            "ResultStatus": "Succeeded",
            "UserType": "Regular",
        },
    )
    truth.traps.append(
        Trap(VICTIM_UPN, "OfficeActivity", "OfficeObjectId", "*", "high-cardinality column")
    )
    truth.injected += [
        Injected(VICTIM_UPN, "OfficeActivity", "Operation", "New-InboxRule", "brand-new value"),
        Injected(
            VICTIM_UPN, "OfficeActivity", "Operation", "FileDownloaded", "spike on a usual value"
        ),
        Injected(VICTIM_UPN, "OfficeActivity", "ClientIP", ATTACKER_IP, "new IP"),
    ]
    return office


# -- Syslog: the Linux side is quiet; nothing of the incident is here -------------------------


def _syslog(w: _World) -> Table:
    syslog = syslog_table()
    rng, co = w.rng, w.co
    times = w.clock.background(w.rows_of("Syslog"), flat=True)
    host = rng.integers(0, len(co.linux_hosts), len(times))
    fac = pick(rng, len(times), (0.3, 0.2, 0.25, 0.15, 0.05, 0.05))
    proc = pick(rng, len(times), (0.3, 0.15, 0.2, 0.25, 0.05, 0.05))
    syslog.add(
        times,
        Computer=[co.linux_hosts[h] for h in host],
        HostName=[co.linux_hosts[h] for h in host],
        HostIP=[co.linux_ips[h] for h in host],
        Facility=[FACILITIES[f] for f in fac],
        SeverityLevel=[SEVERITIES[i] for i in pick(rng, len(times), (0.7, 0.15, 0.1, 0.05))],
        ProcessName=[SYSLOG_PROCESSES[p] for p in proc],
        SyslogMessage=[
            f"session {rng.integers(10**5, 10**6)} opened for user svc{h}" for h in host
        ],
        ProcessID=rng.integers(300, 40000, len(times)),
    )
    return syslog


# -- CommonSecurityLog: outbound traffic, and the attacker's inbound RDP ----------------------


def _firewall(w: _World, truth: GroundTruth) -> Table:
    cef = cef_table()
    clock, rng, co = w.clock, w.rng, w.co
    times = clock.background(w.rows_of("CommonSecurityLog"))
    actor = pick(rng, len(times), co.activity)
    source = [co.host_ips[a] for a in actor]
    cef_rows(cef, times, rng, source=source, user=[f"CONTOSO\\{co.names[a]}" for a in actor])
    own = clock.daily(40)
    n = len(own)
    cef_rows(cef, own, rng, source=[VICTIM_HOST_IP] * n, user=[f"CONTOSO\\{VICTIM_NAME}"] * n)
    inbound = clock.before_alert(120, minutes=100)
    n = len(inbound)
    cef_rows(
        cef,
        inbound,
        rng,
        source=[ATTACKER_IP] * n,
        user=[""] * n,
        port=3389,
        action="allow",
        dest=VICTIM_HOST_IP,
    )
    truth.mark(
        (ATTACKER_IP,),
        "CommonSecurityLog",
        {
            "DestinationPort": 3389,
            "DeviceAction": "allow",
            "DestinationIP": VICTIM_HOST_IP,
            "ApplicationProtocol": "ms-rdp",
            "Protocol": "TCP",
            "SourceIP": ATTACKER_IP,
            "Activity": "TRAFFIC",
            "LogSeverity": "1",
            "DeviceVendor": "Palo Alto Networks",
            "DeviceProduct": "PAN-OS",
            "Computer": "fw01.contoso.com",
        },
    )
    truth.injected.append(
        Injected(ATTACKER_IP, "CommonSecurityLog", "DestinationPort", "3389", "brand-new value")
    )
    return cef
