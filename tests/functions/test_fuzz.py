"""Fuzzing the four handlers with hypothesis: arbitrary bytes, arbitrary JSON, and valid
payloads and queue messages with one value replaced by anything (lone surrogates, huge and
odd numbers, out-of-range times, ARM names with newlines, deep nesting).

The properties: ``POST /api/incidents`` answers 202 or 400, with a body and a queue message
that can be encoded; the Event Grid handler queues or drops; the queue handler returns, or
raises only the failure of the (fake) Azure services behind a message that is valid; the
poison handler never raises. The budget is fixed (``max_examples``, derandomized, no
example database) so CI time stays bounded: about 10 s on 2 cores.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest
from azure.functions.queue import QueueMessage
from function_support import Capture, incident_payload, post, served_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lookup.errors import SinkError
from lookup.functionapp import MAX_MESSAGE_BYTES, FunctionRuntime, Services
from lookup.functionapp.settings import AppSettings

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class OutageError(SinkError):
    """What the fake services raise: the only exception the queue handler may pass on."""


class FailingServices:
    """Every Azure call fails (retryably): a valid message reaches them, nothing else."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings

    def backend(self, workspace_id: str) -> Any:
        raise OutageError("Log Analytics is down", status=503)

    def incidents(self, subscription_id: str) -> Any:
        raise OutageError("ARM is down", status=503)


def _runtime() -> FunctionRuntime:
    factory: Callable[[AppSettings], Services] = FailingServices
    return FunctionRuntime(served_settings(), services_factory=factory)


@pytest.fixture
def runtime(install: Callable[[FunctionRuntime], FunctionRuntime]) -> FunctionRuntime:
    return install(_runtime())


# -- strategies ---------------------------------------------------------------------------------

WORKSPACE_ID = incident_payload()["workspaceId"]
ARM_ID = incident_payload()["object"]["id"]
SPECIAL_TEXT = [
    "",
    " ",
    "\n",
    "\ud800",
    "a\udfffb",
    "\x00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59.9999999Z",
    "9999-12-31T23:59:00-01:00",
    "2026-11-19T14:30:00Z",
    WORKSPACE_ID,
    WORKSPACE_ID.upper(),
    "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0",
    ARM_ID,
    ARM_ID + "\n/",
    ARM_ID.replace("law-soc/", "law-soc\n/"),
    ARM_ID.replace("2f4a6c8e", "00000000"),
    '<img src=x onerror="alert(1)">',
    "9" * 5_000,
    "Account",
    "Ip",
    "Host",
    "anomaly-lookup/incident@1",
]
#: Placeholders replaced, after ``json.dumps``, by JSON text it cannot write: numbers past
#: Python's 4,300-digit limit, nesting past its recursion limit, odd number forms.
RAW = {
    '"@@digits@@"': "9" * 5_000,
    '"@@deep@@"': "[" * 10_000 + "]" * 10_000,
    '"@@deep-object@@"': '{"a":' * 3_000 + "1" + "}" * 3_000,
    '"@@inf@@"': "1e999",
    '"@@tiny@@"': "-1.5e-400",
}
SPECIAL_VALUES = [*SPECIAL_TEXT, *(key.strip('"') for key in RAW), 10**30, -1, 0.5, [], {}]
texts = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=30),
    st.sampled_from(SPECIAL_TEXT),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**300, -(10**300)]),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.one_of(
    st.sampled_from(SPECIAL_VALUES),
    st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4)
        ),
        max_leaves=16,
    ),
)


def _paths(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _replaced(document: Any, path: tuple[object, ...], value: object) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


PAYLOAD = incident_payload()
PAYLOAD_PATHS = list(_paths(PAYLOAD))


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    """The attack payload with one to three values replaced by anything."""
    document: Any = PAYLOAD
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PAYLOAD_PATHS))
        try:
            document = _replaced(document, path, draw(json_values))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed that path
    return document


def _dumps(value: object) -> bytes:
    text = json.dumps(value)
    for placeholder, raw in RAW.items():
        text = text.replace(placeholder, raw)
    return text.encode("utf-8", "surrogatepass")


def _with(path: tuple[object, ...], value: object) -> Any:
    return _replaced(PAYLOAD, path, value)


PROPS = ("object", "properties")
#: The payloads of issue 11, always among the examples (the search explores beyond them).
KNOWN_BAD = [
    _with((*PROPS, "title"), "\ud800"),
    _with((*PROPS, "relatedEntities", 0, "properties", "accountName"), "a\udfffb"),
    _with((*PROPS, "incidentNumber"), "@@digits@@"),
    _with((*PROPS, "incidentNumber"), "9" * 5_000),
    _with((*PROPS, "description"), "@@deep@@"),
    _with((*PROPS, "alerts", 0, "properties", "endTimeUtc"), "0001-01-01T00:00:00Z"),
    _with((*PROPS, "alerts", 0, "properties", "endTimeUtc"), "9999-12-31T23:59:00-01:00"),
    _with(("object", "id"), ARM_ID.replace("law-soc/", "law-soc\n/")),
    _with(("workspaceId",), "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0"),
]


