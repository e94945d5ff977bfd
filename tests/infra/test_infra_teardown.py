"""`azd down` must never be able to delete the Sentinel workspace's resource group (issue 11).

How azd decides what to delete (Azure/azure-dev, cli/azd/pkg/azapi/standard_deployments.go and
the older cli/azd/pkg/infra/provisioning/bicep/bicep_provider.go): for a subscription-scope
deployment it lists the resource groups named in the deployment's ``outputResources`` (or, for
a failed deployment, the resource groups its nested deployments depend on) and deletes each of
them whole. Versions up to 1.9 and 1.22.4 to 1.23.x take every resource group that appears in
``outputResources``; 1.10 to 1.22.3 took every group tagged ``azd-env-name=<env>``; 1.24 and
later only the groups the deployment created. Azure/azure-dev#2916 is this exact shape: a
subscription deployment that also writes into an existing group gets that group deleted.

So the azd deployment (infra/main.bicep and every module it reaches) may write only into
resource groups it creates, never into the workspace's: that is derived from the Bicep here.
What the integration needs in the workspace's group is deployed by the ``postprovision`` hook
(infra/workspace/workspace.bicep, ``az deployment group create --mode Incremental``) and
removed resource by resource by the ``predown`` hook (tests/infra/test_infra_azd.py).
"""

from __future__ import annotations

import re

from infra_support import INFRA_DIR, Placement, Template, deployment_placements

WORKSPACE_PARAM = "sentinelWorkspaceResourceId"
WORKSPACE_GROUP = "rg-soc"
WORKSPACE_ID = (
    "/subscriptions/0d4c7b6e-1111-2222-3333-444455556666/resourceGroups/rg-soc"
    "/providers/Microsoft.OperationalInsights/workspaces/law-sentinel"
)
MAIN_PARAMS = {"environmentName": "prod", WORKSPACE_PARAM: WORKSPACE_ID}


def placements(templates: dict[str, Template]) -> list[Placement]:
    return deployment_placements(templates, "main.bicep", MAIN_PARAMS)


def owned_resource_groups(templates: dict[str, Template]) -> dict[str, list[str]]:
    """Resource group -> what the azd deployment writes there (what `azd down` may delete)."""
    owned: dict[str, list[str]] = {}
    for placement in placements(templates):
        if placement.resource_group is not None:
            owned.setdefault(placement.resource_group, []).append(
                f"{placement.template}:{placement.symbol}"
            )
    return owned


def test_the_azd_deployment_targets_the_subscription(main_template: Template) -> None:
    # The analysis below starts from the subscription: every group is then explicit.
    assert main_template.target_scope == "subscription"


def test_azd_down_cannot_reach_the_workspace_resource_group(
    templates: dict[str, Template],
) -> None:
    owned = owned_resource_groups(templates)
    assert WORKSPACE_GROUP not in owned, (
        f"the azd deployment writes into the Sentinel workspace's resource group "
        f"({owned[WORKSPACE_GROUP]}): azd down would delete that group and the workspace"
    )
    # Nothing the deployment writes is placed by the workspace parameter, whatever its value.
    tainted = [
        f"{p.template}:{p.symbol}"
        for p in placements(templates)
        if WORKSPACE_PARAM in p.params and p.resource_group is not None
    ]
    assert tainted == [], f"scoped by {WORKSPACE_PARAM}: {tainted}"


def test_the_azd_deployment_owns_exactly_the_group_it_creates(
    templates: dict[str, Template],
) -> None:
    found = placements(templates)
    created = {p.resource_group for p in found if p.created}
    assert created == {"rg-prod"}
    assert set(owned_resource_groups(templates)) == created
    # Every module lands in that group: none at subscription scope, none elsewhere.
    modules = [p for p in found if p.kind == "module"]
    assert modules and all(p.resource_group == "rg-prod" for p in modules)


def test_the_workspace_is_only_read_by_the_azd_deployment(main_template: Template) -> None:
    # main.bicep reads the workspace's customer id through an `existing` reference; a
    # reference is not a deployment and is not in outputResources.
    workspaces = main_template.resources_of_type("Microsoft.OperationalInsights/workspaces")
    assert [r["existing"] for r in workspaces.values()] == [True]


def test_no_template_tags_a_group_for_azd_other_than_its_own(
    templates: dict[str, Template],
) -> None:
    # azd 1.10-1.22.3 deleted every group tagged azd-env-name=<env>: only the app group,
    # which the deployment creates, may carry the tag; the workspace-side template tags nothing.
    for rel, template in templates.items():
        groups = template.resources_of_type("Microsoft.Resources/resourceGroups")
        if rel != "main.bicep":
            assert groups == {}, f"{rel} declares a resource group"
    workspace_side = templates["workspace/workspace.bicep"]
    assert "azd-env-name" not in workspace_side.text
    assert not re.search(r"^\s*tags\s*:", workspace_side.text, re.MULTILINE)


def test_the_workspace_side_template_is_not_part_of_the_azd_deployment(
    templates: dict[str, Template],
) -> None:
    reached = {p.template for p in placements(templates)}
    assert "workspace/workspace.bicep" not in reached
    assert (INFRA_DIR / "workspace" / "workspace.bicep").is_file()
    # It deploys into the group it is given (the workspace's), never creates or scopes away.
    workspace_side = templates["workspace/workspace.bicep"]
    assert workspace_side.target_scope == "resourceGroup"
    assert workspace_side.modules == {}
