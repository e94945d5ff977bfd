"""Sentinel write-back: the enrichment comment on the incident, and the incident's entities.

Both go through ``azure-mgmt-securityinsight``'s :class:`SecurityInsights` client, which
tests point at a local fake ARM endpoint.

**Idempotent comments.** The comment is written with ``PUT .../incidents/{id}/comments/
{commentId}`` (create-or-update) under a comment id derived from the incident alone
(:func:`comment_id_for`), so a queue retry, a Logic App retry or a re-run on an incident
update overwrites the previous enrichment instead of adding a comment (an incident holds at
most 100).

**API version.** azure-mgmt-securityinsight 1.0.0 (the last stable release, 2022) stores a
client-level ``api_version`` in its configuration but every operation reads only its own
``api_version`` keyword and otherwise sends ``2021-10-01``. So the version is passed on each
call (:attr:`SentinelIncidents.api_version`, from ``ANOMALY_LOOKUP_SENTINEL_API_VERSION``).

**Retries and time.** The client's azure-core retry policy retries 408, 429, 500, 502, 503
and 504 and honours ``Retry-After``; the function app configures its counts
(:data:`ARM_RETRY_SETTINGS`) on a :class:`~lookup.sentinel.arm_retry.BoundedRetryPolicy`.
Every call takes a ``deadline`` (``time.monotonic``; :data:`ARM_CALL_SECONDS` from now when
none is given) and passes the time left as the call's total ``timeout`` and as the cap of
each attempt's read timeout, so no call outlasts its caller's budget, whatever ARM does.
``list-entities`` is a read-only ``POST``, which azure-core would not retry on 429/502
without ``Retry-After``: it is added to the retried methods for that call. What still fails
is raised as :class:`~lookup.errors.SinkError` with the HTTP status and whether a retry can
help (``permanent``: 400, 404, 409, 412 cannot), logged, and left to the caller.

**Size.** Sentinel documents 30,000 characters per comment; its REST specification sets
no ``maxLength`` and the service (.NET) is not public. A .NET ``string.Length`` counts
UTF-16 code units, in which an emoji or any character above U+FFFF counts twice; so the
length is measured that way (:func:`sentinel_length`), which is never less than the count
of code points and therefore safe under either reading.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from lookup.errors import PayloadError, SinkError
from lookup.models import Incident
from lookup.observability import log_event
from lookup.untrusted import load_json

if TYPE_CHECKING:
    from azure.mgmt.securityinsight import SecurityInsights

log = logging.getLogger(__name__)

#: Namespace of the comment ids (a fixed, random UUID; changing it orphans every comment
#: already written, which a re-run would then duplicate).
COMMENT_ID_NAMESPACE = uuid.UUID("6b6e72de-2375-4dd4-82d6-b9e75eba5fa4")
#: Bumped only if a new comment must be written beside the old one instead of over it.
COMMENT_ID_SCHEME = "anomaly-lookup|v1"
#: Sentinel refuses comments longer than this, counted by :func:`sentinel_length`.
MAX_COMMENT_CHARS = 30_000
#: Total time of one call when the caller gives no deadline, in seconds.
ARM_CALL_SECONDS = 120.0
#: Longest single HTTP attempt, in seconds (see :mod:`lookup.sentinel.arm_retry`).
ARM_ATTEMPT_SECONDS = 60.0

#: The role the function's identity holds on the workspace: the custom role
#: ``infra/workspace/workspace.bicep`` defines (its name ends with the environment name),
#: with only the actions the function uses.
WORKSPACE_ROLE = "Anomaly lookup function"
#: The action each call needs (what a 403 names).
REQUIRED_ACTIONS = {
    "write the incident comment": "Microsoft.SecurityInsights/incidents/comments/write",
    "read the incident comment": "Microsoft.SecurityInsights/incidents/comments/read",
    "list the incident's entities": "Microsoft.SecurityInsights/incidents/read",
}

#: azure-core retry keywords for the management client: up to 5 retries (``retry_status``
#: raised from azure-core's 3 so throttling gets all of them), exponential backoff of
#: ``1 s * 2**(n-1)`` after the first, immediate retry, at most 60 s apart; ``Retry-After``
#: wins when ARM sends it.
ARM_RETRY_SETTINGS: Mapping[str, Any] = {
    "retry_total": 5,
    "retry_status": 5,
    "retry_backoff_factor": 1.0,
    "retry_backoff_max": 60,
}
_RETRIED_METHODS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST"})

# ARM path segments: names of subscriptions, groups, workspaces and incidents. Anything with
# a slash, a dot-only name, a query, a fragment or a newline would change which resource the
# URL names. Matched with ``fullmatch``: ``$`` would also match before a trailing newline.
_SEGMENT = re.compile(r"[\w.()\-]{1,256}")
_WORKSPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{2,62}")

T = TypeVar("T")


@dataclass(frozen=True)
class IncidentRef:
    """The ARM coordinates of one incident: where its comments and entities live.

    Every coordinate is checked on construction (:class:`~lookup.errors.PayloadError`
    naming the payload field it comes from), so none can redirect the URL built from it.
    """

    subscription_id: str
    resource_group: str
    workspace_name: str
    incident_id: str

    @property
    def workspace_arm_id(self) -> str:
        """The workspace's ARM resource id."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.OperationalInsights/workspaces/{self.workspace_name}"
        )

    @property
    def arm_id(self) -> str:
        """The incident's ARM resource id, in the REST API's spelling."""
        return (
            f"{self.workspace_arm_id}/providers/Microsoft.SecurityInsights"
            f"/incidents/{self.incident_id}"
        )

    @classmethod
    def from_incident(cls, incident: Incident) -> IncidentRef:
        """The coordinates of a parsed incident.

        The incident id is the incident's ``name`` (else the last segment of its ARM id);
        subscription, group and workspace come from ``workspaceInfo`` or the ARM id.

        Raises:
            PayloadError: a coordinate is missing or is not a valid ARM name. ``field``
                names the payload field to fix (``object.id``, ``workspaceInfo.*``).
        """
        workspace = incident.workspace
        if not incident.arm_id:
            raise PayloadError(
                "object.id",
                "missing: the incident's ARM id (object.id of the incident trigger body, id of "
                "a REST incident) is needed to comment on it; an alert alone has no incident",
            )
        incident_id = incident.name or incident.arm_id.rstrip("/").rsplit("/", 1)[-1]
        return cls(
            workspace.subscription_id or "",
            workspace.resource_group or "",
            workspace.workspace_name or "",
            incident_id,
        )

    def __post_init__(self) -> None:
        _checked("workspaceInfo.SubscriptionId", self.subscription_id, _SEGMENT)
        _checked("workspaceInfo.ResourceGroupName", self.resource_group, _SEGMENT)
        _checked("workspaceInfo.WorkspaceName", self.workspace_name, _WORKSPACE_NAME)
        _checked("object.name", self.incident_id, _SEGMENT)


