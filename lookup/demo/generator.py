"""The machinery that writes generated tables: columns, tables, a clock, a company.

Rows are generated as index arrays into value pools (:class:`Column`), collected per table
(:class:`Table`) and written to Parquet by DuckDB, so tens of millions of rows take
seconds. :class:`Clock` draws event times with an office-hour and weekday rhythm;
:class:`Company` is the tenant's users, workstations and servers. Everything draws from one
``numpy`` generator: the order of the draws is the data, so callers must keep it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lookup.demo.pools import COUNTRIES, FIRST_NAMES, LAST_NAMES

_MICROS_PER_DAY = 86_400_000_000
_MICROS_PER_HOUR = 3_600_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Relative activity per hour of the day (office hours) and per weekday (Mon..Sun).
_DIURNAL = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 15, 12, 15, 16, 15, 13, 9, 6, 4, 3, 2, 2, 1],
    dtype=np.float64,
)
_WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 0.18, 0.12])


class Column:
    """A string column built from chunks of indices into a growing value pool."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.pool: list[str] = []
        self._index: dict[str, int] = {}
        self.chunks: list[npt.NDArray[np.int32]] = []
        for value in values:
            self.code(value)

    def code(self, value: str) -> int:
        """The index of ``value`` in the pool (added if new)."""
        if value not in self._index:
            self._index[value] = len(self.pool)
            self.pool.append(value)
        return self._index[value]

    def codes(self, values: Sequence[str]) -> npt.NDArray[np.int32]:
        """The indices of ``values``."""
        return np.array([self.code(v) for v in values], dtype=np.int32)


class Table:
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
        self.strings = {c: Column() for c in strings}
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

    def rows_since(self, mark: int) -> list[dict[str, str]]:
        """The rows added since the table had ``mark`` chunks, as column → text."""
        rows: list[dict[str, str]] = []
        for chunk in range(mark, len(self.times)):
            count = len(self.times[chunk])
            texts: dict[str, list[str]] = {}
            for name, column in self.strings.items():
                texts[name] = [column.pool[int(i)] for i in column.chunks[chunk]]
            for name, int_chunks in self.ints.items():
                texts[name] = [str(int(v)) for v in int_chunks[chunk]]
            rows.extend({name: values[i] for name, values in texts.items()} for i in range(count))
        return rows

    def write(self, path: Path) -> int:
        """Write the rows, sorted by time, to a Parquet file with DuckDB; return the count."""
        import duckdb

        if not self.times:
            raise ValueError(f"table {self.name} has no rows")
        times = np.concatenate(self.times)
        order = np.argsort(times, kind="stable")
        arrays, select, params = self._columns(times, order)
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

    def _columns(
        self, times: npt.NDArray[np.int64], order: npt.NDArray[np.intp]
    ) -> tuple[dict[str, npt.NDArray[Any]], list[str], list[Any]]:
        """The arrays to register, the SELECT list that decodes them, and its parameters."""
        arrays: dict[str, npt.NDArray[Any]] = {"__ts": times[order]}
        params: list[Any] = []
        select = ["make_timestamp(__ts) AS TimeGenerated"]
        for i, (name, column) in enumerate(self.strings.items()):
            arrays[f"__s{i}"] = np.concatenate(column.chunks)[order]
            params.append(column.pool)
            select.append(f"list_extract(${len(params)}, __s{i} + 1) AS {quote(name)}")
        for i, (name, int_chunks) in enumerate(self.ints.items()):
            arrays[f"__i{i}"] = np.concatenate(int_chunks)[order]
            select.append(f"CAST(__i{i} AS INTEGER) AS {quote(name)}")
        for i, (name, bool_chunks) in enumerate(self.bools.items()):
            arrays[f"__b{i}"] = np.concatenate(bool_chunks)[order]
            select.append(f"__b{i} AS {quote(name)}")
        for name in self.unique:
            # Deterministic GUID-looking per-row ids (a high-cardinality column).
            select.append(
                "regexp_replace(md5(__ts::VARCHAR || '-' || __row::VARCHAR || "
                f"'{name}'), '^(.{{8}})(.{{4}})(.{{4}})(.{{4}})(.{{12}})$', "
                f"'\\1-\\2-\\3-\\4-\\5') AS {quote(name)}"
            )
        for name, value in self.constants.items():
            params.append(value)
            select.append(f"${len(params)} AS {quote(name)}")
        arrays["__row"] = np.arange(len(times), dtype=np.int64)
        return arrays, select, params


