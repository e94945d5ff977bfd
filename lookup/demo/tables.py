"""The five Sentinel tables of the demo: their columns, and writers of their rows.

Columns use the real names and KQL types of the Log Analytics tables (the schemas bundled
in ``lookup/schemas``). Each ``*_table`` function returns an empty :class:`Table`; each
``*_rows`` writer appends rows to it, drawing what it does not get from ``rng``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from lookup.demo.generator import Clock, Company, Table, pick, zipf
from lookup.demo.pools import (
    ACTIVITY,
    APP_PROTOCOLS,
    APPS,
    CLIENT_APPS,
    COUNTRIES,
    EVENTS,
    OPERATIONS,
    PORTS,
    PROCESSES,
    RESULTS,
    SITES,
)
from lookup.demo.tenant import TENANT_ID

# -- SigninLogs ------------------------------------------------------------------------------


def signin_table() -> Table:
    """An empty SigninLogs table."""
    t = Table(
        "SigninLogs",
        strings=[
            "UserPrincipalName",
            "UserDisplayName",
            "UserId",
            "IPAddress",
            "Location",
            "AppDisplayName",
            "ClientAppUsed",
            "ResultType",
            "ResultDescription",
            "ConditionalAccessStatus",
            "AuthenticationRequirement",
            "UserAgent",
            "DeviceDetail",
        ],
        bools=["IsInteractive"],
        unique=["CorrelationId", "OriginalRequestId"],
    )
    t.constants = {
        "Category": "SignInLogs",
        "OperationName": "Sign-in activity",
        "Type": "SigninLogs",
        "TenantId": TENANT_ID,
        "SourceSystem": "Azure AD",
    }
    return t


def device_detail(host: str) -> str:
    """The DeviceDetail JSON of a sign-in from ``host``."""
    return json.dumps(
        {
            "displayName": host.split(".")[0],
            "operatingSystem": "Windows 11",
            "browser": "Edge 131.0",
            "isCompliant": True,
            "trustType": "Azure AD joined",
        }
    )


def user_agent(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` Edge user agents of random builds (a high-cardinality column)."""
    builds = rng.integers(0, 3000, n)
    return [
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edge/131.0.{b}.{b % 97}"
        for b in builds
    ]


def company_signins(
    t: Table, rng: np.random.Generator, clock: Clock, co: Company, n: int, skip: int
) -> None:
    """About ``n`` sign-ins of the company's users over the history, none by user ``skip``."""
    times = clock.background(n)
    n = len(times)
    actor = pick(rng, n, co.activity)
    actor = np.where(actor == skip, (actor + 1) % len(co.users), actor)
    app = pick(rng, n, zipf(len(APPS)))
    result = pick(rng, n, (0.95, 0.02, 0.02, 0.008, 0.002))
    abroad = rng.random(n) < 0.01
    country = np.array([co.countries[a] for a in actor], dtype=object)
    country[abroad] = rng.choice(COUNTRIES, int(abroad.sum()))
    t.add(
        times,
        UserPrincipalName=[co.users[a] for a in actor],
        UserDisplayName=[co.names[a].replace(".", " ").title() for a in actor],
        UserId=[co.user_ids[a] for a in actor],
        IPAddress=[co.home_ips[a] for a in actor],
        Location=list(country),
        AppDisplayName=[APPS[i] for i in app],
        ClientAppUsed=[CLIENT_APPS[i] for i in pick(rng, n, (0.7, 0.25, 0.05))],
        ResultType=[RESULTS[i][0] for i in result],
        ResultDescription=[RESULTS[i][1] for i in result],
        ConditionalAccessStatus=[("success", "notApplied")[i] for i in pick(rng, n, (0.8, 0.2))],
        AuthenticationRequirement=[
            ("singleFactorAuthentication", "multiFactorAuthentication")[i]
            for i in pick(rng, n, (0.6, 0.4))
        ],
        UserAgent=user_agent(rng, n),
        DeviceDetail=[device_detail(co.hosts[a]) for a in actor],
        IsInteractive=rng.random(n) < 0.7,
    )


