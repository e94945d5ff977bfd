"""Scenarios of missing history: a table that stopped logging, entities that are new.

* :func:`collection_gap` (issue 12, point 1): an SAP audit table silent for 12 of the 15
  days before the alert (as in Microsoft's Sentinel training-lab export), a SecurityEvent
  table silent for 8 days in the middle of the window, and a table onboarded on the alert
  day. The ordinary activity of the victim in them is a trap; the planted anomalies are a
  sign-in from a new country (a healthy table) and a spike of object access (the table with
  the gap).
* :func:`new_entity` (point 2): a branch proxy address first seen 20 hours before the alert
  with ordinary business-hours traffic (its ordinary values are traps, its SMB scan in the
  alert hour is planted), an attacker address first seen 150 minutes before the alert
  (a spray, planted) and an account created four days ago (ordinary, traps).
"""

from __future__ import annotations

from pathlib import Path

from bench.generators.scenarios.common import (
    HOUR,
    Builder,
    Scenario,
    account,
    ip,
    poisson,
)
from lookup.demo.generator import account_name, home_ip, user_principal_name, workstation

USERS = 40
_VICTIM = 5
_SAP_CODES = tuple(f"S{code:03d}" for code in range(25))
_SAP_CLASSES = tuple(f"AU{i}" for i in range(1, 10))
_APPS = (
    "Microsoft Teams",
    "Office 365 Exchange Online",
    "Office 365 SharePoint Online",
    "Microsoft Edge",
    "Azure Portal",
    "Power BI",
)
_EVENTS = {4624: 10.0, 4634: 8.0, 4672: 2.0, 4663: 5.0}
_ACTIVITY = {
    4624: "4624 - An account was successfully logged on.",
    4634: "4634 - An account was logged off.",
    4672: "4672 - Special privileges assigned to new logon.",
    4663: "4663 - An attempt was made to access an object.",
    4625: "4625 - An account failed to log on.",
}


def _weekday_rate(b: Builder, offset: int, rate: float) -> float:
    return rate * (0.15 if b.day(offset).weekday() >= 5 else 1.0)


def signins(b: Builder, users: range, per_day: float, *, skip: int | None = None) -> None:
    """Ordinary sign-ins of the company's users from home, every day of the history."""
    for user in users:
        if user == skip:
            continue
        upn = user_principal_name(user)
        for offset in b.history_days():
            times = b.office(offset, poisson(b.rng, _weekday_rate(b, offset, per_day)))
            apps = [_APPS[int(i)] for i in b.rng.choice(len(_APPS), len(times))]
            b.add(
                "SigninLogs",
                times,
                UserPrincipalName=upn,
                AppDisplayName=apps,
                IPAddress=home_ip(user),
                Location="GB",
                ResultType="0",
                ClientAppUsed="Browser",
            )


def _security_events(b: Builder, user: int, offset: int, tag: tuple[str, ...]) -> None:
    name = account_name(user)
    for event, rate in _EVENTS.items():
        times = b.office(offset, poisson(b.rng, _weekday_rate(b, offset, rate)))
        b.add(
            "SecurityEvent",
            times,
            entities=tag,
            Computer=workstation(user),
            Account=f"CONTOSO\\{name}",
            TargetUserName=name,
            EventID=event,
            Activity=_ACTIVITY[event],
            LogonType=2 if event == 4624 else 0,
        )


def _sap_rows(b: Builder, user: int, offset: int, tag: tuple[str, ...]) -> None:
    times = b.office(offset, poisson(b.rng, _weekday_rate(b, offset, 30.0)))
    codes = [_SAP_CODES[int(i)] for i in b.rng.choice(8, len(times)) + (user % 17)]
    classes = [_SAP_CLASSES[int(i)] for i in b.rng.choice(4, len(times))]
    b.add(
        "SAPAuditLog_CL",
        times,
        entities=tag,
        User_s=user_principal_name(user),
        TransactionCode_s=codes,
        MessageClass_s=classes,
        Terminal_s=f"T{user:03d}",
    )


