# azd preprovision hook (Windows). Same checks as preprovision.sh.
#  - SENTINEL_WORKSPACE_RESOURCE_ID must be set and look like a Log Analytics workspace id.
#  - SENTINEL_SP_OBJECT_ID is looked up with the Azure CLI when it is not set.
$ErrorActionPreference = 'Stop'

$sentinelAppId = '98785600-1bb7-4fb9-b9fa-19afe2c8a360'

$workspaceId = $env:SENTINEL_WORKSPACE_RESOURCE_ID
if ([string]::IsNullOrEmpty($workspaceId)) {
    Write-Error ("SENTINEL_WORKSPACE_RESOURCE_ID is not set. Set it to the Sentinel workspace resource id:`n" +
        "  azd env set SENTINEL_WORKSPACE_RESOURCE_ID /subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>")
    exit 1
}
$pattern = '^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.OperationalInsights/workspaces/[^/]+$'
if ($workspaceId -notmatch $pattern) {
    # -notmatch is case-insensitive, as resource ids are.
    Write-Error "SENTINEL_WORKSPACE_RESOURCE_ID is not a Log Analytics workspace resource id: $workspaceId"
    exit 1
}

if ([string]::IsNullOrEmpty($env:SENTINEL_SP_OBJECT_ID)) {
    if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
        Write-Error ("SENTINEL_SP_OBJECT_ID is not set and the Azure CLI (az) is not installed. Look it up and set it:`n" +
            "  az ad sp show --id $sentinelAppId --query id -o tsv`n" +
            "  azd env set SENTINEL_SP_OBJECT_ID <object-id>")
        exit 1
    }
    $objectId = az ad sp show --id $sentinelAppId --query id -o tsv
    if ($LASTEXITCODE -ne 0 -or [string]::IsNullOrEmpty($objectId)) {
        Write-Error ("Could not read the Azure Security Insights service principal (az login to this tenant? Sentinel enabled?).`n" +
            "Set it by hand: azd env set SENTINEL_SP_OBJECT_ID <object-id>")
        exit 1
    }
    azd env set SENTINEL_SP_OBJECT_ID $objectId
    Write-Host "SENTINEL_SP_OBJECT_ID set to $objectId"
}
