"""The attacks planted before the alert of each labelled incident, and what they should show.

Each attack writes its rows and returns what a lookup should report: ``(kind, table,
column, value, shape)`` per incident entity kind that sees it (planted anomalies of kinds
the incident does not name are dropped by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.generators.victims import ATTACK_APPS, Victim, Workspace
from lookup.demo.pools import FILE_DOWNLOADED, NEW_INBOX_RULE, POWERSHELL, RESULTS
from lookup.demo.tables import cef_rows, office_rows, security_rows, user_signins

ATTACK_PORTS = (3389, 22, 445, 5985)
#: (entity kind, table, column, value, shape) of a planted anomaly.
Wanted = tuple[str, str, str, str, str]


@dataclass
class Plan:
    """Which attacks an incident gets; what they should show; one line each for the results."""

    spray: bool = False
    mail: bool = False
    rdp: bool = False
    malware: bool = False
    inbound: bool = False
    wanted: list[Wanted] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


def plan_attack(ws: Workspace, v: Victim) -> Plan:
    """Draw the attacks: at least one per entity kind the incident names."""
    rng, account, host = ws.rng, v.has("Account"), v.has("Host")
    plan = Plan()
    plan.spray = account and rng.random() < 0.85
    plan.mail = account and rng.random() < 0.6
    if account and not (plan.spray or plan.mail):
        plan.spray = True
    plan.rdp = host and rng.random() < 0.7
    plan.malware = host and rng.random() < 0.7
    if host and not (plan.rdp or plan.malware):
        plan.malware = True
    if v.has("Ip") and not (plan.spray or plan.rdp):
        choice = int(rng.integers(0, 3))
        plan.spray, plan.rdp, plan.inbound = choice == 0, choice == 1, choice == 2
        if rng.random() < 0.5:
            plan.inbound = True
    return plan


def plant_attack(ws: Workspace, v: Victim) -> Plan:
    """Draw the attacks and write them, in a fixed order."""
    plan = plan_attack(ws, v)
    if plan.spray:
        _password_spray(ws, v, plan)
    if plan.mail:
        _mailbox_abuse(ws, v, plan)
    if plan.rdp:
        _rdp_brute_force(ws, v, plan)
    if plan.malware:
        _malware(ws, v, plan)
    if plan.inbound:
        _inbound_traffic(ws, v, plan)
    return plan


def _password_spray(ws: Workspace, v: Victim, plan: Plan) -> None:
    """Failures then sign-ins from a new country, IP and client app."""
    rng = ws.rng
    fails, minutes, ok = (
        int(rng.integers(15, 91)),
        int(rng.integers(30, 241)),
        int(rng.integers(3, 9)),
    )
    app = str(rng.choice(ATTACK_APPS))
    spray = ws.clock.before_alert(fails + ok, minutes=minutes)
    common: dict[str, Any] = dict(
        user=v.upn,
        user_id=v.user_id,
        app=app,
        ip=v.attacker,
        country=v.attack_country,
        client="Other clients",
        requirement="singleFactorAuthentication",
    )
    user_signins(ws.signin, spray[:fails], rng, result=1, **common)
    user_signins(ws.signin, spray[fails:], rng, result=0, **common)
    plan.steps.append(f"spray {fails} failures + {ok} sign-ins over {minutes} min")
    failure = RESULTS[1][0]
    plan.wanted += [
        ("Account", "SigninLogs", "Location", v.attack_country, "new location"),
        ("Account", "SigninLogs", "IPAddress", v.attacker, "new IP"),
        ("Account", "SigninLogs", "ResultType", failure, "burst of failures"),
        ("Account", "SigninLogs", "AppDisplayName", app, "brand-new value"),
        ("Ip", "SigninLogs", "UserPrincipalName", v.upn, "brand-new value"),
        ("Ip", "SigninLogs", "ResultType", failure, "burst of failures"),
    ]


def _mailbox_abuse(ws: Workspace, v: Victim, plan: Plan) -> None:
    """A spike of downloads and a new inbox rule from the attacker's address."""
    rng, clock = ws.rng, ws.clock
    downloads = max(12, round(v.usual_downloads * float(rng.uniform(6, 12))))
    minutes = int(rng.integers(20, 151))
    attacker: dict[str, Any] = dict(user=v.upn, ip=v.attacker)
    times = clock.before_alert(downloads, minutes=minutes)
    office_rows(ws.office, times, rng, operation=FILE_DOWNLOADED, **attacker)
    times = clock.before_alert(1, minutes=minutes)
    office_rows(ws.office, times, rng, operation=NEW_INBOX_RULE, **attacker)
    plan.steps.append(f"mailbox: {downloads} downloads + inbox rule over {minutes} min")
    plan.wanted += [
        ("Account", "OfficeActivity", "Operation", "FileDownloaded", "spike on a usual value"),
        ("Account", "OfficeActivity", "ClientIP", v.attacker, "new IP"),
        ("Ip", "OfficeActivity", "UserId", v.upn, "brand-new value"),
    ]


