"""The victims of the labelled incidents: who they are, their ordinary weeks, their traps.

Each step draws from the workspace's one random generator; ``labelled.py`` calls them in a
fixed order, which is part of the generated data.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.generators.entities import account_payload, host_payload, ip_payload, with_entities
from lookup.demo import Trap, demo_incident
from lookup.demo.generator import Clock, Company, Table, micros
from lookup.demo.pools import ACTIVITY, APPS, CMD, FILE_ACCESSED, POWERSHELL, RESULTS, SITES
from lookup.demo.tables import (
    cef_rows,
    cef_table,
    office_rows,
    office_table,
    security_rows,
    security_table,
    signin_table,
    syslog_table,
    user_signins,
)
from lookup.models import Entity
from lookup.sentinel.payload import parse_incident

ATTACK_COUNTRIES = ("RU", "CN", "KP", "IR", "NG", "VN", "BR", "UA")
ATTACK_APPS = (
    "Azure Active Directory PowerShell",
    "Microsoft Azure CLI",
    "Microsoft Graph Command Line Tools",
)
#: The entity kinds each incident names, in turn.
KIND_MIXES: tuple[tuple[str, ...], ...] = (
    ("Account",),
    ("Host",),
    ("Ip",),
    ("Account", "Ip"),
    ("Account", "Host"),
    ("Account", "Host", "Ip"),
)
_HOUR = 3_600_000_000
_PARTNER = "52.100.10.10"


@dataclass
class Workspace:
    """The shared workspace being written: its generator, clock, company and tables."""

    rng: np.random.Generator
    clock: Clock
    co: Company
    alert_time: datetime
    history_days: int
    signin: Table = field(default_factory=signin_table)
    security: Table = field(default_factory=security_table)
    office: Table = field(default_factory=office_table)
    syslog: Table = field(default_factory=syslog_table)
    cef: Table = field(default_factory=cef_table)

    @property
    def tables(self) -> tuple[Table, ...]:
        return (self.signin, self.security, self.office, self.syslog, self.cef)

    @property
    def alert_us(self) -> int:
        return micros(self.alert_time)


@dataclass
class Victim:
    """Incident ``k``'s victim (company user ``index``), attacker and entity values."""

    k: int
    index: int
    kinds: tuple[str, ...]
    upn: str
    short: str
    fqdn: str
    user_id: str
    host_ip: str
    home_ip: str
    country: str
    attacker: str
    attack_country: str
    incident: dict[str, Any] = field(default_factory=dict)
    entities: tuple[Entity, ...] = ()
    #: entity kind → the value the incident names
    value: dict[str, str] = field(default_factory=dict)
    traps: list[Trap] = field(default_factory=list)
    main_app: str = ""
    usual_downloads: float = 0.0

    def has(self, kind: str) -> bool:
        return kind in self.kinds

    def signins(self, ws: Workspace, times: npt.NDArray[np.int64], **kwargs: Any) -> None:
        """Sign-ins of the victim from home (``kwargs`` override)."""
        own: dict[str, Any] = dict(
            user=self.upn,
            user_id=self.user_id,
            app=self.main_app,
            ip=self.home_ip,
            country=self.country,
            device=self.fqdn,
        )
        user_signins(ws.signin, times, ws.rng, **(own | kwargs))


def make_victim(ws: Workspace, k: int, index: int) -> Victim:
    """Incident ``k`` against company user ``index``: its payload and entity values."""
    co = ws.co
    victim = Victim(
        k=k,
        index=index,
        kinds=KIND_MIXES[k % len(KIND_MIXES)],
        upn=co.users[index],
        short=co.names[index],
        fqdn=co.hosts[index],
        user_id=co.user_ids[index],
        host_ip=co.host_ips[index],
        home_ip=co.home_ips[index],
        country=co.countries[index],
        attacker=f"185.220.{101 + k // 100}.{100 + k % 100}",
        attack_country=str(ws.rng.choice(ATTACK_COUNTRIES)),
    )
    victim.incident = _incident(victim, ws.alert_time)
    victim.entities = tuple(parse_incident(victim.incident).entities)
    victim.value = {str(e.kind): e.value for e in victim.entities}
    return victim


