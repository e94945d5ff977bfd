"""A local Azure Resource Manager endpoint for the Sentinel incident APIs the function uses.

Serves, over HTTPS on 127.0.0.1 with a throwaway certificate (the SDK sends bearer tokens
only over HTTPS), what ``azure-mgmt-securityinsight``'s ``SecurityInsights`` client calls:

* ``PUT .../incidents/{incidentId}/comments/{commentId}``: create-or-update a comment
  (201 when new, 200 when replaced), with Sentinel's limits: 30,000 characters per
  message, counted as .NET counts them (UTF-16 code units: an emoji counts twice; see
  ``lookup.sentinel.comments.sentinel_length``), 100 comments per incident;
* ``GET .../incidents/{incidentId}/comments/{commentId}``: one comment, or 404;
* ``POST .../incidents/{incidentId}/entities``: the entities registered for the incident
  (:meth:`FakeArm.set_entities`), or 404 for an unknown incident;
* ``GET .../incidents/{incidentId}``: an incident registered with
  :meth:`FakeArm.set_incident`, or 404;
* ``GET .../incidents?$filter=properties/incidentNumber eq N``: the incidents of that
  number (any other ``$filter`` is a 400; ``$top`` is honoured).

Every request is recorded (method, path, query, headers, JSON body). Faults are injected
per request (:class:`ArmFault`): any status with an ARM error body and an optional
``Retry-After``, e.g. 429 then success, or 403 ``AuthorizationFailed`` as ARM answers
when the caller lacks the role; or no answer at all (``hang``): the request is read and
the connection left open for that many seconds (or until :meth:`FakeArm.clear`), as an
endpoint that accepts a request and never answers.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.pipeline.transport import RequestsTransport

from fakes.tls import serve_https

MAX_COMMENT_CHARS = 30_000
MAX_COMMENTS_PER_INCIDENT = 100

_INCIDENT = (
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.OperationalInsights/workspaces/(?P<ws>[^/]+)"
    r"/providers/Microsoft\.SecurityInsights/incidents/(?P<incident>[^/]+)"
)
_COMMENT = re.compile(_INCIDENT + r"/comments/(?P<comment>[^/]+)$", re.IGNORECASE)
_ENTITIES = re.compile(_INCIDENT + r"/entities$", re.IGNORECASE)
_INCIDENT_ONE = re.compile(_INCIDENT + r"$", re.IGNORECASE)
_INCIDENT_LIST = re.compile(_INCIDENT.removesuffix(r"/(?P<incident>[^/]+)") + r"$", re.IGNORECASE)
_NUMBER_FILTER = re.compile(r"^\s*properties/incidentNumber\s+eq\s+(\d+)\s*$", re.IGNORECASE)


def incident_key(sub: str, rg: str, ws: str, incident: str) -> str:
    """Incidents are keyed case-insensitively, as ARM resource ids are."""
    return f"{sub}/{rg}/{ws}/{incident}".lower()


@dataclass
class ArmFault:
    """Answer ``status`` to the next ``times`` requests of ``method`` whose path contains
    ``match``."""

    status: int
    method: str | None = None
    match: str | None = None
    times: int = 1
    retry_after: str | None = None
    code: str = "InjectedFault"
    message: str = "injected fault"
    #: Seconds to hold the request without answering (then the connection is closed).
    hang: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.match is None or self.match.lower() in path.lower()


def authorization_failed(action: str, scope: str, *, method: str = "PUT") -> ArmFault:
    """The 403 ARM answers when the caller's identity lacks a role (RBAC)."""
    return ArmFault(
        status=403,
        method=method,
        times=1_000,
        code="AuthorizationFailed",
        message=(
            "The client '5c1b2a3d-0000-4000-8000-00000000abcd' with object id "
            "'5c1b2a3d-0000-4000-8000-00000000abcd' does not have authorization to perform "
            f"action '{action}' over scope '{scope}' or the scope is invalid. If access was "
            "recently granted, please refresh your credentials."
        ),
    )


@dataclass(frozen=True)
class ArmRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    body: Any
    status: int

    @property
    def api_version(self) -> str | None:
        values = self.query.get("api-version")
        return values[0] if values else None


