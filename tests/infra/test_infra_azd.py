"""azure.yaml, infra/main.parameters.json and the azd hook scripts.

The POSIX hooks run here against stub ``az`` and ``azd`` commands that record their arguments,
so what they would do in a real environment is checked without Azure.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from infra_support import INFRA_DIR, REPO_ROOT, Template, require_tool

AZD_ENV_VALUE = re.compile(r"^\$\{([A-Z][A-Z0-9_]*)(?:=([^}]*))?\}$")
SENTINEL_APP_ID = "98785600-1bb7-4fb9-b9fa-19afe2c8a360"
WORKSPACE_ID = (
    "/subscriptions/0d4c7b6e-1111-2222-3333-444455556666/resourceGroups/rg-soc"
    "/providers/Microsoft.OperationalInsights/workspaces/law-sentinel"
)


@pytest.fixture(scope="module")
def azure_yaml() -> dict[str, Any]:
    yaml = require_tool("yaml", "pip install pyyaml")
    return yaml.safe_load((REPO_ROOT / "azure.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parameters_file() -> dict[str, Any]:
    return json.loads((INFRA_DIR / "main.parameters.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- azure.yaml


def test_azure_yaml_declares_the_function_service(azure_yaml: dict[str, Any]) -> None:
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", azure_yaml["name"])
    assert azure_yaml["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert (REPO_ROOT / "infra" / "main.bicep").is_file()
    assert list(azure_yaml["services"]) == ["api"]
    api = azure_yaml["services"]["api"]
    assert api["host"] == "function"
    assert api["language"] == "python"
    assert api["project"] == "."
    assert api["remoteBuild"] is True


def test_the_service_project_is_deployable() -> None:
    # What azd packages for a Python function app with remote build: the v2 entry point,
    # the host configuration and the requirements Oryx installs.
    missing = [
        name
        for name in ("function_app.py", "host.json", "requirements.txt")
        if not (REPO_ROOT / name).is_file()
    ]
    assert missing == [], f"missing at the repository root: {missing}"


def test_hooks_point_at_existing_scripts(azure_yaml: dict[str, Any]) -> None:
    hooks = azure_yaml["hooks"]
    assert set(hooks) == {"preprovision", "postprovision", "predown"}
    for name, hook in hooks.items():
        assert set(hook) == {"posix", "windows"}, name
        assert hook["posix"]["shell"] == "sh"
        assert hook["windows"]["shell"] == "pwsh"
        for platform in ("posix", "windows"):
            assert hook[platform]["continueOnError"] is False
            script = REPO_ROOT / hook[platform]["run"]
            assert script.is_file(), script
        posix_script = REPO_ROOT / hook["posix"]["run"]
        assert posix_script.stat().st_mode & stat.S_IXUSR, f"{posix_script} is not executable"


# ------------------------------------------------------------------- main.parameters.json


def test_parameters_file_shape(parameters_file: dict[str, Any]) -> None:
    assert parameters_file["$schema"] == (
        "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
    )
    assert parameters_file["contentVersion"] == "1.0.0.0"
    assert set(parameters_file) == {"$schema", "contentVersion", "parameters"}
    for name, entry in parameters_file["parameters"].items():
        assert set(entry) == {"value"}, name
        assert AZD_ENV_VALUE.match(entry["value"]), f"{name}: {entry['value']!r}"


def test_parameters_match_main_bicep(
    parameters_file: dict[str, Any],
    main_template: Template,
) -> None:
    given = set(parameters_file["parameters"])
    declared = set(main_template.params)
    required = {name for name, p in main_template.params.items() if p.get("default") is None}
    assert given <= declared, given - declared
    assert required <= given, required - given
    assert parameters_file["parameters"]["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert parameters_file["parameters"]["location"]["value"] == "${AZURE_LOCATION}"
    assert parameters_file["parameters"]["sentinelWorkspaceResourceId"]["value"] == (
        "${SENTINEL_WORKSPACE_RESOURCE_ID}"
    )
    assert parameters_file["parameters"]["sentinelServicePrincipalObjectId"]["value"] == (
        "${SENTINEL_SP_OBJECT_ID}"
    )


def test_parameter_file_defaults_equal_the_bicep_defaults(
    parameters_file: dict[str, Any],
    main_template: Template,
) -> None:
    variables = []
    for name, entry in parameters_file["parameters"].items():
        match = AZD_ENV_VALUE.match(entry["value"])
        assert match is not None
        variables.append(match.group(1))
        if match.group(2) is not None:
            assert match.group(2) == str(main_template.param_default(name)), name
    assert len(variables) == len(set(variables))


# -------------------------------------------------------------------------------- hooks


@pytest.fixture
def stub_path(tmp_path: Path) -> Path:
    """A bin directory with ``az`` and ``azd`` stubs that log their arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for tool in ("az", "azd"):
        script = bin_dir / tool
        script.write_text(
            "#!/bin/sh\n"
            f'echo "{tool} $*" >> "{log}"\n'
            f'if [ "{tool}" = az ] && [ "$1 $2" = "ad sp" ]; then\n'
            '  [ -n "${STUB_SP_ID:-}" ] || exit 3\n'
            '  echo "$STUB_SP_ID"\n'
            "fi\n"
            f'if [ "{tool}" = az ] && [ "$1" = rest ] && [ -n "${{STUB_REST_FAIL:-}}" ]; then\n'
            "  exit 1\n"
            "fi\n"
            f'if [ "{tool}" = az ] && [ "$1 $2" = "deployment group" ]; then\n'
            '  [ -z "${STUB_DEPLOY_FAIL:-}" ] || exit 1\n'
            '  query=""; previous=""\n'
            '  for arg in "$@"; do\n'
            '    [ "$previous" = "--query" ] && query=$arg\n'
            "    previous=$arg\n"
            "  done\n"
            "  name=${query#properties.outputs.}; name=${name%.value}\n"
            '  [ -z "$query" ] || printenv "STUB_OUT_$name" || true\n'
            "fi\n"
            "exit 0\n",
            encoding="utf-8",
        )
        script.chmod(0o755)
    return bin_dir


