"""The DataFrame backend: the lookup over the pandas DataFrames a notebook already holds.

An analyst's notebook holds tables as DataFrames: msticpy ``QueryProvider`` results, Log
Analytics ``LogsQueryClient`` tables turned into DataFrames, exports read with pandas.
:class:`DataFrameBackend` takes a mapping of table name to DataFrame and answers the
lookup's questions with the local backend's own DuckDB queries: only where the rows come
from differs (DuckDB scans the registered DataFrames in place, without copying them into
files), so the same rows give the same anomalies with the same scores as a workspace
directory read by :class:`~lookup.backends.local.LocalBackend`.

Two things pandas does to a table are undone before DuckDB reads it, so that columns keep
the types Log Analytics gives them:

- a column of dicts and lists (a ``dynamic`` column as msticpy or ``json.loads`` leave it)
  becomes JSON text of type ``dynamic``, searched as text like a JSON file's nested column;
- a float column holding only whole numbers and nulls is an integer column pandas widened
  to hold its nulls as ``NaN``: it is read as ``long`` again (its values as ``4624``, not
  ``4624.0``).

``TimeGenerated`` may be a column or the index (``df.set_index("TimeGenerated")``); naive
times are UTC and text times are parsed as in files. A value that is not a DataFrame, or a
frame DuckDB cannot read, fails its own table (status ``failed`` with the reason), never
the lookup.

pandas is imported when a backend is built: this module is for notebooks (the
``[notebook]`` extra), never imported by the function app.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lookup.backends.local import LocalBackend, _Table, sql_identifier
from lookup.errors import TableError, WorkspaceError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DataFrameBackend"]

_TIME_COLUMN = "TimeGenerated"
#: Values DuckDB samples to type an object column; the same sample decides a documents column.
_SAMPLE = 1000


class _UnusableFrameError(Exception):
    """A frame that cannot be a table, with the reason."""


class DataFrameBackend(LocalBackend):
    """Answer the lookup's aggregate questions from pandas DataFrames, with DuckDB.

    ``frames`` maps table names (``SigninLogs``) to DataFrames with Log Analytics column
    names; each needs a ``TimeGenerated`` column (or index). The frames are read, never
    changed; the backend reads them as they are when each query runs.
    """

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        description: str = "dataframes",
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        """Register every frame as a table.

        Args:
            frames: table name to DataFrame.
            description: the report's ``backend`` text, e.g. ``msticpy:law-secops``.
            threads: DuckDB threads (all cores by default).
            memory_limit: DuckDB memory limit, e.g. ``"2GB"``.

        Raises:
            WorkspaceError: no frame was given, a table name is not text, or pandas is
                missing.
        """
        try:
            import pandas  # noqa: F401  (needed to tell DataFrames from other values)
        except ImportError as exc:  # pragma: no cover - depends on the install extras
            raise WorkspaceError(
                "the DataFrame backend needs pandas: "
                "pip install 'sentinel-anomaly-lookup[notebook]'"
            ) from exc
        if not frames:
            raise WorkspaceError("no DataFrames: pass a mapping of table name to DataFrame")
        bad = [repr(name) for name in frames if not isinstance(name, str) or not name]
        if bad:
            raise WorkspaceError(f"table names must be non-empty text, got {', '.join(bad)}")
        self.description = description
        self._connect(threads, memory_limit)
        self._tables = {
            name: self._register(name, frame, index)
            for index, (name, frame) in enumerate(sorted(frames.items()))
        }

    def _register(self, name: str, frame: object, index: int) -> _Table:
        """Register ``frame`` with DuckDB as the source of table ``name``."""
        label = f"DataFrame {name!r}"
        relation = f"__frame_{index}"
        table = _Table(name, sql_identifier(relation), label, f"__table_{index}")
        try:
            readable, casts = _readable(frame)
        except _UnusableFrameError as exc:
            table.error = TableError(name, f"{label} {exc}")
            return table
        with self._lock:
            self._con.register(relation, readable)
        if casts:
            table.source = (
                f"(SELECT * REPLACE ({', '.join(casts)}) FROM {sql_identifier(relation)})"
            )
        return table

    def _unknown_table(self, name: str) -> TableError:
        """The error of a table no frame was given for."""
        return TableError(
            name, f"no DataFrame for table {name} (tables: {', '.join(self._tables)})"
        )


def _readable(frame: object) -> tuple[pd.DataFrame, list[str]]:
    """The frame as DuckDB should read it, and the casts that restore column types.

    Raises:
        _UnusableFrameError: not a DataFrame, or its columns cannot be table columns.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise _UnusableFrameError(f"is not a DataFrame but {type(frame).__name__}")
    if frame.index.name == _TIME_COLUMN and _TIME_COLUMN not in frame.columns:
        frame = frame.reset_index()
    names = list(frame.columns)
    odd = [repr(c) for c in names if not isinstance(c, str)]
    if odd:
        raise _UnusableFrameError(f"has column names that are not text: {', '.join(odd[:5])}")
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise _UnusableFrameError(f"has duplicate columns: {', '.join(twice[:5])}")
    documents: dict[str, pd.Series[Any]] = {}
    casts = []
    for column in names:
        values = frame[column]
        quoted = sql_identifier(column)
        if _holds_documents(values):
            documents[column] = values.map(_json_text)
            casts.append(f"CAST({quoted} AS JSON) AS {quoted}")
        elif _widened_integers(values):
            casts.append(f"CAST({quoted} AS BIGINT) AS {quoted}")
    if documents:
        frame = frame.assign(**documents)
    return frame, casts


def _holds_documents(values: pd.Series[Any]) -> bool:
    """Whether an object column holds dicts or lists (looked at as DuckDB does: a sample).

    Lists may be numpy arrays: pandas reads Parquet lists so.
    """
    import numpy as np

    if values.dtype != object:
        return False
    sample = values.dropna().head(_SAMPLE)
    return any(isinstance(v, dict | list | tuple | np.ndarray) for v in sample)


def _json_text(value: object) -> str | None:
    """One value of a documents column as JSON text (null stays null)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ in {"NAType", "NaTType"}:  # pandas' missing values
        return None
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return json.dumps(value, ensure_ascii=False)
        return value  # already JSON text, as Log Analytics returns dynamic values
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)


def _plain(value: object) -> object:
    """What JSON cannot hold as is: arrays as lists, numpy numbers as numbers, times as ISO."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


def _widened_integers(values: pd.Series[Any]) -> bool:
    """Whether a float column is an integer column with nulls (pandas stores them as NaN)."""
    import numpy as np

    if values.dtype.kind != "f":
        return False
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(numbers)
    if not missing.any():
        return False
    present = numbers[~missing]
    return bool(
        np.all(np.isfinite(present))
        and np.all(present == np.floor(present))
        and np.all(np.abs(present) < 2.0**63)
    )
