"""The function app's work, without the Functions runtime: accept, queue, look up, comment.

``function_app.py`` only adapts the runtime's types (``HttpRequest``, ``QueueMessage``,
``EventGridEvent``) to :class:`FunctionRuntime`, which does the rest:

* :meth:`FunctionRuntime.submit` (HTTP ``POST /api/incidents``): size check, parse, find the
  comment target and the Log Analytics workspace, and build the queue message. No network
  call: the answer (202 or 400) is immediate.
* :meth:`FunctionRuntime.process_message` (queue trigger): decode the message, list the
  incident's entities if the payload had none, run the lookup on the workspace, render the
  comment and create-or-update it.
* :meth:`FunctionRuntime.handle_poison` (poison-queue trigger): log the incident at ERROR
  and, when the incident has no enrichment comment yet, leave a short failure note in its
  place.
* :meth:`FunctionRuntime.health` (``GET /api/health``): version and configuration problems,
  without secrets.

The queue message (:func:`encode_message`) carries the *parsed* incident, not the raw
payload: trigger bodies of large incidents hold every alert with its query text and can
exceed a Storage queue message (64 KiB after the runtime's Base64 encoding), while the
parsed incident is a few hundred bytes per entity. If even that is too large, the entities
are left out and the worker lists them with the incident list-entities API.

Clients are built lazily by :class:`AzureServices` (managed identity through
``DefaultAzureCredential``); tests inject one pointing at local fakes.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lookup import __version__
from lookup.errors import PayloadError, SettingsError, SinkError
from lookup.models import Entity, EntityKind, Incident, SkippedEntity, WorkspaceRef
from lookup.observability import log_event, timed_step
from lookup.sentinel.comments import (
    ARM_RETRY_SETTINGS,
    CommentWrite,
    IncidentRef,
    SentinelIncidents,
    comment_id_for,
)
from lookup.sentinel.payload import parse_incident, parse_timestamp
from lookup.settings import (
    ENV_MANAGED_IDENTITY_CLIENT_ID,
    ENV_TIME_BUDGET_SECONDS,
    ENV_WORKSPACE_ID,
    Settings,
)

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from lookup.backends.base import Backend
    from lookup.report import Report

log = logging.getLogger(__name__)

#: Largest request body accepted by ``POST /api/incidents``. A trigger body of an incident
#: with 150 alerts (Sentinel's maximum) and their query texts stays well below it.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: Version tag of the queue message layout.
MESSAGE_SCHEMA = "anomaly-lookup/incident@1"
#: Largest queue message written, in UTF-8 bytes: Storage allows 64 KiB per message and the
#: Functions runtime Base64-encodes it (4/3), which leaves 49,152 bytes; kept below that.
MAX_MESSAGE_BYTES = 48_000
#: ``host.json`` ``extensions.queues.maxDequeueCount``: tries before the poison queue.
MAX_DEQUEUE_COUNT = 5
#: Seconds a lookup may run past its time budget: queries in flight when the budget ends
#: (up to the query timeout), then rendering and writing the comment.
BUDGET_SLACK_SECONDS = 60

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TITLE_CHARS_WHEN_TRIMMED = 500

#: Portal of each Azure cloud, by the host of its Resource Manager endpoint.
_PORTALS = {
    "management.azure.com": "https://portal.azure.com",
    "management.usgovcloudapi.net": "https://portal.azure.us",
    "management.chinacloudapi.cn": "https://portal.azure.cn",
}


# --- the work item and its queue message ---------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    """One accepted incident: what the queue carries from the HTTP trigger to the worker."""

    tracking_id: str
    incident: Incident
    target: IncidentRef
    #: The Log Analytics workspace (customer id) the lookup queries.
    workspace_id: str
    received_at: datetime
    #: ``http`` or ``eventgrid``.
    source: str
    #: ``False`` when the entities must be listed with the API before the lookup (the
    #: payload had none, or they were left out of the message for size).
    has_entities: bool = True

    @property
    def comment_id(self) -> str:
        """The id of the incident's enrichment comment."""
        return comment_id_for(self.target)