@dataclass
class StoredComment:
    comment_id: str
    message: str
    etag: str
    writes: int = 1


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        # Recorded before answering: the client may look at the record as soon as it has
        # the answer.
        self._record(status)
        raw = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> int:
        self._send(status, {"error": {"code": code, "message": message}}, headers)
        return status

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        body: Any = None
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._pending: tuple[str, str, dict[str, list[str]], Any] | None = (
            method,
            parts.path,
            query,
            body,
        )
        try:
            self._route(method, parts.path, query, body)
        finally:
            self._record(500)

    def _record(self, status: int) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        method, path, query, body = pending
        self.server.fake.record(
            ArmRequest(
                method=method,
                path=path,
                query=query,
                authorization=self.headers.get("Authorization"),
                body=body,
                status=status,
            )
        )

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> int:
        fake = self.server.fake
        if not (self.headers.get("Authorization") or "").startswith("Bearer "):
            return self._error(401, "AuthenticationFailed", "no bearer token")
        if not query.get("api-version"):
            return self._error(400, "MissingApiVersionParameter", "api-version is required")
        fault = fake.take_fault(method, path)
        if fault is not None and fault.hang is not None:
            self._record(0)
            fake.release.wait(fault.hang)
            self.close_connection = True
            return 0
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return self._error(fault.status, fault.code, fault.message, headers)
        comment = _COMMENT.match(path)
        if comment is not None and method in ("PUT", "GET"):
            key = incident_key(comment["sub"], comment["rg"], comment["ws"], comment["incident"])
            if method == "GET":
                return self._get_comment(path, key, comment["comment"])
            return self._put_comment(path, key, comment["comment"], body)
        entities = _ENTITIES.match(path)
        if entities is not None and method == "POST":
            key = incident_key(
                entities["sub"], entities["rg"], entities["ws"], entities["incident"]
            )
            found = fake.entities.get(key)
            if found is None:
                return self._error(404, "NotFound", "incident not found")
            self._send(200, found)
            return 200
        if method == "GET" and (one := _INCIDENT_ONE.match(path)) is not None:
            key = incident_key(one["sub"], one["rg"], one["ws"], one["incident"])
            incident = fake.incidents.get(key)
            if incident is None:
                return self._error(404, "NotFound", "incident not found")
            self._send(200, incident)
            return 200
        if method == "GET" and (listed := _INCIDENT_LIST.match(path)) is not None:
            return self._list_incidents(listed["sub"], listed["rg"], listed["ws"], query)
        return self._error(404, "NoRoute", f"no route for {method} {path}")

    def _list_incidents(self, sub: str, rg: str, ws: str, query: dict[str, list[str]]) -> int:
        prefix = incident_key(sub, rg, ws, "")
        found = [v for k, v in self.server.fake.incidents.items() if k.startswith(prefix)]
        (text,) = query.get("$filter", [""])
        if text:
            number = _NUMBER_FILTER.match(text)
            if number is None:
                return self._error(400, "BadRequest", f"unsupported $filter: {text}")
            wanted = int(number[1])
            found = [i for i in found if i.get("properties", {}).get("incidentNumber") == wanted]
        (top,) = query.get("$top", [str(len(found))])
        self._send(200, {"value": found[: int(top)]})
        return 200

    def _comment_body(self, path: str, stored: StoredComment) -> dict[str, Any]:
        return {
            "id": path,
            "name": stored.comment_id,
            "type": "Microsoft.SecurityInsights/Incidents/Comments",
            "etag": stored.etag,
            "properties": {
                "message": stored.message,
                "createdTimeUtc": "2026-11-19T14:40:00Z",
                "lastModifiedTimeUtc": "2026-11-19T14:40:00Z",
                "author": {
                    "name": "Comment created from external application - anomaly-lookup",
                    "objectId": "5c1b2a3d-0000-4000-8000-00000000abcd",
                },
            },
        }

    def _get_comment(self, path: str, key: str, comment_id: str) -> int:
        stored = self.server.fake.comments.get(key, {}).get(comment_id.lower())
        if stored is None:
            return self._error(404, "NotFound", "comment not found")
        self._send(200, self._comment_body(path, stored))
        return 200

    def _put_comment(self, path: str, key: str, comment_id: str, body: Any) -> int:
        fake = self.server.fake
        message = (
            (body or {}).get("properties", {}).get("message") if isinstance(body, dict) else None
        )
        if not isinstance(message, str) or not message:
            return self._error(400, "BadRequest", "properties.message is required")
        if len(message.encode("utf-16-le", "surrogatepass")) // 2 > MAX_COMMENT_CHARS:
            return self._error(400, "BadRequest", "Comment message exceeds 30000 characters")
        with fake.lock:
            comments = fake.comments.setdefault(key, {})
            stored = comments.get(comment_id.lower())
            if stored is None and len(comments) >= MAX_COMMENTS_PER_INCIDENT:
                status = 400
            elif stored is None:
                stored = StoredComment(comment_id, message, f'"{uuid.uuid4()}"')
                comments[comment_id.lower()] = stored
                status = 201
            else:
                stored.message = message
                stored.etag = f'"{uuid.uuid4()}"'
                stored.writes += 1
                status = 200
        if status == 400:
            return self._error(400, "BadRequest", "An incident can have at most 100 comments")
        assert stored is not None
        self._send(status, self._comment_body(path, stored))
        return status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeArm


@dataclass
class FakeArm:
    """The running endpoint; ``endpoint`` and ``ca_path`` configure a real client."""

    endpoint: str = ""
    ca_path: str = ""
    requests: list[ArmRequest] = field(default_factory=list)
    faults: list[ArmFault] = field(default_factory=list)
    #: incident key -> comment id (lowercase) -> comment.
    comments: dict[str, dict[str, StoredComment]] = field(default_factory=dict)
    #: incident key -> list-entities response.
    entities: dict[str, Any] = field(default_factory=dict)
    #: incident key -> the incident resource (REST JSON).
    incidents: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Set to let every hanging request go (``clear`` and stopping the server set it).
    release: threading.Event = field(default_factory=threading.Event)

    def add_fault(self, fault: ArmFault) -> ArmFault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> ArmFault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def record(self, request: ArmRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def set_entities(self, sub: str, rg: str, ws: str, incident: str, response: Any) -> None:
        self.entities[incident_key(sub, rg, ws, incident)] = response

    def set_incident(self, sub: str, rg: str, ws: str, incident: dict[str, Any]) -> None:
        """Serve ``incident`` (a REST incident: ``name`` is its id) from GET and list."""
        self.incidents[incident_key(sub, rg, ws, incident["name"])] = incident

    def comments_of(self, sub: str, rg: str, ws: str, incident: str) -> dict[str, StoredComment]:
        return self.comments.get(incident_key(sub, rg, ws, incident), {})

    def clear(self) -> None:
        self.release.set()
        self.release = threading.Event()
        with self.lock:
            self.requests.clear()
            self.faults.clear()
            self.comments.clear()
            self.entities.clear()
            self.incidents.clear()


@contextmanager
def serve() -> Iterator[FakeArm]:
    """Run the endpoint on 127.0.0.1 over HTTPS with a fresh CA; stop it afterwards."""
    fake = FakeArm()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    with serve_https(server, before_stop=lambda: fake.release.set()) as served:
        fake.endpoint, fake.ca_path = served.endpoint, served.ca_path
        yield fake


class RecordingTransport(RequestsTransport):  # type: ignore[misc]
    """A requests transport that records the retry policy's waits instead of sleeping.

    azure-core's ``RetryPolicy`` waits through ``transport.sleep``, so the test sees the exact
    delays (``Retry-After``, backoff) without spending them.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sleeps: list[float] = []

    def sleep(self, duration: float) -> None:
        self.sleeps.append(float(duration))


# -- what the incident page renders -------------------------------------------------------

#: The HTML a comment may use: what the renderer promises and Sentinel displays.
COMMENT_TAGS = frozenset(
    {"table", "tr", "th", "td", "b", "i", "br", "wbr", "p", "pre", "code", "ul", "li", "a", "small"}
)
_VOID_TAGS = frozenset({"br", "wbr"})


class _CommentChecker(HTMLParser):
    """Collects tags and every way a comment's markup is not well-formed, simple HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in COMMENT_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if tag == "a" and name == "href" and value and value.startswith("https://"):
                self.links.append(value)
            else:
                self.problems.append(f"attribute {name}={value!r} on <{tag}>")
        if tag not in _VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}> (open: {self.stack})")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append("html comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instruction")


@dataclass(frozen=True)
class ParsedComment:
    tags: tuple[str, ...]
    links: tuple[str, ...]
    text: str
    problems: tuple[str, ...]


def parse_comment_html(markup: str) -> ParsedComment:
    """Parse a comment as the incident page would; ``problems`` lists what is not valid."""
    checker = _CommentChecker()
    checker.feed(markup)
    checker.close()
    problems = list(checker.problems)
    if checker.stack:
        problems.append(f"unclosed {checker.stack}")
    return ParsedComment(
        tuple(checker.tags), tuple(checker.links), "".join(checker.text), tuple(problems)
    )
