#!/bin/sh
# azd predown hook (Linux, macOS). `azd down` deletes the app resource group; these live
# outside it and are removed here, in dependency order, from the ids the provisioning wrote
# to the azd environment:
#   AUTOMATION_RULE_ID                  automation rule in the Sentinel workspace
#   WORKSPACE_ROLE_ASSIGNMENT_IDS       role assignments on the workspace (comma-separated)
#   FUNCTION_KEY_READER_ASSIGNMENT_ID   assignment of the custom role (before the role itself)
#   FUNCTION_KEY_READER_ROLE_ID         custom role definition (subscription level)
# A failure is reported with the id to remove by hand; it does not stop `azd down`.
set -u

if ! command -v az >/dev/null 2>&1; then
  echo "Azure CLI (az) not found: remove these by hand after azd down:" >&2
  echo "  ${AUTOMATION_RULE_ID:-} ${WORKSPACE_ROLE_ASSIGNMENT_IDS:-} ${FUNCTION_KEY_READER_ASSIGNMENT_ID:-} ${FUNCTION_KEY_READER_ROLE_ID:-}" >&2
  exit 0
fi

failed=0
delete_resource() {
  # $1 resource id, $2 api-version
  [ -n "$1" ] || return 0
  if az rest --method delete --url "$1?api-version=$2" >/dev/null; then
    echo "deleted $1"
  else
    echo "could not delete $1" >&2
    failed=1
  fi
}

delete_resource "${AUTOMATION_RULE_ID:-}" 2024-09-01
old_ifs=$IFS
IFS=','
for assignment in ${WORKSPACE_ROLE_ASSIGNMENT_IDS:-}; do
  IFS=$old_ifs
  delete_resource "$assignment" 2022-04-01
done
IFS=$old_ifs
delete_resource "${FUNCTION_KEY_READER_ASSIGNMENT_ID:-}" 2022-04-01
delete_resource "${FUNCTION_KEY_READER_ROLE_ID:-}" 2022-04-01

if [ "$failed" -ne 0 ]; then
  echo "Some resources outside the app resource group remain; delete them by hand (see docs/deploy.md)." >&2
fi
exit 0
