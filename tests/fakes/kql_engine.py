"""Run KQL on DuckDB with ``duckdb-kql`` (pinned, pre-alpha, tests only).

``duckdb-kql`` 1.1.2 decodes the simple backslash escapes of KQL string literals but not
``\\uXXXX`` / ``\\xHH``, which Microsoft's Kusto lexer does (the language service reads
``"a\\u2028b"`` as ``a``, U+2028, ``b``; ``tests/test_kql.py`` checks it). ``lookup.kql``
writes invisible and control characters that way, so :func:`install_escape_fix` replaces
the library's one literal decoder with a complete one.

The second change makes ``has`` with a literal needle cheaper to *compile*, with the same
answers (:func:`fast_term_match_sql`): the library writes each needle as an RE2 pattern
whose term classes are ``[^\\pL\\pN]``, and RE2 takes ~3.5 ms to compile one (twice per
query, at bind and at rewrite). A 100-entity incident's KQL names hundreds of needles, so
a query spent over a minute compiling patterns. The fast form tests a pattern with ASCII
term classes first (exact on ASCII text, and it never misses a match on any text), then the
library's own pattern, per value, only on non-ASCII text that passed. Everything else
runs as shipped.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import duckdb_kql
import duckdb_kql.lower as _lower
import duckdb_kql.translate as _translate
from duckdb_kql.translate import functions as _functions

PINNED_VERSION = "1.1.2"

_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_HEX = {"u": 4, "x": 2}
_lock = threading.Lock()
_installed = False


def decode_string_literal(text: str) -> str:
    """Decode one KQL string literal token (``"..."``, ``'...'`` or verbatim ``@"..."``)."""
    verbatim = text.startswith("@")
    if verbatim:
        text = text[1:]
    quote = text[0] if text[:1] in ("'", '"') else ""
    body = text[1:-1] if quote and len(text) >= 2 and text[-1] == quote else text
    if verbatim:
        return body.replace(quote * 2, quote) if quote else body
    units: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 >= len(body):
            units.append(char)
            i += 1
            continue
        code = body[i + 1]
        width = _HEX.get(code)
        digits = body[i + 2 : i + 2 + width] if width else ""
        if width and len(digits) == width and re.fullmatch(r"[0-9A-Fa-f]+", digits):
            units.append(chr(int(digits, 16)))
            i += 2 + width
        else:
            units.append(_SIMPLE.get(code, code))
            i += 2
    # \\uD83D\\uDE00 arrives as two UTF-16 halves: pair them up into one code point, and keep
    # a lone half as it is.
    return "".join(units).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


_LIBRARY_TERM_MATCH = _functions.term_match_sql
_ASCII_START = "(?:^|[^0-9A-Za-z])"
_ASCII_END = "(?:$|[^0-9A-Za-z])"


def fast_term_match_sql(
    haystack: str,
    needle: str,
    *,
    case_sensitive: bool = False,
    needle_text: str | None = None,
    lead: bool = True,
    trail: bool = True,
) -> str:
    """The library's ``term_match_sql``, with an ASCII pattern first for literal needles.

    The ASCII pattern's boundaries are every character but ``[0-9A-Za-z]`` (under ``(?i)``
    RE2 adds K and ſ to the class, both letters): on ASCII text it is the library's pattern
    exactly, and on any text it matches wherever the library's does (a non-ASCII letter is
    a boundary to it, not to the library). So: no match -> false; ASCII text -> its answer;
    otherwise the library's pattern decides, built per value (not a constant, so compiled
    only for those values). A null haystack stays null, as in the library.
    """
    exact = _LIBRARY_TERM_MATCH(
        haystack,
        needle,
        case_sensitive=case_sensitive,
        needle_text=needle_text,
        lead=lead,
        trail=trail,
    )
    if needle_text is None or not _functions.can_fold_term_boundary(needle_text):
        return exact
    flag = "" if case_sensitive else "(?i)"
    start = _ASCII_START if lead and _functions.is_term_char(needle_text[:1]) else ""
    end = _ASCII_END if trail and _functions.is_term_char(needle_text[-1:]) else ""
    fast = f"regexp_matches({haystack}, '{flag}{start}' || regexp_escape({needle}) || '{end}')"
    # The library's pattern, made to depend on the row so that it is not folded into a
    # constant (and compiled at bind time) but built only where it is evaluated.
    row_bound = exact.replace(
        f"regexp_matches({haystack}, ",
        f"regexp_matches({haystack}, CASE WHEN {haystack} IS NULL THEN NULL ELSE ",
        1,
    )
    if row_bound == exact or not row_bound.endswith(")"):
        return exact
    row_bound = row_bound[:-1] + " END)"
    return (
        f"(CASE WHEN {haystack} IS NULL THEN NULL WHEN NOT {fast} THEN FALSE "
        f"WHEN strlen({haystack}) = length({haystack}) THEN TRUE ELSE {row_bound} END)"
    )


_LIBRARY_UNROLLED = _translate._unrolled_needles


def fast_unrolled_needles(node: Any, value: str, item: Any) -> str | None:
    """``has_any`` over a literal list as one ASCII alternation, then the library's tests.

    The library ORs one term test per needle, each a regex run on every row; here all the
    needles with ASCII edges share one pattern (:func:`fast_term_match_sql`'s ASCII
    classes), and the library's exact tests only run on non-ASCII text that pattern kept.
    ``has_all`` and lists the library does not unroll are left to the library.
    """
    needles = _translate._literal_needles(item)
    if node.require_all or needles is None or any(n is None for n in needles):
        return _LIBRARY_UNROLLED(node, value, item)
    foldable = [n for n in needles if _functions.can_fold_term_boundary(n)]
    if len(foldable) < 2:
        return _LIBRARY_UNROLLED(node, value, item)
    branches = []
    for needle in foldable:
        start = _ASCII_START if _functions.is_term_char(needle[:1]) else ""
        end = _ASCII_END if _functions.is_term_char(needle[-1:]) else ""
        quoted = _translate.quote_string(needle)
        branches.append(f"'{start}' || regexp_escape({quoted}) || '{end}'")
    pattern = "'(?i)(?:' || " + " || '|' || ".join(branches) + " || ')'"
    exact = [_LIBRARY_TERM_MATCH(value, _translate.quote_string(n), needle_text=n) for n in needles]
    row_bound = [
        test.replace(
            f"regexp_matches({value}, ",
            f"regexp_matches({value}, CASE WHEN {value} IS NULL THEN NULL ELSE ",
            1,
        )[:-1]
        + " END)"
        for test in exact
    ]
    others = [test for n, test in zip(needles, exact, strict=True) if n not in foldable]
    fast = (
        f"(CASE WHEN {value} IS NULL THEN NULL WHEN NOT regexp_matches({value}, {pattern}) "
        f"THEN FALSE WHEN strlen({value}) = length({value}) THEN TRUE "
        f"ELSE ({' OR '.join(row_bound)}) END)"
    )
    return f"({' OR '.join([fast, *others])})"


def install_escape_fix() -> None:
    """Make duckdb-kql decode escapes as Kusto does, and compile ``has`` fast (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        if duckdb_kql.__version__ != PINNED_VERSION:
            raise RuntimeError(
                f"tests pin duckdb-kql=={PINNED_VERSION}, found {duckdb_kql.__version__}: "
                "check whether the escape fix is still needed"
            )
        if not hasattr(_lower, "_string_value"):
            raise RuntimeError("duckdb_kql.lower._string_value is gone: review the escape fix")
        if getattr(_translate, "term_match_sql", None) is not _LIBRARY_TERM_MATCH or not all(
            hasattr(_translate, name) for name in ("_literal_needles", "quote_string")
        ):
            raise RuntimeError("duckdb_kql.translate changed: review the fast has")
        _lower._string_value = decode_string_literal  # type: ignore[attr-defined]
        _translate.term_match_sql = fast_term_match_sql  # type: ignore[attr-defined]
        _translate._unrolled_needles = fast_unrolled_needles  # type: ignore[attr-defined]
        _installed = True


def run(connection: Any, query: str) -> Any:
    """Execute KQL on a DuckDB connection, returning the DuckDB relation."""
    install_escape_fix()
    return duckdb_kql.query(connection, query)
