"""Run KQL on DuckDB with ``duckdb-kql`` (pinned, pre-alpha, tests only).

``duckdb-kql`` 1.1.2 decodes the simple backslash escapes of KQL string literals but not
``\\uXXXX`` / ``\\xHH``, which Microsoft's Kusto lexer does (the language service reads
``"a\\u2028b"`` as ``a``, U+2028, ``b``; ``tests/test_kql.py`` checks it). ``lookup.kql``
writes invisible and control characters that way, so :func:`install_escape_fix` replaces
the library's one literal decoder with a complete one. That is the only change to the
library; everything else runs as shipped.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import duckdb_kql
import duckdb_kql.lower as _lower

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


def install_escape_fix() -> None:
    """Make duckdb-kql decode ``\\u``/``\\x`` escapes as Kusto does (idempotent)."""
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
        _lower._string_value = decode_string_literal  # type: ignore[attr-defined]
        _installed = True


def run(connection: Any, query: str) -> Any:
    """Execute KQL on a DuckDB connection, returning the DuckDB relation."""
    install_escape_fix()
    return duckdb_kql.query(connection, query)
