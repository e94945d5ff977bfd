"""Wide workspaces for the sweeps of issue 13, generated with DuckDB and cached.

* :func:`defender_workspace` -- five wide tables with their real, full schemas
  (DeviceProcessEvents 65 columns, DeviceNetworkEvents 47, EmailEvents 44, CloudAppEvents
  43, SigninLogs 78; ``lookup/schemas/``), about 600,000 rows, and :func:`defender_incident`,
  8 entities of 8 kinds (Account, Host, Ip, Url, FileHash, Process, Mailbox,
  CloudApplication) that appear in them: the case a new user tried in issue 13.
* :func:`columns_workspace` -- one custom table ``Wide_CL`` of N columns (3 entity columns,
  the rest categorical and id-like), for the column sweep, and :func:`columns_incident`.

Every value comes from a hash of the row number (no random state): a company of 500 users
on 500 devices over three weeks, and in the 3 hours before the alert a burst of the
incident's entities with a value they never had (an attack the lookup should find).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.generators import with_entities
from bench.workspaces import Workspace, publish_workspace
from lookup.demo import DEFAULT_ALERT_TIME, demo_incident
from lookup.demo.incident import entity_payload
from lookup.models import ColumnInfo
from lookup.tables import load_bundled_schema

ALERT = DEFAULT_ALERT_TIME
DAYS = 21
USERS = 500
#: Share of rows in the attack burst (the 3 hours before the alert).
ATTACK_SHARE = 0.0003

DEFENDER_TABLES = {
    "DeviceProcessEvents": 0.33,
    "DeviceNetworkEvents": 0.30,
    "EmailEvents": 0.13,
    "CloudAppEvents": 0.10,
    "SigninLogs": 0.14,
}

#: The incident's entities (values that also appear, rarely, in the background).
VICTIM = 7
VICTIM_UPN = f"u{VICTIM:03d}.name@contoso.com"
VICTIM_DEVICE = f"ws-{VICTIM:03d}.contoso.com"
ATTACKER_IP = "203.0.113.66"
EVIL_URL = "https://evil.example/login.php"
EVIL_HASH = "9f2c" * 16
EVIL_COMMAND = "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA"
EVIL_APP = "Contoso Sync Helper"
#: The value the attack rows carry in every categorical column.
ATTACK_VALUE = "attack-burst"


def _h(salt: str, modulo: int) -> str:
    """SQL: a pseudo-random integer in [0, modulo) from the row number ``i``."""
    number = int(hashlib.sha256(salt.encode()).hexdigest()[:8], 16)
    return f"(hash(i * 7919 + {number}) % {modulo})"


def _user() -> str:
    # Skewed: a few busy users, a long tail (r^2 of a uniform r).
    return f"CAST(pow({_h('user', 1_000_000)} / 1e6, 2) * {USERS} AS BIGINT)"


def _kind_of(name: str) -> str | None:
    """Which pool an entity-like column of the Defender schemas takes its values from."""
    lower = name.lower()
    rules = (
        ("upn", "upn"),
        ("emailaddress", "upn"),
        ("fromaddress", "upn"),
        ("userprincipalname", "upn"),
        ("alternatesigninname", "upn"),
        ("signinidentifier", "upn"),
        ("accountid", "upn"),
        ("accountname", "account"),
        ("sid", "sid"),
        ("objectid", "guid_user"),
        ("userid", "guid_user"),
        ("devicename", "device"),
        ("deviceid", "device_id"),
        ("devicedetail", "device_json"),
        ("ipv6", "none"),
        ("ip", "ip"),
        ("remoteurl", "url"),
        ("sha256", "sha256"),
        ("sha1", "sha1"),
        ("md5", "md5"),
        ("commandline", "command"),
        ("folderpath", "folder"),
        ("filename", "file"),
        ("application", "app"),
        ("appdisplayname", "app"),
        ("resourcedisplayname", "app"),
        ("appid", "app_id"),
        ("oauthappid", "app_id"),
    )
    for needle, kind in rules:
        if needle in lower:
            return kind
    return None


def _pool(kind: str, attack: str) -> str:
    """SQL for an entity-like column's value; the incident's value in attack rows."""
    user = "__u"
    device = "__d"
    normal = {
        "upn": f"'u' || lpad(CAST({user} AS VARCHAR), 3, '0') || '.name@contoso.com'",
        "account": f"'u' || lpad(CAST({user} AS VARCHAR), 3, '0') || '.name'",
        "sid": f"'S-1-5-21-1004336348-1177238915-682003330-' || CAST(1000 + {user} AS VARCHAR)",
        "guid_user": f"'5f1a' || lpad(CAST({user} AS VARCHAR), 4, '0') || "
        "'-0000-4000-8000-000000000000'",
        "device": f"'ws-' || lpad(CAST({device} AS VARCHAR), 3, '0') || '.contoso.com'",
        "device_id": f"md5('device' || CAST({device} AS VARCHAR)) || 'abcdefgh'",
        "device_json": '\'{"deviceId":"","displayName":"ws-\' || '
        f'lpad(CAST({device} AS VARCHAR), 3, \'0\') || \'","operatingSystem":"Windows"}}\'',
        "ip": f"'10.0.' || CAST({device} // 250 AS VARCHAR) || '.' || "
        f"CAST({device} % 250 + 1 AS VARCHAR)",
        "url": f"'site' || CAST({_h('url', 300)} AS VARCHAR) || '.example.com'",
        "sha256": f"md5('p' || CAST({_h('proc', 40)} AS VARCHAR)) || "
        f"md5('q' || CAST({_h('proc', 40)} AS VARCHAR))",
        "sha1": f"substr(md5('s' || CAST({_h('proc', 40)} AS VARCHAR)) || 'abcdefgh', 1, 40)",
        "md5": f"md5('m' || CAST({_h('proc', 40)} AS VARCHAR))",
        "command": f"'tool' || CAST({_h('proc', 40)} AS VARCHAR) || '.exe --run job' || "
        f"CAST({_h('job', 20)} AS VARCHAR)",
        "folder": f"'C:\\Program Files\\Tool' || CAST({_h('proc', 40)} AS VARCHAR)",
        "file": f"'tool' || CAST({_h('proc', 40)} AS VARCHAR) || '.exe'",
        "app": f"'App ' || CAST({_h('app', 25)} AS VARCHAR)",
        "app_id": f"'00000003-0000-0000-c000-0000000000' || lpad(CAST({_h('app', 25)} AS "
        "VARCHAR), 2, '0')",
        "none": "NULL",
    }[kind]
    return f"CASE WHEN __attack THEN {attack} ELSE {normal} END"


def _attack_value(kind: str) -> str:
    victim = {
        "upn": f"'{VICTIM_UPN}'",
        "account": f"'u{VICTIM:03d}.name'",
        "sid": f"'S-1-5-21-1004336348-1177238915-682003330-{1000 + VICTIM}'",
        "guid_user": f"'5f1a{VICTIM:04d}-0000-4000-8000-000000000000'",
        "device": f"'{VICTIM_DEVICE}'",
        "device_id": f"md5('device{VICTIM}') || 'abcdefgh'",
        "device_json": f'\'{{"deviceId":"","displayName":"{VICTIM_DEVICE}"}}\'',
        "ip": f"'{ATTACKER_IP}'",
        "url": f"'{EVIL_URL}'",
        "sha256": f"'{EVIL_HASH}'",
        "sha1": f"'{EVIL_HASH[:40]}'",
        "md5": f"'{EVIL_HASH[:32]}'",
        "command": f"'{EVIL_COMMAND}'",
        "folder": "'C:\\Users\\Public'",
        "file": "'powershell.exe'",
        "app": f"'{EVIL_APP}'",
        "app_id": "'00000003-0000-0000-c000-0000000000ff'",
        "none": "NULL",
    }
    return victim[kind]


def _column_sql(column: ColumnInfo, salt: str, attacked: bool) -> str:
    name = column.name
    quoted = '"' + name.replace('"', '""') + '"'
    if name == "TimeGenerated":
        return f"__t AS {quoted}"
    kind = _kind_of(name) if column.kql_type in {"string", "dynamic"} else None
    if kind is not None:
        return f"{_pool(kind, _attack_value(kind))} AS {quoted}"
    if column.kql_type == "datetime":
        return f"__t AS {quoted}"
    lower = name.lower()
    if column.kql_type in {"long", "int"}:
        if lower.endswith("id"):
            return f"CAST({_h(salt + name, 1_000_000)} AS BIGINT) AS {quoted}"  # an id
        return f"CAST({_habit(name, salt)} AS BIGINT) AS {quoted}"
    if lower.endswith(("id", "guid", "key")) or "correlation" in lower:
        return f"md5('{name}' || CAST(i AS VARCHAR)) AS {quoted}"  # unique per row
    normal = f"'{name[:12]}-' || CAST({_habit(name, salt)} AS VARCHAR)"
    if not attacked:
        return f"{normal} AS {quoted}"
    return f"CASE WHEN __attack THEN '{ATTACK_VALUE}' ELSE {normal} END AS {quoted}"


def _habit(name: str, salt: str) -> str:
    """SQL: one of a few values; 8 rows in 10 take the user's usual one."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    size = 2 + int(digest[:4], 16) % 24
    habit = f"hash(__u * 7919 + {int(digest[4:10], 16)}) % {size}"
    anything = _h(salt + name, size)
    return f"CASE WHEN {_h(salt + name + 'h', 10)} < 8 THEN {habit} ELSE {anything} END"


