"""Incident payloads with more entities: the demo incident plus members of the demo company."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lookup.demo import DEFAULT_ALERT_TIME, demo_incident
from lookup.demo.generator import home_ip, user_principal_name, workstation
from lookup.demo.incident import entity_payload


def account_payload(name: str, user: str) -> dict[str, Any]:
    """An Account entity of the UPN ``user``."""
    short = user.split("@")[0]
    return entity_payload(
        name,
        "Account",
        {
            "accountName": short,
            "upnSuffix": user.split("@")[1],
            "ntDomain": "CONTOSO",
            "friendlyName": short,
        },
    )


def host_payload(name: str, fqdn: str) -> dict[str, Any]:
    """A Host entity of ``fqdn``."""
    host, _, domain = fqdn.partition(".")
    return entity_payload(
        name, "Host", {"hostName": host, "dnsDomain": domain, "friendlyName": host}
    )


def ip_payload(name: str, address: str) -> dict[str, Any]:
    """An Ip entity."""
    return entity_payload(name, "Ip", {"address": address, "friendlyName": address})


def company_entities(count: int, *, first_user: int = 1) -> list[dict[str, Any]]:
    """``count`` payload entities of demo company members, present in every demo workspace.

    Entities cycle Account, Host, Ip over users ``first_user``, ``first_user + 1``, ...:
    the user's UPN, workstation ``WS-<index>.contoso.com`` and home IP. Users 1 to 3 exist
    whatever the workspace size (the company has at least 60 users).
    """
    out: list[dict[str, Any]] = []
    for i in range(count):
        user = first_user + i // 3
        kind = i % 3
        if kind == 0:
            out.append(account_payload(f"x{i}", user_principal_name(user)))
        elif kind == 1:
            out.append(host_payload(f"x{i}", workstation(user)))
        else:
            out.append(ip_payload(f"x{i}", home_ip(user)))
    return out


def with_entities(
    incident: Mapping[str, Any], entities: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """A copy of an incident trigger body whose ``relatedEntities`` are ``entities``."""
    out = copy.deepcopy(dict(incident))
    out["object"]["properties"]["relatedEntities"] = [copy.deepcopy(dict(e)) for e in entities]
    return out


def demo_incident_entities(count: int, alert_time: datetime = DEFAULT_ALERT_TIME) -> dict[str, Any]:
    """The demo incident with ``count`` entities.

    1: the victim's account only; 2: account and workstation; 3: the demo incident as is
    (account, workstation, attacker IP); more: the demo's three plus
    :func:`company_entities` of other users.
    """
    if count < 1:
        raise ValueError("an incident needs at least one entity")
    incident = demo_incident(alert_time)
    own = list(incident["object"]["properties"]["relatedEntities"])
    entities = own[:count] if count <= len(own) else own + company_entities(count - len(own))
    return with_entities(incident, entities)
