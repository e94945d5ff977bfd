"""Scenarios of weekly rhythm and of small tables.

* :func:`weekly_job` (issue 12, point 7): service accounts whose batch jobs run only on
  Mondays (20 to 80 rows each Monday, none otherwise; the alert is on a Monday) are traps,
  and so is an office-hours job after a quiet weekend; three weekly jobs that run three
  times their usual volume on the alert's Monday are planted. Run with 14, 21 and 28 days
  of lookback.
* :func:`small_tables` (point 8): a firewall table of 60 rows and a privileged-operations
  audit table of 45 rows over four weeks, next to a SigninLogs table of thousands. The
  attacker's allowed RDP connections and the victim's new role assignments are planted in
  the small tables, a password spray in the large one; the victim's ordinary VPN gateways
  are traps.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench.generators.scenarios.common import (
    Builder,
    Scenario,
    Variant,
    account,
    ip,
    poisson,
)
from bench.generators.scenarios.gaps import signins
from lookup.demo.generator import user_principal_name

_WEEKLY_ONLY = (20, 30, 40, 50, 60, 80)
_WEEKLY_RISE = (30, 40, 60)


def _job(b: Builder, offset: int, owner: str, name: str, server: str, count: int,
         *, tag: tuple[str, ...] = (), start: int = 2, end: int = 4,
         planted: bool = False) -> None:  # fmt: skip
    times = b.office(offset, count, start=start, end=end)
    status = ["Failed" if b.rng.random() < 0.02 else "Succeeded" for _ in times]
    write = b.plant if planted else b.add
    write("JobRuns_CL", times, entities=tag, Account_s=owner, JobName_s=name, Server_s=server,
          Status_s=status)  # fmt: skip


def weekly_job(directory: Path, seed: int = 126) -> Scenario:
    """Point 7: weekly-only jobs on their Monday, and weekly jobs at three times their size."""
    b = Builder("weekly-only job", seed)
    assert b.alert.weekday() == 0, "the weekly scenario needs a Monday alert"
    weekly = [f"svc-weekly{i}@contoso.com" for i in range(len(_WEEKLY_ONLY))]
    rising = [f"svc-export{i}@contoso.com" for i in range(len(_WEEKLY_RISE))]
    office = "svc-office@contoso.com"
    entities = [account(f"w{i}", upn) for i, upn in enumerate(weekly)]
    entities += [account(f"x{i}", upn) for i, upn in enumerate(rising)]
    entities.append(account("o1", office))
    b.incident("Service accounts on a Monday", entities, 9701)
    for offset in b.history_days():
        monday = b.day(offset).weekday() == 0
        weekend = b.day(offset).weekday() >= 5
        for k in range(20):
            _job(b, offset, f"svc-{k:02d}@contoso.com", f"daily-{k}", f"APP{k % 10:02d}",
                 poisson(b.rng, 30.0), start=0, end=24)  # fmt: skip
        for k, (upn, size) in enumerate(zip(weekly, _WEEKLY_ONLY, strict=True)):
            tag = (upn,)
            _job(b, offset, upn, "daily-sync", "APP00", poisson(b.rng, 10.0), tag=tag,
                 start=0, end=24)  # fmt: skip
            if monday:
                _job(b, offset, upn, f"weekly-report{k}", "RPT02", poisson(b.rng, size), tag=tag)
        for k, (upn, size) in enumerate(zip(rising, _WEEKLY_RISE, strict=True)):
            if monday:
                volume = size * (3 if offset == 0 else 1)
                _job(b, offset, upn, f"weekly-export{k}", "RPT03", poisson(b.rng, volume),
                     tag=(upn,), planted=offset == 0)  # fmt: skip
        office_runs = poisson(b.rng, 3.0 if weekend else 30.0)
        _job(b, offset, office, "office-sync", "APP05", office_runs, tag=(office,), start=7,
             end=14)  # fmt: skip
    for k, upn in enumerate(weekly):
        b.trap(upn, "JobRuns_CL", "JobName_s", f"weekly-report{k}", "weekly-only value")
        b.trap(upn, "JobRuns_CL", "Server_s", "RPT02", "weekly-only value")
    for k, upn in enumerate(rising):
        b.wanted(upn, "JobRuns_CL", "JobName_s", f"weekly-export{k}", "3x on its weekday")
    b.trap(office, "JobRuns_CL", "JobName_s", "office-sync", "weekday after a quiet weekend")
    b.trap(office, "JobRuns_CL", "Server_s", "APP05", "weekday after a quiet weekend")
    return b.write(
        directory,
        point="7. weekly-only job",
        description=(
            "six service accounts whose job runs only on Mondays (20-80 rows), an office-hours "
            "job after a quiet weekend (traps); three Monday-only jobs at 3x their usual size "
            "on the alert's Monday (planted); alert on a Monday"
        ),
        variants=(
            Variant("14 days (default)"),
            Variant("21 days", {"lookback_days": 21}),
            Variant("28 days", {"lookback_days": 28}),
        ),
    )


_ATTACKER = "185.220.103.4"
_VICTIM = 11


def _small_background(b: Builder) -> None:
    """A few firewall records, admin operations and VPN connects over four weeks."""
    for _ in range(60):
        offset = int(b.rng.integers(1, 29))
        when = b.day(offset) + timedelta(seconds=int(b.rng.integers(0, 86400)))
        service = str(b.rng.choice(["https", "https", "ssh", "rdp"]))
        b.add("EdgeFirewall_CL", [when], SrcIP_s=f"45.13.{int(b.rng.integers(0, 40))}.9",
              Service_s=service, Action_s="deny")  # fmt: skip
    admins = [user_principal_name(k) for k in (1, 2, 4, 6, 8)]
    for _ in range(45):
        offset = int(b.rng.integers(1, 29))
        when = b.day(offset) + timedelta(hours=int(b.rng.integers(8, 18)))
        b.add(
            "PrivilegedAudit_CL",
            [when],
            Account_s=str(b.rng.choice(admins)),
            Operation_s=str(b.rng.choice(["ResetPassword", "UpdateUser", "UpdateUser"])),
        )
    victim = user_principal_name(_VICTIM)
    for offset in b.history_days():
        if b.day(offset).weekday() >= 5:
            continue
        gateway = "gw1" if b.rng.random() < 0.8 else "gw2"
        when = b.day(offset) + timedelta(hours=8, minutes=int(b.rng.integers(0, 50)))
        b.add("VpnAudit_CL", [when], entities=(victim,), UserName_s=victim, Gateway_s=gateway,
              Result_s="connected")  # fmt: skip


def small_tables(directory: Path, seed: int = 127) -> Scenario:
    """Point 8: tables of a few dozen rows say what they saw, without flooding the report."""
    b = Builder("small tables", seed)
    victim = user_principal_name(_VICTIM)
    b.incident("Spray, then RDP and a role assignment", [account("a1", victim),
               ip("i1", _ATTACKER)], 9801)  # fmt: skip
    signins(b, range(40), 15.0)
    _small_background(b)
    b.trap(victim, "VpnAudit_CL", "Gateway_s", "gw1", "ordinary in a small table")
    b.trap(victim, "VpnAudit_CL", "Result_s", "connected", "ordinary in a small table")
    b.plant("SigninLogs", b.before_alert(40, 120), entities=(victim, _ATTACKER),
            UserPrincipalName=victim, AppDisplayName="Azure Active Directory PowerShell",
            IPAddress=_ATTACKER, Location="KP", ResultType="50126",
            ClientAppUsed="Other clients")  # fmt: skip
    b.wanted(victim, "SigninLogs", "ResultType", "50126", "burst of failures")
    b.wanted(victim, "SigninLogs", "Location", "KP", "new location")
    b.wanted(_ATTACKER, "SigninLogs", "UserPrincipalName", victim, "brand-new value")
    b.plant("EdgeFirewall_CL", b.before_alert(6, 30), entities=(_ATTACKER,), SrcIP_s=_ATTACKER,
            Service_s="rdp", Action_s="allow")  # fmt: skip
    b.wanted(_ATTACKER, "EdgeFirewall_CL", "Action_s", "allow", "brand-new value")
    b.plant("PrivilegedAudit_CL", b.before_alert(3, 20), entities=(victim,), Account_s=victim,
            Operation_s="AddMemberToRole")  # fmt: skip
    b.wanted(victim, "PrivilegedAudit_CL", "Operation_s", "AddMemberToRole", "brand-new value")
    return b.write(
        directory,
        point="8. small table",
        description=(
            "EdgeFirewall_CL (66 rows) and PrivilegedAudit_CL (48 rows) next to SigninLogs "
            "(thousands): planted allowed RDP from the attacker, a role assignment by the "
            "victim and a spray; the victim's ordinary VPN gateway (VpnAudit_CL, 20 rows) is a "
            "trap"
        ),
    )