def run_hook(name: str, stub_path: Path, env: dict[str, str]) -> tuple[int, str, list[str]]:
    log = stub_path.parent / "calls.log"
    result = subprocess.run(
        ["sh", str(INFRA_DIR / "hooks" / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": f"{stub_path}:/usr/bin:/bin", "HOME": str(stub_path.parent), **env},
    )
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return result.returncode, result.stdout + result.stderr, calls


def test_preprovision_requires_the_workspace_id(stub_path: Path) -> None:
    code, output, calls = run_hook("preprovision.sh", stub_path, {})
    assert code == 1
    assert "azd env set SENTINEL_WORKSPACE_RESOURCE_ID" in output
    assert calls == []


@pytest.mark.parametrize(
    "bad",
    [
        "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
        WORKSPACE_ID + "/",
        "law-sentinel",
        WORKSPACE_ID + "/extra/segment",
    ],
)
def test_preprovision_rejects_what_is_not_a_workspace_id(stub_path: Path, bad: str) -> None:
    code, _, calls = run_hook("preprovision.sh", stub_path, {"SENTINEL_WORKSPACE_RESOURCE_ID": bad})
    assert code == 1
    assert calls == []


def test_preprovision_looks_up_and_stores_the_sentinel_sp(stub_path: Path) -> None:
    code, output, calls = run_hook(
        "preprovision.sh",
        stub_path,
        {
            "SENTINEL_WORKSPACE_RESOURCE_ID": WORKSPACE_ID.lower(),
            "STUB_SP_ID": "11111111-2222-3333-4444-555555555555",
        },
    )
    assert code == 0, output
    assert calls == [
        f"az ad sp show --id {SENTINEL_APP_ID} --query id -o tsv",
        "azd env set SENTINEL_SP_OBJECT_ID 11111111-2222-3333-4444-555555555555",
    ]


def test_preprovision_keeps_a_given_sp_id(stub_path: Path) -> None:
    code, _, calls = run_hook(
        "preprovision.sh",
        stub_path,
        {
            "SENTINEL_WORKSPACE_RESOURCE_ID": WORKSPACE_ID,
            "SENTINEL_SP_OBJECT_ID": "11111111-2222-3333-4444-555555555555",
        },
    )
    assert code == 0
    assert calls == []


def test_preprovision_fails_when_the_sp_cannot_be_read(stub_path: Path) -> None:
    code, output, calls = run_hook(
        "preprovision.sh", stub_path, {"SENTINEL_WORKSPACE_RESOURCE_ID": WORKSPACE_ID}
    )
    assert code == 1
    assert "azd env set SENTINEL_SP_OBJECT_ID" in output
    assert calls == [f"az ad sp show --id {SENTINEL_APP_ID} --query id -o tsv"]


# ------------------------------------------------------------------- postprovision hook

WORKSPACE_GROUP_ID = "/subscriptions/0d4c7b6e-1111-2222-3333-444455556666/resourceGroups/rg-soc"
FUNCTION_PRINCIPAL = "11111111-1111-1111-1111-111111111111"
PLAYBOOK_PRINCIPAL = "22222222-2222-2222-2222-222222222222"
PLAYBOOK_ID = (
    "/subscriptions/s/resourceGroups/rg-prod/providers/Microsoft.Logic/workflows/logic-anomaly"
)
POSTPROVISION_ENV = {
    "SENTINEL_WORKSPACE_RESOURCE_ID": WORKSPACE_ID,
    "AZURE_ENV_NAME": "prod",
    "FUNCTION_PRINCIPAL_ID": FUNCTION_PRINCIPAL,
    "PLAYBOOK_PRINCIPAL_ID": PLAYBOOK_PRINCIPAL,
    "PLAYBOOK_RESOURCE_ID": PLAYBOOK_ID,
    # What `az deployment group show` answers for each output of workspace/workspace.bicep.
    "STUB_OUT_automationRuleId": WORKSPACE_ID
    + "/providers/Microsoft.SecurityInsights/automationRules/r1",
    "STUB_OUT_functionRoleAssignmentId": WORKSPACE_ID
    + "/providers/Microsoft.Authorization/roleAssignments/a1",
    "STUB_OUT_playbookRoleAssignmentId": WORKSPACE_ID
    + "/providers/Microsoft.Authorization/roleAssignments/a2",
    "STUB_OUT_functionRoleDefinitionId": WORKSPACE_GROUP_ID
    + "/providers/Microsoft.Authorization/roleDefinitions/d2",
}
WORKSPACE_DEPLOYMENT_ID = (
    WORKSPACE_GROUP_ID + "/providers/Microsoft.Resources/deployments/anomaly-lookup-prod"
)


def _option(call: str, name: str) -> str:
    match = re.search(rf"{re.escape(name)} (\S+)", call)
    assert match, f"{name} missing in {call}"
    return match.group(1)


def _deployment_parameters(call: str) -> dict[str, str]:
    tail = call.split("--parameters ", 1)[1].split(" --output ", 1)[0]
    return dict(item.split("=", 1) for item in tail.split(" "))


def test_postprovision_deploys_the_workspace_side_in_incremental_mode(
    stub_path: Path, templates: dict[str, Template]
) -> None:
    code, output, calls = run_hook("postprovision.sh", stub_path, POSTPROVISION_ENV)
    assert code == 0, output
    create = calls[0]
    assert create.startswith("az deployment group create ")
    assert _option(create, "--subscription") == "0d4c7b6e-1111-2222-3333-444455556666"
    assert _option(create, "--resource-group") == "rg-soc"
    assert _option(create, "--name") == "anomaly-lookup-prod"
    assert _option(create, "--mode") == "Incremental"
    template = Path(_option(create, "--template-file")).resolve()
    assert template == (INFRA_DIR / "workspace" / "workspace.bicep").resolve()
    parameters = _deployment_parameters(create)
    assert parameters == {
        "workspaceName": "law-sentinel",
        "environmentName": "prod",
        "functionPrincipalId": FUNCTION_PRINCIPAL,
        "playbookPrincipalId": PLAYBOOK_PRINCIPAL,
        "playbookResourceId": PLAYBOOK_ID,
        "automationRuleOrder": "100",
    }
    workspace_side = templates["workspace/workspace.bicep"]
    required = {n for n, p in workspace_side.params.items() if p.get("default") is None}
    assert required <= set(parameters) <= set(workspace_side.params)
    shows = [c for c in calls if c.startswith("az deployment group show ")]
    queried = {_option(c, "--query").split(".")[2] for c in shows}
    assert queried == set(workspace_side.outputs)
    sets = [c for c in calls if c.startswith("azd env set ")]
    assert sets == [
        "azd env set AUTOMATION_RULE_ID " + POSTPROVISION_ENV["STUB_OUT_automationRuleId"],
        "azd env set WORKSPACE_ROLE_ASSIGNMENT_IDS "
        + POSTPROVISION_ENV["STUB_OUT_functionRoleAssignmentId"]
        + ","
        + POSTPROVISION_ENV["STUB_OUT_playbookRoleAssignmentId"],
        "azd env set WORKSPACE_ROLE_DEFINITION_ID "
        + POSTPROVISION_ENV["STUB_OUT_functionRoleDefinitionId"],
        "azd env set WORKSPACE_DEPLOYMENT_ID " + WORKSPACE_DEPLOYMENT_ID,
    ]
    # Upgrade path: the Responder assignment earlier versions gave the function's identity on
    # the workspace is removed, and only that one (this principal, that role, that scope).
    removals = [c for c in calls if c.startswith("az role assignment delete ")]
    assert removals == [
        f"az role assignment delete --assignee {FUNCTION_PRINCIPAL} "
        f"--role 3e150937-b8fe-4cfb-8069-0eaf05ecd056 --scope {WORKSPACE_ID} --output none"
    ]
    assert len(calls) == 1 + len(shows) + len(removals) + len(sets)


def test_postprovision_passes_the_automation_rule_filters(stub_path: Path) -> None:
    env = {
        **POSTPROVISION_ENV,
        "AUTOMATION_RULE_SEVERITIES": "High, Medium",
        "AUTOMATION_RULE_ANALYTIC_RULE_IDS": "/a/alertRules/1, /a/alertRules/2",
        "AUTOMATION_RULE_ORDER": "7",
    }
    code, output, calls = run_hook("postprovision.sh", stub_path, env)
    assert code == 0, output
    parameters = _deployment_parameters(calls[0])
    assert parameters["automationRuleSeverities"] == "High,Medium"
    assert parameters["automationRuleAnalyticRuleIds"] == "/a/alertRules/1,/a/alertRules/2"
    assert parameters["automationRuleOrder"] == "7"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"FUNCTION_PRINCIPAL_ID": ""}, "FUNCTION_PRINCIPAL_ID is not set"),
        ({"SENTINEL_WORKSPACE_RESOURCE_ID": WORKSPACE_GROUP_ID}, "not a Log Analytics workspace"),
        ({"AUTOMATION_RULE_SEVERITIES": "High,Critical"}, "'Critical' is not High"),
        ({"AUTOMATION_RULE_ORDER": "0"}, "AUTOMATION_RULE_ORDER"),
        ({"AUTOMATION_RULE_ORDER": "1e3"}, "AUTOMATION_RULE_ORDER"),
    ],
)
def test_postprovision_refuses_bad_input_before_any_call(
    stub_path: Path, change: dict[str, str], message: str
) -> None:
    code, output, calls = run_hook("postprovision.sh", stub_path, {**POSTPROVISION_ENV, **change})
    assert code == 1
    assert message in output
    assert calls == []