def user_signins(
    t: Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    user: str,
    user_id: str,
    app: str,
    ip: str,
    country: str,
    result: int = 0,
    client: str = "Browser",
    device: str | None = None,
    requirement: str = "multiFactorAuthentication",
) -> None:
    """Interactive sign-ins of one user at ``times`` (``result``: an index of RESULTS)."""
    n = len(times)
    if n == 0:
        return
    t.add(
        times,
        UserPrincipalName=user,
        UserDisplayName=user.split("@")[0].replace(".", " ").title(),
        UserId=user_id,
        IPAddress=ip,
        Location=country,
        AppDisplayName=app,
        ClientAppUsed=client,
        ResultType=RESULTS[result][0],
        ResultDescription=RESULTS[result][1],
        ConditionalAccessStatus="success" if result == 0 else "failure",
        AuthenticationRequirement=requirement,
        UserAgent=user_agent(rng, n),
        DeviceDetail=device_detail(device) if device else "{}",
        IsInteractive=True,
    )


# -- SecurityEvent ---------------------------------------------------------------------------


def security_table() -> Table:
    """An empty SecurityEvent table."""
    t = Table(
        "SecurityEvent",
        strings=[
            "Computer",
            "Activity",
            "Account",
            "AccountType",
            "TargetUserName",
            "TargetDomainName",
            "SubjectUserName",
            "IpAddress",
            "WorkstationName",
            "NewProcessName",
            "Process",
            "CommandLine",
        ],
        ints=["EventID", "LogonType"],
        unique=["EventOriginId"],
    )
    t.constants = {
        "EventSourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security",
        "Type": "SecurityEvent",
        "TenantId": TENANT_ID,
        "SourceSystem": "OpsManager",
    }
    return t


def security_rows(
    t: Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    host: str,
    user: str,
    event_weights: Sequence[float] | None = None,
    event: int | None = None,
    process: str | None = None,
    ip: str = "-",
    logon_type: int | None = None,
) -> None:
    """Events of ``user`` on ``host``: one ``event``, or drawn with ``event_weights``."""
    n = len(times)
    if n == 0:
        return
    weights = event_weights or (0.35, 0.25, 0.3, 0.07, 0.01, 0.02, 0.0, 0.0)
    codes = [event] * n if event is not None else [int(EVENTS[i][0]) for i in pick(rng, n, weights)]
    procs = pick(rng, n, zipf(len(PROCESSES) - 3, 1.3))
    short = user.split("@")[0]
    new_process = [
        (process or PROCESSES[p]) if code == 4688 else ""
        for code, p in zip(codes, procs, strict=True)
    ]
    t.add(
        times,
        Computer=host,
        EventID=np.array(codes),
        Activity=[ACTIVITY[c] for c in codes],
        Account=f"CONTOSO\\{short}",
        AccountType="User",
        TargetUserName=short,
        TargetDomainName="CONTOSO",
        SubjectUserName=short,
        IpAddress=ip,
        WorkstationName=host.split(".")[0],
        NewProcessName=new_process,
        Process=[p.rsplit("\\", 1)[-1] for p in new_process],
        CommandLine=[f'"{p}" -id {rng.integers(1000, 99999)}' if p else "" for p in new_process],
        LogonType=np.where(np.isin(codes, (4624, 4625)), logon_type or 3, 0),
    )


# -- OfficeActivity --------------------------------------------------------------------------


def office_table() -> Table:
    """An empty OfficeActivity table."""
    t = Table(
        "OfficeActivity",
        strings=[
            "UserId",
            "Operation",
            "OfficeWorkload",
            "RecordType",
            "ClientIP",
            "ResultStatus",
            "UserType",
            "OfficeObjectId",
            "Site_Url",
        ],
    )
    t.constants = {
        "Type": "OfficeActivity",
        "TenantId": TENANT_ID,
        "SourceSystem": "OfficeActivityManager",
        "OrganizationId": TENANT_ID,
    }
    return t


