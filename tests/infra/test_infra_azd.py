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
    assert set(hooks) == {"preprovision", "predown"}
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


PREDOWN_ENV = {
    "AUTOMATION_RULE_ID": WORKSPACE_ID + "/providers/Microsoft.SecurityInsights/automationRules/r1",
    "WORKSPACE_ROLE_ASSIGNMENT_IDS": (
        WORKSPACE_ID
        + "/providers/Microsoft.Authorization/roleAssignments/a1,"
        + WORKSPACE_ID
        + "/providers/Microsoft.Authorization/roleAssignments/a2"
    ),
    "FUNCTION_KEY_READER_ASSIGNMENT_ID": "/subscriptions/s/resourceGroups/rg-app/providers/"
    "Microsoft.Web/sites/f/providers/Microsoft.Authorization/roleAssignments/a3",
    "FUNCTION_KEY_READER_ROLE_ID": "/subscriptions/s/providers/Microsoft.Authorization/"
    "roleDefinitions/d1",
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
        PREDOWN_ENV["FUNCTION_KEY_READER_ASSIGNMENT_ID"] + "?api-version=2022-04-01",
        PREDOWN_ENV["FUNCTION_KEY_READER_ROLE_ID"] + "?api-version=2022-04-01",
    ]


def test_predown_reports_failures_without_blocking_azd_down(stub_path: Path) -> None:
    code, output, calls = run_hook("predown.sh", stub_path, {**PREDOWN_ENV, "STUB_REST_FAIL": "1"})
    assert code == 0
    assert len(calls) == 5
    assert "could not delete " + PREDOWN_ENV["AUTOMATION_RULE_ID"] in output
    assert "delete them by hand" in output


def test_predown_ids_are_outputs_of_main(main_template: Template) -> None:
    for name in PREDOWN_ENV:
        assert name in main_template.outputs, name
    script = (INFRA_DIR / "hooks" / "predown.ps1").read_text(encoding="utf-8")
    for name in PREDOWN_ENV:
        assert f"$env:{name}" in script, name


def test_hook_scripts_use_the_same_sentinel_app_id() -> None:
    for name in ("preprovision.sh", "preprovision.ps1"):
        assert SENTINEL_APP_ID in (INFRA_DIR / "hooks" / name).read_text(encoding="utf-8")
    assert SENTINEL_APP_ID in (INFRA_DIR / "main.bicep").read_text(encoding="utf-8")
