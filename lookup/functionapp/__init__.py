"""The function app's work, without the Functions runtime: accept, queue, look up, comment.

``function_app.py`` (the triggers) calls :class:`FunctionRuntime`; one concern per module:

* :mod:`~lookup.functionapp.settings` — :class:`AppSettings`, what the app is deployed with
  (workspace, allow-list, endpoints, queue, identity) around the lookup's
  :class:`~lookup.settings.Settings`;
* :mod:`~lookup.functionapp.workspaces` — the workspaces the function serves
  (``ANOMALY_LOOKUP_ALLOWED_WORKSPACES``) and the check every incident passes;
* :mod:`~lookup.functionapp.messages` — :class:`WorkItem` and the queue message format
  (:func:`accept_payload`, :func:`encode_message`, :func:`decode_message`);
* :mod:`~lookup.functionapp.budget` — one time budget per invocation, below
  ``functionTimeout``;
* :mod:`~lookup.functionapp.clients` — :class:`Services`, and :class:`AzureServices` on the
  credential and clients :mod:`lookup.azure_clients` builds;
* :mod:`~lookup.functionapp.worker` — :func:`run_work_item`: list entities, look up, render,
  comment; :func:`failure_note`;
* :mod:`~lookup.functionapp.runtime` — :class:`FunctionRuntime`, one entry point per trigger;
* :mod:`~lookup.functionapp.health` — ``GET /api/health`` and ``host.json``'s timeout.
"""

from __future__ import annotations

from lookup.functionapp.clients import AzureServices, Services
from lookup.functionapp.health import HealthReport, function_timeout_of
from lookup.functionapp.messages import (
    MAX_MESSAGE_BYTES,
    MESSAGE_SCHEMA,
    WorkItem,
    accept_payload,
    decode_message,
    encode_message,
)
from lookup.functionapp.runtime import (
    MAX_BODY_BYTES,
    MAX_DEQUEUE_COUNT,
    FunctionRuntime,
    Submission,
)
from lookup.functionapp.settings import AppSettings
from lookup.functionapp.worker import LookupOutcome, comment_links, failure_note, run_work_item

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEQUEUE_COUNT",
    "MAX_MESSAGE_BYTES",
    "MESSAGE_SCHEMA",
    "AppSettings",
    "AzureServices",
    "FunctionRuntime",
    "HealthReport",
    "LookupOutcome",
    "Services",
    "Submission",
    "WorkItem",
    "accept_payload",
    "comment_links",
    "decode_message",
    "encode_message",
    "failure_note",
    "function_timeout_of",
    "run_work_item",
]