def collection_gap(directory: Path, seed: int = 121) -> Scenario:
    """Point 1: tables that stopped logging, and one that holds a single day."""
    b = Builder("collection gap", seed)
    victim = user_principal_name(_VICTIM)
    b.incident("SAP user signs in from a new country", [account("a1", victim)], 9101)
    sap_days = {14, 13, 0}
    security_gap = set(range(3, 11))
    for user in range(USERS):
        tag = (victim,) if user == _VICTIM else ()
        for offset in b.history_days():
            if offset in sap_days:
                _sap_rows(b, user, offset, tag)
            if offset not in security_gap:
                _security_events(b, user, offset, tag)
        times = b.office(0, poisson(b.rng, 20.0), start=8, end=14)
        b.add(
            "AppAudit_CL",
            times,
            entities=tag,
            UserName_s=user_principal_name(user),
            Operation_s=[f"op-{int(i)}" for i in b.rng.choice(6, len(times))],
        )
    signins(b, range(USERS), 15.0)
    for row in b.tables["SAPAuditLog_CL"]:
        if row["__entities"] and row["TimeGenerated"] >= b.day(0):
            b.trap(victim, "SAPAuditLog_CL", "TransactionCode_s", row["TransactionCode_s"], "gap")
            b.trap(victim, "SAPAuditLog_CL", "MessageClass_s", row["MessageClass_s"], "gap")
    for row in b.tables["AppAudit_CL"]:
        if row["__entities"]:
            b.trap(victim, "AppAudit_CL", "Operation_s", row["Operation_s"], "one day of data")
    for event in (4624, 4634):
        b.trap(victim, "SecurityEvent", "EventID", str(event), "gap")
    name = account_name(_VICTIM)
    b.plant(
        "SecurityEvent",
        b.before_alert(60, 120),
        entities=(victim,),
        Computer=workstation(_VICTIM),
        Account=f"CONTOSO\\{name}",
        TargetUserName=name,
        EventID=4663,
        Activity=_ACTIVITY[4663],
        LogonType=0,
    )
    b.wanted(victim, "SecurityEvent", "EventID", "4663", "spike on a usual value")
    b.plant(
        "SigninLogs",
        b.before_alert(12, 90),
        entities=(victim,),
        UserPrincipalName=victim,
        AppDisplayName="Azure Active Directory PowerShell",
        IPAddress="185.220.101.7",
        Location="RU",
        ResultType="0",
        ClientAppUsed="Other clients",
    )
    b.wanted(victim, "SigninLogs", "Location", "RU", "new location")
    b.wanted(victim, "SigninLogs", "IPAddress", "185.220.101.7", "new IP")
    return b.write(
        directory,
        point="1. collection gap",
        description=(
            "SAPAuditLog_CL holds data on 3 of the 15 days (12 silent days before the alert), "
            "SecurityEvent is silent for 8 days mid-window, AppAudit_CL holds only the alert "
            "day; planted: a sign-in from a new country (SigninLogs) and a 60-row spike of "
            "object access (SecurityEvent)"
        ),
    )


_PROXY = "10.99.0.5"
_ATTACKER = "185.220.102.9"
_BUSINESS = (21, 15, 9, 16, 12, 17, 16)


def _proxy_flows(b: Builder, start_hours: int) -> None:
    """The branch proxy: quiet evening and night, then business hours, then the alert hour."""
    hours = list(range(start_hours, 0, -1))
    business = dict(zip(range(8, 1, -1), _BUSINESS, strict=True))
    for back in hours:
        start = b.alert - HOUR * back
        count = business.get(back, poisson(b.rng, 0.6)) if back > 1 else 14
        if back == start_hours:
            count = max(count, 2)
        times = b.within(start, start + HOUR, count)
        ports = [443 if b.rng.random() < 0.8 else 80 for _ in times]
        b.add(
            "CommonSecurityLog",
            times,
            entities=(_PROXY,),
            SourceIP=_PROXY,
            DestinationIP=[f"52.96.0.{int(i)}" for i in b.rng.integers(1, 200, len(times))],
            DestinationPort=ports,
            ApplicationProtocol=["https" if p == 443 else "http" for p in ports],
            DeviceAction="allow",
        )


