#!/bin/sh
# azd postprovision hook (Linux, macOS). Deploys infra/workspace/workspace.bicep into the
# resource group of the Sentinel workspace: the function's custom role and its assignment,
# the playbook's Sentinel Reader assignment, the automation rule.
#
# Why a hook and not a module of main.bicep: `azd down` deletes every resource group the azd
# deployment's resources are in (Azure/azure-dev#2916). Deployed here, with its own
# `az deployment group create`, nothing in the workspace's group belongs to the azd
# deployment, so `azd down` cannot pick that group. --mode Incremental (also az's default,
# written out so no one changes it): a Complete deployment would DELETE every resource of the
# group that is not in the template, the workspace included.
#
# Reads from the azd environment: SENTINEL_WORKSPACE_RESOURCE_ID, AZURE_ENV_NAME, and the
# provisioning outputs FUNCTION_PRINCIPAL_ID, PLAYBOOK_PRINCIPAL_ID, PLAYBOOK_RESOURCE_ID;
# optional AUTOMATION_RULE_SEVERITIES, AUTOMATION_RULE_ANALYTIC_RULE_IDS, AUTOMATION_RULE_ORDER.
# Stores for the predown hook: AUTOMATION_RULE_ID, WORKSPACE_ROLE_ASSIGNMENT_IDS,
# WORKSPACE_ROLE_DEFINITION_ID, WORKSPACE_DEPLOYMENT_ID.
set -eu

script_dir=$(cd "$(dirname "$0")" && pwd)
template="$script_dir/../workspace/workspace.bicep"

fail() {
  echo "$1" >&2
  echo "The app resource group is deployed; fix the cause and run: azd hooks run postprovision" >&2
  exit 1
}

for name in SENTINEL_WORKSPACE_RESOURCE_ID AZURE_ENV_NAME FUNCTION_PRINCIPAL_ID \
  PLAYBOOK_PRINCIPAL_ID PLAYBOOK_RESOURCE_ID; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || fail "$name is not set in the azd environment (did azd provision succeed?)"
done

# /subscriptions/<sub>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>
workspace_id=$SENTINEL_WORKSPACE_RESOURCE_ID
lowered=$(printf '%s' "$workspace_id" | tr '[:upper:]' '[:lower:]')
case "$lowered" in
  /subscriptions/*/resourcegroups/*/providers/microsoft.operationalinsights/workspaces/*) ;;
  *) fail "SENTINEL_WORKSPACE_RESOURCE_ID is not a Log Analytics workspace resource id: $workspace_id" ;;
esac
segments=$(printf '%s' "$workspace_id" | awk -F/ '{print NF}')
[ "$segments" -eq 9 ] || fail "SENTINEL_WORKSPACE_RESOURCE_ID must have exactly 8 path segments: $workspace_id"
subscription=$(printf '%s' "$workspace_id" | cut -d/ -f3)
group=$(printf '%s' "$workspace_id" | cut -d/ -f5)
workspace=$(printf '%s' "$workspace_id" | cut -d/ -f9)

severities=$(printf '%s' "${AUTOMATION_RULE_SEVERITIES:-}" | tr -d ' ')
old_ifs=$IFS
IFS=','
for severity in $severities; do
  case "$severity" in
    High | Medium | Low | Informational) ;;
    *) IFS=$old_ifs; fail "AUTOMATION_RULE_SEVERITIES: '$severity' is not High, Medium, Low or Informational" ;;
  esac
done
IFS=$old_ifs
rule_ids=$(printf '%s' "${AUTOMATION_RULE_ANALYTIC_RULE_IDS:-}" | tr -d ' ')
order=${AUTOMATION_RULE_ORDER:-100}
case "$order" in
  '' | *[!0-9]*) fail "AUTOMATION_RULE_ORDER must be a whole number from 1 to 1000: $order" ;;
esac
[ "$order" -ge 1 ] && [ "$order" -le 1000 ] || fail "AUTOMATION_RULE_ORDER must be from 1 to 1000: $order"

command -v az >/dev/null 2>&1 || fail "The Azure CLI (az) is needed to deploy into the Sentinel workspace's resource group."

# Deployment names are at most 64 characters.
deployment=$(printf 'anomaly-lookup-%s' "$AZURE_ENV_NAME" | cut -c1-64)

set -- \
  workspaceName="$workspace" \
  environmentName="$AZURE_ENV_NAME" \
  functionPrincipalId="$FUNCTION_PRINCIPAL_ID" \
  playbookPrincipalId="$PLAYBOOK_PRINCIPAL_ID" \
  playbookResourceId="$PLAYBOOK_RESOURCE_ID" \
  automationRuleOrder="$order"
[ -z "$severities" ] || set -- "$@" automationRuleSeverities="$severities"
[ -z "$rule_ids" ] || set -- "$@" automationRuleAnalyticRuleIds="$rule_ids"

echo "Deploying the workspace-side resources into resource group $group (subscription $subscription)"
az deployment group create \
  --subscription "$subscription" \
  --resource-group "$group" \
  --name "$deployment" \
  --mode Incremental \
  --template-file "$template" \
  --parameters "$@" \
  --output none ||
  fail "The deployment into $group failed (rights needed there: see docs/deploy.md, Roles the deployer needs)."

output() {
  az deployment group show \
    --subscription "$subscription" \
    --resource-group "$group" \
    --name "$deployment" \
    --query "properties.outputs.$1.value" \
    --output tsv
}
rule_id=$(output automationRuleId)
function_assignment=$(output functionRoleAssignmentId)
playbook_assignment=$(output playbookRoleAssignmentId)
role_definition=$(output functionRoleDefinitionId)
for value in "$rule_id" "$function_assignment" "$playbook_assignment" "$role_definition"; do
  [ -n "$value" ] || fail "Could not read the outputs of deployment $deployment in $group."
done

# Upgrade from the versions that gave the function's identity Microsoft Sentinel Responder on
# the workspace: remove exactly that assignment (this identity, that role, that scope).
responder=3e150937-b8fe-4cfb-8069-0eaf05ecd056
if ! az role assignment delete \
  --assignee "$FUNCTION_PRINCIPAL_ID" \
  --role "$responder" \
  --scope "$workspace_id" \
  --output none; then
  echo "Could not check for a leftover Microsoft Sentinel Responder assignment of $FUNCTION_PRINCIPAL_ID on $workspace_id; remove it by hand if there is one." >&2
fi

azd env set AUTOMATION_RULE_ID "$rule_id"
azd env set WORKSPACE_ROLE_ASSIGNMENT_IDS "$function_assignment,$playbook_assignment"
azd env set WORKSPACE_ROLE_DEFINITION_ID "$role_definition"
azd env set WORKSPACE_DEPLOYMENT_ID \
  "/subscriptions/$subscription/resourceGroups/$group/providers/Microsoft.Resources/deployments/$deployment"
echo "Automation rule: $rule_id"