def _checked(field: str, value: str, pattern: re.Pattern[str]) -> None:
    if not value:
        raise PayloadError(
            field,
            "missing: needed to comment on the incident (give workspaceInfo, or an incident "
            "ARM id with its subscription, resource group and workspace)",
        )
    if not pattern.fullmatch(value) or set(value) <= {"."}:
        raise PayloadError(field, f"not a valid Azure resource name: {value[:80]!r}", value=value)


def sentinel_length(message: str) -> int:
    """The length of a comment as Sentinel is taken to count it: UTF-16 code units.

    Characters outside the Basic Multilingual Plane (emoji, many CJK ideographs) count
    twice, as in a .NET ``string.Length``; everything else once.
    """
    return len(message.encode("utf-16-le", "surrogatepass")) // 2


def comment_id_for(ref: IncidentRef) -> str:
    """The comment id of the enrichment comment of an incident: stable across runs.

    ``uuid5(COMMENT_ID_NAMESPACE, "<incident ARM id, lowercased>|anomaly-lookup|v1")``, the
    ARM id being rebuilt from the coordinates so the trigger body's ``.../Incidents/...``
    and the REST API's ``.../incidents/...`` spellings give the same id.
    """
    return str(uuid.uuid5(COMMENT_ID_NAMESPACE, f"{ref.arm_id.lower()}|{COMMENT_ID_SCHEME}"))


