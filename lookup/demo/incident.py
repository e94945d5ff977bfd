"""The demo incident: the trigger body a Sentinel playbook would post for the attack."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lookup.demo.tenant import (
    ATTACKER_IP,
    DEFAULT_ALERT_TIME,
    SUBSCRIPTION_ID,
    VICTIM_AAD_ID,
    VICTIM_HOST,
    VICTIM_NAME,
    VICTIM_SID,
    WORKSPACE_ID,
)

INCIDENT_ID = "0d6e1c5b-6b7f-4d0e-9d1a-6f3b2a1c9e77"
#: The ARM id of the demo workspace's Sentinel provider.
SENTINEL_BASE = (
    f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-secops/providers/"
    "Microsoft.OperationalInsights/workspaces/law-secops/providers/Microsoft.SecurityInsights"
)
_STAMP = "%Y-%m-%dT%H:%M:%S.0000000Z"


def entity_payload(name: str, kind: str, properties: dict[str, Any]) -> dict[str, Any]:
    """One of an incident's ``relatedEntities``."""
    return {
        "id": f"{SENTINEL_BASE}/Entities/{name}",
        "name": name,
        "type": "Microsoft.SecurityInsights/Entities",
        "kind": kind,
        "properties": properties,
    }


def _demo_entities() -> list[dict[str, Any]]:
    """The victim's account, her workstation and the attacker's IP."""
    return [
        entity_payload(
            "a1",
            "Account",
            {
                "accountName": VICTIM_NAME,
                "upnSuffix": "contoso.com",
                "ntDomain": "CONTOSO",
                "sid": VICTIM_SID,
                "aadUserId": VICTIM_AAD_ID,
                "friendlyName": VICTIM_NAME,
            },
        ),
        entity_payload(
            "h1",
            "Host",
            {
                "hostName": VICTIM_HOST,
                "dnsDomain": "contoso.com",
                "friendlyName": VICTIM_HOST,
            },
        ),
        entity_payload("i1", "Ip", {"address": ATTACKER_IP, "friendlyName": ATTACKER_IP}),
    ]


def demo_incident(alert_time: datetime = DEFAULT_ALERT_TIME) -> dict[str, Any]:
    """The incident trigger body the playbook would post for the demo attack."""
    stamp = alert_time.strftime(_STAMP)
    started = (alert_time - timedelta(hours=2)).strftime(_STAMP)
    return {
        "eventUniqueId": "9b1f4c2e-3d5a-4e6f-8a7b-1c2d3e4f5a6b",
        "objectSchemaType": "Incident",
        "objectEventType": "Create",
        "workspaceInfo": {
            "SubscriptionId": SUBSCRIPTION_ID,
            "ResourceGroupName": "rg-secops",
            "WorkspaceName": "law-secops",
        },
        "workspaceId": WORKSPACE_ID,
        "object": {
            "id": f"{SENTINEL_BASE}/Incidents/{INCIDENT_ID}",
            "name": INCIDENT_ID,
            "type": "Microsoft.SecurityInsights/Incidents",
            "properties": {
                "title": "Password spray followed by sign-in from an unusual country",
                "severity": "High",
                "status": "New",
                "incidentNumber": 4711,
                "createdTimeUtc": (alert_time + timedelta(minutes=6)).strftime(_STAMP),
                "firstActivityTimeUtc": started,
                "lastActivityTimeUtc": stamp,
                "incidentUrl": "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/"
                f"Incident{SENTINEL_BASE}/Incidents/{INCIDENT_ID}",
                "alerts": [
                    {
                        "id": f"{SENTINEL_BASE}/Entities/7c1a",
                        "kind": "SecurityAlert",
                        "properties": {
                            "alertDisplayName": "Password spray",
                            "startTimeUtc": started,
                            "endTimeUtc": stamp,
                            "severity": "High",
                        },
                    }
                ],
                "relatedEntities": _demo_entities(),
            },
        },
    }
