"""Kusto ``has`` semantics as test cases, shared by both backends' tests.

Whole terms (runs of letters and digits), case-insensitive: the local DuckDB backend and the
Log Analytics backend (through the fake endpoint) must match exactly the same rows.
"""

from __future__ import annotations

#: (identifier, text, whether ``text has identifier``)
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
