"""The fake Log Analytics endpoint's KQL engine (duckdb-kql, pinned) behaves like Kusto
where the lookup depends on it: string literals and ``has`` term matching."""

from __future__ import annotations

import duckdb_kql
import pytest
from fakes.kql_engine import PINNED_VERSION, decode_string_literal, run
from hypothesis import given, settings
from hypothesis import strategies as st

from lookup.kql import kql_string

# Python strings without surrogates: DuckDB holds UTF-8 text only.
TEXT = st.text(st.characters(codec="utf-8"), max_size=30)


@pytest.fixture(scope="module")
def con() -> duckdb_kql.engine.DuckDBPyConnection:
    return duckdb_kql.connect()


def test_pinned_version() -> None:
    assert duckdb_kql.__version__ == PINNED_VERSION


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"a\\u0041b"', "aAb"),
        ('"\\ud83d\\ude00"', "\U0001f600"),
        ('"\\x41"', "A"),
        ('"\\u2028\\u0000"', "\u2028\x00"),
        ('"q\\"\\\\"', 'q"\\'),
        ("'it\\'s'", "it's"),
        ('@"C:\\dir"', "C:\\dir"),
        ('@"say ""hi"""', 'say "hi"'),
    ],
)
def test_decode_string_literal(literal: str, value: str) -> None:
    assert decode_string_literal(literal) == value


@given(value=TEXT)
@settings(max_examples=100, deadline=None)
def test_kql_string_round_trips_through_the_fake_engine(
    con: duckdb_kql.engine.DuckDBPyConnection, value: str
) -> None:
    assert run(con, f"print v = {kql_string(value)}").fetchall() == [(value,)]


# Kusto `has`: whole terms (runs of letters and digits), case-insensitive. The same cases
# as the local backend's tests, so the two backends match the same rows.
HAS_CASES = [
    ("jdoe", "CONTOSO\\jdoe", True),
    ("jdoe", "jdoe@contoso.com", True),
    ("JDOE", "jdoe@contoso.com", True),
    ("jdoe", "jdoe2@contoso.com", False),
    ("jdoe", "xjdoe", False),
    ("doe", "jdoe", False),
    ("10.0.0.1", "10.0.0.1:443", True),
    ("10.0.0.1", "10.0.0.10", False),
    ("10.0.0.1", "110.0.0.1", False),
    ("CONTOSO\\jdoe", "user CONTOSO\\jdoe logged on", True),
    ("CONTOSO\\jdoe", "CONTOSO\\jdoe2", False),
    ("O'Brien", "Dear O'Brien,", True),
    ('a"b', 'x a"b y', True),
    ("line1\nline2", "before line1\nline2 after", True),
    ("ユーザー", "ユーザー@例え.jp", True),
    ("ユーザー", "管理ユーザー", False),
    ("take", "please take this", True),
    ("union *", "x union * y", True),
    ("a.b", "aXb", False),
    ("(x|y)", "(x|y)", True),
    ("(x|y)", "x", False),
    ("é", "café", False),
    ("emoji 😀", "an emoji 😀 here", True),
]


@pytest.mark.parametrize(("identifier", "text", "expected"), HAS_CASES)
def test_has_matches_whole_terms(
    con: duckdb_kql.engine.DuckDBPyConnection, identifier: str, text: str, expected: bool
) -> None:
    query = f"print t = {kql_string(text)} | where t has {kql_string(identifier)} | count"
    assert run(con, query).fetchall() == [(1 if expected else 0,)]
