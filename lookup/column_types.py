"""Column types as Log Analytics gives them, for files that carry none, and id columns.

A CSV or JSON export carries no column types; DuckDB guesses them from the values, so a
custom table's ``SessionId_g`` (a GUID per session) reads as text and its ``Latency_d`` as
an integer when its values happen to be whole numbers. Log Analytics types such columns by
the suffix its custom-log convention writes (``_s`` string, ``_d`` real, ``_b`` bool, ``_t``
datetime, ``_g`` guid): :func:`suffix_type` gives the local backend the same type, so both
backends pick the same categorical columns (guid and real columns never are).

Whatever the types, a column whose values are all GUIDs (a session, request or object id
without the suffix, a JSON ``ConnectionId``) or times written as text names individual
things, not categories:
:func:`id_columns` finds such columns among the values the counts question returned
(identical in both backends), and the engine never scores them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lookup.settings import is_guid

#: Log Analytics' custom-log column suffixes and the KQL type each stands for.
SUFFIX_TYPES: dict[str, str] = {
    "_s": "string",
    "_d": "real",
    "_b": "bool",
    "_t": "datetime",
    "_g": "guid",
}
_SUFFIX = re.compile(r"^.*[A-Za-z0-9](_[sdbtg])$")


def suffix_type(column: str) -> str | None:
    """The KQL type a custom-log column's suffix names (``SessionId_g`` → guid), or None."""
    match = _SUFFIX.match(column)
    return SUFFIX_TYPES[match.group(1)] if match else None


def untyped_column_type(column: str, guessed: str) -> str:
    """A custom table's column type: the suffix's type when it names one, else ``guessed``.

    ``guessed`` is what the file reader made of the values; only a suffix Log Analytics
    itself honours overrides it (a string column stays a string: ``_s``).
    """
    return suffix_type(column) or guessed


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def id_like(value: str) -> bool:
    """Whether a value names one thing or one instant: a GUID, or a timestamp as text."""
    text = value.strip()
    return is_guid(text.strip("{}")) or _TIMESTAMP.match(text) is not None


def id_columns(values: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Columns all of whose (column, value) pairs given are id-like: never categories.

    GUIDs name sessions, requests and objects; a time written as text (a ``string``
    ``EventTime`` of a file read without types) names an instant. Neither is a category.
    """
    seen: set[str] = set()
    other: set[str] = set()
    for column, value in values:
        seen.add(column)
        if column not in other and not id_like(value):
            other.add(column)
    return frozenset(seen - other)


#: DuckDB type names of nested values (read as ``dynamic``).
NESTED_TYPES = ("STRUCT", "MAP", "UNION")

#: DuckDB types of a file's columns → KQL types (what Log Analytics would call them).
DUCKDB_TO_KQL: dict[str, str] = {
    "VARCHAR": "string",
    # A column DuckDB reads as UUIDs is text to Log Analytics (a known table's schema
    # says string; a custom table's column is a guid only by its _g suffix): the values
    # decide later that it is an id column (lookup.column_types), in every backend alike.
    "UUID": "string",
    "BOOLEAN": "bool",
    "TINYINT": "int",
    "SMALLINT": "int",
    "INTEGER": "int",
    "UTINYINT": "int",
    "USMALLINT": "int",
    "BIGINT": "long",
    "UINTEGER": "long",
    "UBIGINT": "long",
    "HUGEINT": "long",
    "FLOAT": "real",
    "DOUBLE": "real",
    "DATE": "datetime",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "TIMESTAMP_NS": "datetime",
    "TIMESTAMP_MS": "datetime",
    "TIMESTAMP_S": "datetime",
    "INTERVAL": "timespan",
    "JSON": "dynamic",
    '"NULL"': "string",
}


def duckdb_kql_type(duck_type: str) -> str:
    """The KQL type of a column DuckDB read as ``duck_type``."""
    if duck_type in DUCKDB_TO_KQL:
        return DUCKDB_TO_KQL[duck_type]
    if duck_type.startswith(NESTED_TYPES) or duck_type.endswith("]"):
        return "dynamic"
    if duck_type.startswith("DECIMAL"):
        return "real"
    if duck_type.startswith("TIMESTAMP"):
        return "datetime"
    return "string"