def _incident(victim: Victim, alert_time: datetime) -> dict[str, Any]:
    """The demo incident, renamed and renumbered, naming the victim's entity mix."""
    k, kinds = victim.k, victim.kinds
    entities: list[dict[str, Any]] = []
    if victim.has("Account"):
        entities.append(account_payload(f"a{k}", victim.upn))
    if victim.has("Host"):
        entities.append(host_payload(f"h{k}", victim.fqdn))
    if victim.has("Ip"):
        entities.append(ip_payload(f"i{k}", victim.attacker))
    incident = with_entities(demo_incident(alert_time), entities)
    props = incident["object"]["properties"]
    props["incidentNumber"] = 5000 + k
    props["title"] = f"Labelled incident {k + 1}: {' + '.join(kinds)}"
    incident["object"]["name"] = f"00000000-0000-4000-8000-{k:012d}"
    incident["object"]["id"] = (
        incident["object"]["id"].rsplit("/", 1)[0] + "/" + incident["object"]["name"]
    )
    return incident


def ordinary_weeks(ws: Workspace, v: Victim) -> None:
    """The victim's ordinary activity, of random size, with a steadily high value per table."""
    rng, clock = ws.rng, ws.clock
    scale = float(rng.uniform(0.5, 1.6))
    v.main_app = str(rng.choice(APPS[:3]))
    rhythm = bool(rng.random() < 0.5)
    second = "Microsoft Teams" if v.main_app != "Microsoft Teams" else "Microsoft Edge"
    sharepoint = "Office 365 SharePoint Online"
    third = sharepoint if v.main_app != sharepoint else "Power BI"
    for app, rate, beat in (
        (v.main_app, 30 * scale, rhythm),
        (second, 5 * scale, True),
        (third, 2.5 * scale, True),
    ):
        v.signins(ws, clock.daily(rate, rhythm=beat), app=app)
    v.signins(ws, clock.daily(0.3), result=2)
    security_rows(
        ws.security,
        clock.daily(80 * scale),
        rng,
        host=v.fqdn,
        user=v.upn,
        event_weights=(0.45, 0.3, 0.2, 0.04, 0.01, 0.0, 0.0, 0.0),
    )
    security_rows(
        ws.security, clock.daily(1.5), rng, host=v.fqdn, user=v.upn, event=4688, process=POWERSHELL
    )
    v.usual_downloads = 25 * scale * 0.07
    weights = (0.4, 0.15, 0.07, 0.3, 0.08, 0.0, 0.0, 0.0, 0.0)
    office_rows(ws.office, clock.daily(25 * scale), rng, user=v.upn, ip=v.home_ip, weights=weights)
    own = clock.daily(35 * scale)
    n = len(own)
    cef_rows(ws.cef, own, rng, source=[v.host_ip] * n, user=[f"CONTOSO\\{v.short}"] * n)
    if v.has("Account"):
        v.traps.append(
            Trap(
                v.value["Account"],
                "SigninLogs",
                "AppDisplayName",
                v.main_app,
                "steadily high value",
            )
        )
    if v.has("Host"):
        v.traps.append(
            Trap(v.value["Host"], "SecurityEvent", "EventID", "4624", "steadily high value")
        )


def high_cardinality(ws: Workspace, v: Victim) -> None:
    """Documents of the day, and a job whose command line changes daily (weekdays only)."""
    site = zlib.crc32(v.upn.encode()) % SITES
    alert_day = ws.alert_time.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(ws.history_days, -1, -1):
        day = alert_day - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for j in range(2):
            document = (
                f"https://contoso.sharepoint.com/sites/team{site}/Shared Documents/"
                f"{v.short}-{day:%Y%m%d}-{j}.docx"
            )
            times = ws.clock.on_day(offset, int(ws.rng.poisson(5)) + 2)
            times = times[times < ws.alert_us]
            _document_rows(ws.office, times, user=v.upn, ip=v.home_ip, site=site, document=document)
            if offset == 0 and len(times) and v.has("Account"):
                v.traps.append(
                    Trap(
                        v.value["Account"],
                        "OfficeActivity",
                        "OfficeObjectId",
                        document,
                        "high-cardinality column",
                    )
                )
        stamp = f"{day:%Y%m%d}-{zlib.crc32(f'{v.fqdn}{day}'.encode()):08x}"
        command = f'"C:\\Tools\\sync.exe" --batch {stamp}'
        times = ws.clock.on_day(offset, 6)
        times = times[times < ws.alert_us]
        _process_rows(
            ws.security, times, host=v.fqdn, user=v.upn, path="C:\\Tools\\sync.exe", command=command
        )
        if offset == 0 and len(times) and v.has("Host"):
            v.traps.append(
                Trap(
                    v.value["Host"],
                    "SecurityEvent",
                    "CommandLine",
                    command,
                    "high-cardinality column",
                )
            )


