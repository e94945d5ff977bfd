"""A bigger copy of a workspace: the tenant's rows repeated, the incident's rows kept once."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lookup.demo import (
    ATTACKER_IP,
    VICTIM_AAD_ID,
    VICTIM_HOST,
    VICTIM_HOST_IP,
    VICTIM_NAME,
    VICTIM_SID,
)
from lookup.demo.generator import quote
from lookup.demo.tenant import VICTIM_HOME_IP

#: Strings that identify the demo incident's entities: rows holding one of them are never
#: copied by :func:`grow_workspace`, so the incident sees the same data at every size.
DEMO_PROTECTED: tuple[str, ...] = (
    VICTIM_NAME,
    VICTIM_HOST,
    VICTIM_HOST_IP,
    ATTACKER_IP,
    VICTIM_HOME_IP,
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
            rows[path.stem] = _grow_table(con, path, dst / path.name, needles, unique, factor)
    finally:
        con.close()
    return rows


def _grow_table(
    con: Any, path: Path, target: Path, needles: list[str], unique: set[str], factor: int
) -> int:
    """Write the grown copy of one table; return its rows."""
    literal = "'" + path.as_posix().replace("'", "''") + "'"
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()
    names = [str(r[0]) for r in described]
    text = [str(r[0]) for r in described if str(r[1]) == "VARCHAR"]
    haystack = "lower(concat_ws('|', " + ", ".join(quote(c) for c in text) + "))"
    params: list[Any] = []
    tests = []
    for needle in needles:
        params.append(needle)
        tests.append(f"contains({haystack}, ${len(params)})")
    protected = " OR ".join(tests) if tests and text else "false"
    replace = _replacements(names, unique)
    target_file = target.as_posix().replace("'", "''")
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
    return int(counted[0]) if counted else 0


def _replacements(names: list[str], unique: set[str]) -> list[str]:
    """The copies' shifted times and fresh per-row ids (copy 0 is the original row)."""
    replace = [
        "CASE WHEN __copy = 0 THEN TimeGenerated ELSE TimeGenerated - "
        "to_microseconds(CAST(hash(__row, __copy) % 1800000000 AS BIGINT)) END "
        "AS TimeGenerated"
    ]
    for name in names:
        if name in unique:
            q = quote(name)
            replace.append(
                f"CASE WHEN __copy = 0 THEN {q} ELSE regexp_replace("
                f"md5({q} || '/' || __copy::VARCHAR), "
                "'^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\\1-\\2-\\3-\\4-\\5') "
                f"END AS {q}"
            )
    return replace
