"""Structured log events: message text plus custom dimensions, secrets never logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from lookup.observability import format_event, log_event, quiet_sdk_loggers, timed_step

log = logging.getLogger("lookup.test_observability")


def test_format_quotes_only_what_needs_it() -> None:
    assert (
        format_event(
            "lookup done",
            {"tracking_id": "3f2a-11", "queries": 7, "seconds": 1.5, "ok": True, "reason": "a b"},
        )
        == 'lookup done tracking_id=3f2a-11 queries=7 seconds=1.5 ok=true reason="a b"'
    )
    assert format_event("x", {"seconds": 2.0, "path": "/subscriptions/s/x"}) == (
        "x seconds=2 path=/subscriptions/s/x"
    )
    long_value = format_event("x", {"reason": "r" * 1000})
    assert len(long_value) == len('x reason=""') + 300


def test_secret_fields_and_nones_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=log.name)
    log_event(
        log,
        logging.INFO,
        "call",
        status=200,
        access_token="eyJ0eXAi",
        Authorization="Bearer eyJ0eXAi",
        function_key="abc",
        connection_sas="sig=1",
        client_secret="s",
        missing=None,
    )
    (record,) = caplog.records
    assert record.getMessage() == "call status=200"
    assert record.custom_dimensions == {"event": "call", "status": 200}  # type: ignore[attr-defined]


def test_disabled_levels_cost_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    log_event(log, logging.DEBUG, "entities", values="adele")
    assert caplog.records == []


def _ticks() -> Iterator[float]:
    yield from (10.0, 12.25)


def test_timed_step_logs_duration_and_results(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    ticks = _ticks()
    with timed_step(log, "lookup", clock=lambda: next(ticks), incident="i-1") as step:
        step["anomalies"] = 3
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == "lookup done incident=i-1 anomalies=3 seconds=2.25"


def test_timed_step_logs_failures_and_reraises(caplog: pytest.LogCaptureFixture) -> None:
    ticks = _ticks()
    with pytest.raises(KeyError), timed_step(log, "comment written", clock=lambda: next(ticks)):
        raise KeyError("comments")
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.custom_dimensions == {  # type: ignore[attr-defined]
        "event": "comment written failed",
        "seconds": 2.25,
        "error": "KeyError",
        "reason": "'comments'",
    }


def test_sdk_loggers_are_quietened() -> None:
    name = "azure.core.pipeline.policies.http_logging_policy"
    before = logging.getLogger(name).level
    try:
        quiet_sdk_loggers()
        assert logging.getLogger(name).level == logging.WARNING
    finally:
        logging.getLogger(name).setLevel(before)