def accept_payload(
    payload: object,
    settings: Settings,
    *,
    source: str,
    tracking_id: str | None = None,
    now: datetime | None = None,
) -> WorkItem:
    """Validate an incident payload (any accepted shape) into a :class:`WorkItem`.

    Checks what the lookup and the comment need: a parseable incident, its ARM coordinates,
    and a Log Analytics workspace id (the payload's ``workspaceId``, else the configured
    default ``ANOMALY_LOOKUP_WORKSPACE_ID``).

    Raises:
        PayloadError: the payload cannot be used; ``field`` names the JSON path to fix.
    """
    incident = parse_incident(payload)
    try:
        workspace_id = _workspace_id(incident, settings)
        target = IncidentRef.from_incident(incident)
    except PayloadError as exc:
        raise _with_payload_path(exc, payload) from exc
    return WorkItem(
        tracking_id=tracking_id or str(uuid.uuid4()),
        incident=incident,
        target=target,
        workspace_id=workspace_id,
        received_at=now or datetime.now(UTC),
        source=source,
        has_entities=bool(incident.entities or incident.skipped_entities),
    )


def _workspace_id(incident: Incident, settings: Settings) -> str:
    workspace_id = incident.workspace.workspace_id
    if workspace_id is None:
        if settings.workspace_id is None:
            raise PayloadError(
                "workspaceId",
                "missing: the payload names no Log Analytics workspace and no default is "
                f"configured ({ENV_WORKSPACE_ID})",
            )
        return settings.workspace_id
    if not _GUID.match(workspace_id):
        raise PayloadError(
            "workspaceId", f"not a Log Analytics workspace id (a GUID): {workspace_id[:80]!r}"
        )
    return workspace_id


def _with_payload_path(error: PayloadError, payload: object) -> PayloadError:
    """The same error, with ``field`` replaced by where the bad value sits in the payload.

    Coordinates checked after parsing (workspace id, ARM names) may come from different
    fields (``workspaceInfo`` or the incident's ARM id) and under wrappers (``body``,
    ``data``); the path of the value as posted is what the caller can fix.
    """
    value = _offending_value(error)
    if value is None:
        return error
    try:
        document = json.loads(payload) if isinstance(payload, str | bytes) else payload
    except ValueError:
        return error
    exact: list[str] = []
    partial: list[str] = []
    _find_value(document, value, "", exact, partial)
    leaf = error.field.rsplit(".", 1)[-1].lower()
    named = [path for path in exact if re.split(r"[.\[]", path)[-1].lower() == leaf]
    candidates = named or exact or partial
    if not candidates:
        return error
    return PayloadError(candidates[0], error.message)


def _offending_value(error: PayloadError) -> str | None:
    match = re.search(r": '(.+)'$", error.message)
    return match.group(1) if match else None


def _find_value(
    document: object, value: str, path: str, exact: list[str], partial: list[str]
) -> None:
    """Collect the paths of strings equal to ``value`` and of strings containing it."""
    if isinstance(document, str):
        if document == value:
            exact.append(path or "$")
        elif value in document:
            partial.append(path or "$")
    elif isinstance(document, Mapping):
        for key, child in document.items():
            _find_value(child, value, f"{path}.{key}" if path else str(key), exact, partial)
    elif isinstance(document, list):
        for index, child in enumerate(document):
            _find_value(child, value, f"{path}[{index}]", exact, partial)


def encode_message(item: WorkItem) -> str:
    """The queue message for a work item: compact JSON, at most :data:`MAX_MESSAGE_BYTES`.

    Too large a message leaves the entities out (the worker lists them with the API), then
    shortens the title and drops the incident URL.

    Raises:
        PayloadError: the message cannot be made small enough (only for absurd ids).
    """
    incident = item.incident
    body = _message_dict(item)
    text = _dumps(body)
    if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES and item.has_entities:
        body["incident"]["entities"] = None
        body["incident"]["skippedEntities"] = []
        body["entitiesTrimmed"] = True
        text = _dumps(body)
    if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
        body["incident"]["title"] = (incident.title or "")[:_TITLE_CHARS_WHEN_TRIMMED] or None
        body["incident"]["url"] = None
        text = _dumps(body)
    if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise PayloadError("$", "the incident's identifiers are too long to queue")
    return text


