"""Helpers of the function app tests: runtime types, a runtime on the fakes, a workspace.

The functions are called as the Python worker calls them: ``get_user_function()`` of the
functions ``function_app.app`` registers, with ``azure.functions`` request, message and
event objects. The runtime behind them (:class:`lookup.functionapp.FunctionRuntime`) is
replaced per test with one whose clients talk to local HTTPS fakes of ARM and Log
Analytics, through the real Azure SDK clients.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import azure.functions as func
import numpy as np
from fakes.arm import FakeArm, RecordingTransport
from fakes.log_analytics import FakeCredential

from lookup.functionapp import AzureServices, FunctionRuntime, Services
from lookup.functionapp.settings import AppSettings
from lookup.functionapp.workspaces import AllowedWorkspace
from lookup.sentinel.comments import IncidentRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"

#: The small workspace of the end-to-end tests (see :func:`build_signin_workspace`).
ALERT_TIME = datetime(2026, 11, 19, 14, 30, tzinfo=UTC)
WORKSPACE_ID = "7b0c4a52-93d1-4c1e-8f3a-6d2e5b9a0c17"
SUBSCRIPTION_ID = "2f4a6c8e-1b3d-4f5a-8c7e-9d0b1a2c3e4f"
RESOURCE_GROUP = "rg-soc"
WORKSPACE_NAME = "law-soc"
INCIDENT_ID = "5d1c9e2a-7b3f-4a6e-9c8d-1e2f3a4b5c6d"
VICTIM = "adele.vance@contoso.com"
ATTACKER_IP = "203.0.113.66"
#: Values only the attack produces: each must be reported.
INJECTED = ("RU", "Azure Active Directory PowerShell", ATTACKER_IP)
#: The workspace of the REST incident fixture (which carries no workspace id).
REST_WORKSPACE_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def workspace_resource_id(subscription: str, group: str, name: str) -> str:
    return (
        f"/subscriptions/{subscription}/resourceGroups/{group}"
        f"/providers/Microsoft.OperationalInsights/workspaces/{name}"
    )


#: The allow-list of the tests' runtimes: the workspace of every payload they post.
SERVED = (
    AllowedWorkspace(
        WORKSPACE_ID, workspace_resource_id(SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE_NAME)
    ),
    AllowedWorkspace(
        "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
        workspace_resource_id("e4951288-c9ca-419a-9659-4048ffec804a", "soc-lab", "soc-lab-logs"),
    ),
    AllowedWorkspace(
        "7d4f1c2a-0e9b-4c55-8a31-2b6e9f0d4c18",
        workspace_resource_id(
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "rg-xxx-xxx", "log-hubhnakada-JapanEast"
        ),
    ),
    AllowedWorkspace(
        "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        workspace_resource_id(
            "11111111-2222-3333-4444-555555555555", "rg-sentinel", "law-sentinel"
        ),
    ),
    AllowedWorkspace(
        REST_WORKSPACE_ID,
        workspace_resource_id("d0cfe6b2-9ac0-4464-9919-dccaee2e48c0", "myRg", "myWorkspace"),
    ),
)


def served_settings(**overrides: Any) -> AppSettings:
    """Settings serving :data:`SERVED` (and ``overrides``)."""
    return AppSettings(**{"allowed_workspaces": SERVED, **overrides})


def load(name: str) -> Any:
    """A payload fixture of ``tests/fixtures/payloads``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class Capture(func.Out[str]):
    """An output binding that keeps what the function sets (the queue message)."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def set(self, val: str) -> None:
        self.values.append(val)

    def get(self) -> str:
        return self.values[-1]


def post(body: object, *, raw: bool = False) -> func.HttpRequest:
    """``POST /api/incidents`` with ``body`` (JSON-encoded unless ``raw`` bytes/str)."""
    if raw:
        data = body if isinstance(body, bytes) else str(body).encode("utf-8")
    else:
        data = json.dumps(body).encode("utf-8")
    return func.HttpRequest(
        "POST",
        "https://anomaly-lookup.azurewebsites.net/api/incidents",
        headers={"Content-Type": "application/json"},
        params={},
        route_params={},
        body=data,
    )


def get(path: str) -> func.HttpRequest:
    return func.HttpRequest(
        "GET", f"https://anomaly-lookup.azurewebsites.net/api/{path}", headers={}, body=b""
    )


class NoServices:
    """Services that fail the test if anything asks for a client."""

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings

    def backend(self, workspace_id: str) -> Any:
        raise AssertionError("no Log Analytics client may be built here")

    def incidents(self, subscription_id: str) -> Any:
        raise AssertionError("no Sentinel client may be built here")


def offline_runtime(settings: AppSettings | None = None) -> FunctionRuntime:
    """A runtime whose triggers may not touch Azure (the HTTP and Event Grid paths)."""
    return FunctionRuntime(
        settings or served_settings(),
        services_factory=NoServices,
        clock=lambda: datetime(2026, 11, 19, 14, 36, tzinfo=UTC),
    )


# -- the fake ARM endpoint ------------------------------------------------------------------


def fake_settings(arm: FakeArm, logs: Any | None = None, **overrides: Any) -> AppSettings:
    """Settings whose endpoints are the fakes'."""
    endpoints: dict[str, Any] = {"arm_endpoint": arm.endpoint, "allowed_workspaces": SERVED}
    if logs is not None:
        endpoints["logs_endpoint"] = logs.endpoint
    return AppSettings(**{**endpoints, **overrides})


@dataclass
class Clients:
    """What a test needs to point a runtime at the fakes and see what the SDK did."""

    transport: RecordingTransport
    services: AzureServices


