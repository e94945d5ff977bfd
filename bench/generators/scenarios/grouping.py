"""Scenario of one set of rows seen through several entities, and of rows that only look alike.

:func:`mirrored_entities` (issue 12, points 5 and 6): an incident naming the victim's
account, her workstation and the attacker's address. An RDP brute force, a mass download
and sign-ins from a new country write rows that carry two or three of the entities at once,
so the same rows are reached through each of them. Two unrelated bursts of five rows each (a
lateral logon to a file server and five runs of a new tool) give identical count series that
are *not* the same rows: a report claiming they are is wrong.
"""

from __future__ import annotations

from pathlib import Path

from bench.generators.scenarios.common import Builder, Scenario, account, host, ip, poisson
from bench.generators.scenarios.gaps import signins
from lookup.demo.generator import account_name, home_ip, user_principal_name, workstation

USERS = 40
_VICTIM = 3
_ATTACKER = "203.0.113.66"
_OPERATIONS = ("FileAccessed", "FileModified", "FileDownloaded", "MailItemsAccessed", "Send")
_ACTIVITY = {
    4624: "4624 - An account was successfully logged on.",
    4625: "4625 - An account failed to log on.",
    4634: "4634 - An account was logged off.",
    4688: "4688 - A new process has been created.",
}


def _logons(
    b: Builder,
    times: list,  # type: ignore[type-arg]
    user: int,
    event: int,
    *,
    computer: str | None = None,
    source: str = "-",
    logon_type: int = 2,
    tags: tuple[str, ...] = (),
    planted: bool = False,
    **extra: str,
) -> None:
    name = account_name(user)
    columns = dict(
        Computer=computer or workstation(user).split(".")[0],
        Account=f"CONTOSO\\{name}",
        TargetUserName=name,
        EventID=event,
        Activity=_ACTIVITY[event],
        IpAddress=source,
        LogonType=logon_type,
        NewProcessName="",
    )
    columns.update(extra)
    write = b.plant if planted else b.add
    write("SecurityEvent", times, entities=tags, **columns)


def _ordinary(b: Builder, tags: dict[int, tuple[str, ...]]) -> None:
    for user in range(USERS):
        tag = tags.get(user, ())
        upn = user_principal_name(user)
        for offset in b.history_days():
            weekend = b.day(offset).weekday() >= 5
            for event, rate in ((4624, 12.0), (4634, 10.0), (4625, 0.4)):
                count = poisson(b.rng, rate * (0.15 if weekend else 1.0))
                _logons(b, b.office(offset, count), user, event, tags=tag)
            times = b.office(offset, poisson(b.rng, 2.0 if weekend else 15.0))
            operations = [_OPERATIONS[int(i)] for i in b.rng.choice(5, len(times))]
            b.add("OfficeActivity", times, entities=tag[:1], UserId=upn, Operation=operations,
                  ClientIP=home_ip(user), OfficeWorkload="SharePoint")  # fmt: skip


def _attack(b: Builder, victim: str, ws: str) -> None:
    both = (victim, ws, _ATTACKER)
    _logons(b, b.before_alert(70, 150), _VICTIM, 4625, source=_ATTACKER, logon_type=10,
            tags=both, planted=True)  # fmt: skip
    _logons(b, b.before_alert(3, 20), _VICTIM, 4624, source=_ATTACKER, logon_type=10,
            tags=both, planted=True)  # fmt: skip
    b.plant("OfficeActivity", b.before_alert(90, 60), entities=(victim, _ATTACKER), UserId=victim,
            Operation="FileDownloaded", ClientIP=_ATTACKER, OfficeWorkload="OneDrive")  # fmt: skip
    b.plant("SigninLogs", b.before_alert(30, 120), entities=(victim, _ATTACKER),
            UserPrincipalName=victim, AppDisplayName="Microsoft Azure CLI", IPAddress=_ATTACKER,
            Location="RU", ResultType="0", ClientAppUsed="Other clients")  # fmt: skip
    # Two unrelated bursts of five rows: a logon to a file server, five runs of a new tool.
    server = b.within(b.alert.replace(hour=9, minute=10), b.alert.replace(hour=9, minute=20), 5)
    _logons(b, server, _VICTIM, 4624, computer="FS09", logon_type=3, tags=(victim,),
            planted=True)  # fmt: skip
    tool = b.within(b.alert.replace(hour=11, minute=40), b.alert.replace(hour=11, minute=50), 5)
    _logons(b, tool, _VICTIM, 4688, tags=(victim, ws), planted=True,
            NewProcessName="C:\\Tools\\procdump64.exe")  # fmt: skip


def _wanted(b: Builder, victim: str, ws: str) -> None:
    for entity in (victim, ws):
        b.wanted(entity, "SecurityEvent", "EventID", "4625", "burst of failures")
        b.wanted(entity, "SecurityEvent", "IpAddress", _ATTACKER, "new IP")
        b.wanted(
            entity, "SecurityEvent", "NewProcessName", "C:\\Tools\\procdump64.exe", "brand-new"
        )
    b.wanted(victim, "SecurityEvent", "Computer", "FS09", "brand-new value")
    b.wanted(victim, "OfficeActivity", "Operation", "FileDownloaded", "spike on a usual value")
    b.wanted(victim, "OfficeActivity", "ClientIP", _ATTACKER, "new IP")
    b.wanted(victim, "SigninLogs", "Location", "RU", "new location")
    b.wanted(victim, "SigninLogs", "IPAddress", _ATTACKER, "new IP")
    b.wanted(_ATTACKER, "SecurityEvent", "EventID", "4625", "burst of failures")
    b.wanted(_ATTACKER, "SecurityEvent", "Computer", ws, "brand-new value")
    b.wanted(_ATTACKER, "OfficeActivity", "UserId", victim, "brand-new value")
    b.wanted(_ATTACKER, "SigninLogs", "UserPrincipalName", victim, "brand-new value")


def mirrored_entities(directory: Path, seed: int = 125) -> Scenario:
    """Points 5 and 6: the same rows through three entities; equal bursts of other rows."""
    b = Builder("mirrored entities", seed)
    victim = user_principal_name(_VICTIM)
    ws = workstation(_VICTIM).split(".")[0]
    b.incident(
        "RDP brute force, mass download and sign-ins from a new country",
        [account("a1", victim), host("h1", ws), ip("i1", _ATTACKER)],
        9501,
    )
    _ordinary(b, {_VICTIM: (victim, ws)})
    signins(b, range(USERS), 15.0)
    _attack(b, victim, ws)
    _wanted(b, victim, ws)
    b.trap(victim, "SecurityEvent", "EventID", "4624", "steadily high value")
    b.trap(ws, "SecurityEvent", "EventID", "4634", "steadily high value")
    return b.write(
        directory,
        point="5-6. mirrored entities",
        description=(
            "account + workstation + attacker IP: 70 RDP failures and 3 logons (rows of all "
            "three), 90 downloads and 30 sign-ins from the attacker (account and IP); two "
            "unrelated 5-row bursts (a logon to FS09, five runs of procdump64.exe) with "
            "identical series"
        ),
    )
