# azd predown hook (Windows). Same as predown.sh: removes the automation rule, the role
# assignments on the Sentinel workspace and the custom role, which live outside the app
# resource group that `azd down` deletes. Failures are reported, never fatal.

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Warning ("Azure CLI (az) not found: remove these by hand after azd down: " +
        "$env:AUTOMATION_RULE_ID $env:WORKSPACE_ROLE_ASSIGNMENT_IDS $env:FUNCTION_KEY_READER_ASSIGNMENT_ID $env:FUNCTION_KEY_READER_ROLE_ID")
    exit 0
}

$failed = $false
function Remove-ById([string]$id, [string]$apiVersion) {
    if ([string]::IsNullOrEmpty($id)) { return }
    az rest --method delete --url "$($id)?api-version=$apiVersion" | Out-Null
    if ($LASTEXITCODE -eq 0) {
        Write-Host "deleted $id"
    } else {
        Write-Warning "could not delete $id"
        $script:failed = $true
    }
}

Remove-ById $env:AUTOMATION_RULE_ID '2024-09-01'
if (-not [string]::IsNullOrEmpty($env:WORKSPACE_ROLE_ASSIGNMENT_IDS)) {
    foreach ($assignment in $env:WORKSPACE_ROLE_ASSIGNMENT_IDS.Split(',')) {
        Remove-ById $assignment '2022-04-01'
    }
}
Remove-ById $env:FUNCTION_KEY_READER_ASSIGNMENT_ID '2022-04-01'
Remove-ById $env:FUNCTION_KEY_READER_ROLE_ID '2022-04-01'

if ($failed) {
    Write-Warning 'Some resources outside the app resource group remain; delete them by hand (see docs/deploy.md).'
}
exit 0
