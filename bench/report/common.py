"""Markdown helpers shared by the sections of RESULTS.md."""

from __future__ import annotations

METHOD_NAMES = {
    "ours": "**ours** (`run_lookup`, defaults)",
    "notebook": "notebook, as shipped (replayed)",
    "notebook_fixed": "notebook, crash-fixed",
    "msticpy_stl": "msticpy STL + z-score, as shipped",
    "stl_no_sign_rule": "STL + z-score > 3, no sign rule",
}


def rate(value: float) -> str:
    """A rate without decimals, with thousands separators."""
    return f"{value:,.0f}"


def yes(flag: bool | None) -> str:
    """yes, **no** or n/a."""
    return "n/a" if flag is None else ("yes" if flag else "**no**")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out