def office_rows(
    t: Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    user: str,
    ip: str,
    operation: int | None = None,
    weights: Sequence[float] | None = None,
) -> None:
    """Activity of ``user`` from ``ip``: one ``operation``, or drawn with ``weights``."""
    n = len(times)
    if n == 0:
        return
    op = (
        np.full(n, operation)
        if operation is not None
        else pick(rng, n, weights or (0.35, 0.15, 0.1, 0.25, 0.08, 0.05, 0.02, 0.0, 0.0))
    )
    # Each user works mostly in three team sites of a large tenant, sometimes elsewhere.
    home = np.array([zlib.crc32(f"{user}/{i}".encode()) % SITES for i in range(3)])
    sites = np.where(rng.random(n) < 0.7, home[rng.integers(0, 3, n)], rng.integers(0, SITES, n))
    t.add(
        times,
        UserId=user,
        Operation=[OPERATIONS[i][0] for i in op],
        OfficeWorkload=[OPERATIONS[i][1] for i in op],
        RecordType=[OPERATIONS[i][2] for i in op],
        ClientIP=ip,
        ResultStatus="Succeeded",
        UserType="Regular",
        OfficeObjectId=[
            f"https://contoso.sharepoint.com/sites/team{s}/Shared Documents/"
            f"doc{rng.integers(1, 10**6)}.docx"
            for s in sites
        ],
        Site_Url=[f"https://contoso.sharepoint.com/sites/team{s}/" for s in sites],
    )


# -- Syslog ----------------------------------------------------------------------------------


def syslog_table() -> Table:
    """An empty Syslog table."""
    t = Table(
        "Syslog",
        strings=[
            "Computer",
            "HostName",
            "HostIP",
            "Facility",
            "SeverityLevel",
            "ProcessName",
            "SyslogMessage",
        ],
        ints=["ProcessID"],
    )
    t.constants = {"Type": "Syslog", "TenantId": TENANT_ID, "SourceSystem": "Linux"}
    return t


# -- CommonSecurityLog -----------------------------------------------------------------------


def cef_table() -> Table:
    """An empty CommonSecurityLog table (a Palo Alto firewall's traffic log)."""
    t = Table(
        "CommonSecurityLog",
        strings=[
            "DeviceVendor",
            "DeviceProduct",
            "Activity",
            "DeviceAction",
            "SourceIP",
            "DestinationIP",
            "Protocol",
            "ApplicationProtocol",
            "SourceUserName",
            "RequestURL",
            "LogSeverity",
            "Computer",
        ],
        ints=["DestinationPort", "SourcePort"],
    )
    t.constants = {"Type": "CommonSecurityLog", "TenantId": TENANT_ID, "DeviceVersion": "11.1.0"}
    return t


def cef_rows(
    t: Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    source: Sequence[str],
    user: Sequence[str],
    port: int | None = None,
    action: str | None = None,
    dest: str | None = None,
) -> None:
    """Flows from ``source`` addresses (one per row) to ``dest``, or to random addresses."""
    n = len(times)
    if n == 0:
        return
    ports = (
        np.full(n, port)
        if port is not None
        else np.array(PORTS)[pick(rng, n, (0.55, 0.15, 0.15, 0.03, 0.01, 0.05, 0.04, 0.02))]
    )
    t.add(
        times,
        DeviceVendor="Palo Alto Networks",
        DeviceProduct="PAN-OS",
        Activity="TRAFFIC",
        DeviceAction=action or [("allow", "deny")[i] for i in pick(rng, n, (0.93, 0.07))],
        SourceIP=list(source),
        DestinationIP=dest
        or [
            f"52.{rng.integers(96, 120)}.{rng.integers(0, 255)}.{rng.integers(1, 255)}"
            for _ in range(n)
        ],
        DestinationPort=ports,
        SourcePort=rng.integers(1024, 65535, n),
        Protocol=["UDP" if p in (53, 123) else "TCP" for p in ports],
        ApplicationProtocol=[APP_PROTOCOLS[int(p)] for p in ports],
        SourceUserName=list(user),
        RequestURL=[
            f"https://cdn{rng.integers(0, 5000)}.example.net/assets/{rng.integers(0, 10**6)}"
            for _ in range(n)
        ],
        LogSeverity="1",
        Computer="fw01.contoso.com",
    )