def fake_services(
    settings: AppSettings,
    arm: FakeArm,
    *,
    logs: Any | None = None,
    backend: Callable[[str], Any] | None = None,
) -> Clients:
    """Real Azure SDK clients pointed at the fakes, with retries that record their waits."""
    from lookup.backends.log_analytics import RetrySchedule

    transport = RecordingTransport(connection_verify=arm.ca_path)
    services = AzureServices(
        settings,
        credential=FakeCredential(),
        logs_client_options={"connection_verify": logs.ca_path} if logs is not None else {},
        arm_client_options={"transport": transport},
        backend_options={"retry": RetrySchedule(max_retries=2, base_delay=0.01, jitter=0.0)},
    )
    if backend is not None:
        services.backend = backend  # type: ignore[method-assign]
    return Clients(transport, services)


def runtime_with(
    settings: AppSettings, services: Services, *, function_timeout: timedelta | None = None
) -> FunctionRuntime:
    return FunctionRuntime(
        settings,
        services_factory=lambda _settings: services,
        clock=lambda: datetime(2026, 11, 19, 14, 36, tzinfo=UTC),
        function_timeout=function_timeout,
    )


# -- a small workspace with one attack -------------------------------------------------------


def incident_payload(*, entities: bool = True) -> dict[str, Any]:
    """The incident trigger body of the attack in :func:`build_signin_workspace`."""
    workspace = (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/"
        f"Microsoft.OperationalInsights/workspaces/{WORKSPACE_NAME}"
    )
    base = f"{workspace}/providers/Microsoft.SecurityInsights"
    related = [
        {
            "id": f"{base}/Entities/a1",
            "name": "a1",
            "type": "Microsoft.SecurityInsights/Entities",
            "kind": "Account",
            "properties": {
                "accountName": "adele.vance",
                "upnSuffix": "contoso.com",
                "friendlyName": "adele.vance",
            },
        },
        {
            "id": f"{base}/Entities/i1",
            "name": "i1",
            "type": "Microsoft.SecurityInsights/Entities",
            "kind": "Ip",
            "properties": {"address": ATTACKER_IP, "friendlyName": ATTACKER_IP},
        },
    ]
    stamp = ALERT_TIME.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    return {
        "eventUniqueId": "0f1e2d3c-4b5a-4697-8877-665544332211",
        "objectSchemaType": "Incident",
        "objectEventType": "Create",
        "workspaceInfo": {
            "SubscriptionId": SUBSCRIPTION_ID,
            "ResourceGroupName": RESOURCE_GROUP,
            "WorkspaceName": WORKSPACE_NAME,
        },
        "workspaceId": WORKSPACE_ID,
        "object": {
            "id": f"{base}/Incidents/{INCIDENT_ID}",
            "name": INCIDENT_ID,
            "type": "Microsoft.SecurityInsights/Incidents",
            "properties": {
                "title": "Sign-in from an unusual country",
                "severity": "High",
                "status": "New",
                "incidentNumber": 812,
                "createdTimeUtc": "2026-11-19T14:36:02.1234567Z",
                "lastActivityTimeUtc": stamp,
                "alerts": [
                    {
                        "id": f"{base}/Entities/alert1",
                        "kind": "SecurityAlert",
                        "properties": {"alertDisplayName": "Unusual sign-in", "endTimeUtc": stamp},
                    }
                ],
                "relatedEntities": related if entities else [],
            },
        },
    }


def list_entities_response() -> dict[str, Any]:
    """What the list-entities API answers for the attack's incident."""
    related = incident_payload()["object"]["properties"]["relatedEntities"]
    return {
        "entities": related,
        "metaData": [{"entityKind": "Account", "count": 1}, {"entityKind": "Ip", "count": 1}],
    }


INCIDENT_REF = IncidentRef(SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE_NAME, INCIDENT_ID)


def build_signin_workspace(directory: Path) -> Path:
    """``SigninLogs.jsonl``: 31 users signing in from home for 20 days, then an attack.

    Every user signs in ten times a day from one country, one IP and common apps. In the
    two hours before the alert, the victim's account signs in 25 times from Russia, from
    the attacker's IP, with Azure AD PowerShell: values never seen before (:data:`INJECTED`).
    """
    rng = np.random.default_rng(812)
    users = [VICTIM] + [f"user{i:02d}@contoso.com" for i in range(30)]
    countries = ["US", "GB", "DE"]
    apps = ["Office 365 Exchange Online", "Microsoft Teams", "Office 365 SharePoint Online"]
    rows: list[dict[str, Any]] = []

    def row(when: datetime, user: str, location: str, ip: str, app: str, result: str) -> None:
        rows.append(
            {
                "TimeGenerated": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "UserPrincipalName": user,
                "Location": location,
                "IPAddress": ip,
                "AppDisplayName": app,
                "ResultType": result,
                "Type": "SigninLogs",
            }
        )

    midnight = ALERT_TIME.replace(hour=0, minute=0)
    for day in range(20, -1, -1):
        for index, user in enumerate(users):
            for _ in range(10):
                when = (
                    midnight
                    - timedelta(days=day)
                    + timedelta(minutes=int(rng.integers(8 * 60, 12 * 60)))
                )
                if when >= ALERT_TIME:
                    continue
                row(
                    when,
                    user,
                    countries[index % 3],
                    f"198.51.100.{index + 10}",
                    apps[int(rng.integers(0, 3))],
                    "0",
                )
    for minute in range(25):
        row(
            ALERT_TIME - timedelta(minutes=110 - 4 * minute),
            VICTIM,
            "RU",
            ATTACKER_IP,
            "Azure Active Directory PowerShell",
            "0",
        )
    path = directory / "SigninLogs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
