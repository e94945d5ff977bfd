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
    """A pattern that looks suspicious to a naive check and must not be reported."""

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

    def daily(
        self, per_day: float, *, rhythm: bool = True, skip_days: Iterable[int] = ()
    ) -> npt.NDArray[np.int64]:
        """Poisson(per_day x weekday factor) events on each day, at office-hour times."""
        skip = set(skip_days)
        chunks = []
        for day in range(self.days):
            if day in skip:
                continue
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
    traps.append(Trap(VICTIM_HOST_FQDN, "SecurityEvent", "EventID", "4624", "steadily high value"))
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
    traps = tuple(t for t in scenario.traps if (t.entity, t.table, t.column, t.value) in where)
    return Evaluation(tuple(found), tuple(missed), traps, tuple(unexplained), ranks)
