"""Least privilege of the function's identity on the Sentinel workspace, and the time budget.

The function's role is a custom role (infra/workspace/workspace.bicep) with the actions of
tests/infra/fixtures/function-workspace-role.json, each copied from the provider operations
Microsoft publishes (sources in the fixture). It replaces Microsoft Sentinel Responder, which
also lets its holder change, close and reassign incidents and manage automation rules.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from infra_support import REPO_ROOT, Template, as_call, evaluate, ref

FIXTURE = Path(__file__).parent / "fixtures" / "function-workspace-role.json"

SENTINEL_RESPONDER = "3e150937-b8fe-4cfb-8069-0eaf05ecd056"
SENTINEL_CONTRIBUTOR = "ab8e14d6-4a74-4a29-9ba8-549422addade"
SENTINEL_READER = "8d289c81-5878-46d4-8554-54e1e3d8b5cb"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
LOG_ANALYTICS_CONTRIBUTOR = "92aaf0da-9dab-42b6-94a3-d43ce8d16293"


@pytest.fixture(scope="module")
def role_fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workspace_side(templates: dict[str, Template]) -> Template:
    return templates["workspace/workspace.bicep"]


def arm_matches(pattern: str, operation: str) -> bool:
    """Whether an Azure RBAC action pattern grants an operation (case-insensitive, `*` = any)."""
    return fnmatchcase(operation.lower(), pattern.lower().replace("[", "[[]"))


def role_actions(template: Template) -> dict[str, Any]:
    props = template.config("functionRole")["properties"]
    (permissions,) = props["permissions"]
    return {
        "actions": template.resolve(permissions["actions"]),
        "notActions": permissions["notActions"],
        "dataActions": permissions["dataActions"],
        "notDataActions": permissions["notDataActions"],
        "type": props["type"],
        "assignableScopes": props["assignableScopes"],
    }


def test_the_fixture_is_consistent(role_fixture: dict[str, Any]) -> None:
    actions = role_fixture["actions"]
    assert len(actions) == len(set(actions))
    assert set(role_fixture["action_sources"]) == set(actions)
    for action, sources in role_fixture["action_sources"].items():
        assert sources, f"{action} has no source"
        assert set(sources) <= set(role_fixture["sources"]), action
    needed = {
        action
        for calls in role_fixture["calls"].values()
        for call in calls.values()
        for action in call["actions"]
    }
    assert needed == set(actions), "every action serves a call, every call's action is granted"


def test_the_function_role_grants_exactly_the_verified_actions(
    workspace_side: Template, role_fixture: dict[str, Any]
) -> None:
    role = role_actions(workspace_side)
    assert role["type"] == "customRole"
    assert role["actions"] == role_fixture["actions"]
    assert role["notActions"] == role["dataActions"] == role["notDataActions"] == []
    # Assignable only in the group it is defined in (the workspace's), nowhere else.
    (scope,) = role["assignableScopes"]
    access = ref(scope)
    assert access is not None and access[1] == ("id",)
    call = as_call(access[0])
    assert call is not None and call.name == "resource_group"
    assert all(value is None for value in call.args.values())


def test_no_action_can_change_incidents_rules_or_the_workspace(
    workspace_side: Template, role_fixture: dict[str, Any]
) -> None:
    actions = role_actions(workspace_side)["actions"]
    for action in actions:
        assert action.count("*") <= 1, action
        if "*" in action:
            # The one wildcard stands for a table name: read-only by construction.
            assert action.endswith("/read") and "/query/*/" in action, action
        assert not action.lower().endswith(("/delete", "/action")), action
        assert "Microsoft.Authorization" not in action, action
    for operation in role_fixture["never"]["operations"]:
        granted = [a for a in actions if arm_matches(a, operation)]
        assert granted == [], f"{operation} is granted by {granted}"
    # The only write is the comment.
    writes = [a for a in actions if a.lower().endswith("/write")]
    assert writes == ["Microsoft.SecurityInsights/incidents/comments/write"]
    # Per-table reads of the published operations are matched by the table wildcard.
    for table in ("SecurityEvent", "SigninLogs", "Usage", "Tables.Custom"):
        operation = f"Microsoft.OperationalInsights/workspaces/query/{table}/read"
        assert any(arm_matches(a, operation) for a in actions), operation


def _client_calls(path: Path) -> set[str]:
    """``group.operation`` of every ``self.client.<...>(...)`` call in a source file."""
    calls = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        chain: list[str] = []
        func: ast.expr = node.func
        while isinstance(func, ast.Attribute):
            chain.append(func.attr)
            func = func.value
        chain.reverse()
        if isinstance(func, ast.Name) and func.id == "self" and chain[:1] == ["client"]:
            calls.add(".".join(chain[1:]))
    return calls


@pytest.mark.parametrize("rel", ["lookup/sentinel/comments.py", "lookup/backends/log_analytics.py"])
def test_every_azure_call_of_the_code_is_covered_by_the_role(
    rel: str, role_fixture: dict[str, Any], workspace_side: Template
) -> None:
    path = REPO_ROOT / rel
    calls = _client_calls(path)
    listed = role_fixture["calls"][rel]
    assert calls == set(listed), (
        f"{rel} makes Azure calls {sorted(calls)}; the fixture lists {sorted(listed)}: find "
        "the actions a new call needs (with a source) before granting them"
    )
    actions = role_actions(workspace_side)["actions"]
    for call, entry in listed.items():
        for needed in entry["actions"]:
            assert needed in actions, f"{call} needs {needed}"


def _assignments(template: Template) -> list[dict[str, Any]]:
    return [
        r["config"]
        for r in template.resources_of_type("Microsoft.Authorization/roleAssignments").values()
    ]


def test_the_function_identity_gets_only_the_custom_role_on_the_workspace(
    workspace_side: Template,
) -> None:
    by_principal: dict[str, list[Any]] = {}
    for config in _assignments(workspace_side):
        assert config["scope"] == "workspace"
        by_principal.setdefault(config["properties"]["principalId"], []).append(
            config["properties"]["roleDefinitionId"]
        )
    assert set(by_principal) == {"functionPrincipalId", "playbookPrincipalId"}
    (function_role,) = by_principal["functionPrincipalId"]
    call = as_call(function_role)
    assert call is not None and call.name == "subscription_resource_id"
    assert ref(call.args["resource_name_1"]) == ("functionRole", ("name",))
    (playbook_role,) = by_principal["playbookPrincipalId"]
    call = as_call(playbook_role)
    assert call is not None
    assert workspace_side.resolve(call.args["resource_name_1"]) == SENTINEL_READER


def test_no_template_assigns_responder_or_a_broader_role(
    templates: dict[str, Template],
) -> None:
    for template in templates.values():
        text = template.text.lower()
        for guid, name in {
            SENTINEL_RESPONDER: "Microsoft Sentinel Responder",
            SENTINEL_CONTRIBUTOR: "Microsoft Sentinel Contributor",
            CONTRIBUTOR: "Contributor",
            OWNER: "Owner",
            LOG_ANALYTICS_CONTRIBUTOR: "Log Analytics Contributor",
        }.items():
            assert guid not in text, f"{template.rel} uses {name}"


# ------------------------------------------------------------------------- time budget


def _function_timeout_seconds() -> int:
    host = json.loads((REPO_ROOT / "host.json").read_text(encoding="utf-8"))
    match = re.fullmatch(r"(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})", host["functionTimeout"])
    assert match, host["functionTimeout"]
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _health_module() -> Any:
    """The function app module that checks the budget against functionTimeout at run time."""
    for name in ("lookup.functionapp.health", "lookup.service"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def test_the_time_budget_cannot_outlast_the_function_timeout(main_template: Template) -> None:
    from lookup.settings import Settings

    timeout = _function_timeout_seconds()
    assert timeout == 20 * 60
    health = _health_module()
    if hasattr(health, "function_timeout_of"):
        parsed = health.function_timeout_of(REPO_ROOT / "host.json")
        assert parsed is not None and parsed.total_seconds() == timeout
    maximum = main_template.decorator("lookupTimeBudgetSeconds", "max_value")
    minimum = main_template.decorator("lookupTimeBudgetSeconds", "min_value")
    default = main_template.param_default("lookupTimeBudgetSeconds")
    assert isinstance(maximum, int) and minimum <= default <= maximum
    # After the budget: the queries in flight (query timeout, left at the code default in
    # Azure) and the comment write (the service's slack) must still end before the host
    # kills the function.
    query_timeout = Settings().query_timeout_seconds
    slack = getattr(health, "BUDGET_SLACK_SECONDS", 60)
    assert maximum + query_timeout + slack < timeout, (
        f"lookupTimeBudgetSeconds may be {maximum} s: + {query_timeout} s query timeout + "
        f"{slack} s for the comment >= host.json functionTimeout {timeout} s"
    )


def test_the_query_timeout_is_not_raised_by_the_deployment(templates: dict[str, Template]) -> None:
    # The margin above assumes the code default query timeout: the app settings never set it.
    app = templates["app/function-app.bicep"]
    settings = app.config("functionApp")["properties"]["siteConfig"]["appSettings"]
    assert "ANOMALY_LOOKUP_QUERY_TIMEOUT_SECONDS" not in {entry["name"] for entry in settings}


def test_automation_rule_filters_are_parsed_like_before(workspace_side: Template) -> None:
    params = {
        "automationRuleSeverities": "High, Medium",
        "automationRuleAnalyticRuleIds": "/a/alertRules/1,/a/alertRules/2",
    }
    assert evaluate(workspace_side, "severityList", params) == ["High", "Medium"]
    assert evaluate(workspace_side, "analyticRuleIdList", params) == [
        "/a/alertRules/1",
        "/a/alertRules/2",
    ]
    assert evaluate(workspace_side, "severityList", {}) == []