# -- properties ---------------------------------------------------------------------------------


def _examples(name: str, values: list[Any], **fixed: Any) -> Callable[[Any], Any]:
    """``@example`` for each value (as the argument ``name``)."""

    def decorate(test: Any) -> Any:
        for value in values:
            test = example(**{name: value, **fixed})(test)
        return test

    return decorate


def _assert_http_answers(functions: dict[str, Any], body: bytes) -> None:
    out = Capture()
    response = functions["incidents"](post(body, raw=True), out)
    assert response.status_code in (202, 400), response.get_body()
    answer = json.loads(response.get_body())
    if response.status_code == 202:
        (message,) = out.values
        assert len(message.encode("utf-8")) <= MAX_MESSAGE_BYTES
    else:
        assert out.values == [] and answer["error"]["field"]


@FUZZ
@given(body=st.binary(max_size=3_000))
@_examples("body", [b"[" * 10_000 + b"]" * 10_000, b'{"a": ' + b"9" * 5_000 + b"}"])
def test_http_answers_arbitrary_bytes(
    functions: dict[str, Any], runtime: FunctionRuntime, body: bytes
) -> None:
    _assert_http_answers(functions, body)


@FUZZ
@given(document=json_values)
def test_http_answers_arbitrary_json(
    functions: dict[str, Any], runtime: FunctionRuntime, document: object
) -> None:
    _assert_http_answers(functions, _dumps(document))


@FUZZ
@given(document=mutated_payloads())
@_examples("document", KNOWN_BAD)
def test_http_answers_mutated_incidents(
    functions: dict[str, Any], runtime: FunctionRuntime, document: object
) -> None:
    _assert_http_answers(functions, _dumps(document))
    _assert_http_answers(functions, _dumps({"body": document}))


@FUZZ
@given(data=st.one_of(mutated_payloads(), json_values), as_text=st.booleans())
@_examples("data", KNOWN_BAD, as_text=True)
def test_event_grid_queues_or_drops(
    functions: dict[str, Any], runtime: FunctionRuntime, data: object, as_text: bool
) -> None:
    payload = _dumps(data).decode("utf-8", "surrogatepass") if as_text else data
    for event in (
        func.EventGridEvent(
            id="e",
            data=payload,  # type: ignore[arg-type]
            topic="t",
            subject="s",
            event_type="Contoso.Incident",
            event_time=None,
            data_version="1",
        ),
        func.CloudEvent(id="c", source="s", type="t", specversion="1.0", data=payload),
    ):
        out = Capture()
        functions["incident_events"](event, out)
        for message in out.values:
            message.encode("utf-8")


QUEUED = json.loads(_runtime().submit(_dumps(incident_payload())).message or "{}")
QUEUED_PATHS = list(_paths(QUEUED))
QUEUE_KNOWN_BAD = [
    b"[" * 10_000 + b"]" * 10_000,
    b"9" * 5_000,
    b"\xff\xfe",
    _dumps(_replaced(QUEUED, ("incident", "alertTime"), "0001-01-01T00:00:00Z")),
    _dumps(_replaced(QUEUED, ("incident", "number"), "@@digits@@")),
    _dumps(_replaced(QUEUED, ("incident", "entities"), "@@deep@@")),
    _dumps(_replaced(QUEUED, ("trackingId",), "\ud800")),
    _dumps(_replaced(QUEUED, ("workspaceId",), "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0")),
]


@st.composite
def queue_bodies(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes, arbitrary JSON, or a valid queue message with values replaced."""
    kind = draw(st.sampled_from(["bytes", "json", "mutated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2_000))
    if kind == "json":
        return _dumps(draw(json_values))
    document: Any = QUEUED
    for _ in range(draw(st.integers(1, 3))):
        try:
            document = _replaced(document, draw(st.sampled_from(QUEUED_PATHS)), draw(json_values))
        except (KeyError, IndexError, TypeError):
            continue
    return _dumps(document)


@FUZZ
@given(body=queue_bodies())
@_examples("body", QUEUE_KNOWN_BAD)
def test_the_queue_handler_returns_or_passes_on_only_a_service_failure(
    functions: dict[str, Any], runtime: FunctionRuntime, body: bytes
) -> None:
    # A valid, served message reaches the (failing) services: that failure is raised, for
    # the queue to retry; nothing else may be.
    with contextlib.suppress(OutageError):
        functions["lookup_worker"](QueueMessage(id="m", body=body, dequeue_count=1))


@FUZZ
@given(body=queue_bodies())
@_examples("body", QUEUE_KNOWN_BAD)
def test_the_poison_handler_never_raises(
    functions: dict[str, Any], runtime: FunctionRuntime, body: bytes
) -> None:
    functions["lookup_poison"](QueueMessage(id="p", body=body, dequeue_count=5))
