#!/bin/sh
# azd preprovision hook (Linux, macOS). azd exports the environment's values as variables.
#  - SENTINEL_WORKSPACE_RESOURCE_ID must be set and look like a Log Analytics workspace id.
#  - SENTINEL_SP_OBJECT_ID is looked up with the Azure CLI when it is not set: the object id
#    of the "Azure Security Insights" service principal (appId below) in the signed-in tenant.
set -eu

SENTINEL_APP_ID=98785600-1bb7-4fb9-b9fa-19afe2c8a360

workspace_id=${SENTINEL_WORKSPACE_RESOURCE_ID:-}
if [ -z "$workspace_id" ]; then
  echo "SENTINEL_WORKSPACE_RESOURCE_ID is not set. Set it to the Sentinel workspace resource id:" >&2
  echo "  azd env set SENTINEL_WORKSPACE_RESOURCE_ID /subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>" >&2
  exit 1
fi
lowered=$(printf '%s' "$workspace_id" | tr '[:upper:]' '[:lower:]')
case "$lowered" in
  */) echo "SENTINEL_WORKSPACE_RESOURCE_ID must not end with '/': $workspace_id" >&2; exit 1 ;;
  /subscriptions/*/resourcegroups/*/providers/microsoft.operationalinsights/workspaces/*) ;;
  *)
    echo "SENTINEL_WORKSPACE_RESOURCE_ID is not a Log Analytics workspace resource id: $workspace_id" >&2
    exit 1
    ;;
esac
segments=$(printf '%s' "$workspace_id" | awk -F/ '{print NF}')
if [ "$segments" -ne 9 ]; then
  echo "SENTINEL_WORKSPACE_RESOURCE_ID must have exactly 8 path segments: $workspace_id" >&2
  exit 1
fi

if [ -z "${SENTINEL_SP_OBJECT_ID:-}" ]; then
  if ! command -v az >/dev/null 2>&1; then
    echo "SENTINEL_SP_OBJECT_ID is not set and the Azure CLI (az) is not installed. Look it up and set it:" >&2
    echo "  az ad sp show --id $SENTINEL_APP_ID --query id -o tsv" >&2
    echo "  azd env set SENTINEL_SP_OBJECT_ID <object-id>" >&2
    exit 1
  fi
  if ! object_id=$(az ad sp show --id "$SENTINEL_APP_ID" --query id -o tsv); then
    echo "Could not read the Azure Security Insights service principal (az login to this tenant?)." >&2
    echo "Set it by hand: azd env set SENTINEL_SP_OBJECT_ID <object-id>" >&2
    exit 1
  fi
  if [ -z "$object_id" ]; then
    echo "No service principal with appId $SENTINEL_APP_ID in this tenant: is Microsoft Sentinel enabled?" >&2
    exit 1
  fi
  azd env set SENTINEL_SP_OBJECT_ID "$object_id"
  echo "SENTINEL_SP_OBJECT_ID set to $object_id"
fi
