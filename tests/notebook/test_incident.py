"""From a notebook, on a real workspace: ``lookup_incident`` with the real Azure SDK clients
(``SecurityInsights``, ``LogsQueryClient``) against local HTTPS fakes of ARM and of the Log
Analytics query API serving the demo workspace. The report is the DuckDB backend's."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fakes.arm import FakeArm, authorization_failed
from fakes.arm import serve as serve_arm
from fakes.log_analytics import FakeCredential, FakeLogAnalytics, FakeWorkspace
from fakes.log_analytics import serve as serve_logs
from notebook_support import Demo

from lookup import azure_clients
from lookup.demo import SUBSCRIPTION_ID, WORKSPACE_ID
from lookup.models import Anomaly
from lookup.notebook import IncidentError, Workspace, lookup_incident
from lookup.notebook.incident import DEFAULT_SENTINEL_API_VERSION, fetch_incident
from lookup.report import Report
from lookup.settings import Settings

RESOURCE_GROUP = "rg-secops"
WORKSPACE_NAME = "law-secops"
WORKSPACE = Workspace(SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE_NAME, WORKSPACE_ID)


@dataclass(frozen=True)
class Azure:
    arm: FakeArm
    logs: FakeLogAnalytics
    incident_id: str
    number: int

    def options(self) -> dict[str, Any]:
        """``lookup_incident`` keywords that point the real clients at the fakes."""
        return {
            "credential": FakeCredential(),
            "arm_endpoint": self.arm.endpoint,
            "logs_endpoint": self.logs.endpoint,
            "arm_client_options": {"connection_verify": self.arm.ca_path},
            "logs_client_options": {"connection_verify": self.logs.ca_path},
        }


def rest_incident(trigger_body: dict[str, Any]) -> dict[str, Any]:
    """The incident as ``incidents.get`` returns it: no entities, no alerts inside."""
    incident = copy.deepcopy(trigger_body["object"])
    incident["properties"].pop("relatedEntities")
    incident["properties"].pop("alerts")
    return incident


@pytest.fixture(scope="module")
def logs_server(demo: Demo) -> Iterator[FakeLogAnalytics]:
    workspace = FakeWorkspace.from_directory(demo.scenario.directory)
    with serve_logs({WORKSPACE_ID: workspace}) as fake:
        yield fake
    workspace.close()


@pytest.fixture(scope="module")
def arm_server() -> Iterator[FakeArm]:
    with serve_arm() as fake:
        yield fake


@pytest.fixture
def azure(demo: Demo, arm_server: FakeArm, logs_server: FakeLogAnalytics) -> Azure:
    arm_server.clear()
    logs_server.clear()
    body = demo.scenario.incident
    incident = rest_incident(body)
    coordinates = (SUBSCRIPTION_ID, RESOURCE_GROUP, WORKSPACE_NAME)
    arm_server.set_incident(*coordinates, incident)
    arm_server.set_entities(
        *coordinates,
        incident["name"],
        {"entities": body["object"]["properties"]["relatedEntities"]},
    )
    return Azure(
        arm_server, logs_server, incident["name"], incident["properties"]["incidentNumber"]
    )


def key(anomaly: Anomaly) -> tuple[object, ...]:
    return (
        anomaly.rank,
        anomaly.entity,
        anomaly.table,
        anomaly.entity_column,
        anomaly.column,
        anomaly.value,
        anomaly.bin_start,
        anomaly.step,
        anomaly.actual,
        anomaly.expected,
        anomaly.series,
        anomaly.drilldown_kql,
    )


def assert_same_findings(report: Report, local: Report) -> None:
    """Same findings and scores, as the Log Analytics end-to-end test has them.

    Categorical columns may differ where the demo files type a column otherwise than the
    table's real schema (Log Analytics uses the real one): only there may the *same rows*
    folded into a finding differ.
    """
    assert [key(a) for a in report.anomalies] == [key(a) for a in local.anomalies]
    retyped = {
        ours.table: set(ours.categorical_columns) ^ set(theirs.categorical_columns)
        for ours, theirs in zip(report.tables, local.tables, strict=True)
    }
    for ours, theirs in zip(report.anomalies, local.anomalies, strict=True):
        assert ours.score == pytest.approx(theirs.score, abs=1e-9)
        assert {c for c, _ in set(ours.related) ^ set(theirs.related)} <= retyped[ours.table]
    assert [(t.table, t.status, t.row_count) for t in report.tables] == [
        (t.table, t.status, t.row_count) for t in local.tables
    ]


def test_incident_by_number_fetched_and_looked_up_on_log_analytics(
    demo: Demo, azure: Azure
) -> None:
    report = lookup_incident(azure.number, WORKSPACE, settings=Settings(), **azure.options())

    assert_same_findings(report, demo.local_report)
    assert len(report.anomalies) >= 13
    incident = report.incident
    assert incident.number == azure.number and incident.name == azure.incident_id
    assert incident.alert_time == demo.local_report.incident.alert_time
    assert incident.alert_time_source == "incident lastActivityTimeUtc"
    assert incident.workspace.workspace_id == WORKSPACE_ID
    assert incident.workspace.arm_id == WORKSPACE.arm_id
    assert report.backend == f"log-analytics:{WORKSPACE_ID}"
    # Displayed in Jupyter with links into the workspace's Logs blade.
    assert "law-secops" in report._repr_html_()

    # ARM: the number found with an incidentNumber filter, the incident read, its entities
    # listed; every call with a token and the Sentinel API version.
    incident_path = (
        f"{WORKSPACE.arm_id}/providers/Microsoft.SecurityInsights/incidents/{azure.incident_id}"
    )
    calls = [(r.method, r.path, r.status) for r in azure.arm.requests]
    assert calls == [
        ("GET", f"{WORKSPACE.arm_id}/providers/Microsoft.SecurityInsights/incidents", 200),
        ("GET", incident_path, 200),
        ("POST", f"{incident_path}/entities", 200),
    ]
    listing = azure.arm.requests[0]
    assert listing.query["$filter"] == [f"properties/incidentNumber eq {azure.number}"]
    assert {r.api_version for r in azure.arm.requests} == {DEFAULT_SENTINEL_API_VERSION}
    assert {r.authorization for r in azure.arm.requests} == {"Bearer fake-token"}
    # Log Analytics: the workspace's tables, every query answered.
    assert azure.logs.requests and {r.workspace_id for r in azure.logs.requests} == {WORKSPACE_ID}
    assert {r.status for r in azure.logs.requests} == {200}


@pytest.mark.parametrize(
    "given",
    ["id", "arm id", "number as text"],
)
def test_incident_by_id_arm_id_or_number_text(azure: Azure, given: str) -> None:
    incident = {
        "id": azure.incident_id,
        "arm id": f"{WORKSPACE.arm_id}/providers/Microsoft.SecurityInsights/Incidents/"
        f"{azure.incident_id}",
        "number as text": str(azure.number),
    }[given]
    sentinel = azure_clients.sentinel_incidents(
        FakeCredential(),
        SUBSCRIPTION_ID,
        arm_endpoint=azure.arm.endpoint,
        api_version=DEFAULT_SENTINEL_API_VERSION,
        options={"connection_verify": azure.arm.ca_path},
    )
    body, entities = fetch_incident(sentinel, WORKSPACE, incident)
    assert body["name"] == azure.incident_id
    assert [e["kind"] for e in entities["entities"]] == ["Account", "Host", "Ip"]
    listed = [r for r in azure.arm.requests if r.path.endswith("/incidents")]
    assert len(listed) == (1 if given == "number as text" else 0)


def test_workspace_from_notebook_settings_or_arm_id() -> None:
    msticpy = {
        "WorkspaceId": WORKSPACE_ID,
        "TenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "SubscriptionId": SUBSCRIPTION_ID,
        "ResourceGroup": RESOURCE_GROUP,
        "WorkspaceName": WORKSPACE_NAME,
    }
    sentinel_config = {
        "workspace_id": WORKSPACE_ID,
        "subscription_id": SUBSCRIPTION_ID,
        "resource_group": RESOURCE_GROUP,
        "workspace_name": WORKSPACE_NAME,
    }
    from_msticpy = Workspace.from_config(msticpy)
    assert from_msticpy.tenant_id == msticpy["TenantId"]
    assert Workspace.from_config(sentinel_config) == WORKSPACE
    assert Workspace.from_arm_id(WORKSPACE.arm_id, WORKSPACE_ID) == WORKSPACE
    with pytest.raises(ValueError, match="WorkspaceName or workspace_name"):
        Workspace.from_config({k: v for k, v in msticpy.items() if k != "WorkspaceName"})
    with pytest.raises(ValueError, match="not a workspace resource id"):
        Workspace.from_arm_id("/subscriptions/x/resourceGroups/y", WORKSPACE_ID)
    with pytest.raises(ValueError, match="workspace_id"):
        lookup_incident(1, WORKSPACE.arm_id)


def test_unknown_incidents_and_missing_roles_are_named(azure: Azure) -> None:
    with pytest.raises(IncidentError, match="no incident number 99999") as raised:
        lookup_incident(99999, WORKSPACE, **azure.options())
    assert raised.value.status == 404
    with pytest.raises(IncidentError, match="not found") as raised:
        lookup_incident("00000000-0000-0000-0000-000000000000", WORKSPACE, **azure.options())
    assert raised.value.status == 404
    azure.arm.add_fault(
        authorization_failed(
            "Microsoft.SecurityInsights/incidents/read", WORKSPACE.arm_id, method="GET"
        )
    )
    with pytest.raises(IncidentError, match="Microsoft Sentinel Reader") as raised:
        lookup_incident(azure.incident_id, WORKSPACE, **azure.options())
    assert raised.value.status == 403
    assert azure.logs.requests == []  # nothing queried for an incident that was not read


def test_the_default_api_version_is_the_function_apps() -> None:
    from lookup.functionapp.settings import AppSettings

    assert AppSettings().sentinel_api_version == DEFAULT_SENTINEL_API_VERSION
