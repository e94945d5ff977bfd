"""The retry policy of the Sentinel (Resource Manager) client: retries that fit a deadline.

azure-core's ``RetryPolicy`` bounds the *number* of tries, not their time: each attempt may
wait ``read_timeout`` (300 s by default, so an endpoint that accepts a request and never
answers held one comment write for 1,207 s), and it sleeps whatever ``Retry-After`` says
(``Retry-After: 3600`` five times over). :class:`BoundedRetryPolicy` keeps its counting
and backoff and adds a total deadline, taken from the per-call ``timeout`` keyword that
azure-core already understands (:class:`~lookup.sentinel.comments.SentinelIncidents` passes
the time its caller has left):

* every attempt's connect and read timeouts are cut to :data:`ARM_ATTEMPT_SECONDS` and to
  the time left;
* a ``Retry-After`` longer than :data:`MAX_RETRY_AFTER_SECONDS`, or a wait (``Retry-After``
  or backoff) that would end past the deadline, is not waited for: the answer (429, 503)
  is returned as it is and the caller raises it with its status, for the queue to retry
  later, instead of sleeping past the point where the host kills the function.

Imported only where a client is built: importing azure-core costs time on a cold start.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

#: Longest single HTTP attempt (connect or read) on Resource Manager, in seconds. ARM
#: answers a comment PUT in about a second; a minute without an answer is a hung request.
ARM_ATTEMPT_SECONDS = 60.0
#: Longest ``Retry-After`` waited for, in seconds; a longer one ends the call at once.
MAX_RETRY_AFTER_SECONDS = 60.0


class BoundedRetryPolicy(RetryPolicy[Any, Any]):
    """``RetryPolicy`` whose waits and attempts never outlast the call's ``timeout``."""

    def __init__(
        self,
        *,
        attempt_timeout: float = ARM_ATTEMPT_SECONDS,
        max_retry_after: float = MAX_RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        """A retry policy whose attempts and waits fit the call's ``timeout``.

        ``attempt_timeout`` and ``max_retry_after`` are in seconds; ``clock`` measures the
        deadline (tests pass one that the transport's recorded sleeps advance); the other
        keywords are ``RetryPolicy``'s (``retry_total``, ``retry_backoff_factor``, ...).
        """
        super().__init__(**kwargs)
        self.attempt_timeout = attempt_timeout
        self.max_retry_after = max_retry_after
        self.clock = clock

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        """The retry settings, plus the call's deadline (``time.monotonic``)."""
        settings: dict[str, Any] = super().configure_retries(options)
        settings["deadline"] = self.clock() + float(settings["timeout"])
        return settings

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        """Retry as azure-core would, unless the wait is too long or ends past the deadline."""
        if not super().is_retry(settings, response):
            return False
        retry_after = self.get_retry_after(response)
        if retry_after is not None and retry_after > self.max_retry_after:
            return False
        if retry_after is None:
            # The backoff the next sleep will use (after this failure is counted).
            upcoming = {**settings, "history": [*settings["history"], None]}
            wait = self.get_backoff_time(upcoming)
        else:
            wait = retry_after
        return bool(self.clock() + wait < settings["deadline"])

    def sleep(
        self,
        settings: dict[str, Any],
        transport: Any,
        response: PipelineResponse[Any, Any] | None = None,
    ) -> None:
        """Wait ``Retry-After`` (or the backoff), never past the deadline."""
        retry_after = self.get_retry_after(response) if response is not None else None
        wait = retry_after if retry_after else self.get_backoff_time(settings)
        wait = min(wait, max(0.0, settings["deadline"] - self.clock()))
        if wait > 0:
            transport.sleep(wait)

    def _configure_timeout(
        self, request: PipelineRequest[Any], absolute_timeout: float, is_response_error: bool
    ) -> None:
        super()._configure_timeout(request, absolute_timeout, is_response_error)
        cap = max(0.001, min(self.attempt_timeout, absolute_timeout))
        options: dict[str, Any] = request.context.options
        for name in ("connection_timeout", "read_timeout"):
            current = options.get(name)
            options[name] = cap if not current else min(float(current), cap)


def bounded_retry_policy(settings: Mapping[str, Any], **overrides: Any) -> BoundedRetryPolicy:
    """A :class:`BoundedRetryPolicy` from retry keywords (``retry_total`` ...), overridable."""
    return BoundedRetryPolicy(**{**settings, **overrides})
