r"""The one place where values and names enter KQL text.

Entity strings come from attackers (a user name, a command line, a URL are all chosen by
whoever caused the alert), so every value that goes into a query or a drill-down passes
through :func:`kql_string`, every column or table name through :func:`kql_identifier`, and
times through :func:`kql_datetime` / :func:`kql_timespan`. Nothing else formats user data
into KQL.

Kusto string literal rules (learn.microsoft.com/kusto/query/scalar-data-types/string and the
lexer grammar in microsoft/Kusto-Query-Language ``grammar/KqlTokens.g4``): a double-quoted
literal takes backslash escapes ``\\" \\\\ \\n \\r \\t`` and ``\\uXXXX``; a raw newline
inside quotes is a syntax error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from lookup.models import timespan_label
from lookup.tables import normalize_kql_type

_SIMPLE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Lower-case KQL keywords that cannot stand as bare column or table names. Kusto keywords
# are case-sensitive, so ``Type`` or ``Count`` are fine while ``type`` or ``count`` are not.
_KEYWORDS = frozenset(
    """
    and as asc between bin by consume contains count datatable declare default desc distinct
    evaluate extend externaldata facet false filter find fork from getschema has hasprefix
    hassuffix in inner invoke join kind let limit lookup make-series materialize mv-apply
    mv-expand not null on or order outer parse partition print project range reduce render
    sample scan search serialize sort startswith step summarize table take to top true typeof
    union where with
    bool boolean date datetime decimal double dynamic guid int int64 long real string time
    timespan uniqueid
    """.split()
    # The rest of the identifier-shaped keywords of Microsoft's Kusto language service
    # (@kusto/language-service-next 12.4.1, SyntaxFacts): each one breaks a query as a bare
    # column name (tests/test_kql.py checks every keyword against the service).
    + """
    __contextual_datatable __crossCluster __crossDB __executeAndCache __id __isFuzzy
    __noWithSource __packedColumn __projectAway __sourceColumnIndex accumulate anomalychart
    areachart bagexpansion barchart bin_legacy byte cachingpolicy callout cancel card char
    columnchart contains_cs containscs cycles dataexport datascope decodeblocks earliest
    encodingpolicy endswith endswith_cs expandoutput extent_tags_retention external_data
    first flags float force_remote harddelete hardretention has_all has_any has_cs
    hasprefix_cs hassuffix_cs hotcache int16 int32 int8 isfuzzy journal ladderchart last
    latest like likecs linechart mdm missing nooptimization notcontains notcontainscs
    notlike notlikecs of others pathformat piechart pivotchart queries query_results relaxed
    restricted_view_access row_level_security rowstore rowstore_references rowstore_sealinfo
    rowstorepolicy rowstores scatterchart seal seals set shards simple softdelete
    softretention sql stackedareachart startswith_cs statistics storedqueryresultcontainers
    tablepurge timechart timeline timepivot title toscalar totable treemap uint uint16
    uint32 uint64 uint8 ulong unrestrictedviewers verbose viewers views with_itemindex
    with_match_id with_source with_step_name withsource writeaheadlog
    """.split()
    # Boolean literals are not keywords but are read as literals in these spellings too.
    + ["True", "TRUE", "False", "FALSE"]
)


def _escape_char(char: str) -> str:
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char]
    category = unicodedata.category(char)
    # Control, format, separator and surrogate characters are written as \\u escapes so the
    # query text stays printable and no invisible character can change how it reads.
    if category in {"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"}:
        code = ord(char)
        if code > 0xFFFF:
            high = 0xD800 + ((code - 0x10000) >> 10)
            low = 0xDC00 + ((code - 0x10000) & 0x3FF)
            return f"\\u{high:04x}\\u{low:04x}"
        return f"\\u{code:04x}"
    return char


def kql_string(value: str) -> str:
    r"""Render any Python string as a KQL string literal that evaluates to exactly it.

    The result is a double-quoted literal; no input can end the literal early or add
    query text.

    >>> kql_string('CONTOSO\\\\jdoe')
    '"CONTOSO\\\\\\\\jdoe"'
    """
    if not isinstance(value, str):
        raise TypeError(f"kql_string expects str, got {type(value).__name__}")
    return '"' + "".join(_escape_char(c) for c in value) + '"'


def kql_identifier(name: str) -> str:
    """Render a table or column name, bracket-quoting it when it is not a plain identifier."""
    if not isinstance(name, str) or not name:
        raise ValueError("an identifier must be a non-empty string")
    if _PLAIN_IDENTIFIER.match(name) and name not in _KEYWORDS:
        return name
    return "[" + kql_string(name) + "]"


def kql_datetime(moment: datetime) -> str:
    """Render an aware datetime as a KQL ``datetime(...)`` literal in UTC."""
    if moment.tzinfo is None:
        raise ValueError("datetimes entering KQL must be timezone-aware")
    utc = moment.astimezone(UTC)
    # Not strftime: its %Y does not zero-pad years before 1000 on every platform.
    return (
        f"datetime({utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:"
        f"{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z)"
    )


def kql_timespan(step: timedelta) -> str:
    """Render a timedelta as a KQL timespan literal (``1d``, ``1h``)."""
    return timespan_label(step)


def kql_string_list(values: Iterable[str]) -> str:
    """Render values as a parenthesised, comma-separated list of string literals."""
    return "(" + ", ".join(kql_string(v) for v in values) + ")"


#: The column every Log Analytics table is filtered and binned on.
TIME_COLUMN = "TimeGenerated"


def time_filter(start: datetime, end: datetime) -> str:
    """``TimeGenerated >= start and TimeGenerated < end``."""
    column = kql_identifier(TIME_COLUMN)
    return f"{column} >= {kql_datetime(start)} and {column} < {kql_datetime(end)}"


def text_of(column: str, column_types: Mapping[str, str]) -> str:
    """The column as text: itself for strings, ``tostring()`` otherwise.

    Kusto defines ``has`` on string and dynamic operands only (``long has "5"`` is error
    KS106); the local backend matches on the column's text, so non-string columns are
    compared through ``tostring`` on both sides. A column missing from ``column_types`` is
    taken to be a string.
    """
    name = kql_identifier(column)
    if normalize_kql_type(column_types.get(column, "string")) == "string":
        return name
    return f"tostring({name})"


def has_terms(column: str, identifiers: Sequence[str], column_types: Mapping[str, str]) -> str:
    """``column has_any (identifiers)``: whole-term, case-insensitive match of any identifier.

    One identifier uses ``has``; several use ``has_any``. Both use the term index.
    """
    if not identifiers:
        raise ValueError(f"no identifiers to match in {column!r}")
    target = text_of(column, column_types)
    if len(identifiers) == 1:
        return f"{target} has {kql_string(identifiers[0])}"
    return f"{target} has_any {kql_string_list(identifiers)}"