def _dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _message_dict(item: WorkItem) -> dict[str, Any]:
    incident = item.incident
    workspace = incident.workspace
    return {
        "schema": MESSAGE_SCHEMA,
        "trackingId": item.tracking_id,
        "receivedAt": _iso(item.received_at),
        "source": item.source,
        "workspaceId": item.workspace_id,
        "incident": {
            "armId": incident.arm_id,
            "name": incident.name,
            "number": incident.number,
            "title": incident.title,
            "severity": incident.severity,
            "url": incident.url,
            "alertTime": _iso(incident.alert_time),
            "alertTimeSource": incident.alert_time_source,
            "workspace": {
                "workspaceId": workspace.workspace_id,
                "subscriptionId": workspace.subscription_id,
                "resourceGroup": workspace.resource_group,
                "workspaceName": workspace.workspace_name,
            },
            "entities": (
                [
                    {"kind": str(e.kind), "value": e.value, "identifiers": list(e.identifiers)}
                    for e in incident.entities
                ]
                if item.has_entities
                else None
            ),
            "skippedEntities": [
                {"kind": s.kind, "reason": s.reason, "name": s.name}
                for s in incident.skipped_entities
            ],
        },
    }


def decode_message(body: bytes | str) -> WorkItem:
    """The work item of a queue message written by :func:`encode_message`.

    Raises:
        PayloadError: the message is not one of ours (``field`` names the culprit).
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError("$", f"the queue message is not JSON: {exc}") from exc
    reader = _Reader(document, "")
    schema = reader.text("schema")
    if schema != MESSAGE_SCHEMA:
        raise PayloadError("schema", f"expected {MESSAGE_SCHEMA!r}, got {schema!r}")
    raw = reader.sub("incident")
    workspace = raw.sub("workspace")
    raw_entities = raw.get("entities")
    entities: list[Entity] = []
    if raw_entities is not None:
        for index, entry in enumerate(raw.items("entities")):
            item = _Reader(entry, f"incident.entities[{index}]")
            try:
                kind = EntityKind(item.text("kind"))
            except ValueError as exc:
                raise PayloadError(item.path("kind"), "unknown entity kind") from exc
            identifiers = tuple(item.text_list("identifiers"))
            entities.append(Entity(kind, item.text("value"), identifiers))
    skipped = []
    for index, entry in enumerate(raw.items("skippedEntities")):
        item = _Reader(entry, f"incident.skippedEntities[{index}]")
        skipped.append(SkippedEntity(item.text("kind"), item.text("reason"), item.opt_text("name")))
    number = raw.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise PayloadError("incident.number", "expected an integer")
    incident = Incident(
        alert_time=reader.time(raw, "alertTime"),
        alert_time_source=raw.text("alertTimeSource"),
        entities=tuple(entities),
        skipped_entities=tuple(skipped),
        arm_id=raw.opt_text("armId"),
        name=raw.opt_text("name"),
        number=number,
        title=raw.opt_text("title"),
        severity=raw.opt_text("severity"),
        url=raw.opt_text("url"),
        workspace=WorkspaceRef(
            workspace.opt_text("workspaceId"),
            workspace.opt_text("subscriptionId"),
            workspace.opt_text("resourceGroup"),
            workspace.opt_text("workspaceName"),
        ),
    )
    workspace_id = reader.text("workspaceId")
    if not _GUID.match(workspace_id):
        raise PayloadError("workspaceId", "not a workspace id GUID")
    return WorkItem(
        tracking_id=reader.text("trackingId"),
        incident=incident,
        target=IncidentRef.from_incident(incident),
        workspace_id=workspace_id,
        received_at=reader.time(reader, "receivedAt"),
        source=reader.text("source"),
        has_entities=raw_entities is not None,
    )


class _Reader:
    """Typed access to one object of a queue message, with error paths."""

    def __init__(self, value: object, prefix: str) -> None:
        if not isinstance(value, Mapping):
            raise PayloadError(prefix or "$", "expected an object")
        self.value: Mapping[str, object] = value
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def get(self, key: str) -> object:
        return self.value.get(key)

    def sub(self, key: str) -> _Reader:
        return _Reader(self.value.get(key), self.path(key))

    def text(self, key: str) -> str:
        value = self.value.get(key)
        if not isinstance(value, str):
            raise PayloadError(self.path(key), "expected a string")
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.value.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise PayloadError(self.path(key), "expected a string or null")
        return value

    def items(self, key: str) -> list[object]:
        value = self.value.get(key)
        if not isinstance(value, list):
            raise PayloadError(self.path(key), "expected an array")
        return value

    def text_list(self, key: str) -> list[str]:
        values = self.items(key)
        if not all(isinstance(v, str) for v in values):
            raise PayloadError(self.path(key), "expected an array of strings")
        return [str(v) for v in values]

    @staticmethod
    def time(reader: _Reader, key: str) -> datetime:
        try:
            return parse_timestamp(reader.text(key))
        except ValueError as exc:
            raise PayloadError(reader.path(key), str(exc)) from exc


# --- the clients ---------------------------------------------------------------------------


class Services(Protocol):
    """Where the worker gets its clients (replaced in tests by clients of local fakes)."""

    def backend(self, workspace_id: str) -> Backend:
        """A Log Analytics backend for one workspace."""
        ...

    def incidents(self, subscription_id: str) -> SentinelIncidents:
        """The Sentinel incidents API (comments, entities) of one subscription."""
        ...


class AzureServices:
    """Real Azure clients, built on first use and shared by the invocations of an instance.

    One credential (``DefaultAzureCredential``: the user-assigned managed identity named by
    ``AZURE_CLIENT_ID`` in Azure, a developer sign-in locally), one ``LogsQueryClient``
    (so all lookups of the instance share its query gate), one ``SecurityInsights``
    client per subscription.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        credential: TokenCredential | None = None,
        logs_client_options: Mapping[str, Any] | None = None,
        arm_client_options: Mapping[str, Any] | None = None,
        backend_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Prepare clients for ``settings`` (endpoints, API version, identity).

        Args:
            settings: the function app's settings.
            credential: overrides ``DefaultAzureCredential``.
            logs_client_options: extra ``LogsQueryClient`` keywords (``connection_verify``).
            arm_client_options: extra ``SecurityInsights`` keywords (``connection_verify``,
                ``transport``, retry keywords overriding :data:`ARM_RETRY_SETTINGS`).
            backend_options: extra ``LogAnalyticsBackend`` keywords (``retry``).
        """
        self.settings = settings
        self._credential = credential
        self._logs_options = dict(logs_client_options or {})
        self._arm_options = dict(arm_client_options or {})
        self._backend_options = dict(backend_options or {})
        self._lock = threading.Lock()
        self._logs_client: Any = None
        self._sentinel: dict[str, SentinelIncidents] = {}

    def credential(self) -> TokenCredential:
        """The shared credential."""
        with self._lock:
            if self._credential is None:
                from azure.identity import DefaultAzureCredential

                self._credential = DefaultAzureCredential(
                    managed_identity_client_id=self.settings.managed_identity_client_id
                )
            return self._credential

    def backend(self, workspace_id: str) -> Backend:
        """A Log Analytics backend on the shared client."""
        from lookup.backends.log_analytics import LogAnalyticsBackend

        credential = self.credential()
        with self._lock:
            if self._logs_client is None:
                from azure.monitor.query import LogsQueryClient

                self._logs_client = LogsQueryClient(
                    credential, endpoint=self.settings.logs_endpoint, **self._logs_options
                )
            client = self._logs_client
        return LogAnalyticsBackend(
            client, workspace_id, settings=self.settings, **self._backend_options
        )

    def incidents(self, subscription_id: str) -> SentinelIncidents:
        """The incidents API of ``subscription_id`` (client cached per subscription)."""
        credential = self.credential()
        with self._lock:
            found = self._sentinel.get(subscription_id)
            if found is None:
                from azure.mgmt.securityinsight import SecurityInsights

                endpoint = self.settings.arm_endpoint.rstrip("/")
                options: dict[str, Any] = {**ARM_RETRY_SETTINGS, **self._arm_options}
                client = SecurityInsights(
                    credential,
                    subscription_id,
                    base_url=endpoint,
                    credential_scopes=[f"{endpoint}/.default"],
                    **options,
                )
                found = SentinelIncidents(client, api_version=self.settings.sentinel_api_version)
                self._sentinel[subscription_id] = found
            return found


# --- the lookup for one work item ------------------------------------------------------------


@dataclass(frozen=True)
class LookupOutcome:
    """What the worker did for one incident."""

    item: WorkItem
    report: Report
    comment: str
    write: CommentWrite
    entities_listed: bool


def comment_links(report: Report, target: IncidentRef, settings: Settings) -> dict[int, str]:
    """Log Analytics portal links of the drill-down queries, by anomaly rank.

    Only the ranks the comment can show are linked; the portal follows the cloud of
    ``settings.arm_endpoint``.
    """
    from lookup.backends.la_queries import portal_link

    host = settings.arm_endpoint.split("://", 1)[-1].split("/", 1)[0].lower()
    portal = _PORTALS.get(host, _PORTALS["management.azure.com"])
    links = {}
    for anomaly in report.anomalies[: settings.max_anomalies]:
        if anomaly.drilldown_kql:
            links[anomaly.rank] = portal_link(
                anomaly.drilldown_kql,
                target.workspace_arm_id,
                timespan=(anomaly.bin_start, anomaly.bin_start + anomaly.step),
                portal=portal,
            )
    return links


def run_work_item(item: WorkItem, settings: Settings, services: Services) -> LookupOutcome:
    """List entities if needed, run the lookup, render and write the comment.

    Raises:
        SinkError: listing entities or writing the comment failed (after retries).
        WorkspaceError: the workspace cannot be queried at all.
        AnomalyLookupError: any other failure of the lookup.
    """
    from lookup.engine import run_lookup
    from lookup.entities import entities_from_payload
    from lookup.render import render_comment_html

    ids: dict[str, Any] = {"tracking_id": item.tracking_id, "incident": item.target.arm_id}
    incident = item.incident
    sentinel = services.incidents(item.target.subscription_id)
    listed = False
    if not item.has_entities:
        with timed_step(log, "entities listed", **ids) as step:
            response = sentinel.list_entities(item.target)
            raws = response.get("entities") or []
            found, skipped = entities_from_payload(raws)
            incident = replace(incident, entities=found, skipped_entities=skipped)
            step.update(entities=len(found), skipped=len(skipped))
        listed = True
    log_event(
        log,
        logging.DEBUG,
        "entities",
        **ids,
        values="; ".join(f"{e.kind}:{e.value}" for e in incident.entities),
    )
    with timed_step(log, "lookup", **ids, workspace=item.workspace_id) as step:
        backend = services.backend(item.workspace_id)
        report = run_lookup(incident, backend, settings=settings)
        incomplete = [t for t in report.tables if t.status in {"failed", "partial", "skipped"}]
        step.update(
            entities=len(incident.entities),
            tables=len(report.tables),
            incomplete_tables=len(incomplete),
            queries=report.stats.queries,
            retries=report.stats.retries,
            rows=report.stats.rows_returned,
            series=report.stats.series_scored,
            anomalies=len(report.anomalies),
        )
    with timed_step(log, "comment rendered", **ids) as step:
        message = render_comment_html(report, links=comment_links(report, item.target, settings))
        step.update(chars=len(message))
    with timed_step(log, "comment written", **ids, comment_id=item.comment_id) as step:
        write = sentinel.write_comment(item.target, message)
        step.update(status=write.status, created=write.created)
    return LookupOutcome(item, report, message, write, listed)


def failure_note(item: WorkItem, attempts: int | None) -> str:
    """The short comment left when every try failed (HTML, like the enrichment)."""
    tries = f"after {attempts} attempts " if attempts else ""
    return (
        f"<p><b>Anomaly lookup failed</b> for this incident {tries}"
        f"(tracking id {item.tracking_id}, received {_iso(item.received_at)}).<br>\n"
        "The enrichment will replace this note when the lookup runs again, for example when "
        "the playbook is re-run on the incident.<br>\n"
        "<small>Operators: search the function app's logs for the tracking id.</small></p>"
    )


# --- the runtime the triggers call ---------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """The HTTP answer to a posted incident, and the queue message when it was accepted."""

    status: int
    body: dict[str, Any]
    message: str | None = None


@dataclass(frozen=True)
class HealthReport:
    """The health endpoint's answer."""

    status: int
    body: dict[str, Any]


