r"""Reading untrusted input without raising anything but :class:`~lookup.errors.PayloadError`.

Shared by the function app (HTTP bodies, events, queue messages) and the CLI (incident and
entities files). The standard library turns some inputs into exceptions that are not
``ValueError`` subclasses a caller expects, or into values that fail later:

* ``json.loads`` of a 10,000-deep document raises :class:`RecursionError`;
* a 5,000-digit number raises a plain :class:`ValueError` (Python's integer string limit);
* a lone surrogate escape (``"\ud800"``) parses into a ``str`` that cannot be encoded as
  UTF-8, so writing it to a queue, an HTTP answer or a file raises later;
* a year-1 or year-9999 alert time is a valid ``datetime`` whose analysis window is not.

:func:`load_json` and the checks below turn each of these into a :class:`PayloadError`
naming where the problem is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from lookup.errors import PayloadError
from lookup.settings import Settings
from lookup.windows import daily_window, hourly_window

#: Deepest nesting of arrays and objects accepted. Sentinel payloads nest about ten levels
#: (event → data → object → properties → alerts → properties → additionalData ...).
MAX_JSON_DEPTH = 64
#: Margin kept between the analysis window and the limits of :class:`datetime`.
_WINDOW_MARGIN = timedelta(days=2)


def load_json(data: bytes | str, *, where: str = "$", unicode: bool = True) -> object:
    """Parse JSON text (UTF-8 bytes, with or without BOM, or ``str``) from an untrusted source.

    ``unicode=False`` leaves strings holding lone surrogates to the caller (who may not
    need every field: see :func:`find_invalid_text`).

    Raises:
        PayloadError: not UTF-8, not JSON, nested deeper than :data:`MAX_JSON_DEPTH`, a
            number Python refuses to convert, or (``unicode``) a string that is not valid
            Unicode.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PayloadError(where, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    else:
        text = data
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(
            where, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise PayloadError(where, f"nested more than {MAX_JSON_DEPTH} levels deep") from exc
    except ValueError as exc:  # e.g. "Exceeds the limit (4300 digits) for integer string"
        raise PayloadError(where, f"not usable JSON: {_first_line(exc)}") from exc
    check_document(document, where=where, unicode=unicode)
    return document


def check_document(document: object, *, where: str = "$", unicode: bool = True) -> None:
    """Nesting depth and (``unicode``) Unicode validity of parsed JSON, without recursion.

    Raises:
        PayloadError: nested deeper than :data:`MAX_JSON_DEPTH`, or a key or string value
            holds a lone surrogate (``field`` is its path).
    """
    for path, value, depth in _walk(document):
        if isinstance(value, str):
            if unicode and not is_unicode(value):
                raise PayloadError(
                    field_text(path) or where,
                    "holds a lone UTF-16 surrogate (an escape such as \\ud800 that is not "
                    "part of a pair): not valid Unicode text",
                )
        elif depth > MAX_JSON_DEPTH:
            raise PayloadError(
                field_text(path) or where, f"nested more than {MAX_JSON_DEPTH} levels deep"
            )


def find_invalid_text(document: object) -> tuple[str, str] | None:
    """The path and value of the first key or string that is not valid Unicode, if any."""
    for path, value, _ in _walk(document):
        if isinstance(value, str) and not is_unicode(value):
            return path or "$", value
    return None


def _walk(document: object) -> Iterator[tuple[str, object, int]]:
    """Every container, key and string of a JSON document with its path and depth."""
    stack: list[tuple[object, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            yield path, value, depth
        elif isinstance(value, Mapping):
            yield path, value, depth
            for key, child in value.items():
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str):
                    yield child_path, key, depth + 1
                stack.append((child, child_path, depth + 1))
        elif isinstance(value, list | tuple):
            yield path, value, depth
            stack.extend(
                (child, f"{path}[{index}]", depth + 1) for index, child in enumerate(value)
            )


def is_unicode(text: str) -> bool:
    """Whether ``text`` can be encoded as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    r"""``text`` with lone surrogates written as ``\udxxx`` escapes, safe to encode anywhere."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_alert_time(alert_time: datetime, settings: Settings, *, field: str) -> None:
    """The analysis window around ``alert_time`` must be representable.

    A year-1 alert time parses, but its 14 days of history start before ``datetime.min``:
    every try would fail. Checked where the payload is accepted, so it is refused once.
    ``field`` names where the alert time came from, for the error.

    Raises:
        PayloadError: the window (history, test bin and a margin) leaves the datetime range.
    """
    try:
        daily = daily_window(alert_time, settings.lookback_days, settings.bin_alignment)
        hourly = hourly_window(alert_time, settings.hourly_lookback_hours, settings.bin_alignment)
        _ = min(daily.start, hourly.start) - _WINDOW_MARGIN
        _ = max(daily.end, hourly.end) + _WINDOW_MARGIN
    except (OverflowError, ValueError) as exc:
        raise PayloadError(
            field,
            f"the alert time {alert_time.isoformat()} leaves its analysis window "
            f"({settings.lookback_days} days of history) outside the supported dates "
            "(years 1 to 9999)",
        ) from exc


def field_text(path: str, limit: int = 300) -> str:
    """A JSON path for an error message: printable and at most ``limit`` characters."""
    text = printable(path)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
