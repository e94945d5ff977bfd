"""A realistic demo workspace: five Sentinel tables, three weeks, an incident to look up.

The story: a password spray from 203.0.113.66 against adele.vance@contoso.com succeeds
from a new country, the attacker RDPs to her workstation WS-ADELE, creates an account,
runs PowerShell, adds an inbox rule and downloads files. Around her, a company of users,
hosts and IPs goes about its week: busy weekdays, quiet weekends, office hours, noise.

The generator also plants traps the lookup must not report: a value that is always high, a
spike on an earlier day, high-cardinality columns. It returns the ground truth, which the
tests and the detection benchmark check the report against.

Columns use the real names and KQL types of the Log Analytics tables (the schemas bundled
in ``lookup/schemas``). Only numpy and DuckDB are needed; rows are generated as index
arrays into value pools and written to Parquet by DuckDB, so tens of millions of rows take
seconds.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DEFAULT_ALERT_TIME = datetime(2026, 11, 19, 14, 30, tzinfo=UTC)  # a Thursday afternoon
HISTORY_DAYS = 21
TENANT_ID = "8f2c1f55-3a0e-4c52-9a39-5b0c1f7e2d11"
WORKSPACE_ID = "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f"
SUBSCRIPTION_ID = "11111111-2222-3333-4444-555555555555"

VICTIM_UPN = "adele.vance@contoso.com"
VICTIM_NAME = "adele.vance"
VICTIM_SID = "S-1-5-21-3623811015-3361044348-30300820-1104"
VICTIM_AAD_ID = "4f1c2b3a-9d8e-4c7b-a6f5-1e2d3c4b5a69"
VICTIM_HOST = "WS-ADELE"
VICTIM_HOST_FQDN = "WS-ADELE.contoso.com"
VICTIM_HOST_IP = "10.20.4.17"
ATTACKER_IP = "203.0.113.66"

#: Share of the rows each table gets when a total row count is requested.
TABLE_SHARES = {
    "SigninLogs": 0.25,
    "SecurityEvent": 0.35,
    "OfficeActivity": 0.15,
    "Syslog": 0.12,
    "CommonSecurityLog": 0.13,
}

_MICROS_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Relative activity per hour of the day (office hours) and per weekday (Mon..Sun).
_DIURNAL = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 15, 12, 15, 16, 15, 13, 9, 6, 4, 3, 2, 2, 1],
    dtype=np.float64,
)
_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 0.18, 0.12])


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
    caused_by_injection: frozenset[tuple[str, str, str, str]]
    rows: Mapping[str, int] = field(default_factory=dict)


# -- value pools -----------------------------------------------------------------------------

_FIRST = (
    "alex allan ben carla dana emil fatima gregor hana ivan jun kira liam maya nils olga "
    "pedro quinn rosa sam tariq uma vera wes xena yusuf zoe aiko bruno chloe diego elin finn"
).split()
_LAST = (
    "smith berg chen diaz evans fox garcia hoang ito jensen khan lopez moreau novak okafor "
    "park quist rossi silva tanaka ueda vargas wagner xu young zeller"
).split()
_COUNTRIES = ("US", "US", "US", "GB", "DE", "NL", "FR", "CA", "IN", "SE")
_APPS = (
    "Office 365 Exchange Online",
    "Microsoft Teams",
    "Office 365 SharePoint Online",
    "Microsoft Office",
    "OneDrive SyncEngine",
    "Azure Portal",
    "Microsoft Edge",
    "Outlook Mobile",
    "Power BI",
    "Visual Studio Code",
)
_CLIENT_APPS = ("Browser", "Mobile Apps and Desktop clients", "Exchange ActiveSync")
_RESULTS = (
    ("0", "Success"),
    ("50126", "Error validating credentials due to invalid username or password."),
    ("50074", "Strong Authentication is required."),
    ("50140", "This error occurred due to 'Keep me signed in' interrupt."),
    ("700016", "Application not found in the directory."),
)
_EVENTS = (
    (4624, "4624 - An account was successfully logged on."),
    (4634, "4634 - An account was logged off."),
    (4688, "4688 - A new process has been created."),
    (4672, "4672 - Special privileges assigned to new logon."),
    (4625, "4625 - An account failed to log on."),
    (4768, "4768 - A Kerberos authentication ticket (TGT) was requested."),
    (4720, "4720 - A user account was created."),
    (4732, "4732 - A member was added to a security-enabled local group."),
)
_PROCESSES = (
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\System32\\conhost.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
    "C:\\Windows\\System32\\taskhostw.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Windows\\System32\\RuntimeBroker.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\net.exe",
)
_OPERATIONS = (
    ("FileAccessed", "SharePoint", "SharePointFileOperation"),
    ("FileModified", "SharePoint", "SharePointFileOperation"),
    ("FileDownloaded", "OneDrive", "SharePointFileOperation"),
    ("MailItemsAccessed", "Exchange", "ExchangeItem"),
    ("Send", "Exchange", "ExchangeItem"),
    ("UserLoggedIn", "AzureActiveDirectory", "AzureActiveDirectoryStsLogon"),
    ("FileUploaded", "OneDrive", "SharePointFileOperation"),
    ("New-InboxRule", "Exchange", "ExchangeAdmin"),
    ("Set-Mailbox", "Exchange", "ExchangeAdmin"),
)
_SITES = 2500
_FACILITIES = ("auth", "authpriv", "daemon", "cron", "kern", "syslog")
_SEVERITIES = ("info", "notice", "warning", "err")
_SYSLOG_PROCESSES = ("sshd", "sudo", "CRON", "systemd", "kernel", "rsyslogd")
_PORTS = (443, 80, 53, 22, 3389, 445, 8080, 123)
_APP_PROTOCOLS = {
    443: "ssl",
    80: "web-browsing",
    53: "dns",
    22: "ssh",
    3389: "ms-rdp",
    445: "ms-ds-smb",
    8080: "web-browsing",
    123: "ntp",
}


class _Column:
    """A string column built from chunks of indices into a growing value pool."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.pool: list[str] = []
        self._index: dict[str, int] = {}
        self.chunks: list[npt.NDArray[np.int32]] = []
        for value in values:
            self.code(value)

    def code(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.pool)
            self.pool.append(value)
        return self._index[value]

    def codes(self, values: Sequence[str]) -> npt.NDArray[np.int32]:
        return np.array([self.code(v) for v in values], dtype=np.int32)


