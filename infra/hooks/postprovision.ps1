# azd postprovision hook (Windows). Same as postprovision.sh: deploys
# infra/workspace/workspace.bicep into the Sentinel workspace's resource group with its own
# `az deployment group create --mode Incremental`, outside the azd deployment, so that
# `azd down` never counts that group as one of its own (Azure/azure-dev#2916). Never use
# --mode Complete: it would delete every resource of the group not in the template.
# Stores AUTOMATION_RULE_ID, WORKSPACE_ROLE_ASSIGNMENT_IDS, WORKSPACE_ROLE_DEFINITION_ID and
# WORKSPACE_DEPLOYMENT_ID for the predown hook.
$ErrorActionPreference = 'Stop'

function Fail([string]$message) {
    Write-Error ("$message`n" +
        'The app resource group is deployed; fix the cause and run: azd hooks run postprovision')
    exit 1
}

foreach ($name in 'SENTINEL_WORKSPACE_RESOURCE_ID', 'AZURE_ENV_NAME', 'FUNCTION_PRINCIPAL_ID',
    'PLAYBOOK_PRINCIPAL_ID', 'PLAYBOOK_RESOURCE_ID') {
    if ([string]::IsNullOrEmpty([Environment]::GetEnvironmentVariable($name))) {
        Fail "$name is not set in the azd environment (did azd provision succeed?)"
    }
}

$workspaceId = $env:SENTINEL_WORKSPACE_RESOURCE_ID
$pattern = '^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.OperationalInsights/workspaces/([^/]+)$'
if ($workspaceId -notmatch $pattern) {
    Fail "SENTINEL_WORKSPACE_RESOURCE_ID is not a Log Analytics workspace resource id: $workspaceId"
}
$subscription = $Matches[1]
$group = $Matches[2]
$workspace = $Matches[3]

$severities = ("$env:AUTOMATION_RULE_SEVERITIES" -replace ' ', '')
if ($severities) {
    foreach ($severity in $severities.Split(',')) {
        if ($severity -cnotin 'High', 'Medium', 'Low', 'Informational') {
            Fail "AUTOMATION_RULE_SEVERITIES: '$severity' is not High, Medium, Low or Informational"
        }
    }
}
$ruleIds = ("$env:AUTOMATION_RULE_ANALYTIC_RULE_IDS" -replace ' ', '')
$order = if ([string]::IsNullOrEmpty($env:AUTOMATION_RULE_ORDER)) { '100' } else { $env:AUTOMATION_RULE_ORDER }
if ($order -notmatch '^[0-9]+$' -or [int]$order -lt 1 -or [int]$order -gt 1000) {
    Fail "AUTOMATION_RULE_ORDER must be a whole number from 1 to 1000: $order"
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Fail "The Azure CLI (az) is needed to deploy into the Sentinel workspace's resource group."
}

$deployment = "anomaly-lookup-$env:AZURE_ENV_NAME"
if ($deployment.Length -gt 64) { $deployment = $deployment.Substring(0, 64) }
$template = Join-Path $PSScriptRoot '..' 'workspace' 'workspace.bicep'

$parameters = @(
    "workspaceName=$workspace",
    "environmentName=$env:AZURE_ENV_NAME",
    "functionPrincipalId=$env:FUNCTION_PRINCIPAL_ID",
    "playbookPrincipalId=$env:PLAYBOOK_PRINCIPAL_ID",
    "playbookResourceId=$env:PLAYBOOK_RESOURCE_ID",
    "automationRuleOrder=$order"
)
if ($severities) { $parameters += "automationRuleSeverities=$severities" }
if ($ruleIds) { $parameters += "automationRuleAnalyticRuleIds=$ruleIds" }

Write-Host "Deploying the workspace-side resources into resource group $group (subscription $subscription)"
az deployment group create `
    --subscription $subscription `
    --resource-group $group `
    --name $deployment `
    --mode Incremental `
    --template-file $template `
    --parameters @parameters `
    --output none
if ($LASTEXITCODE -ne 0) {
    Fail "The deployment into $group failed (rights needed there: see docs/deploy.md, Roles the deployer needs)."
}

function Get-Output([string]$name) {
    $value = az deployment group show `
        --subscription $subscription `
        --resource-group $group `
        --name $deployment `
        --query "properties.outputs.$name.value" `
        --output tsv
    if ($LASTEXITCODE -ne 0 -or [string]::IsNullOrEmpty($value)) {
        Fail "Could not read the outputs of deployment $deployment in $group."
    }
    return $value
}
$ruleId = Get-Output 'automationRuleId'
$functionAssignment = Get-Output 'functionRoleAssignmentId'
$playbookAssignment = Get-Output 'playbookRoleAssignmentId'
$roleDefinition = Get-Output 'functionRoleDefinitionId'

# Upgrade from the versions that gave the function's identity Microsoft Sentinel Responder on
# the workspace: remove exactly that assignment (this identity, that role, that scope).
$responder = '3e150937-b8fe-4cfb-8069-0eaf05ecd056'
az role assignment delete --assignee $env:FUNCTION_PRINCIPAL_ID --role $responder --scope $workspaceId --output none
if ($LASTEXITCODE -ne 0) {
    Write-Warning "Could not check for a leftover Microsoft Sentinel Responder assignment of $env:FUNCTION_PRINCIPAL_ID on $workspaceId; remove it by hand if there is one."
}

azd env set AUTOMATION_RULE_ID $ruleId
azd env set WORKSPACE_ROLE_ASSIGNMENT_IDS "$functionAssignment,$playbookAssignment"
azd env set WORKSPACE_ROLE_DEFINITION_ID $roleDefinition
azd env set WORKSPACE_DEPLOYMENT_ID "/subscriptions/$subscription/resourceGroups/$group/providers/Microsoft.Resources/deployments/$deployment"
Write-Host "Automation rule: $ruleId"
