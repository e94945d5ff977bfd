"""Fixtures of the function app tests (helpers are in ``function_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakes.arm import FakeArm
from fakes.arm import serve as serve_arm

import function_app
from lookup.functionapp import FunctionRuntime


@pytest.fixture(scope="session")
def registered() -> dict[str, Any]:
    """The registered functions by name (``azure.functions.decorators.Function``)."""
    return {f.get_function_name(): f for f in function_app.app.get_functions()}


@pytest.fixture(scope="session")
def functions(registered: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """The user functions by name, called as the worker calls them."""
    return {name: f.get_user_function() for name, f in registered.items()}


@pytest.fixture
def install(monkeypatch: pytest.MonkeyPatch) -> Callable[[FunctionRuntime], FunctionRuntime]:
    """Replace the function app's runtime for one test."""

    def installer(runtime: FunctionRuntime) -> FunctionRuntime:
        monkeypatch.setattr(function_app, "runtime", runtime)
        return runtime

    return installer


@pytest.fixture(scope="session")
def arm_server() -> Iterator[FakeArm]:
    with serve_arm() as fake:
        yield fake


@pytest.fixture
def arm(arm_server: FakeArm) -> FakeArm:
    """The fake ARM endpoint, emptied for this test."""
    arm_server.clear()
    return arm_server
