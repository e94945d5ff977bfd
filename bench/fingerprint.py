"""Fingerprints of everything the generators write: proof that a refactoring changed no byte.

``python -m bench.fingerprint [DIR]`` builds, with fixed seeds, the demo workspace (the
``anomaly-lookup demo`` defaults and a small one), custom ``_CL`` tables, a grown workspace,
labelled detection workspaces (the quick and full benchmark sets, and one at another alert
time), the demo incident payloads, and the ground truth each builder returns, then prints a
SHA-256 per case: over every written file's name and bytes (sorted by name) and over a
canonical JSON of the returned ground truth. ``tests/demo/test_fingerprint.py`` holds the
hashes of the original generator and fails when one changes.

Parquet bytes depend on the DuckDB version that writes them (its name is in the file
footer), so each case also has a *content* hash over the rows as DuckDB reads them back,
which holds across DuckDB versions.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generators import (
    add_custom_tables,
    build_detection_workspace,
    company_entities,
    demo_incident_entities,
    grow_workspace,
)
from lookup.demo import DEFAULT_ALERT_TIME, DemoScenario, build_demo_workspace, demo_incident

_TUESDAY_LATE = datetime(2026, 11, 17, 23, 20, tzinfo=UTC)


def _canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of builder results (sets sorted, paths dropped)."""
    if is_dataclass(value) and not isinstance(value, type):
        fields = asdict(value)
        fields.pop("directory", None)
        return {k: _canonical(v) for k, v in fields.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return value.name
    return value


def _json_bytes(value: Any) -> bytes:
    return json.dumps(_canonical(value), sort_keys=True, default=str).encode()


def file_hash(directory: Path) -> str:
    """SHA-256 over the name and bytes of every file under ``directory``, sorted by name."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_hash(directory: Path) -> str:
    """SHA-256 over the schema and rows (in file order) of every Parquet file, by name."""
    import duckdb

    digest = hashlib.sha256()
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for path in sorted(directory.glob("*.parquet")):
            literal = "'" + path.as_posix().replace("'", "''") + "'"
            source = f"read_parquet({literal}, file_row_number = true)"
            schema = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()
            digest.update(path.name.encode() + b"\0" + repr(schema).encode())
            cursor = con.execute(
                f"SELECT * EXCLUDE (file_row_number) FROM {source} ORDER BY file_row_number"
            )
            while batch := cursor.fetchmany(50_000):
                digest.update(repr(batch).encode())
    finally:
        con.close()
    return digest.hexdigest()


def _case(directory: Path, truth: Any) -> dict[str, str]:
    truth_hash = hashlib.sha256(_json_bytes(truth)).hexdigest()
    return {
        "files": file_hash(directory),
        "content": content_hash(directory),
        "truth": truth_hash,
    }


def _demo(rows: int | None, seed: int | None) -> Callable[[Path], Any]:
    def build(directory: Path) -> DemoScenario:
        kwargs: dict[str, Any] = {}
        if rows is not None:
            kwargs["total_rows"] = rows
        if seed is not None:
            kwargs["seed"] = seed
        return build_demo_workspace(directory, **kwargs)

    return build


def _custom(directory: Path) -> Any:
    # As the 100k-row, 20-table scale workspace adds them (bench/workspaces.py).
    return add_custom_tables(directory, 15, 50_000 // 15, seed=7, alert_time=DEFAULT_ALERT_TIME)


def _grown(directory: Path) -> Any:
    base = directory.parent / f"{directory.name}-base"
    build_demo_workspace(base, total_rows=20_000, seed=5)
    return grow_workspace(base, directory, factor=3)


def _detection(
    incidents: int, rows: int, seed: int, alert_time: datetime = DEFAULT_ALERT_TIME
) -> Callable[[Path], Any]:
    def build(directory: Path) -> Any:
        return build_detection_workspace(
            directory,
            incidents=incidents,
            background_rows=rows,
            seed=seed,
            alert_time=alert_time,
        )

    return build


def _payloads(directory: Path) -> Any:
    directory.mkdir(parents=True, exist_ok=True)
    payloads: dict[str, Any] = {
        "demo_incident": demo_incident(),
        "demo_incident_tuesday": demo_incident(_TUESDAY_LATE),
        "company_entities": company_entities(7, first_user=5),
    }
    for count in (1, 2, 3, 4, 10):
        payloads[f"demo_incident_entities_{count}"] = demo_incident_entities(count)
    for name, payload in payloads.items():
        (directory / f"{name}.json").write_text(json.dumps(payload, indent=1, sort_keys=True))
    return payloads


#: name -> builder writing into an empty directory and returning its ground truth.
CASES: dict[str, Callable[[Path], Any]] = {
    "payloads": _payloads,
    "demo-default": _demo(None, None),
    "demo-small": _demo(30_000, 3),
    "custom-tables": _custom,
    "grown": _grown,
    "detection-mini": _detection(6, 40_000, 11),
    "detection-quick": _detection(10, 60_000, 11),
    "detection-tuesday": _detection(6, 30_000, 23, _TUESDAY_LATE),
    "detection-full": _detection(12, 120_000, 11),
}


def fingerprints(root: Path, names: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """Build each case under ``root`` and return its hashes."""
    out: dict[str, dict[str, str]] = {}
    for name in names or CASES:
        directory = root / name
        truth = CASES[name](directory)
        out[name] = _case(directory, truth)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        result = fingerprints(Path(args[0]), args[1:] or None)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = fingerprints(Path(tmp))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