def earlier_spike(ws: Workspace, v: Victim) -> int:
    """A spike on an earlier day, per entity kind; returns how many days before the alert."""
    rng, clock = ws.rng, ws.clock
    earlier = int(rng.integers(2, 10))
    if v.has("Account"):
        if rng.random() < 0.5:
            times = clock.on_day(earlier, int(rng.integers(120, 300)))
            office_rows(ws.office, times, rng, user=v.upn, ip=v.home_ip, operation=FILE_ACCESSED)
            spike = ("OfficeActivity", "Operation", "FileAccessed")
        else:
            v.signins(ws, clock.on_day(earlier, int(rng.integers(15, 40))), result=2)
            spike = ("SigninLogs", "ResultType", RESULTS[2][0])
        v.traps.append(Trap(v.value["Account"], *spike, "spike on an earlier day"))
    if v.has("Host"):
        host: dict[str, Any] = dict(host=v.fqdn, user=v.upn)
        if rng.random() < 0.5:
            times = clock.on_day(earlier, int(rng.integers(60, 150)))
            security_rows(ws.security, times, rng, event=4688, process=CMD, **host)
            spike = ("SecurityEvent", "NewProcessName", CMD)
        else:
            times = clock.on_day(earlier, int(rng.integers(20, 60)))
            security_rows(ws.security, times, rng, event=4625, ip="10.20.250.9", **host)
            spike = ("SecurityEvent", "EventID", "4625")
        v.traps.append(Trap(v.value["Host"], *spike, "spike on an earlier day"))
    return earlier


def known_partner(ws: Workspace, v: Victim, earlier: int) -> None:
    """The attacker's address has been a partner's for weeks, denied in bulk on one day."""

    def flows(times: npt.NDArray[np.int64], action: str) -> None:
        n = len(times)
        source, user = [v.attacker] * n, [""] * n
        cef_rows(
            ws.cef, times, ws.rng, source=source, user=user, port=443, action=action, dest=_PARTNER
        )

    times = ws.clock.daily(3, rhythm=False)
    flows(times[times < ws.alert_us - 6 * _HOUR], "allow")
    flows(ws.clock.on_day(earlier, int(ws.rng.integers(30, 80))), "deny")
    if v.has("Ip"):
        ip = v.value["Ip"]
        v.traps.append(
            Trap(ip, "CommonSecurityLog", "DestinationPort", "443", "steadily high value")
        )
        v.traps.append(
            Trap(ip, "CommonSecurityLog", "DeviceAction", "deny", "spike on an earlier day")
        )


def recon(ws: Workspace, v: Victim) -> None:
    """The attacker probed a few of the tenant's accounts a day or two before the alert."""
    rng = ws.rng
    hours = int(rng.integers(30, 60))
    count = int(rng.integers(2, 7))
    start = ws.alert_us - hours * _HOUR
    probe = start + np.sort(rng.integers(0, 3 * _HOUR, count))
    for when, other in zip(probe, rng.choice(len(ws.co.users), size=count), strict=True):
        user_signins(
            ws.signin,
            np.array([when], dtype=np.int64),
            rng,
            user=ws.co.users[int(other)],
            user_id=ws.co.user_ids[int(other)],
            app=ATTACK_APPS[0],
            ip=v.attacker,
            country=v.attack_country,
            result=1,
            client="Other clients",
            requirement="singleFactorAuthentication",
        )


# -- row writers only the labelled set needs ---------------------------------------------------


def _process_rows(
    t: Table, times: npt.NDArray[np.int64], *, host: str, user: str, path: str, command: str
) -> None:
    """Runs of one binary with one command line (no draws)."""
    short = user.split("@")[0]
    t.add(
        times,
        Computer=host,
        EventID=4688,
        Activity=ACTIVITY[4688],
        Account=f"CONTOSO\\{short}",
        AccountType="User",
        TargetUserName=short,
        TargetDomainName="CONTOSO",
        SubjectUserName=short,
        IpAddress="-",
        WorkstationName=host.split(".")[0],
        NewProcessName=path,
        Process=path.rsplit("\\", 1)[-1],
        CommandLine=command,
        LogonType=0,
    )


def _document_rows(
    t: Table, times: npt.NDArray[np.int64], *, user: str, ip: str, site: int, document: str
) -> None:
    """Accesses to one document (no draws)."""
    t.add(
        times,
        UserId=user,
        Operation="FileAccessed",
        OfficeWorkload="SharePoint",
        RecordType="SharePointFileOperation",
        ClientIP=ip,
        ResultStatus="Succeeded",
        UserType="Regular",
        OfficeObjectId=document,
        Site_Url=f"https://contoso.sharepoint.com/sites/team{site}/",
    )
