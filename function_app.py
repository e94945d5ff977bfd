"""Azure Functions entry point (Python v2 programming model): the triggers, nothing else.

An automation rule runs the playbook on a new incident; the playbook posts the incident
trigger body to ``POST /api/incidents``; that answers 202 and queues the work; the queue
trigger runs the anomaly lookup on the workspace and writes the ranked anomalies as an
incident comment. The work itself is :class:`lookup.functionapp.FunctionRuntime`.

Functions (names matter: the playbook lists the key of ``incidents``):

* ``incidents``: HTTP ``POST /api/incidents`` (function key) → 202 + queue message, or 400.
* ``incident_events``: Event Grid trigger (Event Grid schema or CloudEvents) → queue message.
* ``lookup_worker``: queue trigger on ``%ANOMALY_LOOKUP_QUEUE_NAME%`` → lookup + comment.
* ``lookup_poison``: queue trigger on ``%ANOMALY_LOOKUP_QUEUE_NAME%-poison`` → ERROR log and
  a failure note on an incident that has no enrichment yet.
* ``health``: HTTP ``GET /api/health`` (function key) → version and configuration problems.

Settings are read and validated once, here at import; clients are built on first use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import azure.functions as func

from lookup.functionapp import FunctionRuntime, function_timeout_of
from lookup.observability import quiet_sdk_loggers

#: The work queue and its poison queue, named by the ANOMALY_LOOKUP_QUEUE_NAME app setting.
QUEUE_NAME = "%ANOMALY_LOOKUP_QUEUE_NAME%"
POISON_QUEUE_NAME = "%ANOMALY_LOOKUP_QUEUE_NAME%-poison"
#: The host storage connection (identity-based in Azure: AzureWebJobsStorage__*).
STORAGE_CONNECTION = "AzureWebJobsStorage"
HOST_JSON = Path(__file__).resolve().with_name("host.json")

quiet_sdk_loggers()
runtime = FunctionRuntime.from_env(function_timeout=function_timeout_of(HOST_JSON))
app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def _json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers=headers,
        mimetype="application/json",
        charset="utf-8",
    )


@app.function_name(name="incidents")
@app.route(route="incidents", methods=[func.HttpMethod.POST])
@app.queue_output(arg_name="msg", queue_name=QUEUE_NAME, connection=STORAGE_CONNECTION)
def incidents(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
    """Accept an incident: 202 with a tracking id and one queued message, or 400."""
    submission = runtime.submit(req.get_body())
    headers = {}
    if submission.message is not None:
        msg.set(submission.message)
        headers["X-Tracking-Id"] = str(submission.body["trackingId"])
    return _json_response(submission.status, submission.body, headers)


def _event_envelope(event: func.EventGridEvent | func.CloudEvent) -> dict[str, Any]:
    """The event as the payload parser reads it (both schemas arrive on this binding)."""
    if isinstance(event, func.CloudEvent):
        envelope: dict[str, Any] = {
            "specversion": event.specversion,
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "subject": event.subject,
        }
        data = event.get_json()
        encoded = event.extension_attrs.get("data_base64")
        if data is None and encoded is not None:
            envelope["data_base64"] = encoded
        else:
            envelope["data"] = data
        return envelope
    return {
        "id": event.id,
        "eventType": event.event_type,
        "subject": event.subject,
        "topic": event.topic,
        "data": event.get_json(),
    }


@app.function_name(name="incident_events")
@app.event_grid_trigger(arg_name="event")
@app.queue_output(arg_name="msg", queue_name=QUEUE_NAME, connection=STORAGE_CONNECTION)
def incident_events(event: func.EventGridEvent, msg: func.Out[str]) -> None:
    """Queue the lookup of an incident delivered as an Event Grid event or a CloudEvent."""
    message = runtime.submit_event(_event_envelope(event))
    if message is not None:
        msg.set(message)


@app.function_name(name="lookup_worker")
@app.queue_trigger(arg_name="msg", queue_name=QUEUE_NAME, connection=STORAGE_CONNECTION)
def lookup_worker(msg: func.QueueMessage) -> None:
    """Run the lookup of one queued incident and write its comment (raises to retry)."""
    runtime.process_message(
        msg.get_body(), message_id=msg.id, dequeue_count=getattr(msg, "dequeue_count", None)
    )


@app.function_name(name="lookup_poison")
@app.queue_trigger(arg_name="msg", queue_name=POISON_QUEUE_NAME, connection=STORAGE_CONNECTION)
def lookup_poison(msg: func.QueueMessage) -> None:
    """Log an incident whose lookup failed every try; leave a note where none exists."""
    runtime.handle_poison(
        msg.get_body(), message_id=msg.id, dequeue_count=getattr(msg, "dequeue_count", None)
    )


@app.function_name(name="health")
@app.route(route="health", methods=[func.HttpMethod.GET])
def health(req: func.HttpRequest) -> func.HttpResponse:
    """Version and configuration problems (200 when healthy, 503 otherwise), no secrets."""
    report = runtime.health(os.environ, function_timeout=function_timeout_of(HOST_JSON))
    return _json_response(report.status, report.body)
