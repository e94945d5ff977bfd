"""One time budget per queue invocation: the lookup and the comment write end before
host.json's functionTimeout, whatever ARM does; a refusal no retry can change ends the
message instead of running the lookup again (real SDK client against the fake ARM)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from fakes.arm import ArmFault, FakeArm
from function_support import (
    Capture,
    build_signin_workspace,
    fake_services,
    fake_settings,
    incident_payload,
    post,
    runtime_with,
)

import function_app
from lookup.backends.local import LocalBackend
from lookup.errors import SinkError
from lookup.functionapp import FunctionRuntime
from lookup.functionapp.budget import (
    COMMENT_RESERVE_SECONDS,
    DEFAULT_FUNCTION_TIMEOUT,
    LOOKUP_OVERRUN_SECONDS,
    MARGIN_SECONDS,
    Budget,
)
from lookup.settings import Settings


@pytest.fixture(scope="module")
def workspace_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("budget-ws")
    build_signin_workspace(directory)
    return directory


class CountingBackends:
    """Local backends over the test workspace, counted (one per lookup)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.built = 0

    def __call__(self, _workspace_id: str) -> LocalBackend:
        self.built += 1
        return LocalBackend(self.directory)


def make_runtime(
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    backends: CountingBackends,
    function_timeout: timedelta | None = None,
) -> FunctionRuntime:
    settings = fake_settings(arm)
    clients = fake_services(settings, arm, backend=backends)
    return install(runtime_with(settings, clients.services, function_timeout=function_timeout))


def queued(functions: dict[str, Any]) -> str:
    out = Capture()
    assert functions["incidents"](post(incident_payload()), out).status_code == 202
    return out.values[0]


def deliver(functions: dict[str, Any], body: str) -> None:
    functions["lookup_worker"](QueueMessage(id="msg-9", body=body, dequeue_count=1))


@pytest.mark.parametrize("status", [400, 404, 409, 412])
def test_a_permanent_refusal_ends_the_message_without_running_the_lookup_again(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    workspace_dir: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    backends = CountingBackends(workspace_dir)
    make_runtime(install, arm, backends)
    arm.add_fault(ArmFault(status, method="PUT", times=100))
    deliver(functions, queued(functions))  # returns: the host deletes the message
    assert backends.built == 1
    assert [(r.method, r.status) for r in arm.requests] == [("PUT", status)]
    (dropped,) = [r for r in caplog.records if r.getMessage().startswith("incident dropped")]
    assert dropped.levelno == logging.ERROR
    assert dropped.custom_dimensions["status"] == status  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "fault",
    [
        ArmFault(503, method="PUT", times=100),
        ArmFault(429, method="PUT", times=100, retry_after="3600"),
        ArmFault(403, method="PUT", times=100, code="AuthorizationFailed"),
    ],
    ids=["503", "429 for an hour", "403 role not propagated yet"],
)
def test_a_failure_another_try_may_fix_is_raised_for_the_queue(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    workspace_dir: Path,
    fault: ArmFault,
) -> None:
    make_runtime(install, arm, CountingBackends(workspace_dir))
    arm.add_fault(fault)
    with pytest.raises(SinkError) as raised:
        deliver(functions, queued(functions))
    assert raised.value.status == fault.status and raised.value.permanent is False


def test_a_hung_comment_write_ends_within_the_invocation_budget(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    arm: FakeArm,
    workspace_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # functionTimeout 64 s: the invocation's deadline is 4 s away. ARM takes the PUT and
    # never answers; the write gives up at the deadline instead of 4 x 300 s later.
    caplog.set_level(logging.INFO, logger="lookup")
    timeout = timedelta(seconds=MARGIN_SECONDS + 4)
    make_runtime(install, arm, CountingBackends(workspace_dir), function_timeout=timeout)
    body = queued(functions)
    arm.add_fault(ArmFault(0, method="PUT", times=100, hang=120))
    started = time.monotonic()
    with pytest.raises(SinkError) as raised:
        deliver(functions, body)
    assert time.monotonic() - started < 9
    assert raised.value.permanent is False
    lookup = next(r for r in caplog.records if r.getMessage().startswith("lookup done"))
    # The lookup's own budget was cut to leave room for the comment.
    assert lookup.custom_dimensions["time_budget"] == 5.0  # type: ignore[attr-defined]


def test_the_function_app_runs_with_host_json_timeout() -> None:
    assert function_app.runtime.function_timeout == timedelta(minutes=20)
    assert timedelta(minutes=20) == DEFAULT_FUNCTION_TIMEOUT


def test_the_lookup_budget_leaves_room_for_the_comment() -> None:
    now = [1_000.0]
    budget = Budget.start(timedelta(minutes=20), clock=lambda: now[0])
    assert budget.remaining() == 20 * 60 - MARGIN_SECONDS
    configured = Settings()  # 600 s: fits, unchanged (the comment footer echoes it)
    assert budget.lookup_settings(configured) is configured
    now[0] += 900  # 240 s left: lookup budget = 240 - reserve - overrun
    cut = budget.lookup_settings(configured)
    assert cut.time_budget_seconds == 240 - COMMENT_RESERVE_SECONDS - LOOKUP_OVERRUN_SECONDS
    now[0] += 230
    assert budget.lookup_settings(configured).time_budget_seconds == 5.0
