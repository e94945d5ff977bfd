"""The runtime the triggers call: settings, clients and one entry point per trigger.

``function_app.py`` only adapts the Functions runtime's types (``HttpRequest``,
``QueueMessage``, ``EventGridEvent``) to :class:`FunctionRuntime`, which does the rest:

* :meth:`FunctionRuntime.submit` (HTTP ``POST /api/incidents``): size check, parse, find the
  comment target and the Log Analytics workspace, check them against the allow-list, and
  build the queue message. No network call: the answer (202 or 400) is immediate.
* :meth:`FunctionRuntime.submit_event` (Event Grid): the same, for one event.
* :meth:`FunctionRuntime.process_message` (queue trigger): decode the message, check it
  again, and run the work item (:func:`lookup.functionapp.worker.run_work_item`) within the
  invocation's time budget (:mod:`lookup.functionapp.budget`).
* :meth:`FunctionRuntime.handle_poison` (poison-queue trigger): log the incident at ERROR
  and, when the incident has no enrichment comment yet, leave a short failure note in its
  place.
* :meth:`FunctionRuntime.health` (``GET /api/health``): version and configuration problems,
  without secrets (:mod:`lookup.functionapp.health`).

What comes in is untrusted: HTTP bodies and events from whoever holds the function key or
the topic, queue messages from whoever can write to the queue. No input makes a handler
raise; they raise only for what a retry can fix (invalid settings, a failed Azure call).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lookup.errors import PayloadError, SettingsError, SinkError
from lookup.functionapp.budget import Budget
from lookup.functionapp.clients import AzureServices, Services
from lookup.functionapp.health import HealthReport, health
from lookup.functionapp.messages import (
    WorkItem,
    accept_payload,
    check_served,
    decode_message,
    encode_message,
    relocate,
)
from lookup.functionapp.settings import AppSettings
from lookup.functionapp.worker import LookupOutcome, failure_note, run_work_item
from lookup.observability import log_event, timed_step
from lookup.untrusted import check_document, field_text, load_json, printable

log = logging.getLogger(__name__)

#: Largest request body accepted by ``POST /api/incidents``. A trigger body of an incident
#: with 150 alerts (Sentinel's maximum) and their query texts stays well below it.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: ``host.json`` ``extensions.queues.maxDequeueCount``: tries before the poison queue.
MAX_DEQUEUE_COUNT = 5


@dataclass(frozen=True)
class Submission:
    """The HTTP answer to a posted incident, and the queue message when it was accepted."""

    status: int
    body: dict[str, Any]
    message: str | None = None


@dataclass
class FunctionRuntime:
    """Settings, clients and the work of every trigger (see the module docstring)."""

    #: The validated settings, or why they are invalid (the health endpoint shows it; the
    #: work functions raise it).
    settings_or_error: AppSettings | SettingsError
    services_factory: Callable[[AppSettings], Services] = AzureServices
    max_dequeue_count: int = MAX_DEQUEUE_COUNT
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: ``host.json``'s ``functionTimeout``: each queue invocation ends before it.
    function_timeout: timedelta | None = None
    _services: Services | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        function_timeout: timedelta | None = None,
    ) -> FunctionRuntime:
        """Read and validate the settings once (at import of the function app)."""
        try:
            settings: AppSettings | SettingsError = AppSettings.from_env(environ)
        except SettingsError as exc:
            log_event(log, logging.ERROR, "invalid setting", setting=exc.name, reason=exc.message)
            settings = exc
        return cls(settings, function_timeout=function_timeout)

    @property
    def settings(self) -> AppSettings:
        """The settings; raises the :class:`SettingsError` found at start-up, if any."""
        if isinstance(self.settings_or_error, SettingsError):
            raise self.settings_or_error
        return self.settings_or_error

    @property
    def services(self) -> Services:
        """The clients, built on first use."""
        with self._lock:
            if self._services is None:
                self._services = self.services_factory(self.settings)
            return self._services

    def budget(self) -> Budget:
        """The time budget of an invocation starting now."""
        return Budget.start(self.function_timeout)

    # -- HTTP ------------------------------------------------------------------------------

    def submit(self, body: bytes, *, source: str = "http") -> Submission:
        """Validate a posted incident: 202 with a tracking id and a message, or 400/500.

        Every body gets an answer: bad input is a 400 naming the field, an invalid setting a
        500 naming it; an unexpected failure is logged with its traceback and answered 400
        (retrying the same body cannot help).
        """
        started = time.monotonic()
        if len(body) > MAX_BODY_BYTES:
            log_event(log, logging.WARNING, "incident rejected", field="$", bytes=len(body))
            return Submission(
                400,
                _error(
                    "payload_too_large",
                    "$",
                    f"the body has {len(body):,} bytes; at most {MAX_BODY_BYTES:,} are accepted",
                ),
            )
        try:
            settings = self.settings
            item, message = self._accept(bytes(body), settings, source)
        except SettingsError as exc:
            return Submission(500, _error("misconfigured", exc.name, exc.message))
        except PayloadError as exc:
            _log_rejected(logging.WARNING, "incident rejected", exc)
            return Submission(400, _error("bad_payload", exc.field, exc.message))
        except Exception:  # a bug: logged with its traceback, answered without one
            log_event(log, logging.ERROR, "incident rejected", field="$", exc_info=True)
            return Submission(400, _error("bad_payload", "$", "the payload could not be processed"))
        _log_accepted(
            item,
            source,
            number=item.incident.number,
            entities=len(item.incident.entities) if item.has_entities else None,
            message_bytes=len(message.encode("utf-8")),
            seconds=round(time.monotonic() - started, 3),
        )
        return Submission(202, _accepted(item), message)

    def _accept(self, payload: object, settings: AppSettings, source: str) -> tuple[WorkItem, str]:
        """The work item and queue message of a payload (bytes are parsed first).

        Raises:
            PayloadError: the payload cannot be used or is not served.
            SettingsError: the function serves no workspace.
        """
        if isinstance(payload, bytes):
            document = load_json(payload, unicode=False)
        else:
            document = payload
            check_document(document, unicode=False)
        item = accept_payload(document, settings, source=source, now=self.clock())
        try:
            return item, encode_message(item)
        except PayloadError as exc:
            raise relocate(exc, document) from exc

    # -- Event Grid --------------------------------------------------------------------------

    def submit_event(self, envelope: Mapping[str, Any]) -> str | None:
        """The queue message for an event, or ``None`` (logged at ERROR) for a bad event.

        A malformed or unserved event is not raised, nor is an unexpected failure: Event
        Grid would redeliver it for a day, and no redelivery can fix it.

        Raises:
            SettingsError: the settings are invalid, or serve no workspace (a fixed
                configuration makes a redelivery succeed).
        """
        settings = self.settings
        event_id = envelope.get("id") if isinstance(envelope, Mapping) else None
        try:
            item, message = self._accept(dict(envelope), settings, "eventgrid")
        except SettingsError:
            raise
        except PayloadError as exc:
            _log_rejected(logging.ERROR, "event rejected", exc, event_id=_short(event_id))
            return None
        except Exception:
            log_event(
                log, logging.ERROR, "event rejected", event_id=_short(event_id), exc_info=True
            )
            return None
        _log_accepted(item, "eventgrid", event_id=_short(event_id))
        return message

    # -- queue ---------------------------------------------------------------------------------

    def process_message(
        self, body: bytes | str, *, message_id: str | None = None, dequeue_count: int | None = None
    ) -> LookupOutcome | None:
        """Run the lookup of one queue message and write the comment, within one budget.

        A message that is not ours, or that the allow-list does not serve, is logged at
        ERROR and dropped (``None``): no retry can change it. So is a work item that ARM
        refuses for good (``SinkError.permanent``: 400, 404, 409, 412): running the lookup
        again would send the same request.

        Raises (so the queue retries, then moves the message to the poison queue):
            SettingsError: the settings are invalid.
            SinkError, WorkspaceError, AnomalyLookupError: the work failed, and another
                try may succeed.
        """
        settings = self.settings
        item = self._served_item(body, settings, message_id, "queue message refused")
        if item is None:
            return None
        budget = self.budget()
        try:
            with timed_step(
                log,
                "incident processed",
                tracking_id=item.tracking_id,
                incident=item.target.arm_id,
                number=item.incident.number,
                dequeue_count=dequeue_count,
            ) as step:
                outcome = run_work_item(item, settings, self.services, budget)
                step.update(anomalies=len(outcome.report.anomalies), comment=outcome.write.status)
        except SinkError as exc:
            if not exc.permanent:
                raise
            log_event(
                log,
                logging.ERROR,
                "incident dropped",
                tracking_id=item.tracking_id,
                incident=item.target.arm_id,
                message_id=message_id,
                status=exc.status,
                reason=printable(str(exc)),
            )
            return None
        return outcome

    def _served_item(
        self, body: bytes | str, settings: AppSettings, message_id: str | None, event: str
    ) -> WorkItem | None:
        """The work item of a queue message, or ``None`` (logged at ERROR) if unusable."""
        try:
            item = decode_message(body)
            check_served(item, settings)
        except PayloadError as exc:
            _log_rejected(logging.ERROR, event, exc, message_id=_short(message_id))
            return None
        return item

    def handle_poison(
        self, body: bytes | str, *, message_id: str | None = None, dequeue_count: int | None = None
    ) -> bool:
        """Log a message that failed every try; leave a failure note if there is no comment.

        Never raises: the failure is already final, and a poison message that fails again
        would only be moved to yet another queue. Returns whether a note was written.
        """
        try:
            return self._handle_poison(body, message_id)
        except Exception:
            log_event(
                log,
                logging.ERROR,
                "lookup failed for good",
                message_id=_short(message_id),
                reason="the poison message could not be handled",
                exc_info=True,
            )
            return False

    def _handle_poison(self, body: bytes | str, message_id: str | None) -> bool:
        try:
            item = decode_message(body)
        except PayloadError as exc:
            log_event(
                log,
                logging.ERROR,
                "lookup failed for good",
                message_id=_short(message_id),
                reason=printable(f"unreadable message: {exc}"),
            )
            return False
        log_event(
            log,
            logging.ERROR,
            "lookup failed for good",
            tracking_id=printable(item.tracking_id),
            incident=item.target.arm_id,
            number=item.incident.number,
            message_id=_short(message_id),
            attempts=self.max_dequeue_count,
        )
        try:
            check_served(item, self.settings)
        except (PayloadError, SettingsError) as exc:
            # Crafted or stale: no note goes to an incident the function does not serve.
            log_event(log, logging.ERROR, "failure note skipped", reason=printable(str(exc))[:300])
            return False
        return self._leave_failure_note(item)

    def _leave_failure_note(self, item: WorkItem) -> bool:
        """Write the failure note unless the incident already has its enrichment comment."""
        budget = self.budget()
        try:
            sentinel = self.services.incidents(item.target.subscription_id)
            if sentinel.comment_exists(item.target, deadline=budget.deadline):
                # An earlier run's enrichment is worth more than a failure note.
                log_event(
                    log,
                    logging.INFO,
                    "failure note skipped",
                    tracking_id=printable(item.tracking_id),
                    reason="the incident already has an enrichment comment",
                )
                return False
            note = failure_note(item, self.max_dequeue_count)
            sentinel.write_comment(item.target, note, deadline=budget.deadline)
        except (SinkError, SettingsError) as exc:
            log_event(
                log,
                logging.ERROR,
                "failure note not written",
                tracking_id=printable(item.tracking_id),
                incident=item.target.arm_id,
                reason=printable(str(exc)),
            )
            return False
        log_event(
            log, logging.INFO, "failure note written", tracking_id=printable(item.tracking_id)
        )
        return True

    # -- health ----------------------------------------------------------------------------------

    def health(
        self, environ: Mapping[str, str], *, function_timeout: timedelta | None = None
    ) -> HealthReport:
        """Version, configuration and problems; never a secret (keys, connection strings).

        ``function_timeout`` is ``host.json``'s ``functionTimeout``: a time budget that
        cannot finish within it is a problem.
        """
        return health(self.settings_or_error, environ, function_timeout=function_timeout)


def _accepted(item: WorkItem) -> dict[str, Any]:
    """The body of the 202 answer."""
    return {
        "status": "accepted",
        "trackingId": item.tracking_id,
        "incident": {
            "id": item.target.arm_id,
            "number": item.incident.number,
            "commentId": item.comment_id,
        },
        "workspaceId": item.workspace_id,
        "entities": len(item.incident.entities) if item.has_entities else None,
        "entitiesFrom": "payload" if item.has_entities else "list-entities API",
    }


def _error(code: str, field_name: str, message: str) -> dict[str, Any]:
    """An error body; always encodable (no lone surrogate from a crafted key gets through)."""
    return {"error": {"code": code, "field": field_text(field_name), "message": printable(message)}}


def _log_accepted(item: WorkItem, source: str, **fields: object) -> None:
    fields.update(tracking_id=item.tracking_id, incident=item.target.arm_id, source=source)
    log_event(log, logging.INFO, "incident accepted", exc_info=False, **fields)


def _log_rejected(
    level: int,
    event: str,
    exc: PayloadError,
    *,
    event_id: str | None = None,
    message_id: str | None = None,
) -> None:
    log_event(
        log,
        level,
        event,
        event_id=event_id,
        message_id=message_id,
        field=field_text(exc.field),
        reason=printable(exc.message),
    )


def _short(value: object) -> str | None:
    """An id from the outside world, made safe to log."""
    return None if value is None else field_text(str(value), 200)
