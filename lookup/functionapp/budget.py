"""One time budget per invocation: the lookup and the comment write end before the host.

``host.json``'s ``functionTimeout`` (20 minutes) is the hard limit: past it the host kills
the invocation mid-write, the message comes back after the visibility timeout and the
whole lookup runs again. Each queue (and poison) invocation therefore gets one deadline,
:data:`MARGIN_SECONDS` before that limit, and every Azure call of the invocation is held
to it:

* the lookup's own budget (``ANOMALY_LOOKUP_TIME_BUDGET_SECONDS``) is cut, when needed, so
  that it ends :data:`COMMENT_RESERVE_SECONDS` + :data:`LOOKUP_OVERRUN_SECONDS` before the
  deadline; the Log Analytics backend already refuses to start a query or a retry after
  its budget and cuts the server timeout of queries in flight to it;
* the Sentinel calls (list entities, read and write the comment) get the time left until
  the deadline as their total timeout, each HTTP attempt at most
  :data:`~lookup.sentinel.comments.ARM_ATTEMPT_SECONDS`, and a ``Retry-After`` is honoured
  only when it fits (:class:`~lookup.sentinel.comments.BoundedRetryPolicy`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from lookup.settings import Settings

#: ``host.json`` ``functionTimeout``, used when the file cannot be read.
DEFAULT_FUNCTION_TIMEOUT = timedelta(minutes=20)
#: The invocation's deadline is this long before ``functionTimeout``: logging the outcome
#: and returning to the host must not be cut off either.
MARGIN_SECONDS = 60.0
#: Kept after the lookup for rendering the comment and writing it (ARM retries included).
COMMENT_RESERVE_SECONDS = 90.0
#: How long a lookup may run past its own budget: queries in flight end at most a few
#: seconds after it (the backend's deadline grace), then scoring, ranking and the report.
LOOKUP_OVERRUN_SECONDS = 30.0
#: The lookup budget never goes below the smallest valid setting (5 s).
_MIN_LOOKUP_SECONDS = 5.0


@dataclass(frozen=True)
class Budget:
    """The deadline of one invocation, on the monotonic clock."""

    deadline: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def start(
        cls,
        function_timeout: timedelta | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> Budget:
        """The budget of an invocation starting now."""
        timeout = (function_timeout or DEFAULT_FUNCTION_TIMEOUT).total_seconds()
        return cls(clock() + max(timeout - MARGIN_SECONDS, 1.0), clock)

    def remaining(self) -> float:
        """Seconds left until the deadline (negative once past it)."""
        return self.deadline - self.clock()

    def lookup_settings(self, settings: Settings) -> Settings:
        """``settings`` with a time budget that leaves room for the comment.

        Unchanged when the configured budget fits (the default 600 s does within 20
        minutes), so the footer of the comment echoes the configured value.
        """
        left = self.remaining() - COMMENT_RESERVE_SECONDS - LOOKUP_OVERRUN_SECONDS
        if left >= settings.time_budget_seconds:
            return settings
        return settings.with_overrides(
            time_budget_seconds=max(_MIN_LOOKUP_SECONDS, float(math.floor(left)))
        )