def test_postprovision_failure_fails_azd_up(stub_path: Path) -> None:
    env = {**POSTPROVISION_ENV, "STUB_DEPLOY_FAIL": "1"}
    code, output, calls = run_hook("postprovision.sh", stub_path, env)
    assert code == 1
    assert "azd hooks run postprovision" in output
    assert len(calls) == 1 and not any(c.startswith("azd ") for c in calls)


def test_postprovision_windows_script_does_the_same(templates: dict[str, Template]) -> None:
    script = (INFRA_DIR / "hooks" / "postprovision.ps1").read_text(encoding="utf-8")
    assert "--mode Incremental" in script
    assert "Join-Path $PSScriptRoot '..' 'workspace' 'workspace.bicep'" in script
    for name in templates["workspace/workspace.bicep"].params:
        assert f"{name}=" in script, name
    for name in templates["workspace/workspace.bicep"].outputs:
        assert f"Get-Output '{name}'" in script, name
    for name in (
        "AUTOMATION_RULE_ID",
        "WORKSPACE_ROLE_ASSIGNMENT_IDS",
        "WORKSPACE_ROLE_DEFINITION_ID",
        "WORKSPACE_DEPLOYMENT_ID",
    ):
        assert f"azd env set {name} " in script, name
    assert (
        "az role assignment delete --assignee $env:FUNCTION_PRINCIPAL_ID --role $responder "
        "--scope $workspaceId"
    ) in script
    assert "$responder = '3e150937-b8fe-4cfb-8069-0eaf05ecd056'" in script