@dataclass(frozen=True)
class CommentWrite:
    """The outcome of one comment PUT."""

    comment_id: str
    status: int
    chars: int

    @property
    def created(self) -> bool:
        """``True`` for a new comment (201), ``False`` when an earlier one was replaced."""
        return self.status == 201


class SentinelIncidents:
    """Comment on incidents and list their entities through a :class:`SecurityInsights`."""

    def __init__(self, client: SecurityInsights, *, api_version: str) -> None:
        """Wrap ``client`` (with its credential, endpoint and retry policy).

        Args:
            client: the management client for the incident's subscription.
            api_version: the Microsoft.SecurityInsights REST version sent on every call.
        """
        self.client = client
        self.api_version = api_version

    def write_comment(
        self, ref: IncidentRef, message: str, *, deadline: float | None = None
    ) -> CommentWrite:
        """Create or overwrite the enrichment comment of the incident.

        ``deadline`` (``time.monotonic``) bounds the whole call, retries included.

        Raises:
            SinkError: the message is too long (permanent), or ARM refused or kept failing;
                ``status`` is the HTTP status (403: the identity lacks its workspace role).
        """
        from azure.mgmt.securityinsight.models import IncidentComment

        length = sentinel_length(message)
        if length > MAX_COMMENT_CHARS:
            raise SinkError(
                f"the comment has {length:,} characters (UTF-16 code units); Sentinel accepts "
                f"at most {MAX_COMMENT_CHARS:,}",
                permanent=True,
            )
        comment_id = comment_id_for(ref)

        def status_of(pipeline_response: Any, _deserialized: Any, _headers: Any) -> int:
            return int(pipeline_response.http_response.status_code)

        status = self._call(
            "write the incident comment",
            ref,
            # ``cls`` replaces the deserialized comment with the HTTP status.
            lambda timing: cast(
                int,
                self.client.incident_comments.create_or_update(
                    ref.resource_group,
                    ref.workspace_name,
                    ref.incident_id,
                    comment_id,
                    IncidentComment(message=message),
                    api_version=self.api_version,
                    cls=status_of,
                    **timing,
                ),
            ),
            deadline,
        )
        return CommentWrite(comment_id, status, length)

    def comment_exists(self, ref: IncidentRef, *, deadline: float | None = None) -> bool:
        """Whether the incident already has its enrichment comment (any content).

        Raises:
            SinkError: ARM refused or kept failing (404 for the comment is ``False``).
        """
        from azure.core.exceptions import ResourceNotFoundError

        def get(timing: dict[str, float]) -> bool:
            try:
                self.client.incident_comments.get(
                    ref.resource_group,
                    ref.workspace_name,
                    ref.incident_id,
                    comment_id_for(ref),
                    api_version=self.api_version,
                    **timing,
                )
            except ResourceNotFoundError:
                return False
            return True

        return self._call("read the incident comment", ref, get, deadline)

    def list_entities(self, ref: IncidentRef, *, deadline: float | None = None) -> dict[str, Any]:
        """The incident's entities as the API returns them (``{"entities", "metaData"}``).

        The raw JSON is returned rather than the SDK's models: the 2022 models predate
        entity fields Sentinel added since (``userPrincipalName``, ...), which the
        payload parser reads.

        Raises:
            SinkError: ARM refused or kept failing (403: the workspace role is missing).
        """

        def raw_json(pipeline_response: Any, _deserialized: Any, _headers: Any) -> Any:
            try:
                return load_json(pipeline_response.http_response.text(), unicode=False)
            except PayloadError as exc:
                raise SinkError(f"the list-entities answer is not JSON: {exc}") from exc

        body = self._call(
            "list the incident's entities",
            ref,
            lambda timing: self.client.incidents.list_entities(
                ref.resource_group,
                ref.workspace_name,
                ref.incident_id,
                api_version=self.api_version,
                cls=raw_json,
                retry_on_methods=_RETRIED_METHODS,
                **timing,
            ),
            deadline,
        )
        if not isinstance(body, dict) or not isinstance(body.get("entities", []), list):
            raise SinkError("the list-entities answer is not a JSON object with an entities array")
        return body

    def _call(
        self,
        action: str,
        ref: IncidentRef,
        call: Callable[[dict[str, float]], T],
        deadline: float | None,
    ) -> T:
        from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

        left = ARM_CALL_SECONDS if deadline is None else deadline - time.monotonic()
        if left <= 0:
            error = SinkError(f"cannot {action}: the invocation's time budget is spent")
            log_event(log, logging.ERROR, "sentinel call failed", action=action, reason=str(error))
            raise error
        # ``timeout``: the retry policy's total for the call; ``read_timeout``: one attempt.
        timing = {"timeout": left, "read_timeout": min(ARM_ATTEMPT_SECONDS, left)}
        try:
            return call(timing)
        except HttpResponseError as exc:
            status = exc.status_code
            error = SinkError(_http_failure(action, ref, status, exc), status=status)
            log_event(
                log,
                logging.ERROR,
                "sentinel call failed",
                action=action,
                incident=ref.arm_id,
                status=status,
                permanent=error.permanent,
                missing_role=WORKSPACE_ROLE if status == 403 else None,
                missing_action=REQUIRED_ACTIONS.get(action) if status == 403 else None,
                scope=ref.workspace_arm_id if status == 403 else None,
                reason=str(error),
            )
            raise error from exc
        except ClientAuthenticationError as exc:  # the credential itself failed (no token)
            error = SinkError(f"cannot {action}: no token for Azure Resource Manager: {exc}")
            log_event(log, logging.ERROR, "sentinel call failed", action=action, reason=str(error))
            raise error from exc
        except AzureError as exc:  # connection failures and time-outs, after the retries
            error = SinkError(f"cannot {action}: {type(exc).__name__}: {exc}")
            log_event(log, logging.ERROR, "sentinel call failed", action=action, reason=str(error))
            raise error from exc