def _company_flows(b: Builder) -> None:
    for user in range(USERS):
        for offset in b.history_days():
            times = b.office(offset, poisson(b.rng, _weekday_rate(b, offset, 25.0)))
            ports = [int(p) for p in b.rng.choice([443, 443, 443, 80, 53], len(times))]
            b.add(
                "CommonSecurityLog",
                times,
                SourceIP=f"10.20.0.{user + 1}",
                DestinationIP=[f"52.96.1.{int(i)}" for i in b.rng.integers(1, 200, len(times))],
                DestinationPort=ports,
                ApplicationProtocol=[{443: "https", 80: "http", 53: "dns"}[p] for p in ports],
                DeviceAction=["deny" if b.rng.random() < 0.05 else "allow" for _ in times],
            )


def new_entity(directory: Path, seed: int = 122) -> Scenario:
    """Point 2: an address first seen 20 h ago, an attacker first seen 150 min ago, a hire."""
    b = Builder("brand-new entity", seed)
    hire = "new.hire@contoso.com"
    b.incident(
        "New addresses and a new account",
        [ip("i1", _PROXY), ip("i2", _ATTACKER), account("a1", hire)],
        9201,
    )
    _company_flows(b)
    _proxy_flows(b, 20)
    for value in ("443", "80"):
        b.trap(_PROXY, "CommonSecurityLog", "DestinationPort", value, "ordinary for a new entity")
    b.trap(_PROXY, "CommonSecurityLog", "ApplicationProtocol", "https", "ordinary, new entity")
    b.trap(_PROXY, "CommonSecurityLog", "DeviceAction", "allow", "ordinary for a new entity")
    scan = b.before_alert(30, 50)
    b.plant(
        "CommonSecurityLog",
        scan,
        entities=(_PROXY,),
        SourceIP=_PROXY,
        DestinationIP=[f"10.20.0.{int(i)}" for i in b.rng.integers(1, 40, len(scan))],
        DestinationPort=445,
        ApplicationProtocol="smb",
        DeviceAction="deny",
    )
    b.wanted(_PROXY, "CommonSecurityLog", "DestinationPort", "445", "brand-new value")
    signins(b, range(USERS), 15.0)
    for offset in range(4, -1, -1):
        # One sign-in an hour of the working day on average; the alert day up to 14:00.
        start = 10 if offset == 4 else 8
        end = 14 if offset == 0 else 18
        times = b.office(offset, poisson(b.rng, end - start), start=start, end=end)
        b.add(
            "SigninLogs",
            times,
            entities=(hire,),
            UserPrincipalName=hire,
            AppDisplayName=[_APPS[int(i)] for i in b.rng.choice(2, len(times))],
            IPAddress=home_ip(77),
            Location="GB",
            ResultType="0",
            ClientAppUsed="Browser",
        )
    for app in _APPS[:2]:
        b.trap(hire, "SigninLogs", "AppDisplayName", app, "ordinary for a new entity")
    b.trap(hire, "SigninLogs", "Location", "GB", "ordinary for a new entity")
    victim = user_principal_name(_VICTIM)
    spray = b.before_alert(48, 150)
    b.plant(
        "SigninLogs",
        spray,
        entities=(_ATTACKER,),
        UserPrincipalName=victim,
        AppDisplayName="Azure Active Directory PowerShell",
        IPAddress=_ATTACKER,
        Location="NG",
        ResultType=["50126"] * 45 + ["0"] * 3,
        ClientAppUsed="Other clients",
    )
    b.wanted(_ATTACKER, "SigninLogs", "ResultType", "50126", "burst of failures")
    b.wanted(_ATTACKER, "SigninLogs", "UserPrincipalName", victim, "brand-new value")
    return b.write(
        directory,
        point="2. brand-new entity",
        description=(
            "a branch proxy first seen 20 h before the alert with business-hours traffic "
            "(21, 15, 9, 16, 12, 17, 16 rows an hour, 14 in the alert hour) and a planted SMB "
            "scan; an attacker address first seen 150 min before (planted spray); an account "
            "created 4 days before with ordinary sign-ins"
        ),
    )
