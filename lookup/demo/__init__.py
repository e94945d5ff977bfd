"""A realistic demo workspace: five Sentinel tables, three weeks, an incident to look up.

``anomaly-lookup demo`` builds it, runs the lookup and checks the report against the
scenario's ground truth. The modules, from the bottom up:

* :mod:`~lookup.demo.tenant` -- who is who: tenant ids, the victim, her workstation, the
  attacker, the alert time;
* :mod:`~lookup.demo.pools` -- the values rows draw from (names, apps, events, ports);
* :mod:`~lookup.demo.generator` -- the machinery: columns and tables written to Parquet by
  DuckDB, a clock with office hours and quiet weekends, a company of users and hosts;
* :mod:`~lookup.demo.tables` -- the five Sentinel tables (real column names and types) and
  writers of their rows;
* :mod:`~lookup.demo.story` -- the attack and its ground truth (:func:`build_demo_workspace`);
* :mod:`~lookup.demo.incident` -- the incident trigger body the playbook would post;
* :mod:`~lookup.demo.evaluation` -- a report compared with the ground truth.

Only numpy and DuckDB are needed. Nothing here runs in Azure: the function app never
imports this package. The benchmark's generators (labelled detection workspaces, custom
tables, grown workspaces) build on it from ``bench/generators/``.
"""

from __future__ import annotations

from lookup.demo.evaluation import Evaluation, evaluate
from lookup.demo.incident import demo_incident
from lookup.demo.story import (
    TABLE_SHARES,
    DemoScenario,
    Injected,
    Trap,
    build_demo_workspace,
)
from lookup.demo.tenant import (
    ATTACKER_IP,
    DEFAULT_ALERT_TIME,
    HISTORY_DAYS,
    SUBSCRIPTION_ID,
    TENANT_ID,
    VICTIM_AAD_ID,
    VICTIM_HOST,
    VICTIM_HOST_FQDN,
    VICTIM_HOST_IP,
    VICTIM_NAME,
    VICTIM_SID,
    VICTIM_UPN,
    WORKSPACE_ID,
)

__all__ = [
    "ATTACKER_IP",
    "DEFAULT_ALERT_TIME",
    "HISTORY_DAYS",
    "SUBSCRIPTION_ID",
    "TABLE_SHARES",
    "TENANT_ID",
    "VICTIM_AAD_ID",
    "VICTIM_HOST",
    "VICTIM_HOST_FQDN",
    "VICTIM_HOST_IP",
    "VICTIM_NAME",
    "VICTIM_SID",
    "VICTIM_UPN",
    "WORKSPACE_ID",
    "DemoScenario",
    "Evaluation",
    "Injected",
    "Trap",
    "build_demo_workspace",
    "demo_incident",
    "evaluate",
]