def _http_failure(action: str, ref: IncidentRef, status: int | None, exc: Any) -> str:
    detail = _arm_error_text(exc)
    if status == 403:
        return (
            f"cannot {action}: HTTP 403 Forbidden: the function's identity needs "
            f"{REQUIRED_ACTIONS.get(action, 'its workspace role')} on the workspace "
            f"{ref.workspace_arm_id}, which the '{WORKSPACE_ROLE} (<environment>)' role "
            "that infra/workspace/workspace.bicep assigns there grants (a new assignment "
            f"takes minutes to apply; the queue retries). ARM said: {detail}"
        )
    if status == 401:
        return f"cannot {action}: HTTP 401: ARM refused the token: {detail}"
    if status == 404:
        return (
            f"cannot {action}: HTTP 404: incident {ref.incident_id} not found in workspace "
            f"{ref.workspace_arm_id} (deleted, or a wrong workspace): {detail}"
        )
    if status == 429 or (status is not None and status >= 500):
        return f"cannot {action}: HTTP {status} after the client's retries: {detail}"
    return f"cannot {action}: HTTP {status}: {detail}"


def _arm_error_text(exc: Any) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    if message:
        text = f"{code}: {message}" if code else str(message)
    else:
        text = str(getattr(exc, "reason", None) or exc)
    return text[:600]
