"""Property tests for ``lookup/kql.py``, with Microsoft's Kusto language service as the oracle.

For arbitrary unicode (quotes, backslashes, newlines, NUL, line separators, bidi marks,
surrogates, emoji, KQL keywords and operators), the service must read back exactly the
value we wrote, and the query must keep the same syntax tree as with a harmless value:
an entity string can neither break a query nor add to it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kusto.language_service import LanguageService, shared_service

from lookup.drilldown import drilldown_query
from lookup.kql import (
    has_terms,
    kql_datetime,
    kql_identifier,
    kql_string,
    kql_string_list,
)

HOSTILE_PIECES = [
    '"',
    "'",
    "\\",
    "\\u0041",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\x00",
    "\u2028",
    "\u2029",
    "\u0085",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\u200f",
    "\U0001f600",
    "\ud800",
    "\udfff",
    "| take 1",
    "| drop",
    "union *",
    '" | union * | where "" == "',
    "' or 1==1 //",
    "/*",
    "*/",
    "//",
    "```",
    "@'",
    'h"',
    "];",
    "[",
    "let x = 1;",
    "CONTOSO\\jdoe",
]

# Every code point, surrogates included (Python strings can hold lone surrogates).
ANY_CHAR = st.characters(codec=None, categories=None, exclude_categories=())
HOSTILE_TEXT = st.lists(
    st.one_of(st.text(ANY_CHAR, max_size=8), st.sampled_from(HOSTILE_PIECES)), max_size=6
).map("".join)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def service() -> LanguageService:
    ls = shared_service()
    ls.set_tables(
        [
            {
                "name": "T",
                "columns": [
                    {"name": "TimeGenerated", "type": "datetime"},
                    {"name": "Account", "type": "string"},
                    {"name": "Count", "type": "long"},
                ],
            }
        ]
    )
    return ls


def _utf16(value: str) -> str:
    """``value`` as Kusto holds it: UTF-16 code units, so surrogate halves pair up."""
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _shape(service: LanguageService, text: str) -> str:
    analysis = service.analyse(text)
    assert analysis.errors == (), analysis.explain()
    return analysis.shape


@given(value=HOSTILE_TEXT)
@PROPERTY
def test_string_literal_round_trips_and_keeps_shape(service: LanguageService, value: str) -> None:
    text = f"T | where Account has {kql_string(value)} | project Account"
    analysis = service.analyse(text)
    assert analysis.errors == (), analysis.explain()
    assert analysis.literals == (_utf16(value),)
    assert analysis.shape == _shape(service, 'T | where Account has "x" | project Account')


@given(values=st.lists(HOSTILE_TEXT, min_size=1, max_size=5))
@PROPERTY
def test_string_list_round_trips(service: LanguageService, values: list[str]) -> None:
    analysis = service.analyse(f"T | where Account has_any {kql_string_list(values)}")
    assert analysis.errors == (), analysis.explain()
    assert analysis.literals == tuple(_utf16(v) for v in values)
    placeholder = kql_string_list(["x"] * len(values))
    assert analysis.shape == _shape(service, f"T | where Account has_any {placeholder}")


@given(value=HOSTILE_TEXT)
@PROPERTY
def test_print_literal_is_one_expression(service: LanguageService, value: str) -> None:
    analysis = service.analyse(f"print v = {kql_string(value)}")
    assert analysis.errors == (), analysis.explain()
    assert analysis.literals == (_utf16(value),)
    assert analysis.columns == ("v",)
    assert analysis.shape == _shape(service, 'print v = "x"')


IDENTIFIER_TEXT = st.one_of(
    HOSTILE_TEXT.filter(bool),
    st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z"),
    st.sampled_from(
        ["where", "Type", "my col", "count", "take", "union", "by", "_ResourceId", "True", "FALSE"]
    ),
)


@given(name=IDENTIFIER_TEXT)
@PROPERTY
def test_identifier_declares_and_references_the_same_column(
    service: LanguageService, name: str
) -> None:
    column = kql_identifier(name)
    analysis = service.analyse(f'datatable({column}: string) ["a"] | project {column}')
    assert analysis.errors == (), analysis.explain()
    assert analysis.columns == (_utf16(name),)


def test_every_kusto_keyword_works_as_a_column_name(service: LanguageService) -> None:
    keywords = service.keywords()
    assert len(keywords) > 100
    failures = []
    for keyword in keywords:
        column = kql_identifier(keyword)
        analysis = service.analyse(
            f'datatable({column}: string) ["a"] | where {column} has "a" '
            f"| summarize n = count() by {column} | project {column}"
        )
        if analysis.errors or analysis.columns != (keyword,):
            failures.append((keyword, column, [d.message for d in analysis.errors]))
    assert failures == []


@pytest.mark.parametrize("name", ["True", "TRUE", "False", "FALSE", "true", "null", "Null"])
def test_boolean_and_null_literals_as_column_names(service: LanguageService, name: str) -> None:
    column = kql_identifier(name)
    analysis = service.analyse(f'datatable({column}: string) ["a"] | project {column}')
    assert analysis.errors == (), analysis.explain()
    assert analysis.columns == (name,)


def test_table_names_that_are_keywords_or_odd(service: LanguageService) -> None:
    tables = ["where", "my table", "Type", "T-1", "union"]
    service.set_tables(
        [{"name": t, "columns": [{"name": "TimeGenerated", "type": "datetime"}]} for t in tables]
        + [{"name": "T", "columns": [{"name": "Account", "type": "string"}]}]
    )
    try:
        for table in tables:
            analysis = service.analyse(f"{kql_identifier(table)} | take 1")
            assert analysis.errors == (), analysis.explain()
            assert analysis.columns == ("TimeGenerated",)
    finally:
        service.set_tables(
            [
                {
                    "name": "T",
                    "columns": [
                        {"name": "TimeGenerated", "type": "datetime"},
                        {"name": "Account", "type": "string"},
                        {"name": "Count", "type": "long"},
                    ],
                }
            ]
        )


OFFSETS = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)
)


@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS
    )
)
@PROPERTY
def test_datetime_literal_parses_as_one_token(service: LanguageService, moment: datetime) -> None:
    literal = kql_datetime(moment)
    assert re.fullmatch(r"datetime\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\)", literal)
    analysis = service.analyse(f"T | where TimeGenerated >= {literal}")
    assert analysis.errors == (), analysis.explain()
    reference = kql_datetime(datetime(2024, 1, 1, tzinfo=UTC))
    expected = _shape(service, f"T | where TimeGenerated >= {reference}")
    assert analysis.shape == expected.replace(reference, literal)


def test_datetime_literal_is_utc_with_microseconds() -> None:
    moment = datetime(2024, 3, 1, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=2)))
    assert kql_datetime(moment) == "datetime(2024-02-29T23:02:03.456789Z)"
    with pytest.raises(ValueError, match="timezone-aware"):
        kql_datetime(datetime(2024, 1, 1))


@given(
    identifiers=st.lists(HOSTILE_TEXT, min_size=1, max_size=4),
    column=IDENTIFIER_TEXT,
    column_type=st.sampled_from(["string", "long", "dynamic"]),
)
@PROPERTY
def test_has_terms_binds_with_any_column_name_and_type(
    service: LanguageService, identifiers: list[str], column: str, column_type: str
) -> None:
    declared = kql_identifier(column)
    row = {"string": '"a"', "long": "1", "dynamic": "dynamic(null)"}[column_type]
    predicate = has_terms(column, identifiers, {column: column_type})
    text = f"datatable({declared}: {column_type}) [{row}] | where {predicate}"
    analysis = service.analyse(text)
    assert analysis.errors == (), analysis.explain()
    assert analysis.literals[-len(identifiers) :] == tuple(_utf16(i) for i in identifiers)


@given(
    value=HOSTILE_TEXT,
    identifiers=st.lists(HOSTILE_TEXT, min_size=1, max_size=3),
    column_type=st.sampled_from(["string", "long"]),
)
@PROPERTY
def test_drilldown_query_binds_and_round_trips(
    service: LanguageService, value: str, identifiers: list[str], column_type: str
) -> None:
    text = drilldown_query(
        table="T",
        entity_column="Account",
        identifiers=identifiers,
        column="Account" if column_type == "string" else "Count",
        column_types={"Account": "string", "Count": "long"},
        value=value,
        bin_start=datetime(2024, 1, 1, tzinfo=UTC),
        step=timedelta(days=1),
    )
    analysis = service.analyse(text)
    assert analysis.errors == (), analysis.explain()
    assert analysis.literals == tuple(_utf16(v) for v in (*identifiers, value))


def test_kql_string_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        kql_string(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        kql_identifier("")
