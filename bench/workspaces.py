"""Generated workspaces for the scale benchmark, cached under ``bench/.data/``.

A workspace is keyed by (rows, tables, seed) and by a hash of the generators' source
(``lookup/demo/`` and ``bench/generators/``), so a re-run reuses it and a generator change
rebuilds it. Up to 1M rows the demo generator writes it directly (5 Sentinel tables; for 20
tables half the rows go to 15 custom ``_CL`` tables from
:func:`bench.generators.add_custom_tables`). Larger sizes copy the 1M workspace's
background rows with :func:`bench.generators.grow_workspace` (DuckDB, a few million
rows per second): the demo generator itself writes about 50k rows per second, too slow for
30M rows within the harness's time budget. The incident's own rows are never copied, so
every size holds the same story and the lookup finds the same anomalies.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import bench.generators
import lookup.demo
from bench.generators import add_custom_tables, grow_workspace
from lookup.demo import build_demo_workspace

BASE_ROWS = 1_000_000
#: Seconds spent generating workspaces in this process (cache hits cost nothing).
GENERATED_SECONDS: list[float] = []


def generator_version() -> str:
    """A short hash of the generators' source: cached workspaces follow its changes."""
    digest = hashlib.sha256()
    for package in (lookup.demo, bench.generators):
        directory = Path(package.__file__).parent
        for path in sorted(directory.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


@dataclass(frozen=True)
class Workspace:
    """A generated workspace on disk."""

    key: str
    path: str
    rows: dict[str, int]
    total_rows: int
    parquet_bytes: int
    generation_seconds: float
    method: str
    #: Column data before Parquet compression (from the Parquet metadata).
    uncompressed_bytes: int = 0
    #: The values themselves (UTF-8 text, 4/8-byte numbers and times), from a sample.
    raw_bytes: int = 0

    @property
    def directory(self) -> Path:
        return Path(self.path)


def publish_workspace(
    key: str, partial: Path, path: Path, counts: dict[str, int], started: float, method: str
) -> Workspace:
    """Move a generated workspace from ``partial`` to ``path`` and record it beside it.

    The record (``<path>.json``) is written last, so a workspace is cached only when whole.
    """
    shutil.rmtree(path, ignore_errors=True)
    partial.rename(path)
    workspace = Workspace(
        key=key,
        path=str(path),
        rows=counts,
        total_rows=sum(counts.values()),
        parquet_bytes=_size(path),
        uncompressed_bytes=_uncompressed(path),
        raw_bytes=_raw(path),
        generation_seconds=round(time.perf_counter() - started, 2),
        method=method,
    )
    path.with_name(f"{path.name}.json").write_text(json.dumps(asdict(workspace), indent=1))
    return workspace


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("*.parquet"))


def _uncompressed(directory: Path) -> int:
    import duckdb

    pattern = (directory / "*.parquet").as_posix().replace("'", "''")
    con = duckdb.connect(":memory:")
    try:
        row = con.execute(
            f"SELECT sum(total_uncompressed_size) FROM parquet_metadata('{pattern}')"
        ).fetchone()
    finally:
        con.close()
    return int(row[0]) if row and row[0] else 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_WIDTHS = {"INTEGER": 4, "BIGINT": 8, "BOOLEAN": 1, "DOUBLE": 8, "TIMESTAMP": 8}


def _raw(directory: Path) -> int:
    """Bytes of the values (text as UTF-8), estimated from up to 50,000 rows per table."""
    import duckdb

    con = duckdb.connect(":memory:")
    total = 0.0
    try:
        for path in sorted(directory.glob("*.parquet")):
            literal = "'" + path.as_posix().replace("'", "''") + "'"
            columns = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()
            parts = [
                f"coalesce(strlen({_quote(str(c[0]))}), 0)"
                if str(c[1]) == "VARCHAR"
                else str(_WIDTHS.get(str(c[1]), 8))
                for c in columns
            ]
            rows = con.execute(f"SELECT count(*) FROM read_parquet({literal})").fetchone()
            mean = con.execute(
                f"SELECT avg({' + '.join(parts)}) FROM "
                f"(SELECT * FROM read_parquet({literal}) LIMIT 50000)"
            ).fetchone()
            total += float(rows[0] if rows else 0) * float(mean[0] if mean and mean[0] else 0)
    finally:
        con.close()
    return int(total)


def prune(cache: Path, keep_version: str) -> None:
    """Delete cached scale workspaces built by another generator version."""
    if not cache.is_dir():
        return
    for path in cache.iterdir():
        if path.name.startswith("scale-") and keep_version not in path.name:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def scale_workspace(
    cache: Path, rows: int, tables: int, *, seed: int = 7, log: Callable[[str], None] = print
) -> Workspace:
    """The cached workspace with about ``rows`` rows in ``tables`` tables (5 or more)."""
    if tables < 5:
        raise ValueError("scale workspaces have the demo's 5 tables and optional custom ones")
    version = generator_version()
    key = f"scale-r{rows}-t{tables}-s{seed}-{version}"
    path = cache / key
    meta = cache / f"{key}.json"
    if meta.is_file() and path.is_dir():
        return Workspace(**json.loads(meta.read_text()))
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f"{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    if rows <= BASE_ROWS:
        log(f"generating {rows:,} rows in {tables} tables (demo generator)")
        own = rows if tables == 5 else rows // 2
        scenario = build_demo_workspace(partial, total_rows=own, seed=seed)
        counts = dict(scenario.rows)
        if tables > 5:
            extra = tables - 5
            counts |= add_custom_tables(
                partial, extra, (rows - own) // extra, seed=seed, alert_time=scenario.alert_time
            )
        method = "demo generator" + (" + add_custom_tables" if tables > 5 else "")
    else:
        base = scale_workspace(cache, BASE_ROWS, tables, seed=seed, log=log)
        factor = max(1, round(rows / base.total_rows))
        log(f"growing {base.total_rows:,} rows x{factor} into {tables} tables (grow_workspace)")
        counts = grow_workspace(base.directory, partial, factor=factor)
        method = f"grow_workspace x{factor} of the {BASE_ROWS:,}-row workspace"
    workspace = publish_workspace(key, partial, path, counts, started, method)
    GENERATED_SECONDS.append(workspace.generation_seconds)
    return workspace
