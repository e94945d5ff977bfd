"""The fake Log Analytics endpoint's KQL engine (duckdb-kql, pinned) behaves like Kusto
where the lookup depends on it: string literals and ``has`` term matching."""

from __future__ import annotations

import duckdb_kql
import pytest
from fakes.kql_engine import PINNED_VERSION, decode_string_literal, run
from has_cases import HAS_CASES
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


@pytest.mark.parametrize(("identifier", "text", "expected"), HAS_CASES)
def test_has_matches_whole_terms(
    con: duckdb_kql.engine.DuckDBPyConnection, identifier: str, text: str, expected: bool
) -> None:
    query = f"print t = {kql_string(text)} | where t has {kql_string(identifier)} | count"
    assert run(con, query).fetchall() == [(1 if expected else 0,)]
