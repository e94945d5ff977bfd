# azd predown hook (Windows). Same as predown.sh: `azd down` deletes the app resource group;
# this first removes, one resource at a time, what lives outside it: the automation rule, the
# role assignments on the Sentinel workspace, the function's custom role, the playbook's custom
# role and its assignment, the workspace-side deployment record. Each id must have the shape
# of its type (a resource group or the workspace itself is refused, never sent). Failures are
# reported, never fatal.

$ids = @($env:AUTOMATION_RULE_ID, $env:WORKSPACE_ROLE_ASSIGNMENT_IDS, $env:WORKSPACE_ROLE_DEFINITION_ID,
    $env:FUNCTION_KEY_READER_ASSIGNMENT_ID, $env:FUNCTION_KEY_READER_ROLE_ID, $env:WORKSPACE_DEPLOYMENT_ID)
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Warning ("Azure CLI (az) not found: remove these by hand after azd down: " + ($ids -join ' '))
    exit 0
}

$segment = '[^/?#%\s]+'
$workspacePath = "^/subscriptions/$segment/resourceGroups/$segment/providers/Microsoft\.OperationalInsights/workspaces/$segment"
$failed = $false
function Remove-ById([string]$id, [string]$apiVersion, [string]$pattern) {
    if ([string]::IsNullOrEmpty($id)) { return }
    # -match is case-insensitive, as resource ids are. No "." or ".." segment may move the URL.
    if ($id -notmatch $pattern -or $id -match '(^|/)\.\.?(/|$)') {
        Write-Warning "refusing to delete ${id}: not the expected kind of resource"
        $script:failed = $true
        return
    }
    az rest --method delete --url "$($id)?api-version=$apiVersion" | Out-Null
    if ($LASTEXITCODE -eq 0) {
        Write-Host "deleted $id"
    } else {
        Write-Warning "could not delete $id"
        $script:failed = $true
    }
}

Remove-ById $env:AUTOMATION_RULE_ID '2024-09-01' "$workspacePath/providers/Microsoft\.SecurityInsights/automationRules/$segment$"
if (-not [string]::IsNullOrEmpty($env:WORKSPACE_ROLE_ASSIGNMENT_IDS)) {
    foreach ($assignment in $env:WORKSPACE_ROLE_ASSIGNMENT_IDS.Split(',')) {
        Remove-ById $assignment '2022-04-01' "$workspacePath/providers/Microsoft\.Authorization/roleAssignments/$segment$"
    }
}
Remove-ById $env:WORKSPACE_ROLE_DEFINITION_ID '2022-04-01' "^/subscriptions/$segment/resourceGroups/$segment/providers/Microsoft\.Authorization/roleDefinitions/$segment$"
Remove-ById $env:FUNCTION_KEY_READER_ASSIGNMENT_ID '2022-04-01' "^/subscriptions/$segment/resourceGroups/$segment/providers/Microsoft\.Web/sites/$segment/providers/Microsoft\.Authorization/roleAssignments/$segment$"
Remove-ById $env:FUNCTION_KEY_READER_ROLE_ID '2022-04-01' "^/subscriptions/$segment/providers/Microsoft\.Authorization/roleDefinitions/$segment$"
Remove-ById $env:WORKSPACE_DEPLOYMENT_ID '2024-03-01' "^/subscriptions/$segment/resourceGroups/$segment/providers/Microsoft\.Resources/deployments/$segment$"

if ($failed) {
    Write-Warning 'Some resources outside the app resource group remain; delete them by hand (see docs/deploy.md).'
}
exit 0
