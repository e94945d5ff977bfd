"""The Bicep templates under infra/, parsed with pycep-parser and checked for what issue 5 asks.

- every .bicep file parses, every module and loadJsonContent path exists;
- every resource the deployment needs is declared, with its security settings;
- every role assignment uses the intended built-in (or the one custom) role, the intended
  principal, and a scope no wider than stated; main.bicep wires principals and scopes so;
- every app setting the code reads is set; no secret, key or connection string is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from infra_support import (
    INFRA_DIR,
    Template,
    as_call,
    call_name,
    evaluate,
    interpolation_refs,
    module_using,
    ref,
    unquoted_keys,
    walk,
)

from lookup.functionapp.workspaces import parse_allowed_workspaces

BICEP_FILES = sorted(p.relative_to(INFRA_DIR).as_posix() for p in INFRA_DIR.rglob("*.bicep"))

# Built-in role definition ids (identical in every tenant), from
# MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/*.md
SENTINEL_READER = "8d289c81-5878-46d4-8554-54e1e3d8b5cb"
SENTINEL_AUTOMATION_CONTRIBUTOR = "f4c81013-99ee-4d62-a7ee-b3f1f648599a"
STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
# Roles no assignment of this deployment may use.
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "ab8e14d6-4a74-4a29-9ba8-549422addade": "Microsoft Sentinel Contributor",
    # Can change, close and reassign incidents and manage automation rules (issue 11): the
    # function's identity has a custom role instead (tests/infra/test_infra_workspace_role.py).
    "3e150937-b8fe-4cfb-8069-0eaf05ecd056": "Microsoft Sentinel Responder",
    "de139f84-1756-47ae-9be6-808fbbe84772": "Website Contributor",
}
CUSTOM_FUNCTION_KEY_READER = "custom:functionKeyReader"
CUSTOM_FUNCTION_WORKSPACE_ROLE = "custom:functionRole"
RESOURCE_GROUP = "<the module's resource group>"

# (module file, role, principal parameter of that module, scope: resource type or RESOURCE_GROUP)
EXPECTED_ROLE_ASSIGNMENTS = {
    (
        "rbac/app-roles.bicep",
        STORAGE_BLOB_DATA_OWNER,
        "principalId",
        "Microsoft.Storage/storageAccounts",
    ),
    (
        "rbac/app-roles.bicep",
        STORAGE_QUEUE_DATA_CONTRIBUTOR,
        "principalId",
        "Microsoft.Storage/storageAccounts",
    ),
    (
        "rbac/app-roles.bicep",
        MONITORING_METRICS_PUBLISHER,
        "principalId",
        "Microsoft.Insights/components",
    ),
    (
        "workspace/workspace.bicep",
        CUSTOM_FUNCTION_WORKSPACE_ROLE,
        "functionPrincipalId",
        "Microsoft.OperationalInsights/workspaces",
    ),
    (
        "workspace/workspace.bicep",
        SENTINEL_READER,
        "playbookPrincipalId",
        "Microsoft.OperationalInsights/workspaces",
    ),
    (
        "rbac/playbook-roles.bicep",
        SENTINEL_AUTOMATION_CONTRIBUTOR,
        "sentinelServicePrincipalObjectId",
        RESOURCE_GROUP,
    ),
    (
        "rbac/playbook-roles.bicep",
        CUSTOM_FUNCTION_KEY_READER,
        "playbookPrincipalId",
        "Microsoft.Web/sites",
    ),
}

# App settings the function reads in Azure; infra/app/function-app.bicep sets exactly these.
# The ENV_* constants of lookup.settings and lookup.functionapp.settings are cross-checked
# below: each one is either here or in ENV_LEFT_AT_CODE_DEFAULTS, so a new setting in the
# code forces a decision here.
APP_SETTINGS_READ_BY_CODE = {
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "AzureWebJobsStorage__blobServiceUri",
    "AzureWebJobsStorage__queueServiceUri",
    "AZURE_CLIENT_ID",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "ANOMALY_LOOKUP_WORKSPACE_ID",
    "ANOMALY_LOOKUP_ALLOWED_WORKSPACES",
    "ANOMALY_LOOKUP_QUEUE_NAME",
    "ANOMALY_LOOKUP_TABLES",
    "ANOMALY_LOOKUP_LOOKBACK_DAYS",
    "ANOMALY_LOOKUP_STEP",
    "ANOMALY_LOOKUP_THRESHOLD",
    "ANOMALY_LOOKUP_MAX_ANOMALIES",
    "ANOMALY_LOOKUP_TIME_BUDGET_SECONDS",
    "ANOMALY_LOOKUP_SENTINEL_API_VERSION",
}
# Settings (lookup tuning knobs, cloud endpoints) that Azure runs with at their code defaults.
ENV_LEFT_AT_CODE_DEFAULTS = {
    "ANOMALY_LOOKUP_HOURLY_LOOKBACK_HOURS",
    "ANOMALY_LOOKUP_NEW_ENTITY_DAYS",
    "ANOMALY_LOOKUP_BIN_ALIGNMENT",
    "ANOMALY_LOOKUP_MAX_FLAGGED_POINTS",
    "ANOMALY_LOOKUP_MAX_DISTINCT",
    "ANOMALY_LOOKUP_MAX_DISTINCT_RATIO",
    "ANOMALY_LOOKUP_QUERY_TIMEOUT_SECONDS",
    "ANOMALY_LOOKUP_MAX_CONCURRENT_QUERIES",
    "ANOMALY_LOOKUP_LOGS_ENDPOINT",
    "ANOMALY_LOOKUP_ARM_ENDPOINT",
}
# Settings the Flex Consumption plan rejects (runtime and package live in functionAppConfig).
FLEX_REJECTED_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
    "AzureWebJobsStorage",
}
# function-app.bicep parameter -> main.bicep parameter that feeds the lookup tunables.
TUNABLE_PARAMS = {
    "ANOMALY_LOOKUP_TABLES": "lookupTables",
    "ANOMALY_LOOKUP_LOOKBACK_DAYS": "lookupLookbackDays",
    "ANOMALY_LOOKUP_STEP": "lookupStep",
    "ANOMALY_LOOKUP_THRESHOLD": "lookupThreshold",
    "ANOMALY_LOOKUP_MAX_ANOMALIES": "lookupMaxAnomalies",
    "ANOMALY_LOOKUP_TIME_BUDGET_SECONDS": "lookupTimeBudgetSeconds",
    "ANOMALY_LOOKUP_SENTINEL_API_VERSION": "sentinelApiVersion",
}

WORKSPACE_ID = (
    "/subscriptions/0d4c7b6e-1111-2222-3333-444455556666/resourceGroups/rg-soc"
    "/providers/Microsoft.OperationalInsights/workspaces/law-sentinel"
)


def app_settings(templates: dict[str, Template]) -> dict[str, Any]:
    app = templates["app/function-app.bicep"]
    site = app.config("functionApp")
    entries = site["properties"]["siteConfig"]["appSettings"]
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names)), f"duplicate app settings: {names}"
    return {entry["name"]: entry["value"] for entry in entries}


# ------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize("rel", BICEP_FILES)
def test_every_bicep_file_parses(templates: dict[str, Template], rel: str) -> None:
    template = templates[rel]
    assert template.resources or template.modules, f"{rel} declares nothing"
    # main.bicep is azd's (subscription); workspace/workspace.bicep is deployed by the
    # postprovision hook into the workspace's group; every other file is a module of main.
    expected_scope = "subscription" if rel == "main.bicep" else "resourceGroup"
    assert template.target_scope == expected_scope


def test_the_expected_template_files_exist() -> None:
    assert BICEP_FILES == [
        "app/function-app.bicep",
        "identity/user-assigned-identity.bicep",
        "main.bicep",
        "monitoring/monitoring.bicep",
        "playbook/playbook.bicep",
        "rbac/app-roles.bicep",
        "rbac/playbook-roles.bicep",
        "storage/storage.bicep",
        "workspace/workspace.bicep",
    ]


def test_modules_and_loaded_files_exist(templates: dict[str, Template]) -> None:
    for template in templates.values():
        for symbol, module in template.modules.items():
            assert module["type"] == "local", f"{template.rel}:{symbol} uses a registry module"
            target = (template.path.parent / module["detail"]["path"]).resolve()
            assert target.is_file(), f"{template.rel}:{symbol} -> {target}"
        for node in walk(template.tree):
            call = as_call(node)
            if call and call.name.startswith("load_"):
                target = template.path.parent / call.args["file_path"]
                assert target.is_file(), f"{template.rel} loads missing {target}"


def test_every_module_file_is_deployed_by_main(main_template: Template) -> None:
    deployed = {m["detail"]["path"] for m in main_template.modules.values()}
    # workspace/workspace.bicep is deployed by the postprovision hook, never by azd.
    assert deployed == set(BICEP_FILES) - {"main.bicep", "workspace/workspace.bicep"}


def test_api_versions_are_pinned_stable(templates: dict[str, Template]) -> None:
    for template in templates.values():
        for symbol, resource in template.resources.items():
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", resource["api_version"]), (
                f"{template.rel}:{symbol} uses {resource['api_version']}"
            )


# ---------------------------------------------------------------- resources in Deliver


EXPECTED_RESOURCES = [
    ("main.bicep", "Microsoft.Resources/resourceGroups", False),
    ("main.bicep", "Microsoft.OperationalInsights/workspaces", True),
    (
        "identity/user-assigned-identity.bicep",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        False,
    ),
    ("storage/storage.bicep", "Microsoft.Storage/storageAccounts", False),
    ("storage/storage.bicep", "Microsoft.Storage/storageAccounts/blobServices/containers", False),
    ("storage/storage.bicep", "Microsoft.Storage/storageAccounts/queueServices/queues", False),
    ("monitoring/monitoring.bicep", "Microsoft.OperationalInsights/workspaces", False),
    ("monitoring/monitoring.bicep", "Microsoft.Insights/components", False),
    ("app/function-app.bicep", "Microsoft.Web/serverfarms", False),
    ("app/function-app.bicep", "Microsoft.Web/sites", False),
    ("playbook/playbook.bicep", "Microsoft.Web/connections", False),
    ("playbook/playbook.bicep", "Microsoft.Logic/workflows", False),
    ("rbac/playbook-roles.bicep", "Microsoft.Authorization/roleDefinitions", False),
    ("workspace/workspace.bicep", "Microsoft.OperationalInsights/workspaces", True),
    ("workspace/workspace.bicep", "Microsoft.Authorization/roleDefinitions", False),
    ("workspace/workspace.bicep", "Microsoft.SecurityInsights/automationRules", False),
]


@pytest.mark.parametrize(("rel", "resource_type", "existing"), EXPECTED_RESOURCES)
def test_resource_is_declared(
    templates: dict[str, Template], rel: str, resource_type: str, existing: bool
) -> None:
    found = templates[rel].resources_of_type(resource_type)
    assert [r["existing"] for r in found.values()].count(existing) >= 1, (
        f"{rel} has no {'existing ' if existing else ''}{resource_type}"
    )


def test_flex_consumption_function_app(templates: dict[str, Template]) -> None:
    app = templates["app/function-app.bicep"]
    plan = app.config("plan")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True

    site = app.config("functionApp")
    props = site["properties"]
    assert site["kind"] == "functionapp,linux"
    assert ref(props["serverFarmId"]) == ("plan", ("id",))
    assert props["httpsOnly"] is True
    site_config = props["siteConfig"]
    assert site_config["minTlsVersion"] in {"1.2", "1.3"}
    assert site_config["scmMinTlsVersion"] in {"1.2", "1.3"}
    assert site_config["ftpsState"] == "Disabled"

    identity = site["identity"]
    assert identity["type"] == "UserAssigned"
    assert list(unquoted_keys(identity["userAssignedIdentities"])) == ["${identityResourceId}"]

    config = props["functionAppConfig"]
    assert config["runtime"]["name"] == "python"
    assert app.resolve(config["runtime"]["version"]) == "3.11"
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityResourceId",
    }
    assert interpolation_refs(storage["value"]) == [
        "storage.properties.primaryEndpoints.blob",
        "deploymentContainerName",
    ]
    # azd finds the deployment target of service `api` by this tag.
    tags_call = as_call(site["tags"])
    assert tags_call is not None and tags_call.name == "union"
    assert unquoted_keys(tags_call.args["arg_2"]) == {"azd-service-name": "api"}


def test_runtime_python_matches_the_project(templates: dict[str, Template]) -> None:
    import tomllib

    from packaging.specifiers import SpecifierSet

    version = templates["app/function-app.bicep"].resolve("pythonVersion")
    pyproject = tomllib.loads((INFRA_DIR.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert version in SpecifierSet(pyproject["project"]["requires-python"])
    # The lowest Python the code is written for is the one Azure runs.
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + version.replace(".", "")


def test_storage_account_is_identity_only(templates: dict[str, Template]) -> None:
    storage = templates["storage/storage.bicep"]
    props = storage.config("storage")["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["defaultToOAuthAuthentication"] is True
    assert storage.config("deploymentContainer")["properties"]["publicAccess"] == "None"
    assert storage.config("workQueue")["name"] == "queueName"
    assert storage.config("poisonQueue")["name"] == "${queueName}-poison"


def test_queue_name_default_matches_the_code(main_template: Template) -> None:
    from lookup.functionapp.settings import AppSettings

    assert main_template.param_default("queueName") == AppSettings().queue_name
    _, config = module_using(main_template, "storage/storage.bicep")
    assert config["params"]["queueName"] == "queueName"
    _, app = module_using(main_template, "app/function-app.bicep")
    assert ref(app["params"]["queueName"]) == ("storage", ("outputs", "queueName"))


def test_application_insights_has_local_auth_disabled(
    templates: dict[str, Template],
    main_template: Template,
) -> None:
    main = main_template
    monitoring = templates["monitoring/monitoring.bicep"]
    props = monitoring.config("appInsights")["properties"]
    assert props["DisableLocalAuth"] is True
    assert props["WorkspaceResourceId"] == "workspaceResourceId"
    # Its own workspace unless one is given.
    assert monitoring.param_default("existingWorkspaceResourceId") == ""
    assert monitoring.resources["logAnalytics"]["config"]["condition"] == "createWorkspace"
    own = evaluate(monitoring, "workspaceResourceId", {"existingWorkspaceResourceId": ""})
    assert own == "resourceId(Microsoft.OperationalInsights/workspaces, logAnalyticsName)"
    given = evaluate(monitoring, "workspaceResourceId", {"existingWorkspaceResourceId": "/x/w"})
    assert given == "/x/w"
    assert evaluate(monitoring, "createWorkspace", {"existingWorkspaceResourceId": "/x/w"}) is False
    _, module = module_using(main, "monitoring/monitoring.bicep")
    assert module["params"]["existingWorkspaceResourceId"] == "appInsightsWorkspaceResourceId"
    assert main.param_default("appInsightsWorkspaceResourceId") == ""


# --------------------------------------------------------------------- role assignments


def role_of(template: Template, role_definition_id: Any) -> str:
    """The built-in role GUID (or CUSTOM_FUNCTION_KEY_READER) of a roleDefinitionId value."""
    call = as_call(role_definition_id)
    assert call is not None and call.name == "subscription_resource_id", role_definition_id
    assert call.args["resource_type"] == "Microsoft.Authorization/roleDefinitions"
    assert call.args.get("subscription_id") is None
    name = call.args["resource_name_1"]
    access = ref(name)
    if access is not None and access[0] in template.resources:
        target = template.resources[access[0]]
        assert target["type"] == "Microsoft.Authorization/roleDefinitions"
        assert access[1] == ("name",)
        return f"custom:{access[0]}"
    value = template.resolve(name)
    assert isinstance(value, str) and re.fullmatch(r"[0-9a-f-]{36}", value), value
    return value


def scope_of(template: Template, config: dict[str, Any]) -> str:
    """The resource type the assignment is scoped to, or RESOURCE_GROUP when unscoped."""
    if "scope" not in config:
        return RESOURCE_GROUP
    scope = config["scope"]
    assert isinstance(scope, str) and scope in template.resources, (
        f"{template.rel}: scope {scope!r} is not a resource symbol"
    )
    return template.resources[scope]["type"]


def role_assignments(templates: dict[str, Template]) -> set[tuple[str, str, str, str]]:
    found = set()
    for template in templates.values():
        for config in (
            r["config"]
            for r in template.resources_of_type("Microsoft.Authorization/roleAssignments").values()
        ):
            props = config["properties"]
            assert props["principalType"] == "ServicePrincipal"
            principal = props["principalId"]
            assert principal in template.params, f"{template.rel}: principal {principal!r}"
            found.add(
                (
                    template.rel,
                    role_of(template, props["roleDefinitionId"]),
                    principal,
                    scope_of(template, config),
                )
            )
    return found


def test_role_assignments_are_exactly_the_intended_ones(templates: dict[str, Template]) -> None:
    assert role_assignments(templates) == EXPECTED_ROLE_ASSIGNMENTS


def test_no_broad_role_anywhere(templates: dict[str, Template]) -> None:
    for template in templates.values():
        for guid, name in BROAD_ROLES.items():
            assert guid not in template.text.lower(), f"{template.rel} mentions {name}"


def test_role_assignment_names_are_deterministic(templates: dict[str, Template]) -> None:
    for template in templates.values():
        for symbol, resource in template.resources_of_type(
            "Microsoft.Authorization/roleAssignments"
        ).items():
            call = as_call(resource["config"]["name"])
            assert call is not None and call.name == "guid", f"{template.rel}:{symbol}"
            # guid(<scope>.id, <principal>, <role>): unique per scope, principal and role.
            args = list(call.args.values())
            assert len(args) == 3, f"{template.rel}:{symbol}"
            assert args[1] == resource["config"]["properties"]["principalId"]


def test_resource_scoped_assignments_target_the_module_resources(
    templates: dict[str, Template],
) -> None:
    # Each scope is an `existing` resource named by a module parameter, so it is exactly the
    # resource main.bicep passes in (checked in test_main_wires_*).
    expected_scope_names = {
        "rbac/app-roles.bicep": {
            "storage": "storageAccountName",
            "appInsights": "applicationInsightsName",
        },
        "workspace/workspace.bicep": {"workspace": "workspaceName"},
        "rbac/playbook-roles.bicep": {"functionApp": "functionAppName"},
    }
    for rel, scopes in expected_scope_names.items():
        template = templates[rel]
        for symbol, param in scopes.items():
            resource = template.resources[symbol]
            assert resource["existing"] is True
            assert resource["config"]["name"] == param
            assert "scope" not in resource["config"], f"{rel}:{symbol} points elsewhere"


def test_custom_role_only_lists_function_keys(templates: dict[str, Template]) -> None:
    template = templates["rbac/playbook-roles.bicep"]
    props = template.config("functionKeyReader")["properties"]
    assert props["type"] == "customRole"
    assert props["permissions"] == [
        {
            "actions": ["Microsoft.Web/sites/functions/listkeys/action"],
            "notActions": [],
            "dataActions": [],
            "notDataActions": [],
        }
    ]
    (scope,) = props["assignableScopes"]
    access = ref(scope)
    assert access is not None and access[1] == ("id",)
    call = as_call(access[0])
    assert call is not None and call.name == "resource_group"
    assert all(value is None for value in call.args.values()), "assignable beyond this group"


def test_main_wires_principals_and_scopes(main_template: Template) -> None:
    main = main_template
    rg_resource = main.resources["rg"]
    assert rg_resource["type"] == "Microsoft.Resources/resourceGroups"

    _, app_roles = module_using(main, "rbac/app-roles.bicep")
    assert app_roles["scope"] == "rg"
    assert ref(app_roles["params"]["principalId"]) == ("identity", ("outputs", "principalId"))
    assert ref(app_roles["params"]["storageAccountName"]) == ("storage", ("outputs", "name"))
    assert ref(app_roles["params"]["applicationInsightsName"]) == (
        "monitoring",
        ("outputs", "applicationInsightsName"),
    )

    _, playbook_roles = module_using(main, "rbac/playbook-roles.bicep")
    playbook_symbol, playbook = module_using(main, "playbook/playbook.bicep")
    function_symbol, _ = module_using(main, "app/function-app.bicep")
    # The Sentinel SP's group-scoped role lands in the playbook's own resource group.
    assert playbook_roles["scope"] == playbook["scope"] == "rg"
    assert playbook_roles["params"]["sentinelServicePrincipalObjectId"] == (
        "sentinelServicePrincipalObjectId"
    )
    assert ref(playbook_roles["params"]["playbookPrincipalId"]) == (
        playbook_symbol,
        ("outputs", "principalId"),
    )
    assert ref(playbook_roles["params"]["functionAppName"]) == (
        function_symbol,
        ("outputs", "name"),
    )

    # The workspace-side roles are granted by the postprovision hook, from these outputs.
    assert ref(main.outputs["FUNCTION_PRINCIPAL_ID"]["value"]) == (
        "identity",
        ("outputs", "principalId"),
    )
    assert ref(main.outputs["PLAYBOOK_PRINCIPAL_ID"]["value"]) == (
        playbook_symbol,
        ("outputs", "principalId"),
    )
    assert ref(main.outputs["PLAYBOOK_RESOURCE_ID"]["value"]) == (
        playbook_symbol,
        ("outputs", "id"),
    )

    _, identity = module_using(main, "identity/user-assigned-identity.bicep")
    assert identity["scope"] == "rg"


def workspace_scope(main: Template, config: dict[str, Any]) -> tuple[str, str]:
    call = as_call(config["scope"])
    assert call is not None and call.name == "resource_group"
    params = {"sentinelWorkspaceResourceId": WORKSPACE_ID}
    return (
        evaluate(main, call.args["subscription_id"], params),
        evaluate(main, call.args["resource_group_name"], params),
    )


def test_workspace_customer_id_comes_from_the_existing_workspace(main_template: Template) -> None:
    workspace = main_template.resources["sentinelWorkspace"]
    assert workspace["existing"] is True
    assert workspace_scope(main_template, workspace["config"]) == (
        "0d4c7b6e-1111-2222-3333-444455556666",
        "rg-soc",
    )
    _, app = module_using(main_template, "app/function-app.bicep")
    assert ref(app["params"]["sentinelWorkspaceCustomerId"]) == (
        "sentinelWorkspace",
        ("properties", "customerId"),
    )
    assert ref(app["params"]["sentinelWorkspaceResourceId"]) == ("sentinelWorkspace", ("id",))


# ------------------------------------------------------------------------- app settings


def test_app_settings_are_exactly_those_the_code_reads(templates: dict[str, Template]) -> None:
    names = set(app_settings(templates))
    assert names == APP_SETTINGS_READ_BY_CODE
    assert not names & FLEX_REJECTED_SETTINGS


def test_every_env_constant_of_lookup_settings_is_classified() -> None:
    from lookup import settings
    from lookup.functionapp import settings as app_settings_module

    env_names = {
        value
        for module in (settings, app_settings_module)
        for key, value in vars(module).items()
        if key.startswith("ENV_") and key != "ENV_PREFIX"
    }
    assert env_names & ENV_LEFT_AT_CODE_DEFAULTS == ENV_LEFT_AT_CODE_DEFAULTS
    assert env_names - ENV_LEFT_AT_CODE_DEFAULTS == env_names & APP_SETTINGS_READ_BY_CODE, (
        "every ENV_* of lookup.settings and lookup.functionapp.settings must be set by "
        "infra/app/function-app.bicep or listed in ENV_LEFT_AT_CODE_DEFAULTS"
    )


WORKSPACE_GUID = "7b0c3f41-5a1e-4c2b-9d7e-0a1b2c3d4e5f"
WORKSPACE_ARM_ID = (
    "/subscriptions/0d4c7b6e-1111-2222-3333-444455556666/resourceGroups/rg-soc"
    "/providers/Microsoft.OperationalInsights/workspaces/law-soc"
)


def test_identity_settings_point_at_the_user_assigned_identity(
    templates: dict[str, Template],
    main_template: Template,
) -> None:
    settings = app_settings(templates)
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "ClientId=${identityClientId};Authorization=AAD"
    )
    assert ref(settings["AzureWebJobsStorage__blobServiceUri"]) == (
        "storage",
        ("properties", "primaryEndpoints", "blob"),
    )
    assert ref(settings["AzureWebJobsStorage__queueServiceUri"]) == (
        "storage",
        ("properties", "primaryEndpoints", "queue"),
    )
    assert ref(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]) == (
        "appInsights",
        ("properties", "ConnectionString"),
    )
    assert settings["ANOMALY_LOOKUP_WORKSPACE_ID"] == "sentinelWorkspaceCustomerId"
    # The allow-list names the one workspace by both halves, as the function parses it.
    allowed = settings["ANOMALY_LOOKUP_ALLOWED_WORKSPACES"]
    assert allowed == "${sentinelWorkspaceCustomerId}=${sentinelWorkspaceResourceId}"
    deployed = allowed.replace("${sentinelWorkspaceCustomerId}", WORKSPACE_GUID).replace(
        "${sentinelWorkspaceResourceId}", WORKSPACE_ARM_ID
    )
    (entry,) = parse_allowed_workspaces(deployed)
    assert (entry.workspace_id, entry.resource_id) == (WORKSPACE_GUID, WORKSPACE_ARM_ID)

    _, app = module_using(main_template, "app/function-app.bicep")
    assert ref(app["params"]["identityClientId"]) == ("identity", ("outputs", "clientId"))
    assert ref(app["params"]["identityResourceId"]) == ("identity", ("outputs", "id"))
    identity = templates["identity/user-assigned-identity.bicep"]
    assert ref(identity.outputs["clientId"]["value"]) == ("identity", ("properties", "clientId"))
    assert ref(identity.outputs["principalId"]["value"]) == (
        "identity",
        ("properties", "principalId"),
    )


def test_tunable_defaults_are_valid_and_equal_the_code_defaults(
    templates: dict[str, Template],
    main_template: Template,
) -> None:
    from lookup.functionapp.settings import AppSettings

    app = templates["app/function-app.bicep"]
    settings = app_settings(templates)
    _, module = module_using(main_template, "app/function-app.bicep")
    env: dict[str, str] = {}
    for name, main_param in TUNABLE_PARAMS.items():
        value = settings[name]
        call = as_call(value)
        app_param = call.args["value_to_convert"] if call and call.name == "string" else value
        assert app_param in app.params, f"{name} is not fed by a parameter"
        assert module["params"][app_param] == main_param
        default = main_template.param_default(main_param)
        env[name] = str(default)
    deployed = AppSettings.from_env(env)
    assert deployed == AppSettings()


# ------------------------------------------------------------------------------ secrets


SECRET_PATTERNS = [
    r"AccountKey\s*=",
    r"SharedAccessKey",
    r"SharedAccessSignature",
    r"InstrumentationKey\s*=",
    r"[?&]sig=",
    r"[?&]code=",
    r"DefaultEndpointsProtocol",
    r"-----BEGIN",
    r"(?i)password\s*[:=]",
    r"(?i)client_?secret",
]


def test_no_secret_literal_anywhere_in_infra() -> None:
    for path in sorted(INFRA_DIR.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in SECRET_PATTERNS:
            assert not re.search(pattern, text), f"{path}: matches {pattern}"
        # Long base64-looking runs are how keys and SAS signatures look.
        for token in re.findall(r"[A-Za-z0-9+/]{32,}={0,2}", text):
            assert not (
                re.search(r"[0-9]", token)
                and re.search(r"[A-Z]", token)
                and re.search(r"[a-z]", token)
            ), f"{path}: key-like literal {token}"


def test_no_list_function_and_no_secure_parameter(templates: dict[str, Template]) -> None:
    # listKeys/listSecrets would pull a secret into the deployment; the playbook reads the
    # function key at run time instead.
    for template in templates.values():
        for node in walk(template.tree):
            call = as_call(node)
            assert not (call and call.name.startswith("list")), f"{template.rel}: {call}"
            if isinstance(node, dict) and isinstance(node.get("operator"), dict):
                assert node["operator"].get("type") != "function_accessor", template.rel
        assert not re.search(r"\blist[A-Z]\w*\(", template.text), template.rel
        for name, param in template.params.items():
            kinds = {d.get("type") for d in param.get("decorators") or []}
            assert "secure" not in kinds, f"{template.rel}: @secure() {name}"


def test_outputs_carry_no_secret(templates: dict[str, Template]) -> None:
    for template in templates.values():
        for name, output in template.outputs.items():
            assert not re.search(r"(?i)secret|password|connectionstring|sas|token", name)
            text = str(output["value"])
            assert "ConnectionString" not in text and "InstrumentationKey" not in text, (
                f"{template.rel}: output {name}"
            )


# --------------------------------------------------------------------- main parameters


def test_workspace_id_parts_are_parsed_from_the_resource_id(main_template: Template) -> None:
    params = {"sentinelWorkspaceResourceId": WORKSPACE_ID}
    assert evaluate(main_template, "workspaceSubscriptionId", params) == (
        "0d4c7b6e-1111-2222-3333-444455556666"
    )
    assert evaluate(main_template, "workspaceResourceGroupName", params) == "rg-soc"
    assert evaluate(main_template, "workspaceName", params) == "law-sentinel"


@pytest.mark.parametrize(
    ("severities", "rule_ids", "expected_severities", "expected_rule_ids"),
    [
        ("", "", [], []),
        ("High, Medium", "", ["High", "Medium"], []),
        ("", "/a/alertRules/1,/a/alertRules/2", [], ["/a/alertRules/1", "/a/alertRules/2"]),
    ],
)
def test_automation_rule_conditions_come_from_the_parameters(
    templates: dict[str, Template],
    severities: str,
    rule_ids: str,
    expected_severities: list[str],
    expected_rule_ids: list[str],
) -> None:
    template = templates["workspace/workspace.bicep"]
    params = {"automationRuleSeverities": severities, "automationRuleAnalyticRuleIds": rule_ids}
    assert evaluate(template, "severityList", params) == expected_severities
    assert evaluate(template, "analyticRuleIdList", params) == expected_rule_ids


def test_automation_rule_runs_the_playbook_on_incident_creation(
    templates: dict[str, Template],
) -> None:
    template = templates["workspace/workspace.bicep"]
    rule = template.config("automationRule")
    assert rule["scope"] == "workspace"
    assert call_name(rule["name"]) == "guid"
    logic = rule["properties"]["triggeringLogic"]
    assert logic["isEnabled"] is True
    assert logic["triggersOn"] == "Incidents"
    assert logic["triggersWhen"] == "Created"
    (action,) = rule["properties"]["actions"]
    assert action["actionType"] == "RunPlaybook"
    assert action["actionConfiguration"]["logicAppResourceId"] == "playbookResourceId"
    tenant = ref(action["actionConfiguration"]["tenantId"])
    assert tenant is not None and tenant[1] == ("tenantId",)
    assert call_name(tenant[0]) == "tenant"

    conditions = {
        template.resolve(var)["operator"]["operands"]["false_value"][0]["conditionProperties"][
            "propertyName"
        ]
        for var in ("severityConditions", "analyticRuleConditions")
    }
    assert conditions == {"IncidentSeverity", "IncidentRelatedAnalyticRuleIds"}
    # The severities are checked by the postprovision hook (tests/infra/test_infra_azd.py).
    # The rule is created once the playbook's connection may read the workspace; the Sentinel
    # service principal's right to run the playbook comes from main.bicep, provisioned first.
    assert rule.get("dependsOn") == ["playbookSentinelReader"]


def test_outputs_azd_shows(main_template: Template) -> None:
    outputs = main_template.outputs
    for name in (
        "AZURE_FUNCTION_NAME",
        "SERVICE_API_NAME",
        "PLAYBOOK_NAME",
        "ANOMALY_LOOKUP_INCIDENTS_URL",
        "AZURE_RESOURCE_GROUP",
        "FUNCTION_PRINCIPAL_ID",
        "PLAYBOOK_PRINCIPAL_ID",
        "PLAYBOOK_RESOURCE_ID",
    ):
        assert name in outputs, name
    function_symbol, _ = module_using(main_template, "app/function-app.bicep")
    assert ref(outputs["AZURE_FUNCTION_NAME"]["value"]) == (function_symbol, ("outputs", "name"))
    playbook_symbol, _ = module_using(main_template, "playbook/playbook.bicep")
    assert ref(outputs["PLAYBOOK_NAME"]["value"]) == (playbook_symbol, ("outputs", "name"))


def test_function_app_waits_for_its_storage_roles(main_template: Template) -> None:
    symbol, config = module_using(main_template, "app/function-app.bicep")
    roles_symbol, _ = module_using(main_template, "rbac/app-roles.bicep")
    assert roles_symbol in config.get("dependsOn", []), symbol


def test_parameter_descriptions(templates: dict[str, Template]) -> None:
    for template in templates.values():
        for name in template.params:
            assert template.decorator(name, "description"), f"{template.rel}: {name}"


def test_sentinel_sp_object_id_is_a_parameter_not_a_lookup(main_template: Template) -> None:
    assert "sentinelServicePrincipalObjectId" in main_template.params
    assert main_template.param_default("sentinelServicePrincipalObjectId") is None
    assert "extension" not in main_template.tree.get("globals", {})
    assert not Path(INFRA_DIR / "bicepconfig.json").exists()
