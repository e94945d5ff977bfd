"""Structured logging for the function app: one event per step, with its timing.

Every event is one log record whose message reads ``<event> key=value key=value`` (what
Application Insights shows in ``traces.message``) and whose fields also travel in
``extra["custom_dimensions"]`` (what OpenTelemetry / the Azure Monitor exporters turn into
``customDimensions``). Values are short scalars: ids, counts, seconds, statuses.

Rules the callers follow, and :func:`log_event` enforces where it can:

* entity values (account names, IP addresses, ...) are logged only at DEBUG;
* tokens, keys and connection strings are never logged: fields whose name looks like a
  secret are dropped, whatever the level.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

#: Field names that are never logged (matched case-insensitively, anywhere in the name).
_SECRET_FIELD = re.compile(
    r"token|secret|password|authorization|credential|key|sas|signature", re.I
)
#: Longest text value written into a message; longer ones are cut with an ellipsis.
MAX_VALUE_CHARS = 300

#: SDK loggers that log every HTTP request at INFO (headers redacted, but noisy and costly
#: in Application Insights); the function app keeps them at WARNING.
NOISY_LOGGERS = (
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.identity",
    "azure.monitor.query",
    "azure.mgmt.securityinsight",
    "msrest",
    "urllib3",
)


def quiet_sdk_loggers(level: int = logging.WARNING) -> None:
    """Raise the SDK loggers of :data:`NOISY_LOGGERS` to ``level``."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(level)


def _format_value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "nan"
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    if text and re.fullmatch(r"[\w.:/@\-+#]+", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def safe_fields(fields: Mapping[str, object]) -> dict[str, object]:
    """The fields without secret-looking names and without ``None`` values."""
    return {
        name: value
        for name, value in fields.items()
        if value is not None and not _SECRET_FIELD.search(name)
    }


def format_event(event: str, fields: Mapping[str, object]) -> str:
    """``event key=value ...`` with values quoted when they contain spaces or symbols."""
    parts = [event, *(f"{name}={_format_value(value)}" for name, value in fields.items())]
    return " ".join(parts)


def log_event(
    logger: logging.Logger,
    level: int,
    event: str,
    /,
    *,
    exc_info: bool = False,
    **fields: object,
) -> None:
    """Log one structured event (see the module docstring)."""
    if not logger.isEnabledFor(level):
        return
    kept = safe_fields(fields)
    logger.log(
        level,
        format_event(event, kept),
        extra={"custom_dimensions": {"event": event, **kept}},
        exc_info=exc_info,
    )


@contextmanager
def timed_step(
    logger: logging.Logger,
    step: str,
    /,
    *,
    clock: Callable[[], float] = time.monotonic,
    **fields: object,
) -> Iterator[dict[str, Any]]:
    """Time one step and log ``<step> done`` (INFO) or ``<step> failed`` (WARNING).

    The body may add result fields (rows, anomalies, status) to the yielded dict; they are
    logged with ``seconds``. A failure is logged with the exception's type and re-raised.
    """
    started = clock()
    out: dict[str, Any] = dict(fields)
    try:
        yield out
    except Exception as exc:
        log_event(
            logger,
            logging.WARNING,
            f"{step} failed",
            **out,
            seconds=round(clock() - started, 3),
            error=type(exc).__name__,
            reason=str(exc),
        )
        raise
    log_event(logger, logging.INFO, f"{step} done", **out, seconds=round(clock() - started, 3))
