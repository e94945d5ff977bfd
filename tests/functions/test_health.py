"""GET /api/health: version and configuration problems, never a secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from function_support import get

import function_app
from lookup import __version__
from lookup.functionapp import FunctionRuntime, function_timeout_of

STORAGE = {"AzureWebJobsStorage__queueServiceUri": "https://st.queue.core.windows.net/"}
WORKSPACE = (
    "/subscriptions/2f4a6c8e-1b3d-4f5a-8c7e-9d0b1a2c3e4f/resourceGroups/rg-soc"
    "/providers/Microsoft.OperationalInsights/workspaces/law-soc"
)
GOOD = {
    "ANOMALY_LOOKUP_WORKSPACE_ID": "7b0c4a52-93d1-4c1e-8f3a-6d2e5b9a0c17",
    "ANOMALY_LOOKUP_ALLOWED_WORKSPACES": f"7b0c4a52-93d1-4c1e-8f3a-6d2e5b9a0c17={WORKSPACE}",
    "AZURE_CLIENT_ID": "0e1d2c3b-4a59-4687-9786-a5b4c3d2e1f0",
}
SECRETS = {
    "AzureWebJobsStorage": (
        "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=SECRETKEY1234==;"
        "EndpointSuffix=core.windows.net"
    ),
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=SECRETIKEY-5678",
    "AZURE_CLIENT_SECRET": "SECRETCLIENT-9",
}


def test_healthy_through_the_registered_function(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**STORAGE, **GOOD}.items():
        monkeypatch.setenv(name, value)
    install(FunctionRuntime.from_env({**STORAGE, **GOOD}))
    response = functions["health"](get("health"))
    assert response.status_code == 200
    body = json.loads(response.get_body())
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["problems"] == []
    assert body["warnings"] == []
    configuration = body["configuration"]
    assert configuration["default_workspace_id"] == GOOD["ANOMALY_LOOKUP_WORKSPACE_ID"]
    assert configuration["served_workspaces"] == [GOOD["ANOMALY_LOOKUP_ALLOWED_WORKSPACES"]]
    assert configuration["queue"] == "incident-lookups"
    assert configuration["sentinel_api_version"] == "2025-09-01"
    assert configuration["lookback_days"] == "14"
    assert configuration["tables"] == "auto"
    assert configuration["function_timeout_seconds"] == "1200"
    assert configuration["identity"] == "user-assigned managed identity"


def test_an_invalid_setting_is_reported_by_name_with_503(
    functions: dict[str, Any],
    install: Callable[[FunctionRuntime], FunctionRuntime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in STORAGE.items():
        monkeypatch.setenv(name, value)
    install(FunctionRuntime.from_env({"ANOMALY_LOOKUP_MAX_CONCURRENT_QUERIES": "9"}))
    response = functions["health"](get("health"))
    body = json.loads(response.get_body())
    assert response.status_code == 503
    assert body["status"] == "misconfigured"
    assert body["problems"] == [
        {"setting": "ANOMALY_LOOKUP_MAX_CONCURRENT_QUERIES", "message": "9 is outside 1..5"}
    ]


def test_no_secret_is_ever_shown() -> None:
    environ = {**SECRETS, **GOOD, "ANOMALY_LOOKUP_LOOKBACK_DAYS": "1000"}
    for runtime in (FunctionRuntime.from_env(environ), FunctionRuntime.from_env(GOOD)):
        report = runtime.health(environ, function_timeout=timedelta(minutes=20))
        text = json.dumps(report.body)
        assert "SECRET" not in text
        assert "AccountKey" not in text and "InstrumentationKey" not in text


def test_missing_storage_connection_is_a_problem() -> None:
    report = FunctionRuntime.from_env(GOOD).health(GOOD)
    assert report.status == 503
    assert [p["setting"] for p in report.body["problems"]] == ["AzureWebJobsStorage"]


def test_a_workspace_known_by_id_only_or_no_identity_are_warnings() -> None:
    environ = {"ANOMALY_LOOKUP_WORKSPACE_ID": GOOD["ANOMALY_LOOKUP_WORKSPACE_ID"]}
    report = FunctionRuntime.from_env(environ).health(STORAGE)
    assert report.status == 200
    assert report.body["warnings"] == [
        "ANOMALY_LOOKUP_ALLOWED_WORKSPACES is not set: the function serves "
        "ANOMALY_LOOKUP_WORKSPACE_ID known by its id only, so the incident's ARM id is not "
        "checked against it",
        "AZURE_CLIENT_ID is not set: a user-assigned identity will not be used",
    ]
    assert report.body["configuration"]["served_workspaces"] == [
        GOOD["ANOMALY_LOOKUP_WORKSPACE_ID"]
    ]


def test_serving_no_workspace_is_a_problem() -> None:
    report = FunctionRuntime.from_env({}).health(STORAGE)
    assert report.status == 503
    assert [p["setting"] for p in report.body["problems"]] == ["ANOMALY_LOOKUP_ALLOWED_WORKSPACES"]


def test_a_time_budget_longer_than_the_function_timeout_is_a_problem() -> None:
    runtime = FunctionRuntime.from_env({**GOOD, "ANOMALY_LOOKUP_TIME_BUDGET_SECONDS": "1000"})
    report = runtime.health(STORAGE, function_timeout=timedelta(minutes=20))
    assert report.status == 503
    assert report.body["problems"] == [
        {
            "setting": "ANOMALY_LOOKUP_TIME_BUDGET_SECONDS",
            "message": (
                "time budget 1000 s + query timeout 180 s + 60 s exceeds host.json "
                "functionTimeout (1200 s)"
            ),
        }
    ]


def test_the_default_budget_fits_the_deployed_function_timeout() -> None:
    timeout = function_timeout_of(function_app.HOST_JSON)
    assert timeout == timedelta(minutes=20)
    report = FunctionRuntime.from_env(GOOD).health(STORAGE, function_timeout=timeout)
    assert report.body["problems"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"functionTimeout": "00:20:00"}', timedelta(minutes=20)),
        ('{"functionTimeout": "1.02:03:04"}', timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ('{"functionTimeout": "-1"}', None),
        ('{"version": "2.0"}', None),
        ("not json", None),
    ],
)
def test_function_timeout_of(tmp_path: Path, text: str, expected: timedelta | None) -> None:
    path = tmp_path / "host.json"
    path.write_text(text, encoding="utf-8")
    assert function_timeout_of(path) == expected
    assert function_timeout_of(tmp_path / "missing.json") is None