def _rdp_brute_force(ws: Workspace, v: Victim, plan: Plan) -> None:
    """Failed RDP logons, a few successful ones, then a new account."""
    rng, clock = ws.rng, ws.clock
    fails, minutes = int(rng.integers(20, 151)), int(rng.integers(20, 181))
    victim: dict[str, Any] = dict(host=v.fqdn, user=v.upn)
    rdp: dict[str, Any] = dict(ip=v.attacker, logon_type=10, **victim)
    brute = clock.before_alert(fails, minutes=minutes)
    security_rows(ws.security, brute, rng, event=4625, **rdp)
    logons = clock.before_alert(int(rng.integers(2, 5)), minutes=15)
    security_rows(ws.security, logons, rng, event=4624, **rdp)
    security_rows(ws.security, clock.before_alert(1, minutes=10), rng, event=4720, **victim)
    plan.steps.append(f"RDP brute force {fails} failures over {minutes} min")
    for kind in ("Host", "Account"):
        plan.wanted.append((kind, "SecurityEvent", "EventID", "4625", "burst of failures"))
        plan.wanted.append((kind, "SecurityEvent", "IpAddress", v.attacker, "new IP"))
    plan.wanted.append(("Ip", "SecurityEvent", "EventID", "4625", "burst of failures"))
    plan.wanted.append(("Ip", "SecurityEvent", "Computer", v.fqdn, "brand-new value"))


def _malware(ws: Workspace, v: Victim, plan: Plan) -> None:
    """Runs of a new binary and a spike of PowerShell on the workstation."""
    rng, clock = ws.rng, ws.clock
    stem = rng.choice(["svch0st", "updater", "wmiprv", "taskmgr32"])
    binary = f"C:\\Users\\Public\\{stem}{v.k}.exe"
    runs, shells, minutes = (
        int(rng.integers(4, 26)),
        int(rng.integers(12, 46)),
        int(rng.integers(15, 121)),
    )
    victim: dict[str, Any] = dict(host=v.fqdn, user=v.upn, event=4688)
    security_rows(
        ws.security, clock.before_alert(runs, minutes=minutes), rng, process=binary, **victim
    )
    shell = clock.before_alert(shells, minutes=minutes)
    security_rows(ws.security, shell, rng, process=POWERSHELL, **victim)
    plan.steps.append(
        f"malware: {runs} runs of a new binary, {shells} PowerShell over {minutes} min"
    )
    for kind in ("Host", "Account"):
        plan.wanted.append((kind, "SecurityEvent", "NewProcessName", binary, "brand-new value"))
        plan.wanted.append(
            (kind, "SecurityEvent", "NewProcessName", POWERSHELL, "spike on a usual value")
        )


def _inbound_traffic(ws: Workspace, v: Victim, plan: Plan) -> None:
    """Allowed flows from the attacker to the workstation on a port never seen."""
    rng = ws.rng
    flows, minutes = int(rng.integers(20, 201)), int(rng.integers(20, 181))
    port = int(rng.choice(ATTACK_PORTS))
    inbound = ws.clock.before_alert(flows, minutes=minutes)
    cef_rows(
        ws.cef,
        inbound,
        rng,
        source=[v.attacker] * flows,
        user=[""] * flows,
        port=port,
        action="allow",
        dest=v.host_ip,
    )
    plan.steps.append(f"inbound {flows} flows on port {port} over {minutes} min")
    plan.wanted.append(("Ip", "CommonSecurityLog", "DestinationPort", str(port), "brand-new value"))
