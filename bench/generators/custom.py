"""Custom log tables (``Custom01_CL``...) with generic column names nobody mapped."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lookup.demo import (
    ATTACKER_IP,
    DEFAULT_ALERT_TIME,
    HISTORY_DAYS,
    TENANT_ID,
    VICTIM_HOST_FQDN,
    VICTIM_HOST_IP,
    VICTIM_UPN,
)
from lookup.demo.generator import Clock, Column, Company, Table, make_company, pick, zipf
from lookup.demo.pools import APPS, COUNTRIES, PORTS

#: Generic custom-log columns: name → kind of values. The first 7 are entity columns.
CUSTOM_COLUMNS: dict[str, str] = {
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
_ENTITY_KINDS = {"user": 0, "ip": 1, "host": 2}
_POOLS: dict[str, tuple[str, ...]] = {
    "action": ("allow", "deny", "drop", "alert", "reset-both"),
    "event": tuple(f"event-{i:02d}" for i in range(14)),
    "severity": ("informational", "low", "medium", "high"),
    "country": COUNTRIES,
    "status": ("Success", "Failure", "Pending"),
    "app": APPS,
    "category": ("network", "identity", "endpoint", "cloud", "email", "dns"),
}
_EXTERNALS = [f"52.{96 + i // 250}.{i % 250}.{1 + (i * 7) % 250}" for i in range(2000)]
_MESSAGES = [f"request {i:05d} handled in {(i * 37) % 997} ms" for i in range(20_000)]


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
    clock = Clock(rng, alert_time, history_days)
    co = make_company(rng, int(np.clip(rows_per_table * count // 1500, 60, 4000)))
    rows: dict[str, int] = {}
    for number in range(1, count + 1):
        table = _custom_table(number, rng, clock, co, rows_per_table)
        rows[table.name] = table.write(out / f"{table.name}.parquet")
    return rows


def _custom_table(
    number: int, rng: np.random.Generator, clock: Clock, co: Company, rows: int
) -> Table:
    """Table ``number``: two entity columns, five others, the company's rows, the incident's."""
    names = list(CUSTOM_COLUMNS)
    entity_columns = [names[(number + k) % 7] for k in range(2)]
    chosen = entity_columns + [
        str(c) for c in rng.choice(names[7:], size=5, replace=False) if c not in entity_columns
    ]
    table = Table(
        f"Custom{number:02d}_CL", strings=chosen, ints=["DstPort_d"], unique=["RequestId_g"]
    )
    table.constants = {"Type": table.name, "TenantId": TENANT_ID}
    pools = {column: _pool(CUSTOM_COLUMNS[column], co) for column in chosen}
    for column in chosen:
        table.strings[column] = Column(pools[column])
    times = clock.background(rows)
    n = len(times)
    actor = pick(rng, n, co.activity)
    columns: dict[str, Any] = {}
    for column in chosen:
        columns[column] = _codes(CUSTOM_COLUMNS[column], len(pools[column]), actor, rng, n)
    columns["DstPort_d"] = np.array(PORTS)[pick(rng, n, zipf(len(PORTS), 1.0))]
    table.add(times, **columns)
    _incident_rows(table, chosen, number, clock)
    return table


def _pool(kind: str, co: Company) -> list[str]:
    """The values a column of ``kind`` takes (entity columns: the company's)."""
    if kind == "user":
        return list(co.users)
    if kind == "ip":
        return list(co.home_ips)
    if kind == "host":
        return list(co.hosts)
    if kind == "external":
        return _EXTERNALS
    if kind == "message":
        return _MESSAGES
    return list(_POOLS[kind])


def _codes(
    kind: str, size: int, actor: npt.NDArray[np.int64], rng: np.random.Generator, n: int
) -> npt.NDArray[np.int32]:
    """Pool indices of ``n`` rows: the actor's own entity, uniform, or Zipf-weighted."""
    if kind in _ENTITY_KINDS:
        return actor.astype(np.int32)
    if kind in ("external", "message"):
        return rng.integers(0, size, n).astype(np.int32)
    return pick(rng, n, zipf(size, 1.2)).astype(np.int32)


def _incident_rows(table: Table, chosen: list[str], number: int, clock: Clock) -> None:
    """The incident's entities: a steady daily presence, and (every third table) a burst."""
    victim = {"user": VICTIM_UPN, "ip": VICTIM_HOST_IP, "host": VICTIM_HOST_FQDN}
    own = {c: victim[CUSTOM_COLUMNS[c]] for c in chosen if CUSTOM_COLUMNS[c] in victim}
    if own:
        table.add(clock.daily(8), **own)
    if number % 3 == 0 and any(CUSTOM_COLUMNS[c] == "ip" for c in chosen):
        ip_column = next(c for c in chosen if CUSTOM_COLUMNS[c] == "ip")
        burst = {ip_column: ATTACKER_IP}
        if "Action_s" in chosen:
            burst["Action_s"] = "deny"
        table.add(clock.before_alert(40, minutes=90), **burst)