HOOK_SCRIPTS = sorted((INFRA_DIR / "hooks").glob("*.*"))


@pytest.mark.parametrize("path", HOOK_SCRIPTS, ids=lambda p: p.name)
def test_no_hook_can_delete_a_resource_group_or_deploy_in_complete_mode(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    # Complete mode deletes every resource of the target group that the template lacks.
    assert not re.search(r"(?i)--mode\s+complete|\bcomplete\b", code), path.name
    # One logical line per command: join the sh (\\) and PowerShell (`) continuations.
    joined = re.sub(r"[\\`][ \t]*\n", " ", code)
    creates = [line for line in joined.splitlines() if "az deployment group create" in line]
    assert len(creates) == (1 if path.stem == "postprovision" else 0), path.name
    for line in creates:
        assert re.search(r"--mode\s+Incremental\b", line), path.name
    assert not re.search(r"(?i)az\s+(group|resource)\s+delete", code), path.name
    assert not re.search(r"(?i)az\s+deployment\s+\w+\s+delete", code), path.name
    assert not re.search(r"(?i)az\s+monitor\s+log-analytics\s+workspace\s+delete", code)
    assert "--force" not in code and "--purge" not in code, path.name


# ------------------------------------------------------------------------- predown hook

PREDOWN_ENV = {
    "AUTOMATION_RULE_ID": WORKSPACE_ID + "/providers/Microsoft.SecurityInsights/automationRules/r1",
    "WORKSPACE_ROLE_ASSIGNMENT_IDS": (
        WORKSPACE_ID
        + "/providers/Microsoft.Authorization/roleAssignments/a1,"
        + WORKSPACE_ID
        + "/providers/Microsoft.Authorization/roleAssignments/a2"
    ),
    "WORKSPACE_ROLE_DEFINITION_ID": WORKSPACE_GROUP_ID
    + "/providers/Microsoft.Authorization/roleDefinitions/d2",
    "FUNCTION_KEY_READER_ASSIGNMENT_ID": "/subscriptions/s/resourceGroups/rg-app/providers/"
    "Microsoft.Web/sites/f/providers/Microsoft.Authorization/roleAssignments/a3",
    "FUNCTION_KEY_READER_ROLE_ID": "/subscriptions/s/providers/Microsoft.Authorization/"
    "roleDefinitions/d1",
    "WORKSPACE_DEPLOYMENT_ID": WORKSPACE_DEPLOYMENT_ID,
}


def test_predown_deletes_what_lives_outside_the_group_in_order(stub_path: Path) -> None:
    code, output, calls = run_hook("predown.sh", stub_path, PREDOWN_ENV)
    assert code == 0, output
    urls = [call.split("--url ")[1] for call in calls]
    assert all(call.startswith("az rest --method delete --url ") for call in calls)
    assert urls == [
        PREDOWN_ENV["AUTOMATION_RULE_ID"] + "?api-version=2024-09-01",
        WORKSPACE_ID
        + "/providers/Microsoft.Authorization/roleAssignments/a1?api-version=2022-04-01",
        WORKSPACE_ID
        + "/providers/Microsoft.Authorization/roleAssignments/a2?api-version=2022-04-01",
        PREDOWN_ENV["WORKSPACE_ROLE_DEFINITION_ID"] + "?api-version=2022-04-01",
        PREDOWN_ENV["FUNCTION_KEY_READER_ASSIGNMENT_ID"] + "?api-version=2022-04-01",
        PREDOWN_ENV["FUNCTION_KEY_READER_ROLE_ID"] + "?api-version=2022-04-01",
        WORKSPACE_DEPLOYMENT_ID + "?api-version=2024-03-01",
    ]
    # Never the workspace, never a resource group.
    for url in urls:
        path = url.split("?")[0].lower()
        assert path != WORKSPACE_ID.lower()
        assert not re.fullmatch(r"/subscriptions/[^/]+/resourcegroups/[^/]+", path)


def test_predown_reports_failures_without_blocking_azd_down(stub_path: Path) -> None:
    code, output, calls = run_hook("predown.sh", stub_path, {**PREDOWN_ENV, "STUB_REST_FAIL": "1"})
    assert code == 0
    assert len(calls) == 7
    assert "could not delete " + PREDOWN_ENV["AUTOMATION_RULE_ID"] in output
    assert "delete them by hand" in output


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AUTOMATION_RULE_ID", WORKSPACE_GROUP_ID),
        ("AUTOMATION_RULE_ID", WORKSPACE_ID),
        (
            "AUTOMATION_RULE_ID",
            WORKSPACE_ID + "/providers/Microsoft.SecurityInsights/automationRules/r1/../../../..",
        ),
        ("WORKSPACE_ROLE_ASSIGNMENT_IDS", WORKSPACE_ID),
        (
            "WORKSPACE_ROLE_ASSIGNMENT_IDS",
            WORKSPACE_GROUP_ID + "/providers/Microsoft.Authorization/roleAssignments/a1",
        ),
        ("WORKSPACE_ROLE_DEFINITION_ID", WORKSPACE_GROUP_ID),
        (
            "WORKSPACE_ROLE_DEFINITION_ID",
            WORKSPACE_GROUP_ID + "/providers/Microsoft.Authorization/roleDefinitions/d2?x=1",
        ),
        ("WORKSPACE_DEPLOYMENT_ID", WORKSPACE_GROUP_ID),
        ("WORKSPACE_DEPLOYMENT_ID", WORKSPACE_GROUP_ID + "/providers/Microsoft.Resources/x/y"),
        ("FUNCTION_KEY_READER_ROLE_ID", "/subscriptions/s"),
        ("FUNCTION_KEY_READER_ASSIGNMENT_ID", "/subscriptions/s/resourceGroups/rg-app"),
    ],
)
def test_predown_refuses_an_id_of_the_wrong_kind(stub_path: Path, name: str, value: str) -> None:
    # A stale or edited azd environment must never turn into a DELETE of a group or workspace.
    code, output, calls = run_hook("predown.sh", stub_path, {name: value})
    assert code == 0
    assert calls == []
    assert "refusing to delete " + value in output


def test_predown_ids_come_from_main_or_postprovision(main_template: Template) -> None:
    posix = (INFRA_DIR / "hooks" / "postprovision.sh").read_text(encoding="utf-8")
    windows = (INFRA_DIR / "hooks" / "postprovision.ps1").read_text(encoding="utf-8")
    for name in PREDOWN_ENV:
        from_main = name in main_template.outputs
        from_hook = f"azd env set {name} " in posix and f"azd env set {name} " in windows
        assert from_main != from_hook, name
    script = (INFRA_DIR / "hooks" / "predown.ps1").read_text(encoding="utf-8")
    for name in PREDOWN_ENV:
        assert f"$env:{name}" in script, name


def test_hook_scripts_use_the_same_sentinel_app_id() -> None:
    for name in ("preprovision.sh", "preprovision.ps1"):
        assert SENTINEL_APP_ID in (INFRA_DIR / "hooks" / name).read_text(encoding="utf-8")
    assert SENTINEL_APP_ID in (INFRA_DIR / "main.bicep").read_text(encoding="utf-8")
