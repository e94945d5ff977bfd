"""``GET /api/health``: version, effective configuration and configuration problems.

:func:`health` never shows a secret (keys, connection strings); :func:`function_timeout_of`
reads ``host.json``'s ``functionTimeout``, which the time budget must fit in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from lookup import __version__
from lookup.errors import SettingsError
from lookup.functionapp.settings import (
    ENV_ALLOWED_WORKSPACES,
    ENV_MANAGED_IDENTITY_CLIENT_ID,
    ENV_WORKSPACE_ID,
    AppSettings,
)
from lookup.settings import ENV_TIME_BUDGET_SECONDS

#: Seconds a lookup may run past its time budget: queries in flight when the budget ends
#: (up to the query timeout), then rendering and writing the comment.
BUDGET_SLACK_SECONDS = 60

#: Any of these configures the host storage (the queue trigger and output need it).
_STORAGE_SETTINGS = (
    "AzureWebJobsStorage",
    "AzureWebJobsStorage__queueServiceUri",
    "AzureWebJobsStorage__accountName",
)
#: The Azure packages the worker imports on the first message, by the name it installs as.
_AZURE_PACKAGES = (
    ("azure.identity", "azure-identity"),
    ("azure.monitor.query", "azure-monitor-query"),
    ("azure.mgmt.securityinsight", "azure-mgmt-securityinsight"),
)


@dataclass(frozen=True)
class HealthReport:
    """The health endpoint's answer."""

    status: int
    body: dict[str, Any]


def health(
    settings_or_error: AppSettings | SettingsError,
    environ: Mapping[str, str],
    *,
    function_timeout: timedelta | None = None,
) -> HealthReport:
    """Version, configuration and problems; 200 when there is no problem, else 503.

    ``function_timeout`` is ``host.json``'s ``functionTimeout``: a time budget that cannot
    finish within it is a problem.
    """
    problems: list[dict[str, str]] = []
    warnings: list[str] = []
    configuration: dict[str, Any] = {}
    if isinstance(settings_or_error, SettingsError):
        problems.append({"setting": settings_or_error.name, "message": settings_or_error.message})
    else:
        settings = settings_or_error
        configuration = _configuration(settings)
        warnings.extend(_warnings(settings))
        if not settings.served_workspaces:
            problems.append(
                {
                    "setting": ENV_ALLOWED_WORKSPACES,
                    "message": "no workspace is served, every incident is refused: set it to "
                    "<workspace id>=<workspace resource id>",
                }
            )
        if function_timeout is not None:
            seconds = int(function_timeout.total_seconds())
            configuration["function_timeout_seconds"] = str(seconds)
            problems.extend(_budget_problems(settings, function_timeout))
    problems.extend(_environment_problems(environ))
    body = {
        "status": "ok" if not problems else "misconfigured",
        "version": __version__,
        "problems": problems,
        "warnings": warnings,
        "configuration": configuration,
    }
    return HealthReport(200 if not problems else 503, body)


def _configuration(settings: AppSettings) -> dict[str, Any]:
    """The effective settings, without secrets (there are none among them)."""
    lookup = settings.lookup
    return {
        **lookup.echo(),
        "query_timeout_seconds": str(lookup.query_timeout_seconds),
        "max_concurrent_queries": str(lookup.max_concurrent_queries),
        "queue": settings.queue_name,
        "sentinel_api_version": settings.sentinel_api_version,
        "logs_endpoint": settings.logs_endpoint,
        "arm_endpoint": settings.arm_endpoint,
        "default_workspace_id": settings.workspace_id,
        "served_workspaces": [entry.text() for entry in settings.served_workspaces],
        "identity": (
            "user-assigned managed identity"
            if settings.managed_identity_client_id
            else "DefaultAzureCredential without a client id (system-assigned "
            "identity or a developer sign-in)"
        ),
    }


def _warnings(settings: AppSettings) -> list[str]:
    warnings = []
    if not settings.allowed_workspaces and settings.workspace_id is not None:
        warnings.append(
            f"{ENV_ALLOWED_WORKSPACES} is not set: the function serves {ENV_WORKSPACE_ID} "
            "known by its id only, so the incident's ARM id is not checked against it"
        )
    if not settings.managed_identity_client_id:
        warnings.append(
            f"{ENV_MANAGED_IDENTITY_CLIENT_ID} is not set: a user-assigned identity "
            "will not be used"
        )
    return warnings


def _budget_problems(settings: AppSettings, function_timeout: timedelta) -> list[dict[str, str]]:
    """A time budget that, with the queries in flight, outlasts ``functionTimeout``."""
    lookup = settings.lookup
    needed = lookup.time_budget_seconds + lookup.query_timeout_seconds + BUDGET_SLACK_SECONDS
    if needed <= function_timeout.total_seconds():
        return []
    return [
        {
            "setting": ENV_TIME_BUDGET_SECONDS,
            "message": (
                f"time budget {lookup.time_budget_seconds:g} s + query "
                f"timeout {lookup.query_timeout_seconds} s + "
                f"{BUDGET_SLACK_SECONDS} s exceeds host.json functionTimeout "
                f"({int(function_timeout.total_seconds())} s)"
            ),
        }
    ]


def _environment_problems(environ: Mapping[str, str]) -> list[dict[str, str]]:
    """No host storage configured; an Azure package missing from the deployment."""
    problems = []
    if not any(environ.get(name) for name in _STORAGE_SETTINGS):
        problems.append(
            {
                "setting": "AzureWebJobsStorage",
                "message": "not configured: the queue trigger and output need it "
                "(or AzureWebJobsStorage__queueServiceUri for identity-based access)",
            }
        )
    for module, package in _AZURE_PACKAGES:
        try:
            __import__(module)
        except ImportError:
            problems.append(
                {"setting": "requirements.txt", "message": f"{package} is not installed"}
            )
    return problems


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