def _write_table(
    con: Any, directory: Path, table: str, columns: list[ColumnInfo], rows: int, own: int
) -> None:
    """``rows`` rows; the incident's entities only in the first ``own`` (as grow_workspace).

    So a bigger workspace holds the same incident and only more background rows.
    """
    seconds = DAYS * 86400
    start = ALERT.replace(tzinfo=None) - timedelta(days=DAYS)
    burst = int(own * ATTACK_SHARE)
    # The attack shows in the first two plain string columns (an action and a result).
    plain = [
        c.name
        for c in columns
        if c.kql_type == "string"
        and _kind_of(c.name) is None
        and not c.name.lower().endswith(("id", "guid", "key"))
    ]
    body = ", ".join(_column_sql(c, table, c.name in plain[:2]) for c in columns)
    path = (directory / f"{table}.parquet").as_posix().replace("'", "''")
    user = (
        f"CASE WHEN i < {burst} THEN {VICTIM} WHEN i >= {own} AND __r = {VICTIM} "
        f"THEN {VICTIM + 1} ELSE __r END"
    )
    con.execute(
        f"COPY (SELECT {body} FROM (SELECT i, i < {burst} AS __attack, {user} AS __u, "
        f"{user} AS __d, CASE WHEN i < {burst} "
        f"THEN TIMESTAMP '{ALERT.replace(tzinfo=None)}' - to_seconds(1 + {_h('b', 10_800)}) "
        f"ELSE TIMESTAMP '{start}' + to_seconds({_h(table, seconds)}) END AS __t "
        f"FROM (SELECT i, {_user()} AS __r FROM range({rows}) r(i)))) "
        f"TO '{path}' (FORMAT parquet)"
    )