def quote(name: str) -> str:
    """A DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


# -- time ------------------------------------------------------------------------------------


def micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


class Clock:
    """Draws event times over the history with office-hour and weekday rhythm."""

    def __init__(self, rng: np.random.Generator, alert_time: datetime, days: int) -> None:
        self.rng = rng
        self.alert_time = alert_time
        day0 = alert_time.replace(hour=0, minute=0, second=0, microsecond=0)
        self.first_day = day0 - timedelta(days=days)
        self.days = days + 1
        self.first_day_us = micros(self.first_day)
        # Ingestion runs a little behind the alert: data stops shortly after it.
        self.end_us = micros(alert_time + timedelta(minutes=20))
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
            within = self.rng.integers(0, _MICROS_PER_HOUR, n)
            times = self.first_day_us + day * _MICROS_PER_DAY + hour * _MICROS_PER_HOUR + within
        return np.asarray(times[times < self.end_us], dtype=np.int64)

    def daily(self, per_day: float, *, rhythm: bool = True) -> npt.NDArray[np.int64]:
        """Poisson(per_day x weekday factor) events on each day, at office-hour times."""
        chunks = []
        for day in range(self.days):
            rate = per_day * (self.day_weight[day] if rhythm else 1.0)
            count = int(self.rng.poisson(rate))
            hour = self.rng.choice(24, size=count, p=self.hour_p)
            within = self.rng.integers(0, _MICROS_PER_HOUR, count)
            chunks.append(
                self.first_day_us + day * _MICROS_PER_DAY + hour * _MICROS_PER_HOUR + within
            )
        times = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
        return np.asarray(times[times < self.end_us], dtype=np.int64)

    def on_day(self, day_offset: int, count: int) -> npt.NDArray[np.int64]:
        """``count`` office-hour events on the day ``day_offset`` days before the alert."""
        day = self.days - 1 - day_offset
        hour = self.rng.choice(np.arange(9, 17), size=count)
        within = self.rng.integers(0, _MICROS_PER_HOUR, count)
        return np.asarray(
            self.first_day_us + day * _MICROS_PER_DAY + hour * _MICROS_PER_HOUR + within,
            dtype=np.int64,
        )

    def before_alert(self, count: int, minutes: int = 100) -> npt.NDArray[np.int64]:
        """``count`` events spread over the ``minutes`` before the alert (the attack)."""
        alert = micros(self.alert_time)
        offsets = np.sort(self.rng.integers(60_000_000, minutes * 60_000_000, count))
        return np.asarray(alert - offsets, dtype=np.int64)


# -- the company -----------------------------------------------------------------------------


def account_name(index: int) -> str:
    """The company's user ``index`` (``first.last`` + a number past the first names)."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
    suffix = "" if index < len(FIRST_NAMES) else str(index // len(FIRST_NAMES))
    return f"{first}.{last}{suffix}"


def user_principal_name(index: int) -> str:
    """The UPN of user ``index`` (the same in every workspace, whatever its size)."""
    return f"{account_name(index)}@contoso.com"


def workstation(index: int) -> str:
    """The FQDN of user ``index``'s workstation."""
    return f"WS-{index:04d}.contoso.com"


def home_ip(index: int) -> str:
    """The address user ``index`` signs in from."""
    return f"198.51.{100 + index // 250}.{1 + index % 250}"


@dataclass
class Company:
    """The tenant's users (with their ids, countries, addresses, workstations) and servers."""

    users: list[str]
    names: list[str]
    user_ids: list[str]
    countries: list[str]
    home_ips: list[str]
    hosts: list[str]
    host_ips: list[str]
    linux_hosts: list[str]
    linux_ips: list[str]
    #: Each user's share of the activity (sums to 1).
    activity: npt.NDArray[np.float64]


def make_company(rng: np.random.Generator, n_users: int) -> Company:
    """A company of ``n_users`` users and ``n_users / 20`` (at least 4) Linux servers."""
    names = [account_name(i) for i in range(n_users)]
    users = [f"{name}@contoso.com" for name in names]
    user_ids = [
        f"{rng.integers(1 << 32):08x}-{i:04x}-4{rng.integers(1 << 12):03x}-"
        f"a{rng.integers(1 << 12):03x}-{rng.integers(1 << 48):012x}"
        for i in range(n_users)
    ]
    countries = [str(c) for c in rng.choice(COUNTRIES, n_users)]
    home_ips = [home_ip(i) for i in range(n_users)]
    hosts = [workstation(i) for i in range(n_users)]
    host_ips = [f"10.20.{1 + i // 250}.{1 + i % 250}" for i in range(n_users)]
    n_linux = max(4, n_users // 20)
    linux_hosts = [f"lnx-app{i:02d}" for i in range(n_linux)]
    linux_ips = [f"10.30.0.{10 + i}" for i in range(n_linux)]
    activity = rng.lognormal(0.0, 0.6, n_users)
    return Company(
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


def pick(
    rng: np.random.Generator, n: int, weights: Sequence[float] | npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """``n`` indices drawn with the given (unnormalised) weights."""
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(w), size=n, p=w / w.sum())


def zipf(k: int, s: float = 1.1) -> npt.NDArray[np.float64]:
    """Zipf weights of ``k`` ranks."""
    w = 1.0 / np.arange(1, k + 1) ** s
    return np.asarray(w / w.sum())