@dataclass
class FunctionRuntime:
    """Settings, clients and the work of every trigger (see the module docstring)."""

    #: The validated settings, or why they are invalid (the health endpoint shows it; the
    #: work functions raise it).
    settings_or_error: Settings | SettingsError
    services_factory: Callable[[Settings], Services] = AzureServices
    max_dequeue_count: int = MAX_DEQUEUE_COUNT
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _services: Services | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FunctionRuntime:
        """Read and validate the settings once (at import of the function app)."""
        try:
            settings: Settings | SettingsError = Settings.from_env(environ)
        except SettingsError as exc:
            log_event(log, logging.ERROR, "invalid setting", setting=exc.name, reason=exc.message)
            settings = exc
        return cls(settings)

    @property
    def settings(self) -> Settings:
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

    # -- HTTP ------------------------------------------------------------------------------

    def submit(self, body: bytes, *, source: str = "http") -> Submission:
        """Validate a posted incident: 202 with a tracking id and a message, or 400/500."""
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
        except SettingsError as exc:
            return Submission(500, _error("misconfigured", exc.name, exc.message))
        try:
            item = accept_payload(body, settings, source=source, now=self.clock())
            message = encode_message(item)
        except PayloadError as exc:
            log_event(
                log, logging.WARNING, "incident rejected", field=exc.field, reason=exc.message
            )
            return Submission(400, _error("bad_payload", exc.field, exc.message))
        log_event(
            log,
            logging.INFO,
            "incident accepted",
            tracking_id=item.tracking_id,
            incident=item.target.arm_id,
            number=item.incident.number,
            source=source,
            entities=len(item.incident.entities) if item.has_entities else None,
            message_bytes=len(message.encode("utf-8")),
            seconds=round(time.monotonic() - started, 3),
        )
        return Submission(
            202,
            {
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
            },
            message,
        )

    # -- Event Grid --------------------------------------------------------------------------

    def submit_event(self, envelope: Mapping[str, Any]) -> str | None:
        """The queue message for an event, or ``None`` (logged at ERROR) for a bad event.

        A malformed event is not raised: Event Grid would redeliver it for a day, and no
        redelivery can fix it.

        Raises:
            SettingsError: the settings are invalid.
        """
        settings = self.settings
        event_id = envelope.get("id")
        try:
            item = accept_payload(dict(envelope), settings, source="eventgrid", now=self.clock())
            message = encode_message(item)
        except PayloadError as exc:
            log_event(
                log,
                logging.ERROR,
                "event rejected",
                event_id=str(event_id),
                field=exc.field,
                reason=exc.message,
            )
            return None
        log_event(
            log,
            logging.INFO,
            "incident accepted",
            tracking_id=item.tracking_id,
            incident=item.target.arm_id,
            source="eventgrid",
            event_id=str(event_id),
        )
        return message

    # -- queue ---------------------------------------------------------------------------------

    def process_message(
        self, body: bytes | str, *, message_id: str | None = None, dequeue_count: int | None = None
    ) -> LookupOutcome:
        """Run the lookup of one queue message and write the comment.

        Raises (so the queue retries, then moves the message to the poison queue):
            SettingsError: the settings are invalid.
            PayloadError: the message is not ours.
            SinkError, WorkspaceError, AnomalyLookupError: the work failed.
        """
        settings = self.settings
        try:
            item = decode_message(body)
        except PayloadError as exc:
            log_event(
                log,
                logging.ERROR,
                "queue message unreadable",
                message_id=message_id,
                field=exc.field,
                reason=exc.message,
            )
            raise
        with timed_step(
            log,
            "incident processed",
            tracking_id=item.tracking_id,
            incident=item.target.arm_id,
            number=item.incident.number,
            dequeue_count=dequeue_count,
        ) as step:
            outcome = run_work_item(item, settings, self.services)
            step.update(anomalies=len(outcome.report.anomalies), comment=outcome.write.status)
        return outcome

    def handle_poison(
        self, body: bytes | str, *, message_id: str | None = None, dequeue_count: int | None = None
    ) -> bool:
        """Log a message that failed every try; leave a failure note if there is no comment.

        Never raises: the failure is already final, and a poison message that fails again
        would only be moved to yet another queue. Returns whether a note was written.
        """
        try:
            item = decode_message(body)
        except PayloadError as exc:
            log_event(
                log,
                logging.ERROR,
                "lookup failed for good",
                message_id=message_id,
                reason=f"unreadable message: {exc}",
            )
            return False
        log_event(
            log,
            logging.ERROR,
            "lookup failed for good",
            tracking_id=item.tracking_id,
            incident=item.target.arm_id,
            number=item.incident.number,
            message_id=message_id,
            attempts=self.max_dequeue_count,
        )
        try:
            sentinel = self.services.incidents(item.target.subscription_id)
            if sentinel.comment_exists(item.target):
                # An earlier run's enrichment is worth more than a failure note.
                log_event(
                    log,
                    logging.INFO,
                    "failure note skipped",
                    tracking_id=item.tracking_id,
                    reason="the incident already has an enrichment comment",
                )
                return False
            sentinel.write_comment(item.target, failure_note(item, self.max_dequeue_count))
        except (SinkError, SettingsError) as exc:
            log_event(
                log,
                logging.ERROR,
                "failure note not written",
                tracking_id=item.tracking_id,
                incident=item.target.arm_id,
                reason=str(exc),
            )
            return False
        log_event(log, logging.INFO, "failure note written", tracking_id=item.tracking_id)
        return True

    # -- health ----------------------------------------------------------------------------------

    def health(
        self, environ: Mapping[str, str], *, function_timeout: timedelta | None = None
    ) -> HealthReport:
        """Version, configuration and problems; never a secret (keys, connection strings).

        ``function_timeout`` is ``host.json``'s ``functionTimeout``: a time budget that
        cannot finish within it is a problem.
        """
        problems: list[dict[str, str]] = []
        warnings: list[str] = []
        configuration: dict[str, Any] = {}
        if isinstance(self.settings_or_error, SettingsError):
            error = self.settings_or_error
            problems.append({"setting": error.name, "message": error.message})
        else:
            settings = self.settings_or_error
            configuration = {
                **settings.echo(),
                "query_timeout_seconds": str(settings.query_timeout_seconds),
                "max_concurrent_queries": str(settings.max_concurrent_queries),
                "queue": settings.queue_name,
                "sentinel_api_version": settings.sentinel_api_version,
                "logs_endpoint": settings.logs_endpoint,
                "arm_endpoint": settings.arm_endpoint,
                "default_workspace_id": settings.workspace_id,
                "identity": (
                    "user-assigned managed identity"
                    if settings.managed_identity_client_id
                    else "DefaultAzureCredential without a client id (system-assigned "
                    "identity or a developer sign-in)"
                ),
            }
            if settings.workspace_id is None:
                warnings.append(
                    f"{ENV_WORKSPACE_ID} is not set: every payload must carry its workspaceId"
                )
            if not settings.managed_identity_client_id:
                warnings.append(
                    f"{ENV_MANAGED_IDENTITY_CLIENT_ID} is not set: a user-assigned identity "
                    "will not be used"
                )
            if function_timeout is not None:
                needed = (
                    settings.time_budget_seconds
                    + settings.query_timeout_seconds
                    + BUDGET_SLACK_SECONDS
                )
                configuration["function_timeout_seconds"] = str(
                    int(function_timeout.total_seconds())
                )
                if needed > function_timeout.total_seconds():
                    problems.append(
                        {
                            "setting": ENV_TIME_BUDGET_SECONDS,
                            "message": (
                                f"time budget {settings.time_budget_seconds:g} s + query "
                                f"timeout {settings.query_timeout_seconds} s + "
                                f"{BUDGET_SLACK_SECONDS} s exceeds host.json functionTimeout "
                                f"({int(function_timeout.total_seconds())} s)"
                            ),
                        }
                    )
        if not any(
            environ.get(name)
            for name in (
                "AzureWebJobsStorage",
                "AzureWebJobsStorage__queueServiceUri",
                "AzureWebJobsStorage__accountName",
            )
        ):
            problems.append(
                {
                    "setting": "AzureWebJobsStorage",
                    "message": "not configured: the queue trigger and output need it "
                    "(or AzureWebJobsStorage__queueServiceUri for identity-based access)",
                }
            )
        for module, package in (
            ("azure.identity", "azure-identity"),
            ("azure.monitor.query", "azure-monitor-query"),
            ("azure.mgmt.securityinsight", "azure-mgmt-securityinsight"),
        ):
            try:
                __import__(module)
            except ImportError:
                problems.append(
                    {"setting": "requirements.txt", "message": f"{package} is not installed"}
                )
        body = {
            "status": "ok" if not problems else "misconfigured",
            "version": __version__,
            "problems": problems,
            "warnings": warnings,
            "configuration": configuration,
        }
        return HealthReport(200 if not problems else 503, body)


def _error(code: str, field_name: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "field": field_name, "message": message}}


def function_timeout_of(host_json: Path) -> timedelta | None:
    """``functionTimeout`` of a ``host.json`` (``hh:mm:ss`` or ``d.hh:mm:ss``), if set."""
    try:
        host = json.loads(host_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = host.get("functionTimeout") if isinstance(host, dict) else None
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})", value.strip())
    if match is None:
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
