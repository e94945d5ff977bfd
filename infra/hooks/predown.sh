#!/bin/sh
# azd predown hook (Linux, macOS). `azd down` deletes the app resource group rg-<env> (the
# only group the azd deployment has resources in); these live outside it and are removed
# here first, one resource at a time, by the ids stored in the azd environment:
#   AUTOMATION_RULE_ID                  automation rule in the Sentinel workspace
#   WORKSPACE_ROLE_ASSIGNMENT_IDS       role assignments on the workspace (comma-separated)
#   WORKSPACE_ROLE_DEFINITION_ID        the function's custom role (after its assignment)
#   FUNCTION_KEY_READER_ASSIGNMENT_ID   assignment of the playbook's custom role
#   FUNCTION_KEY_READER_ROLE_ID         the playbook's custom role (after its assignment)
#   WORKSPACE_DEPLOYMENT_ID             the postprovision deployment's history record (deleting
#                                       a deployment record never deletes resources)
# Each id must have the shape of its type, ending in that type's name segment; anything
# else (a resource group, the workspace, a path with "..", a query) is refused, never sent.
# A failure is reported with the id to remove by hand; it does not stop `azd down`.
set -u

ids="${AUTOMATION_RULE_ID:-} ${WORKSPACE_ROLE_ASSIGNMENT_IDS:-} ${WORKSPACE_ROLE_DEFINITION_ID:-} ${FUNCTION_KEY_READER_ASSIGNMENT_ID:-} ${FUNCTION_KEY_READER_ROLE_ID:-} ${WORKSPACE_DEPLOYMENT_ID:-}"
if ! command -v az >/dev/null 2>&1; then
  echo "Azure CLI (az) not found: remove these by hand after azd down:" >&2
  echo "  $ids" >&2
  exit 0
fi

failed=0
delete_resource() {
  # $1 resource id, $2 api-version, $3 pattern (lower case) of everything before the name
  [ -n "$1" ] || return 0
  lowered=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')
  case "$lowered" in
    *[!a-z0-9/._\(\)-]* | *..* | *//* | */)
      echo "refusing to delete $1: not a plain resource id" >&2
      failed=1
      return 0
      ;;
  esac
  # The last segment is the name; what comes before must be exactly the expected type path.
  # shellcheck disable=SC2254 # $3 is a pattern on purpose
  case "${lowered%/*}" in
    $3) ;;
    *)
      echo "refusing to delete $1: not the expected kind of resource" >&2
      failed=1
      return 0
      ;;
  esac
  if az rest --method delete --url "$1?api-version=$2" >/dev/null; then
    echo "deleted $1"
  else
    echo "could not delete $1" >&2
    failed=1
  fi
}

workspace_path='/subscriptions/*/resourcegroups/*/providers/microsoft.operationalinsights/workspaces/*'
delete_resource "${AUTOMATION_RULE_ID:-}" 2024-09-01 \
  "$workspace_path/providers/microsoft.securityinsights/automationrules"
old_ifs=$IFS
IFS=','
for assignment in ${WORKSPACE_ROLE_ASSIGNMENT_IDS:-}; do
  IFS=$old_ifs
  delete_resource "$assignment" 2022-04-01 \
    "$workspace_path/providers/microsoft.authorization/roleassignments"
done
IFS=$old_ifs
delete_resource "${WORKSPACE_ROLE_DEFINITION_ID:-}" 2022-04-01 \
  '/subscriptions/*/resourcegroups/*/providers/microsoft.authorization/roledefinitions'
delete_resource "${FUNCTION_KEY_READER_ASSIGNMENT_ID:-}" 2022-04-01 \
  '/subscriptions/*/resourcegroups/*/providers/microsoft.web/sites/*/providers/microsoft.authorization/roleassignments'
delete_resource "${FUNCTION_KEY_READER_ROLE_ID:-}" 2022-04-01 \
  '/subscriptions/*/providers/microsoft.authorization/roledefinitions'
delete_resource "${WORKSPACE_DEPLOYMENT_ID:-}" 2024-03-01 \
  '/subscriptions/*/resourcegroups/*/providers/microsoft.resources/deployments'

if [ "$failed" -ne 0 ]; then
  echo "Some resources outside the app resource group remain; delete them by hand (see docs/deploy.md)." >&2
fi
exit 0