def _cached(
    cache: Path,
    key: str,
    build: Callable[[Path], dict[str, int]],
    method: str,
    log: Callable[[str], None],
) -> Workspace:
    version = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:10]
    key = f"{key}-{version}"
    path, meta = cache / key, cache / f"{key}.json"
    if meta.is_file() and path.is_dir():
        return Workspace(**json.loads(meta.read_text()))
    partial = cache / f"{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    log(f"generating {key} ({method})")
    started = time.perf_counter()
    counts = build(partial)
    return publish_workspace(key, partial, path, counts, started, method)


def defender_workspace(
    cache: Path, rows: int = 600_000, *, own: int = 600_000, log: Callable[[str], None] = print
) -> Workspace:
    """About ``rows`` rows in the five wide Defender / Entra tables, full schemas.

    The incident's entities appear in the first ``own`` rows only: workspaces of any size
    hold the same incident (as ``grow_workspace`` does for the scale benchmark).
    """

    def build(directory: Path) -> dict[str, int]:
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        counts = {}
        for table, share in DEFENDER_TABLES.items():
            schema = load_bundled_schema(table)
            assert schema is not None
            count = int(rows * share)
            _write_table(con, directory, table, list(schema), count, int(own * share))
            counts[table] = count
        con.close()
        return counts

    return _cached(cache, f"defender-r{rows}-o{own}", build, "bench.wide (DuckDB)", log)


def columns_workspace(
    cache: Path, columns: int, rows: int, *, log: Callable[[str], None] = print
) -> Workspace:
    """One custom table ``Wide_CL`` of ``columns`` columns and ``rows`` rows."""
    schema = [
        ColumnInfo("TimeGenerated", "datetime"),
        ColumnInfo("UserPrincipalName", "string"),
        ColumnInfo("IPAddress", "string"),
        ColumnInfo("DeviceName", "string"),
    ]
    kinds = ("string", "string", "string", "long", "string", "real")
    for i in range(columns - len(schema)):
        kind = kinds[i % len(kinds)]
        suffix = "Id" if i % 7 == 6 else ""  # every 7th string column is an id (not categorical)
        schema.append(ColumnInfo(f"Field{i:03d}{suffix}", kind))

    def build(directory: Path) -> dict[str, int]:
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("SET enable_progress_bar = false")
        _write_table(con, directory, "Wide_CL", schema, rows, rows)
        con.close()
        return {"Wide_CL": rows}

    return _cached(cache, f"columns-c{columns}-r{rows}", build, "bench.wide (DuckDB)", log)


def defender_incident() -> dict[str, Any]:
    """The demo incident's payload with 8 entities of 8 kinds seen in the Defender tables."""
    short = f"u{VICTIM:03d}.name"
    entities = [
        entity_payload(
            "w1",
            "Account",
            {"accountName": short, "upnSuffix": "contoso.com", "ntDomain": "CONTOSO"},
        ),
        entity_payload("w2", "Host", {"hostName": f"ws-{VICTIM:03d}", "dnsDomain": "contoso.com"}),
        entity_payload("w3", "Ip", {"address": ATTACKER_IP}),
        entity_payload("w4", "Url", {"url": EVIL_URL}),
        entity_payload("w5", "FileHash", {"algorithm": "SHA256", "hashValue": EVIL_HASH}),
        entity_payload("w6", "Process", {"commandLine": EVIL_COMMAND, "processId": "4242"}),
        entity_payload(
            "w7", "Mailbox", {"mailboxPrimaryAddress": VICTIM_UPN, "displayName": short}
        ),
        entity_payload("w8", "CloudApplication", {"appName": EVIL_APP}),
    ]
    return with_entities(demo_incident(ALERT), entities)


def columns_incident() -> dict[str, Any]:
    """Account, Host and Ip of the column sweep's table."""
    incident = defender_incident()
    entities = incident["object"]["properties"]["relatedEntities"][:3]
    return with_entities(incident, entities)