class _Table:
    """Rows of one table, column by column; ``unique`` columns get per-row values."""

    def __init__(
        self,
        name: str,
        strings: Sequence[str],
        ints: Sequence[str] = (),
        bools: Sequence[str] = (),
        unique: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.times: list[npt.NDArray[np.int64]] = []
        self.strings = {c: _Column() for c in strings}
        self.ints: dict[str, list[npt.NDArray[np.int64]]] = {c: [] for c in ints}
        self.bools: dict[str, list[npt.NDArray[np.bool_]]] = {c: [] for c in bools}
        self.unique = tuple(unique)
        self.constants: dict[str, str] = {}

    def add(self, times: npt.NDArray[np.int64], **columns: Any) -> None:
        """Append rows: each column is a code array, a constant string/int/bool, or values."""
        n = len(times)
        if n == 0:
            return
        self.times.append(times.astype(np.int64))
        for name, column in self.strings.items():
            given = columns.get(name, "")
            if isinstance(given, str):
                column.chunks.append(np.full(n, column.code(given), dtype=np.int32))
            elif isinstance(given, np.ndarray) and given.dtype.kind in "iu":
                column.chunks.append(given.astype(np.int32))
            else:
                column.chunks.append(column.codes(list(given)))
        for name, chunks in self.ints.items():
            given = columns.get(name, 0)
            chunks.append(np.broadcast_to(np.asarray(given, dtype=np.int64), (n,)).copy())
        for name, bool_chunks in self.bools.items():
            given = columns.get(name, False)
            bool_chunks.append(np.broadcast_to(np.asarray(given, dtype=np.bool_), (n,)).copy())

    def __len__(self) -> int:
        return int(sum(len(t) for t in self.times))

    def write(self, path: Path) -> int:
        """Write the rows, sorted by time, to a Parquet file with DuckDB; return the count."""
        import duckdb

        if not self.times:
            raise ValueError(f"table {self.name} has no rows")
        times = np.concatenate(self.times)
        order = np.argsort(times, kind="stable")
        arrays: dict[str, npt.NDArray[Any]] = {"__ts": times[order]}
        params: list[Any] = []
        select = ["make_timestamp(__ts) AS TimeGenerated"]
        for i, (name, column) in enumerate(self.strings.items()):
            arrays[f"__s{i}"] = np.concatenate(column.chunks)[order]
            params.append(column.pool)
            select.append(f"list_extract(${len(params)}, __s{i} + 1) AS {_quote(name)}")
        for i, (name, int_chunks) in enumerate(self.ints.items()):
            arrays[f"__i{i}"] = np.concatenate(int_chunks)[order]
            select.append(f"CAST(__i{i} AS INTEGER) AS {_quote(name)}")
        for i, (name, bool_chunks) in enumerate(self.bools.items()):
            arrays[f"__b{i}"] = np.concatenate(bool_chunks)[order]
            select.append(f"__b{i} AS {_quote(name)}")
        for name in self.unique:
            # Deterministic GUID-looking per-row ids (a high-cardinality column).
            select.append(
                "regexp_replace(md5(__ts::VARCHAR || '-' || __row::VARCHAR || "
                f"'{name}'), '^(.{{8}})(.{{4}})(.{{4}})(.{{4}})(.{{12}})$', "
                f"'\\1-\\2-\\3-\\4-\\5') AS {_quote(name)}"
            )
        for name, value in self.constants.items():
            params.append(value)
            select.append(f"${len(params)} AS {_quote(name)}")
        arrays["__row"] = np.arange(len(times), dtype=np.int64)
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.register("rows_in", arrays)
            target = str(path).replace("'", "''")
            con.execute(
                f"COPY (SELECT {', '.join(select)} FROM rows_in) TO '{target}' "
                "(FORMAT parquet, COMPRESSION zstd)",
                params,
            )
        finally:
            con.close()
        return len(times)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- time ------------------------------------------------------------------------------------


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


class _Clock:
    """Draws event times over the history with office-hour and weekday rhythm."""

    def __init__(self, rng: np.random.Generator, alert_time: datetime, days: int) -> None:
        self.rng = rng
        self.alert_time = alert_time
        day0 = alert_time.replace(hour=0, minute=0, second=0, microsecond=0)
        self.first_day = day0 - timedelta(days=days)
        self.days = days + 1
        self.first_day_us = _micros(self.first_day)
        # Ingestion runs a little behind the alert: data stops shortly after it.
        self.end_us = _micros(alert_time + timedelta(minutes=20))
        weekdays = np.array(
            [(self.first_day + timedelta(days=d)).weekday() for d in range(self.days)]
        )
        self.day_weight = _WEEKDAY[weekdays]
        self.hour_p = _DIURNAL / _DIURNAL.sum()

    def background(self, n: int, *, flat: bool = False) -> npt.NDArray[np.int64]:
        """``n`` times over the whole history (``flat``: servers, no rhythm)."""
        if flat:
            times = self.first_day_us + self.rng.integers(0, self.days * _MICROS_PER_DAY, n)
        else:
            p = self.day_weight / self.day_weight.sum()
            day = self.rng.choice(self.days, size=n, p=p)
            hour = self.rng.choice(24, size=n, p=self.hour_p)
            within = self.rng.integers(0, 3_600_000_000, n)
            times = self.first_day_us + day * _MICROS_PER_DAY + hour * 3_600_000_000 + within
        return np.asarray(times[times < self.end_us], dtype=np.int64)

    def daily(self, per_day: float, *, rhythm: bool = True) -> npt.NDArray[np.int64]:
        """Poisson(per_day x weekday factor) events on each day, at office-hour times."""
        chunks = []
        for day in range(self.days):
            rate = per_day * (self.day_weight[day] if rhythm else 1.0)
            count = int(self.rng.poisson(rate))
            hour = self.rng.choice(24, size=count, p=self.hour_p)
            within = self.rng.integers(0, 3_600_000_000, count)
            chunks.append(self.first_day_us + day * _MICROS_PER_DAY + hour * 3_600_000_000 + within)
        times = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        return np.asarray(times[times < self.end_us], dtype=np.int64)

    def on_day(self, day_offset: int, count: int) -> npt.NDArray[np.int64]:
        """``count`` office-hour events on the day ``day_offset`` days before the alert."""
        day = self.days - 1 - day_offset
        hour = self.rng.choice(np.arange(9, 17), size=count)
        within = self.rng.integers(0, 3_600_000_000, count)
        return np.asarray(
            self.first_day_us + day * _MICROS_PER_DAY + hour * 3_600_000_000 + within,
            dtype=np.int64,
        )

    def before_alert(self, count: int, minutes: int = 100) -> npt.NDArray[np.int64]:
        """``count`` events spread over the ``minutes`` before the alert (the attack)."""
        alert = _micros(self.alert_time)
        offsets = np.sort(self.rng.integers(60_000_000, minutes * 60_000_000, count))
        return np.asarray(alert - offsets, dtype=np.int64)


# -- the company -----------------------------------------------------------------------------


@dataclass
class _Company:
    users: list[str]
    names: list[str]
    user_ids: list[str]
    countries: list[str]
    home_ips: list[str]
    hosts: list[str]
    host_ips: list[str]
    linux_hosts: list[str]
    linux_ips: list[str]
    activity: npt.NDArray[np.float64]


def _company(rng: np.random.Generator, n_users: int) -> _Company:
    users, names = [], []
    for i in range(n_users):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 7) % len(_LAST)]
        suffix = "" if i < len(_FIRST) else str(i // len(_FIRST))
        users.append(f"{first}.{last}{suffix}@contoso.com")
        names.append(f"{first}.{last}{suffix}")
    user_ids = [
        f"{rng.integers(1 << 32):08x}-{i:04x}-4{rng.integers(1 << 12):03x}-"
        f"a{rng.integers(1 << 12):03x}-{rng.integers(1 << 48):012x}"
        for i in range(n_users)
    ]
    countries = [str(c) for c in rng.choice(_COUNTRIES, n_users)]
    home_ips = [f"198.51.{100 + i // 250}.{1 + i % 250}" for i in range(n_users)]
    hosts = [f"WS-{i:04d}.contoso.com" for i in range(n_users)]
    host_ips = [f"10.20.{1 + i // 250}.{1 + i % 250}" for i in range(n_users)]
    n_linux = max(4, n_users // 20)
    linux_hosts = [f"lnx-app{i:02d}" for i in range(n_linux)]
    linux_ips = [f"10.30.0.{10 + i}" for i in range(n_linux)]
    activity = rng.lognormal(0.0, 0.6, n_users)
    return _Company(
        users,
        names,
        user_ids,
        countries,
        home_ips,
        hosts,
        host_ips,
        linux_hosts,
        linux_ips,
        activity / activity.sum(),
    )


def _pick(
    rng: np.random.Generator, n: int, weights: Sequence[float] | npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(w), size=n, p=w / w.sum())


def _zipf(k: int, s: float = 1.1) -> npt.NDArray[np.float64]:
    w = 1.0 / np.arange(1, k + 1) ** s
    return np.asarray(w / w.sum())


# -- tables ----------------------------------------------------------------------------------


def _signin_table() -> _Table:
    t = _Table(
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


def _device_detail(host: str) -> str:
    return json.dumps(
        {
            "displayName": host.split(".")[0],
            "operatingSystem": "Windows 11",
            "browser": "Edge 131.0",
            "isCompliant": True,
            "trustType": "Azure AD joined",
        }
    )


def _user_agent(rng: np.random.Generator, n: int) -> list[str]:
    builds = rng.integers(0, 3000, n)
    return [
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edge/131.0.{b}.{b % 97}"
        for b in builds
    ]


def _signins(
    t: _Table, rng: np.random.Generator, clock: _Clock, co: _Company, n: int, victim: int
) -> None:
    times = clock.background(n)
    n = len(times)
    actor = _pick(rng, n, co.activity)
    actor = np.where(actor == victim, (actor + 1) % len(co.users), actor)  # victim added below
    app = _pick(rng, n, _zipf(len(_APPS)))
    result = _pick(rng, n, (0.95, 0.02, 0.02, 0.008, 0.002))
    abroad = rng.random(n) < 0.01
    country = np.array([co.countries[a] for a in actor], dtype=object)
    country[abroad] = rng.choice(_COUNTRIES, int(abroad.sum()))
    t.add(
        times,
        UserPrincipalName=[co.users[a] for a in actor],
        UserDisplayName=[co.names[a].replace(".", " ").title() for a in actor],
        UserId=[co.user_ids[a] for a in actor],
        IPAddress=[co.home_ips[a] for a in actor],
        Location=list(country),
        AppDisplayName=[_APPS[i] for i in app],
        ClientAppUsed=[_CLIENT_APPS[i] for i in _pick(rng, n, (0.7, 0.25, 0.05))],
        ResultType=[_RESULTS[i][0] for i in result],
        ResultDescription=[_RESULTS[i][1] for i in result],
        ConditionalAccessStatus=[("success", "notApplied")[i] for i in _pick(rng, n, (0.8, 0.2))],
        AuthenticationRequirement=[
            ("singleFactorAuthentication", "multiFactorAuthentication")[i]
            for i in _pick(rng, n, (0.6, 0.4))
        ],
        UserAgent=_user_agent(rng, n),
        DeviceDetail=[_device_detail(co.hosts[a]) for a in actor],
        IsInteractive=rng.random(n) < 0.7,
    )


def _victim_signin(
    t: _Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    app: str,
    result: int = 0,
    ip: str = "198.51.100.200",
    country: str = "US",
    client: str = "Browser",
    device: str | None = VICTIM_HOST_FQDN,
) -> None:
    n = len(times)
    t.add(
        times,
        UserPrincipalName=VICTIM_UPN,
        UserDisplayName="Adele Vance",
        UserId=VICTIM_AAD_ID,
        IPAddress=ip,
        Location=country,
        AppDisplayName=app,
        ClientAppUsed=client,
        ResultType=_RESULTS[result][0],
        ResultDescription=_RESULTS[result][1],
        ConditionalAccessStatus="success" if result == 0 else "failure",
        AuthenticationRequirement="multiFactorAuthentication",
        UserAgent=_user_agent(rng, n),
        DeviceDetail=_device_detail(device) if device else "{}",
        IsInteractive=True,
    )


def _security_table() -> _Table:
    t = _Table(
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


def _security_rows(
    t: _Table,
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
    n = len(times)
    if n == 0:
        return
    weights = event_weights or (0.35, 0.25, 0.3, 0.07, 0.01, 0.02, 0.0, 0.0)
    if event is not None:
        codes = [event] * n
    else:
        codes = [int(_EVENTS[i][0]) for i in _pick(rng, n, weights)]
    procs = _pick(rng, n, _zipf(len(_PROCESSES) - 3, 1.3))
    short = user.split("@")[0]
    new_process = [
        (process or _PROCESSES[p]) if code == 4688 else ""
        for code, p in zip(codes, procs, strict=True)
    ]
    t.add(
        times,
        Computer=host,
        EventID=np.array(codes),
        Activity=[dict(_EVENTS)[c] for c in codes],
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


def _office_table() -> _Table:
    t = _Table(
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


def _office_rows(
    t: _Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    user: str,
    ip: str,
    operation: int | None = None,
    weights: Sequence[float] | None = None,
) -> None:
    n = len(times)
    if n == 0:
        return
    op = (
        np.full(n, operation)
        if operation is not None
        else _pick(rng, n, weights or (0.35, 0.15, 0.1, 0.25, 0.08, 0.05, 0.02, 0.0, 0.0))
    )
    # Each user works mostly in three team sites of a large tenant, sometimes elsewhere.
    home = np.array([zlib.crc32(f"{user}/{i}".encode()) % _SITES for i in range(3)])
    sites = np.where(rng.random(n) < 0.7, home[rng.integers(0, 3, n)], rng.integers(0, _SITES, n))
    t.add(
        times,
        UserId=user,
        Operation=[_OPERATIONS[i][0] for i in op],
        OfficeWorkload=[_OPERATIONS[i][1] for i in op],
        RecordType=[_OPERATIONS[i][2] for i in op],
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


def _syslog_table() -> _Table:
    t = _Table(
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


def _cef_table() -> _Table:
    t = _Table(
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


def _cef_rows(
    t: _Table,
    times: npt.NDArray[np.int64],
    rng: np.random.Generator,
    *,
    source: Sequence[str],
    user: Sequence[str],
    port: int | None = None,
    action: str | None = None,
    dest: str | None = None,
) -> None:
    n = len(times)
    if n == 0:
        return
    ports = (
        np.full(n, port)
        if port is not None
        else np.array(_PORTS)[_pick(rng, n, (0.55, 0.15, 0.15, 0.03, 0.01, 0.05, 0.04, 0.02))]
    )
    t.add(
        times,
        DeviceVendor="Palo Alto Networks",
        DeviceProduct="PAN-OS",
        Activity="TRAFFIC",
        DeviceAction=action or [("allow", "deny")[i] for i in _pick(rng, n, (0.93, 0.07))],
        SourceIP=list(source),
        DestinationIP=dest
        or [
            f"52.{rng.integers(96, 120)}.{rng.integers(0, 255)}.{rng.integers(1, 255)}"
            for _ in range(n)
        ],
        DestinationPort=ports,
        SourcePort=rng.integers(1024, 65535, n),
        Protocol=["UDP" if p in (53, 123) else "TCP" for p in ports],
        ApplicationProtocol=[_APP_PROTOCOLS[int(p)] for p in ports],
        SourceUserName=list(user),
        RequestURL=[
            f"https://cdn{rng.integers(0, 5000)}.example.net/assets/{rng.integers(0, 10**6)}"
            for _ in range(n)
        ],
        LogSeverity="1",
        Computer="fw01.contoso.com",
    )


# -- the scenario ----------------------------------------------------------------------------


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
    clock = _Clock(rng, alert_time, history_days)
    n_users = int(np.clip(total_rows // 1500, 60, 4000))
    co = _company(rng, n_users)
    victim = 0
    injected: list[Injected] = []
    traps: list[Trap] = []
    caused: set[tuple[str, str, str, str]] = set()

    def mark(entity: str, table: str, columns: Mapping[str, object | Sequence[object]]) -> None:
        """Record the values that injected rows carry (one or several per column)."""
        for column, values in columns.items():
            many = values if isinstance(values, (list, tuple)) else [values]
            for value in many:
                caused.add((entity, table, column, str(value)))

    # SigninLogs --------------------------------------------------------------------------
    signin = _signin_table()
    _signins(signin, rng, clock, co, int(total_rows * TABLE_SHARES["SigninLogs"]), victim)
    _victim_signin(signin, clock.daily(34, rhythm=False), rng, app="Office 365 Exchange Online")
    _victim_signin(signin, clock.daily(6), rng, app="Microsoft Teams")
    _victim_signin(signin, clock.daily(3), rng, app="Office 365 SharePoint Online")
    _victim_signin(signin, clock.daily(0.3), rng, app="Microsoft Teams", result=2)
    traps.append(
        Trap(
            VICTIM_UPN,
            "SigninLogs",
            "AppDisplayName",
            "Office 365 Exchange Online",
            "steadily high value",
        )
    )
    spray = clock.before_alert(36, minutes=110)
    _victim_signin(
        signin,
        spray,
        rng,
        app="Azure Active Directory PowerShell",
        result=1,
        ip=ATTACKER_IP,
        country="RU",
        client="Other clients",
        device=None,
    )
    success = clock.before_alert(7, minutes=40)
    _victim_signin(
        signin,
        success,
        rng,
        app="Azure Active Directory PowerShell",
        ip=ATTACKER_IP,
        country="RU",
        client="Other clients",
        device=None,
    )
    for entity in (VICTIM_UPN, ATTACKER_IP):
        mark(
            entity,
            "SigninLogs",
            {
                "Location": "RU",
                "IPAddress": ATTACKER_IP,
                "ResultType": ["50126", "0"],
                "ResultDescription": [_RESULTS[1][1], _RESULTS[0][1]],
                "AppDisplayName": "Azure Active Directory PowerShell",
                "ClientAppUsed": "Other clients",
                "ConditionalAccessStatus": ["failure", "success"],
                "AuthenticationRequirement": "multiFactorAuthentication",
                "UserPrincipalName": VICTIM_UPN,
                "UserDisplayName": "Adele Vance",
                "UserId": VICTIM_AAD_ID,
            },
        )
    traps.append(Trap(VICTIM_UPN, "SigninLogs", "UserAgent", "*", "high-cardinality column"))
    injected += [
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

    # SecurityEvent -----------------------------------------------------------------------
    security = _security_table()
    n_sec = int(total_rows * TABLE_SHARES["SecurityEvent"])
    times = clock.background(n_sec)
    owners = _pick(rng, len(times), co.activity)
    owners = np.where(owners == victim, 1, owners)
    order = np.argsort(owners, kind="stable")
    times, owners = times[order], owners[order]
    bounds = np.flatnonzero(np.diff(owners)) + 1
    for chunk_times, chunk_owner in zip(
        np.split(times, bounds), np.split(owners, bounds), strict=True
    ):
        if len(chunk_times):
            o = int(chunk_owner[0])
            _security_rows(security, chunk_times, rng, host=co.hosts[o], user=co.users[o])
    servers = ["DC01.contoso.com", "FS01.contoso.com", "SQL01.contoso.com"]
    for server in servers:
        _security_rows(
            security,
            clock.background(max(50, n_sec // 40), flat=True),
            rng,
            host=server,
            user="svc-backup@contoso.com",
            event_weights=(0.5, 0.3, 0.1, 0.05, 0.0, 0.05, 0.0, 0.0),
        )
    # The victim's workstation: a steady, busy machine with a weekly rhythm.
    _security_rows(
        security,
        clock.daily(90),
        rng,
        host=VICTIM_HOST_FQDN,
        user=VICTIM_UPN,
        event_weights=(0.45, 0.3, 0.2, 0.04, 0.01, 0.0, 0.0, 0.0),
    )
    traps.append(Trap(VICTIM_HOST_FQDN, "SecurityEvent", "EventID", "4634", "steadily high value"))
    # An admin's busy day a week ago: many processes, long gone by the alert.
    _security_rows(
        security,
        clock.on_day(7, 140),
        rng,
        host=VICTIM_HOST_FQDN,
        user=VICTIM_UPN,
        event=4688,
        process=_PROCESSES[9],
    )
    traps.append(
        Trap(
            VICTIM_HOST_FQDN,
            "SecurityEvent",
            "NewProcessName",
            _PROCESSES[9],
            "spike on an earlier day",
        )
    )
    # The attack on the workstation: RDP brute force, then a new account and PowerShell.
    rdp_fail = clock.before_alert(48, minutes=90)
    _security_rows(
        security,
        rdp_fail,
        rng,
        host=VICTIM_HOST_FQDN,
        user=VICTIM_UPN,
        event=4625,
        ip=ATTACKER_IP,
        logon_type=10,
    )
    rdp_ok = clock.before_alert(3, minutes=30)
    _security_rows(
        security,
        rdp_ok,
        rng,
        host=VICTIM_HOST_FQDN,
        user=VICTIM_UPN,
        event=4624,
        ip=ATTACKER_IP,
        logon_type=10,
    )
    created = clock.before_alert(3, minutes=25)
    _security_rows(security, created, rng, host=VICTIM_HOST_FQDN, user=VICTIM_UPN, event=4720)
    posh = clock.before_alert(45, minutes=25)
    _security_rows(
        security,
        posh,
        rng,
        host=VICTIM_HOST_FQDN,
        user=VICTIM_UPN,
        event=4688,
        process=_PROCESSES[8],
    )
    for entity in (VICTIM_HOST_FQDN, VICTIM_UPN, ATTACKER_IP):
        codes = [4625, 4624, 4720, 4688]
        mark(
            entity,
            "SecurityEvent",
            {
                "EventID": codes,
                "Activity": [dict(_EVENTS)[c] for c in codes],
                "IpAddress": ATTACKER_IP,
                "LogonType": 10,
                "Computer": VICTIM_HOST_FQDN,
                "WorkstationName": VICTIM_HOST,
                "TargetUserName": VICTIM_NAME,
                "Account": f"CONTOSO\\{VICTIM_NAME}",
                "SubjectUserName": VICTIM_NAME,
                "AccountType": "User",
                "TargetDomainName": "CONTOSO",
                "NewProcessName": _PROCESSES[8],
                "Process": "powershell.exe",
            },
        )
    injected += [
        Injected(VICTIM_HOST_FQDN, "SecurityEvent", "EventID", "4625", "burst of failures"),
        Injected(VICTIM_HOST_FQDN, "SecurityEvent", "IpAddress", ATTACKER_IP, "new IP"),
        Injected(VICTIM_HOST_FQDN, "SecurityEvent", "EventID", "4720", "brand-new value"),
        Injected(
            VICTIM_HOST_FQDN,
            "SecurityEvent",
            "NewProcessName",
            _PROCESSES[8],
            "spike on a usual value",
        ),
    ]

    # OfficeActivity ----------------------------------------------------------------------
    office = _office_table()
    n_off = int(total_rows * TABLE_SHARES["OfficeActivity"])
    times = clock.background(n_off)
    actor = _pick(rng, len(times), co.activity)
    actor = np.where(actor == victim, 2, actor)
    for a in np.unique(actor):
        _office_rows(office, times[actor == a], rng, user=co.users[a], ip=co.home_ips[a])
    _office_rows(
        office,
        clock.daily(30),
        rng,
        user=VICTIM_UPN,
        ip="198.51.100.200",
        weights=(0.45, 0.15, 0.05, 0.3, 0.05, 0.0, 0.0, 0.0, 0.0),
    )
    _office_rows(
        office, clock.on_day(5, 260), rng, user=VICTIM_UPN, ip="198.51.100.200", operation=0
    )
    traps.append(
        Trap(VICTIM_UPN, "OfficeActivity", "Operation", "FileAccessed", "spike on an earlier day")
    )
    _office_rows(
        office, clock.before_alert(3, minutes=20), rng, user=VICTIM_UPN, ip=ATTACKER_IP, operation=7
    )
    _office_rows(
        office,
        clock.before_alert(180, minutes=15),
        rng,
        user=VICTIM_UPN,
        ip=ATTACKER_IP,
        operation=2,
    )
    for entity in (VICTIM_UPN, ATTACKER_IP):
        mark(
            entity,
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
    traps.append(
        Trap(VICTIM_UPN, "OfficeActivity", "OfficeObjectId", "*", "high-cardinality column")
    )
    injected += [
        Injected(VICTIM_UPN, "OfficeActivity", "Operation", "New-InboxRule", "brand-new value"),
        Injected(
            VICTIM_UPN, "OfficeActivity", "Operation", "FileDownloaded", "spike on a usual value"
        ),
        Injected(VICTIM_UPN, "OfficeActivity", "ClientIP", ATTACKER_IP, "new IP"),
    ]

    # Syslog: the Linux side is quiet; nothing of the incident is here ------------------------
    syslog = _syslog_table()
    n_sys = int(total_rows * TABLE_SHARES["Syslog"])
    times = clock.background(n_sys, flat=True)
    host = rng.integers(0, len(co.linux_hosts), len(times))
    fac = _pick(rng, len(times), (0.3, 0.2, 0.25, 0.15, 0.05, 0.05))
    proc = _pick(rng, len(times), (0.3, 0.15, 0.2, 0.25, 0.05, 0.05))
    syslog.add(
        times,
        Computer=[co.linux_hosts[h] for h in host],
        HostName=[co.linux_hosts[h] for h in host],
        HostIP=[co.linux_ips[h] for h in host],
        Facility=[_FACILITIES[f] for f in fac],
        SeverityLevel=[_SEVERITIES[i] for i in _pick(rng, len(times), (0.7, 0.15, 0.1, 0.05))],
        ProcessName=[_SYSLOG_PROCESSES[p] for p in proc],
        SyslogMessage=[
            f"session {rng.integers(10**5, 10**6)} opened for user svc{h}" for h in host
        ],
        ProcessID=rng.integers(300, 40000, len(times)),
    )

    # CommonSecurityLog: outbound traffic, and the attacker's inbound RDP ---------------------
    cef = _cef_table()
    n_cef = int(total_rows * TABLE_SHARES["CommonSecurityLog"])
    times = clock.background(n_cef)
    actor = _pick(rng, len(times), co.activity)
    _cef_rows(
        cef,
        times,
        rng,
        source=[co.host_ips[a] for a in actor],
        user=[f"CONTOSO\\{co.names[a]}" for a in actor],
    )
    own = clock.daily(40)
    _cef_rows(
        cef,
        own,
        rng,
        source=[VICTIM_HOST_IP] * len(own),
        user=[f"CONTOSO\\{VICTIM_NAME}"] * len(own),
    )
    inbound = clock.before_alert(120, minutes=100)
    _cef_rows(
        cef,
        inbound,
        rng,
        source=[ATTACKER_IP] * len(inbound),
        user=[""] * len(inbound),
        port=3389,
        action="allow",
        dest=VICTIM_HOST_IP,
    )
    mark(
        ATTACKER_IP,
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
    injected.append(
        Injected(ATTACKER_IP, "CommonSecurityLog", "DestinationPort", "3389", "brand-new value")
    )

    rows = {}
    for table in (signin, security, office, syslog, cef):
        rows[table.name] = table.write(out / f"{table.name}.parquet")

    incident = demo_incident(alert_time)
    caused |= {(i.entity, i.table, i.column, i.value) for i in injected}
    return DemoScenario(
        directory=out,
        incident=incident,
        alert_time=alert_time,
        injected=tuple(injected),
        traps=tuple(traps),
        caused_by_injection=frozenset(caused),
        rows=rows,
    )


def demo_incident(alert_time: datetime = DEFAULT_ALERT_TIME) -> dict[str, Any]:
    """The incident trigger body the playbook would post for the demo attack."""
    incident_id = "0d6e1c5b-6b7f-4d0e-9d1a-6f3b2a1c9e77"
    workspace = (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-secops/providers/"
        "Microsoft.OperationalInsights/workspaces/law-secops"
    )
    base = f"{workspace}/providers/Microsoft.SecurityInsights"
    stamp = alert_time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    started = (alert_time - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")

    def entity(name: str, kind: str, properties: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"{base}/Entities/{name}",
            "name": name,
            "type": "Microsoft.SecurityInsights/Entities",
            "kind": kind,
            "properties": properties,
        }

    return {
        "eventUniqueId": "9b1f4c2e-3d5a-4e6f-8a7b-1c2d3e4f5a6b",
        "objectSchemaType": "Incident",
        "objectEventType": "Create",
        "workspaceInfo": {
            "SubscriptionId": SUBSCRIPTION_ID,
            "ResourceGroupName": "rg-secops",
            "WorkspaceName": "law-secops",
        },
        "workspaceId": WORKSPACE_ID,
        "object": {
            "id": f"{base}/Incidents/{incident_id}",
            "name": incident_id,
            "type": "Microsoft.SecurityInsights/Incidents",
            "properties": {
                "title": "Password spray followed by sign-in from an unusual country",
                "severity": "High",
                "status": "New",
                "incidentNumber": 4711,
                "createdTimeUtc": (alert_time + timedelta(minutes=6)).strftime(
                    "%Y-%m-%dT%H:%M:%S.0000000Z"
                ),
                "firstActivityTimeUtc": started,
                "lastActivityTimeUtc": stamp,
                "incidentUrl": f"https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/Incident{base}/Incidents/{incident_id}",
                "alerts": [
                    {
                        "id": f"{base}/Entities/7c1a",
                        "kind": "SecurityAlert",
                        "properties": {
                            "alertDisplayName": "Password spray",
                            "startTimeUtc": started,
                            "endTimeUtc": stamp,
                            "severity": "High",
                        },
                    }
                ],
                "relatedEntities": [
                    entity(
                        "a1",
                        "Account",
                        {
                            "accountName": VICTIM_NAME,
                            "upnSuffix": "contoso.com",
                            "ntDomain": "CONTOSO",
                            "sid": VICTIM_SID,
                            "aadUserId": VICTIM_AAD_ID,
                            "friendlyName": VICTIM_NAME,
                        },
                    ),
                    entity(
                        "h1",
                        "Host",
                        {
                            "hostName": VICTIM_HOST,
                            "dnsDomain": "contoso.com",
                            "friendlyName": VICTIM_HOST,
                        },
                    ),
                    entity("i1", "Ip", {"address": ATTACKER_IP, "friendlyName": ATTACKER_IP}),
                ],
            },
        },
    }


@dataclass(frozen=True)
class Evaluation:
    """How a report compares with a scenario's ground truth."""

    found: tuple[Injected, ...]
    missed: tuple[Injected, ...]
    traps_reported: tuple[Trap, ...]
    #: Reported anomalies that no injected row explains (background noise), as ranks.
    unexplained_ranks: tuple[int, ...]
    #: Rank at which each found anomaly (or the row it was folded into) appears.
    ranks: Mapping[Injected, int]

    @property
    def all_found_on_top(self) -> bool:
        """Every planted anomaly found, and ranked above every unexplained one."""
        if self.missed:
            return False
        worst = max(self.ranks.values(), default=0)
        return all(rank > worst for rank in self.unexplained_ranks)


def evaluate(report: Any, scenario: DemoScenario) -> Evaluation:
    """Compare a lookup report (``lookup.report.Report``) with the scenario's ground truth.

    A planted anomaly counts as found when its value is reported for its entity and table,
    as a row of its own or folded into a row as a related column.
    """
    where: dict[tuple[str, str, str, str], int] = {}
    unexplained = []
    for anomaly in report.anomalies:
        pairs = [(anomaly.column, anomaly.value), *anomaly.related]
        keys = [(anomaly.entity, anomaly.table, column, value) for column, value in pairs]
        for key in keys:
            where.setdefault(key, anomaly.rank)
        if not any(key in scenario.caused_by_injection for key in keys):
            unexplained.append(anomaly.rank)
    ranks = {}
    found, missed = [], []
    for item in scenario.injected:
        rank = where.get((item.entity, item.table, item.column, item.value))
        if rank is None:
            missed.append(item)
        else:
            found.append(item)
            ranks[item] = rank
    columns = {(entity, table, column) for entity, table, column, _ in where}
    traps = tuple(
        t
        for t in scenario.traps
        if (t.entity, t.table, t.column, t.value) in where
        or (t.value == "*" and (t.entity, t.table, t.column) in columns)
    )
    return Evaluation(tuple(found), tuple(missed), traps, tuple(unexplained), ranks)


# -- benchmark and evaluation workspaces -----------------------------------------------------
#
# Appended for the benchmark harness (bench/): company entities for bigger incidents, custom
# ``_CL`` tables, scaling a demo workspace up to tens of millions of rows, and a labelled
# set of many incidents for measuring detection quality.

#: Strings that identify the demo incident's entities: rows holding one of them are never
#: copied by :func:`grow_workspace`, so the incident sees the same data at every size.
DEMO_PROTECTED: tuple[str, ...] = (
    VICTIM_NAME,
    VICTIM_HOST,
    VICTIM_HOST_IP,
    ATTACKER_IP,
    "198.51.100.200",
    VICTIM_SID,
    VICTIM_AAD_ID,
)

#: Per-row id columns that :func:`grow_workspace` regenerates in every copy.
GROW_UNIQUE_COLUMNS: tuple[str, ...] = (
    "CorrelationId",
    "OriginalRequestId",
    "EventOriginId",
    "RequestId_g",
)


def _entity_payload(name: str, kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    base = (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-secops/providers/"
        "Microsoft.OperationalInsights/workspaces/law-secops/providers/Microsoft.SecurityInsights"
    )
    return {
        "id": f"{base}/Entities/{name}",
        "name": name,
        "type": "Microsoft.SecurityInsights/Entities",
        "kind": kind,
        "properties": properties,
    }


def _account_payload(name: str, user: str) -> dict[str, Any]:
    short = user.split("@")[0]
    return _entity_payload(
        name,
        "Account",
        {
            "accountName": short,
            "upnSuffix": user.split("@")[1],
            "ntDomain": "CONTOSO",
            "friendlyName": short,
        },
    )


def _host_payload(name: str, fqdn: str) -> dict[str, Any]:
    host, _, domain = fqdn.partition(".")
    return _entity_payload(
        name, "Host", {"hostName": host, "dnsDomain": domain, "friendlyName": host}
    )


def _ip_payload(name: str, address: str) -> dict[str, Any]:
    return _entity_payload(name, "Ip", {"address": address, "friendlyName": address})


def _user_name(index: int) -> str:
    """The demo company's user ``index`` (the same in every workspace, whatever its size)."""
    first, last = _FIRST[index % len(_FIRST)], _LAST[(index * 7) % len(_LAST)]
    suffix = "" if index < len(_FIRST) else str(index // len(_FIRST))
    return f"{first}.{last}{suffix}@contoso.com"


def company_entities(count: int, *, first_user: int = 1) -> list[dict[str, Any]]:
    """``count`` payload entities of demo company members, present in every demo workspace.

    Entities cycle Account, Host, Ip over users ``first_user``, ``first_user + 1``, ...:
    the user's UPN, workstation ``WS-<index>.contoso.com`` and home IP. Users 1 to 3 exist
    whatever the workspace size (the company has at least 60 users).
    """
    out: list[dict[str, Any]] = []
    for i in range(count):
        user = first_user + i // 3
        kind = i % 3
        if kind == 0:
            out.append(_account_payload(f"x{i}", _user_name(user)))
        elif kind == 1:
            out.append(_host_payload(f"x{i}", f"WS-{user:04d}.contoso.com"))
        else:
            out.append(_ip_payload(f"x{i}", f"198.51.{100 + user // 250}.{1 + user % 250}"))
    return out


def with_entities(
    incident: Mapping[str, Any], entities: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """A copy of an incident trigger body whose ``relatedEntities`` are ``entities``."""
    import copy

    out = copy.deepcopy(dict(incident))
    out["object"]["properties"]["relatedEntities"] = [copy.deepcopy(dict(e)) for e in entities]
    return out


def demo_incident_entities(count: int, alert_time: datetime = DEFAULT_ALERT_TIME) -> dict[str, Any]:
    """The demo incident with ``count`` entities.

    1: the victim's account only; 2: account and workstation; 3: the demo incident as is
    (account, workstation, attacker IP); more: the demo's three plus
    :func:`company_entities` of other users.
    """
    if count < 1:
        raise ValueError("an incident needs at least one entity")
    incident = demo_incident(alert_time)
    own = list(incident["object"]["properties"]["relatedEntities"])
    entities = own[:count] if count <= len(own) else own + company_entities(count - len(own))
    return with_entities(incident, entities)


# Generic custom-log columns: name → (kind of values, pool size or None).
_CUSTOM_COLUMNS: dict[str, str] = {
    "UserName_s": "user",
    "SrcUser_s": "user",
    "SrcIP_s": "ip",
    "ClientIP_s": "ip",
    "DstIP_s": "external",
    "Computer_s": "host",
    "DeviceName_s": "host",
    "Action_s": "action",
    "EventType_s": "event",
    "Severity_s": "severity",
    "Country_s": "country",
    "Status_s": "status",
    "App_s": "app",
    "Message_s": "message",
    "Category_s": "category",
}
_CUSTOM_ENTITY_KINDS = {"user": 0, "ip": 1, "host": 2}
_CUSTOM_POOLS: dict[str, tuple[str, ...]] = {
    "action": ("allow", "deny", "drop", "alert", "reset-both"),
    "event": tuple(f"event-{i:02d}" for i in range(14)),
    "severity": ("informational", "low", "medium", "high"),
    "country": _COUNTRIES,
    "status": ("Success", "Failure", "Pending"),
    "app": _APPS,
    "category": ("network", "identity", "endpoint", "cloud", "email", "dns"),
}


def add_custom_tables(
    directory: str | Path,
    count: int,
    rows_per_table: int,
    *,
    seed: int = 7,
    alert_time: datetime = DEFAULT_ALERT_TIME,
    history_days: int = HISTORY_DAYS,
) -> dict[str, int]:
    """Write ``count`` custom log tables (``Custom01_CL``...) with generic column names.

    Each table holds a different mix of generic columns (``UserName_s``, ``SrcIP_s``,
    ``Computer_s``, ``Action_s``, a high-cardinality ``Message_s``, a per-row
    ``RequestId_g``, an integer ``DstPort_d``...), so the engine's name-based entity column
    guessing and the categorical heuristic both run on tables nobody mapped. The demo
    victim, her workstation and the attacker IP appear in some of them with an ordinary
    daily rhythm (and the attacker with a burst before the alert). Returns rows per table.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1000)
    clock = _Clock(rng, alert_time, history_days)
    n_users = int(np.clip(rows_per_table * count // 1500, 60, 4000))
    co = _company(rng, n_users)
    externals = [f"52.{96 + i // 250}.{i % 250}.{1 + (i * 7) % 250}" for i in range(2000)]
    messages = [f"request {i:05d} handled in {(i * 37) % 997} ms" for i in range(20_000)]
    names = list(_CUSTOM_COLUMNS)
    rows: dict[str, int] = {}
    for number in range(1, count + 1):
        entity_columns = [names[(number + k) % 7] for k in range(2)]
        chosen = entity_columns + [
            str(c) for c in rng.choice(names[7:], size=5, replace=False) if c not in entity_columns
        ]
        table = _Table(
            f"Custom{number:02d}_CL", strings=chosen, ints=["DstPort_d"], unique=["RequestId_g"]
        )
        table.constants = {"Type": table.name, "TenantId": TENANT_ID}
        pools: dict[str, list[str]] = {}
        for column in chosen:
            kind = _CUSTOM_COLUMNS[column]
            if kind == "user":
                pools[column] = list(co.users)
            elif kind == "ip":
                pools[column] = list(co.home_ips)
            elif kind == "host":
                pools[column] = list(co.hosts)
            elif kind == "external":
                pools[column] = externals
            elif kind == "message":
                pools[column] = messages
            else:
                pools[column] = list(_CUSTOM_POOLS[kind])
            table.strings[column] = _Column(pools[column])
        times = clock.background(rows_per_table)
        n = len(times)
        actor = _pick(rng, n, co.activity)
        columns: dict[str, Any] = {}
        for column in chosen:
            kind = _CUSTOM_COLUMNS[column]
            if kind in _CUSTOM_ENTITY_KINDS:
                columns[column] = actor.astype(np.int32)
            elif kind in ("external", "message"):
                columns[column] = rng.integers(0, len(pools[column]), n).astype(np.int32)
            else:
                weights = _zipf(len(pools[column]), 1.2)
                columns[column] = _pick(rng, n, weights).astype(np.int32)
        columns["DstPort_d"] = np.array(_PORTS)[_pick(rng, n, _zipf(len(_PORTS), 1.0))]
        table.add(times, **columns)
        # The incident's entities: a steady daily presence, and the attacker's burst.
        victim = {"user": VICTIM_UPN, "ip": VICTIM_HOST_IP, "host": VICTIM_HOST_FQDN}
        own = {c: victim[_CUSTOM_COLUMNS[c]] for c in chosen if _CUSTOM_COLUMNS[c] in victim}
        if own:
            table.add(clock.daily(8), **own)
        if number % 3 == 0 and any(_CUSTOM_COLUMNS[c] == "ip" for c in chosen):
            ip_column = next(c for c in chosen if _CUSTOM_COLUMNS[c] == "ip")
            burst = {ip_column: ATTACKER_IP}
            if "Action_s" in chosen:
                burst["Action_s"] = "deny"
            table.add(clock.before_alert(40, minutes=90), **burst)
        rows[table.name] = table.write(out / f"{table.name}.parquet")
    return rows


def grow_workspace(
    source: str | Path,
    target: str | Path,
    *,
    factor: int,
    protect: Iterable[str] = DEMO_PROTECTED,
    unique_columns: Iterable[str] = GROW_UNIQUE_COLUMNS,
    memory_limit: str = "4GB",
) -> dict[str, int]:
    """Write a ``factor`` times bigger copy of a Parquet workspace; return rows per table.

    Every row that holds none of the ``protect`` strings (case-insensitively, in any text
    column) is written ``factor`` times; the copies are moved back in time by up to 30
    minutes (a hash of the row and the copy number, so it is deterministic) and get fresh
    per-row ids in ``unique_columns``. Rows of the protected entities are written once, so
    the incident's own data, and therefore the lookup's answer, stay the same while the
    tenant's volume grows: the cost of the lookup at 10 or 30 million rows is measured on
    the demo's own story. Tables are sorted by time, as the demo writes them. The work
    happens in DuckDB (a few million rows per second on two cores).
    """
    import duckdb

    if factor < 1:
        raise ValueError("factor must be >= 1")
    src, dst = Path(source), Path(target)
    dst.mkdir(parents=True, exist_ok=True)
    needles = [p.lower() for p in protect]
    unique = set(unique_columns)
    con = duckdb.connect(":memory:")
    rows: dict[str, int] = {}
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        spill = (dst.parent / f".{dst.name}.spill").as_posix().replace("'", "''")
        con.execute(f"SET temp_directory = '{spill}'")
        for path in sorted(src.glob("*.parquet")):
            literal = "'" + path.as_posix().replace("'", "''") + "'"
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()
            names = [str(r[0]) for r in described]
            text = [str(r[0]) for r in described if str(r[1]) == "VARCHAR"]
            haystack = "lower(concat_ws('|', " + ", ".join(_quote(c) for c in text) + "))"
            params: list[Any] = []
            tests = []
            for needle in needles:
                params.append(needle)
                tests.append(f"contains({haystack}, ${len(params)})")
            protected = " OR ".join(tests) if tests and text else "false"
            replace = [
                "CASE WHEN __copy = 0 THEN TimeGenerated ELSE TimeGenerated - "
                "to_microseconds(CAST(hash(__row, __copy) % 1800000000 AS BIGINT)) END "
                "AS TimeGenerated"
            ]
            for name in names:
                if name in unique:
                    q = _quote(name)
                    replace.append(
                        f"CASE WHEN __copy = 0 THEN {q} ELSE regexp_replace("
                        f"md5({q} || '/' || __copy::VARCHAR), "
                        "'^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\\1-\\2-\\3-\\4-\\5') "
                        f"END AS {q}"
                    )
            target_file = (dst / path.name).as_posix().replace("'", "''")
            con.execute(
                f"COPY (SELECT * EXCLUDE (__row, __protected, __copy) REPLACE "
                f"({', '.join(replace)}) FROM (SELECT *, row_number() OVER () AS __row, "
                f"({protected}) AS __protected FROM read_parquet({literal})) AS base, "
                f"range({int(factor)}) AS copies(__copy) "
                f"WHERE __copy = 0 OR NOT __protected ORDER BY TimeGenerated) "
                f"TO '{target_file}' (FORMAT parquet, COMPRESSION zstd)",
                params,
            )
            counted = con.execute(f"SELECT count(*) FROM read_parquet('{target_file}')").fetchone()
            rows[path.stem] = int(counted[0]) if counted else 0
    finally:
        con.close()
    return rows


@dataclass(frozen=True)
class DetectionWorkspace:
    """Many labelled incidents over one shared workspace (:func:`build_detection_workspace`)."""

    directory: Path
    alert_time: datetime
    #: One scenario per incident: its payload, planted anomalies, traps and the values the
    #: planted rows carry (so :func:`evaluate` works on each).
    scenarios: tuple[DemoScenario, ...]
    #: One line per incident: entity kinds and what was planted, for the results.
    descriptions: tuple[str, ...]
    rows: Mapping[str, int] = field(default_factory=dict)


_ATTACK_COUNTRIES = ("RU", "CN", "KP", "IR", "NG", "VN", "BR", "UA")
_ATTACK_APPS = (
    "Azure Active Directory PowerShell",
    "Microsoft Azure CLI",
    "Microsoft Graph Command Line Tools",
)
_ATTACK_PORTS = (3389, 22, 445, 5985)
_KIND_MIXES: tuple[tuple[str, ...], ...] = (
    ("Account",),
    ("Host",),
    ("Ip",),
    ("Account", "Ip"),
    ("Account", "Host"),
    ("Account", "Host", "Ip"),
)
_POWERSHELL = _PROCESSES[8]
_CMD = _PROCESSES[9]


def _user_signins(
    t: _Table,
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
        ResultType=_RESULTS[result][0],
        ResultDescription=_RESULTS[result][1],
        ConditionalAccessStatus="success" if result == 0 else "failure",
        AuthenticationRequirement=requirement,
        UserAgent=_user_agent(rng, n),
        DeviceDetail=_device_detail(device) if device else "{}",
        IsInteractive=True,
    )


def _process_rows(
    t: _Table, times: npt.NDArray[np.int64], *, host: str, user: str, path: str, command: str
) -> None:
    short = user.split("@")[0]
    t.add(
        times,
        Computer=host,
        EventID=4688,
        Activity=dict(_EVENTS)[4688],
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
    t: _Table, times: npt.NDArray[np.int64], *, user: str, ip: str, site: int, document: str
) -> None:
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


def _rows_since(t: _Table, mark: int) -> list[dict[str, str]]:
    """The rows added to ``t`` since it had ``mark`` chunks, as column → text."""
    rows: list[dict[str, str]] = []
    for chunk in range(mark, len(t.times)):
        count = len(t.times[chunk])
        texts: dict[str, list[str]] = {}
        for name, column in t.strings.items():
            texts[name] = [column.pool[int(i)] for i in column.chunks[chunk]]
        for name, int_chunks in t.ints.items():
            texts[name] = [str(int(v)) for v in int_chunks[chunk]]
        rows.extend({name: values[i] for name, values in texts.items()} for i in range(count))
    return rows


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
    from lookup.sentinel.payload import parse_incident

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    clock = _Clock(rng, alert_time, history_days)
    alert_us = _micros(alert_time)
    alert_day = alert_time.replace(hour=0, minute=0, second=0, microsecond=0)
    n_users = int(max(60, background_rows // 1500, incidents * 3 + 10))
    co = _company(rng, n_users)
    signin, security, office = _signin_table(), _security_table(), _office_table()
    syslog, cef = _syslog_table(), _cef_table()
    tables = (signin, security, office, syslog, cef)

    # Background: the company's ordinary activity -------------------------------------------
    _signins(signin, rng, clock, co, int(background_rows * TABLE_SHARES["SigninLogs"]), -1)
    times = clock.background(int(background_rows * TABLE_SHARES["SecurityEvent"]))
    owners = _pick(rng, len(times), co.activity)
    for o in np.unique(owners):
        _security_rows(security, times[owners == o], rng, host=co.hosts[o], user=co.users[o])
    for server in ("DC01.contoso.com", "FS01.contoso.com"):
        _security_rows(
            security,
            clock.background(max(50, background_rows // 60), flat=True),
            rng,
            host=server,
            user="svc-backup@contoso.com",
            event_weights=(0.5, 0.3, 0.1, 0.05, 0.0, 0.05, 0.0, 0.0),
        )
    times = clock.background(int(background_rows * TABLE_SHARES["OfficeActivity"]))
    actor = _pick(rng, len(times), co.activity)
    for a in np.unique(actor):
        _office_rows(office, times[actor == a], rng, user=co.users[a], ip=co.home_ips[a])
    times = clock.background(int(background_rows * TABLE_SHARES["Syslog"]), flat=True)
    host = rng.integers(0, len(co.linux_hosts), len(times))
    syslog.add(
        times,
        Computer=[co.linux_hosts[h] for h in host],
        HostName=[co.linux_hosts[h] for h in host],
        HostIP=[co.linux_ips[h] for h in host],
        Facility=[_FACILITIES[f] for f in _pick(rng, len(times), (3, 2, 2.5, 1.5, 0.5, 0.5))],
        SeverityLevel=[_SEVERITIES[i] for i in _pick(rng, len(times), (0.7, 0.15, 0.1, 0.05))],
        ProcessName=[_SYSLOG_PROCESSES[p] for p in _pick(rng, len(times), (3, 1.5, 2, 2.5, 1, 1))],
        SyslogMessage=[
            f"session {rng.integers(10**5, 10**6)} opened for user svc{h}" for h in host
        ],
        ProcessID=rng.integers(300, 40000, len(times)),
    )
    times = clock.background(int(background_rows * TABLE_SHARES["CommonSecurityLog"]))
    actor = _pick(rng, len(times), co.activity)
    _cef_rows(
        cef,
        times,
        rng,
        source=[co.host_ips[a] for a in actor],
        user=[f"CONTOSO\\{co.names[a]}" for a in actor],
    )

    victims = rng.choice(np.arange(3, n_users), size=incidents, replace=False)
    labelled: list[
        tuple[
            dict[str, Any],
            tuple[Injected, ...],
            tuple[Trap, ...],
            frozenset[tuple[str, str, str, str]],
        ]
    ] = []
    descriptions: list[str] = []
    for k in range(incidents):
        v = int(victims[k])
        kinds = _KIND_MIXES[k % len(_KIND_MIXES)]
        upn, short, fqdn = co.users[v], co.names[v], co.hosts[v]
        host_ip, home_ip, country = co.host_ips[v], co.home_ips[v], co.countries[v]
        attacker = f"185.220.{101 + k // 100}.{100 + k % 100}"
        attack_country = str(rng.choice(_ATTACK_COUNTRIES))
        entities: list[dict[str, Any]] = []
        if "Account" in kinds:
            entities.append(_account_payload(f"a{k}", upn))
        if "Host" in kinds:
            entities.append(_host_payload(f"h{k}", fqdn))
        if "Ip" in kinds:
            entities.append(_ip_payload(f"i{k}", attacker))
        incident = with_entities(demo_incident(alert_time), entities)
        props = incident["object"]["properties"]
        props["incidentNumber"] = 5000 + k
        props["title"] = f"Labelled incident {k + 1}: {' + '.join(kinds)}"
        incident["object"]["name"] = f"00000000-0000-4000-8000-{k:012d}"
        incident["object"]["id"] = (
            incident["object"]["id"].rsplit("/", 1)[0] + "/" + incident["object"]["name"]
        )
        parsed = parse_incident(incident).entities
        value = {str(e.kind): e.value for e in parsed}
        traps: list[Trap] = []

        # The victim's ordinary activity, with a steadily high value in each table.
        scale = float(rng.uniform(0.5, 1.6))
        main_app = str(rng.choice(_APPS[:3]))
        rhythm = bool(rng.random() < 0.5)
        for app, rate, beat in (
            (main_app, 30 * scale, rhythm),
            (
                "Microsoft Teams" if main_app != "Microsoft Teams" else "Microsoft Edge",
                5 * scale,
                True,
            ),
            (
                "Office 365 SharePoint Online"
                if main_app != "Office 365 SharePoint Online"
                else "Power BI",
                2.5 * scale,
                True,
            ),
        ):
            _user_signins(
                signin,
                clock.daily(rate, rhythm=beat),
                rng,
                user=upn,
                user_id=co.user_ids[v],
                app=app,
                ip=home_ip,
                country=country,
                device=fqdn,
            )
        _user_signins(
            signin,
            clock.daily(0.3),
            rng,
            user=upn,
            user_id=co.user_ids[v],
            app=main_app,
            ip=home_ip,
            country=country,
            device=fqdn,
            result=2,
        )
        _security_rows(
            security,
            clock.daily(80 * scale),
            rng,
            host=fqdn,
            user=upn,
            event_weights=(0.45, 0.3, 0.2, 0.04, 0.01, 0.0, 0.0, 0.0),
        )
        _security_rows(
            security, clock.daily(1.5), rng, host=fqdn, user=upn, event=4688, process=_POWERSHELL
        )
        usual_downloads = 25 * scale * 0.07
        _office_rows(
            office,
            clock.daily(25 * scale),
            rng,
            user=upn,
            ip=home_ip,
            weights=(0.4, 0.15, 0.07, 0.3, 0.08, 0.0, 0.0, 0.0, 0.0),
        )
        own = clock.daily(35 * scale)
        _cef_rows(cef, own, rng, source=[host_ip] * len(own), user=[f"CONTOSO\\{short}"] * len(own))
        if "Account" in kinds:
            traps.append(
                Trap(
                    value["Account"],
                    "SigninLogs",
                    "AppDisplayName",
                    main_app,
                    "steadily high value",
                )
            )
        if "Host" in kinds:
            traps.append(
                Trap(value["Host"], "SecurityEvent", "EventID", "4624", "steadily high value")
            )
        # High-cardinality columns: documents of the day, a job whose command line changes daily.
        site = zlib.crc32(upn.encode()) % _SITES
        for offset in range(history_days, -1, -1):
            day = alert_day - timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for j in range(2):
                document = (
                    f"https://contoso.sharepoint.com/sites/team{site}/Shared Documents/"
                    f"{short}-{day:%Y%m%d}-{j}.docx"
                )
                times = clock.on_day(offset, int(rng.poisson(5)) + 2)
                times = times[times < alert_us]
                _document_rows(office, times, user=upn, ip=home_ip, site=site, document=document)
                if offset == 0 and len(times) and "Account" in kinds:
                    traps.append(
                        Trap(
                            value["Account"],
                            "OfficeActivity",
                            "OfficeObjectId",
                            document,
                            "high-cardinality column",
                        )
                    )
            stamp = f"{day:%Y%m%d}-{zlib.crc32(f'{fqdn}{day}'.encode()):08x}"
            command = f'"C:\\Tools\\sync.exe" --batch {stamp}'
            times = clock.on_day(offset, 6)
            times = times[times < alert_us]
            _process_rows(
                security, times, host=fqdn, user=upn, path="C:\\Tools\\sync.exe", command=command
            )
            if offset == 0 and len(times) and "Host" in kinds:
                traps.append(
                    Trap(
                        value["Host"],
                        "SecurityEvent",
                        "CommandLine",
                        command,
                        "high-cardinality column",
                    )
                )
        # A spike on an earlier day.
        earlier = int(rng.integers(2, 10))
        if "Account" in kinds:
            if rng.random() < 0.5:
                _office_rows(
                    office,
                    clock.on_day(earlier, int(rng.integers(120, 300))),
                    rng,
                    user=upn,
                    ip=home_ip,
                    operation=0,
                )
                traps.append(
                    Trap(
                        value["Account"],
                        "OfficeActivity",
                        "Operation",
                        "FileAccessed",
                        "spike on an earlier day",
                    )
                )
            else:
                _user_signins(
                    signin,
                    clock.on_day(earlier, int(rng.integers(15, 40))),
                    rng,
                    user=upn,
                    user_id=co.user_ids[v],
                    app=main_app,
                    ip=home_ip,
                    country=country,
                    device=fqdn,
                    result=2,
                )
                traps.append(
                    Trap(
                        value["Account"],
                        "SigninLogs",
                        "ResultType",
                        _RESULTS[2][0],
                        "spike on an earlier day",
                    )
                )
        if "Host" in kinds:
            if rng.random() < 0.5:
                _security_rows(
                    security,
                    clock.on_day(earlier, int(rng.integers(60, 150))),
                    rng,
                    host=fqdn,
                    user=upn,
                    event=4688,
                    process=_CMD,
                )
                traps.append(
                    Trap(
                        value["Host"],
                        "SecurityEvent",
                        "NewProcessName",
                        _CMD,
                        "spike on an earlier day",
                    )
                )
            else:
                _security_rows(
                    security,
                    clock.on_day(earlier, int(rng.integers(20, 60))),
                    rng,
                    host=fqdn,
                    user=upn,
                    event=4625,
                    ip="10.20.250.9",
                )
                traps.append(
                    Trap(
                        value["Host"], "SecurityEvent", "EventID", "4625", "spike on an earlier day"
                    )
                )

        # The attacker's address before today.
        history = str(rng.choice(["new", "new", "recon", "known"]))
        if history == "known":
            times = clock.daily(3, rhythm=False)
            times = times[times < alert_us - 6 * 3_600_000_000]
            _cef_rows(
                cef,
                times,
                rng,
                source=[attacker] * len(times),
                user=[""] * len(times),
                port=443,
                action="allow",
                dest="52.100.10.10",
            )
            times = clock.on_day(earlier, int(rng.integers(30, 80)))
            _cef_rows(
                cef,
                times,
                rng,
                source=[attacker] * len(times),
                user=[""] * len(times),
                port=443,
                action="deny",
                dest="52.100.10.10",
            )
            if "Ip" in kinds:
                traps.append(
                    Trap(
                        value["Ip"],
                        "CommonSecurityLog",
                        "DestinationPort",
                        "443",
                        "steadily high value",
                    )
                )
                traps.append(
                    Trap(
                        value["Ip"],
                        "CommonSecurityLog",
                        "DeviceAction",
                        "deny",
                        "spike on an earlier day",
                    )
                )
        marks = {t.name: len(t.times) for t in tables}
        if history == "recon":
            hours = int(rng.integers(30, 60))
            count = int(rng.integers(2, 7))
            start = alert_us - hours * 3_600_000_000
            probe = start + np.sort(rng.integers(0, 3 * 3_600_000_000, count))
            for when, other in zip(probe, rng.choice(n_users, size=count), strict=True):
                _user_signins(
                    signin,
                    np.array([when], dtype=np.int64),
                    rng,
                    user=co.users[int(other)],
                    user_id=co.user_ids[int(other)],
                    app=_ATTACK_APPS[0],
                    ip=attacker,
                    country=attack_country,
                    result=1,
                    client="Other clients",
                    requirement="singleFactorAuthentication",
                )

        # The attack, in the hours before the alert: (kind, table, column, value, shape).
        wanted: list[tuple[str, str, str, str, str]] = []
        steps = []
        want_spray = "Account" in kinds and rng.random() < 0.85
        want_mail = "Account" in kinds and rng.random() < 0.6
        if "Account" in kinds and not (want_spray or want_mail):
            want_spray = True
        want_rdp = "Host" in kinds and rng.random() < 0.7
        want_malware = "Host" in kinds and rng.random() < 0.7
        if "Host" in kinds and not (want_rdp or want_malware):
            want_malware = True
        want_cef = False
        if "Ip" in kinds and not (want_spray or want_rdp):
            choice = int(rng.integers(0, 3))
            want_spray, want_rdp, want_cef = choice == 0, choice == 1, choice == 2
            if rng.random() < 0.5:
                want_cef = True
        if want_spray:
            fails, minutes, ok = (
                int(rng.integers(15, 91)),
                int(rng.integers(30, 241)),
                int(rng.integers(3, 9)),
            )
            app = str(rng.choice(_ATTACK_APPS))
            spray = clock.before_alert(fails + ok, minutes=minutes)
            common: dict[str, Any] = dict(
                user=upn,
                user_id=co.user_ids[v],
                app=app,
                ip=attacker,
                country=attack_country,
                client="Other clients",
                requirement="singleFactorAuthentication",
            )
            _user_signins(signin, spray[:fails], rng, result=1, **common)
            _user_signins(signin, spray[fails:], rng, result=0, **common)
            steps.append(f"spray {fails} failures + {ok} sign-ins over {minutes} min")
            wanted.append(("Account", "SigninLogs", "Location", attack_country, "new location"))
            wanted.append(("Account", "SigninLogs", "IPAddress", attacker, "new IP"))
            wanted.append(
                ("Account", "SigninLogs", "ResultType", _RESULTS[1][0], "burst of failures")
            )
            wanted.append(("Account", "SigninLogs", "AppDisplayName", app, "brand-new value"))
            wanted.append(("Ip", "SigninLogs", "UserPrincipalName", upn, "brand-new value"))
            wanted.append(("Ip", "SigninLogs", "ResultType", _RESULTS[1][0], "burst of failures"))
        if want_mail:
            downloads = max(12, round(usual_downloads * float(rng.uniform(6, 12))))
            minutes = int(rng.integers(20, 151))
            _office_rows(
                office,
                clock.before_alert(downloads, minutes=minutes),
                rng,
                user=upn,
                ip=attacker,
                operation=2,
            )
            _office_rows(
                office,
                clock.before_alert(1, minutes=minutes),
                rng,
                user=upn,
                ip=attacker,
                operation=7,
            )
            steps.append(f"mailbox: {downloads} downloads + inbox rule over {minutes} min")
            wanted.append(
                (
                    "Account",
                    "OfficeActivity",
                    "Operation",
                    "FileDownloaded",
                    "spike on a usual value",
                )
            )
            wanted.append(("Account", "OfficeActivity", "ClientIP", attacker, "new IP"))
            wanted.append(("Ip", "OfficeActivity", "UserId", upn, "brand-new value"))
        if want_rdp:
            fails, minutes = int(rng.integers(20, 151)), int(rng.integers(20, 181))
            brute = clock.before_alert(fails, minutes=minutes)
            _security_rows(
                security, brute, rng, host=fqdn, user=upn, event=4625, ip=attacker, logon_type=10
            )
            _security_rows(
                security,
                clock.before_alert(int(rng.integers(2, 5)), minutes=15),
                rng,
                host=fqdn,
                user=upn,
                event=4624,
                ip=attacker,
                logon_type=10,
            )
            _security_rows(
                security, clock.before_alert(1, minutes=10), rng, host=fqdn, user=upn, event=4720
            )
            steps.append(f"RDP brute force {fails} failures over {minutes} min")
            for kind in ("Host", "Account"):
                wanted.append((kind, "SecurityEvent", "EventID", "4625", "burst of failures"))
                wanted.append((kind, "SecurityEvent", "IpAddress", attacker, "new IP"))
            wanted.append(("Ip", "SecurityEvent", "EventID", "4625", "burst of failures"))
            wanted.append(("Ip", "SecurityEvent", "Computer", fqdn, "brand-new value"))
        if want_malware:
            stem = rng.choice(["svch0st", "updater", "wmiprv", "taskmgr32"])
            binary = f"C:\\Users\\Public\\{stem}{k}.exe"
            runs, shells, minutes = (
                int(rng.integers(4, 26)),
                int(rng.integers(12, 46)),
                int(rng.integers(15, 121)),
            )
            _security_rows(
                security,
                clock.before_alert(runs, minutes=minutes),
                rng,
                host=fqdn,
                user=upn,
                event=4688,
                process=binary,
            )
            _security_rows(
                security,
                clock.before_alert(shells, minutes=minutes),
                rng,
                host=fqdn,
                user=upn,
                event=4688,
                process=_POWERSHELL,
            )
            steps.append(
                f"malware: {runs} runs of a new binary, {shells} PowerShell over {minutes} min"
            )
            for kind in ("Host", "Account"):
                wanted.append((kind, "SecurityEvent", "NewProcessName", binary, "brand-new value"))
                wanted.append(
                    (kind, "SecurityEvent", "NewProcessName", _POWERSHELL, "spike on a usual value")
                )
        if want_cef:
            flows, minutes = int(rng.integers(20, 201)), int(rng.integers(20, 181))
            port = int(rng.choice(_ATTACK_PORTS))
            inbound = clock.before_alert(flows, minutes=minutes)
            _cef_rows(
                cef,
                inbound,
                rng,
                source=[attacker] * flows,
                user=[""] * flows,
                port=port,
                action="allow",
                dest=host_ip,
            )
            steps.append(f"inbound {flows} flows on port {port} over {minutes} min")
            wanted.append(
                ("Ip", "CommonSecurityLog", "DestinationPort", str(port), "brand-new value")
            )

        injected = [Injected(value[k], *rest) for k, *rest in wanted if k in kinds]
        caused: set[tuple[str, str, str, str]] = set()
        for t in tables:
            for row in _rows_since(t, marks[t.name]):
                text = "|".join(row.values()).casefold()
                for entity in parsed:
                    if any(i.casefold() in text for i in entity.identifiers):
                        caused.update((entity.value, t.name, c, x) for c, x in row.items() if x)
        unique_injected = tuple(dict.fromkeys(injected))
        caused |= {(i.entity, i.table, i.column, i.value) for i in unique_injected}
        kept_traps = tuple(t for t in traps if (t.entity, t.table, t.column, t.value) not in caused)
        labelled.append((incident, unique_injected, kept_traps, frozenset(caused)))
        descriptions.append(f"{' + '.join(kinds)} (attacker IP {history}): {'; '.join(steps)}")

    rows = {t.name: t.write(out / f"{t.name}.parquet") for t in tables}
    scenarios = tuple(
        DemoScenario(
            directory=out,
            incident=incident,
            alert_time=alert_time,
            injected=planted,
            traps=kept,
            caused_by_injection=caused,
            rows=dict(rows),
        )
        for incident, planted, kept, caused in labelled
    )
    return DetectionWorkspace(
        directory=out,
        alert_time=alert_time,
        scenarios=scenarios,
        descriptions=tuple(descriptions),
        rows=rows,
    )
