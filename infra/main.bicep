// Sentinel anomaly lookup: what the azd deployment provisions. See docs/deploy.md.
//
// Creates the app resource group rg-<environment> and everything in it (function app, its
// identity, storage and monitoring, the playbook). It deploys NOTHING into the resource group
// of the existing Sentinel workspace: `azd down` deletes every resource group the deployment's
// resources are in (Azure/azure-dev#2916), so a module scoped there would put the SOC's
// workspace group on azd's delete list. The workspace is only read (its customer id). The
// workspace-side resources (the function's custom role and its assignment, the playbook's
// Sentinel Reader assignment, the automation rule) are in workspace/workspace.bicep, deployed
// by the postprovision hook and removed by the predown hook. tests/infra/test_infra_teardown.py
// derives from this file which groups the deployment writes to.
//
//   incident created -> automation rule -> Logic App (Sentinel incident trigger)
//     -> HTTP POST /api/incidents (function key) -> queue -> lookup -> incident comment

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group rg-<name> and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of the app resource group; must offer Flex Consumption. The workspace may be elsewhere.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource id of the existing Sentinel workspace: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>.')
@minLength(1)
param sentinelWorkspaceResourceId string

@description('Object id of the Azure Security Insights service principal: az ad sp show --id 98785600-1bb7-4fb9-b9fa-19afe2c8a360 --query id -o tsv')
@minLength(36)
@maxLength(36)
param sentinelServicePrincipalObjectId string

@description('Optional resource id of an existing Log Analytics workspace for the app telemetry; empty creates a dedicated one.')
param appInsightsWorkspaceResourceId string = ''

@description('Maximum instances per function group of the Flex Consumption app.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 40

@description('Memory of each function instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('ANOMALY_LOOKUP_TABLES: comma-separated tables to scan; empty scans every table with data.')
param lookupTables string = ''

@description('ANOMALY_LOOKUP_LOOKBACK_DAYS: days of history before the alert.')
@minValue(3)
@maxValue(90)
param lookupLookbackDays int = 14

@description('ANOMALY_LOOKUP_STEP: time bin; auto picks hourly bins for recently seen entities.')
@allowed([
  'auto'
  '1d'
  '1h'
])
param lookupStep string = 'auto'

@description('ANOMALY_LOOKUP_THRESHOLD: anomaly score threshold (decimal, written as text).')
param lookupThreshold string = '1.5'

@description('ANOMALY_LOOKUP_MAX_ANOMALIES: rows shown in the incident comment.')
@minValue(1)
@maxValue(500)
param lookupMaxAnomalies int = 25

// The budget is followed by the queries still in flight (query timeout, 180 s by default)
// and the comment write (60 s slack in lookup/service.py); all of it must end before
// host.json's functionTimeout (20 min) or the host kills the run without a comment.
// 900 + 180 + 60 = 1140 s < 1200 s (tests/infra/test_infra_workspace_role.py checks it).
@description('ANOMALY_LOOKUP_TIME_BUDGET_SECONDS: wall-clock budget of one incident lookup.')
@minValue(5)
@maxValue(900)
param lookupTimeBudgetSeconds int = 600

@description('ANOMALY_LOOKUP_SENTINEL_API_VERSION: Microsoft.SecurityInsights REST API version the function uses.')
param sentinelApiVersion string = '2025-09-01'

@description('ANOMALY_LOOKUP_QUEUE_NAME: work queue between the HTTP and the queue-triggered function.')
@minLength(3)
@maxLength(56)
param queueName string = 'incident-lookups'

// /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>
// Used only to READ the workspace (an `existing` reference), never as a deployment scope.
var workspaceIdParts = split(sentinelWorkspaceResourceId, '/')
var workspaceSubscriptionId = workspaceIdParts[2]
var workspaceResourceGroupName = workspaceIdParts[4]
var workspaceName = last(workspaceIdParts)

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-anomaly-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

resource sentinelWorkspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
}

module identity 'identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-anomaly-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'storage/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueName: queueName
  }
}

module monitoring 'monitoring/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-anomaly-${resourceToken}'
    applicationInsightsName: 'appi-anomaly-${resourceToken}'
    location: location
    tags: tags
    existingWorkspaceResourceId: appInsightsWorkspaceResourceId
  }
}

module appRoles 'rbac/app-roles.bicep' = {
  name: 'app-roles'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-anomaly-${resourceToken}'
    location: location
    tags: tags
    identityResourceId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    sentinelWorkspaceCustomerId: sentinelWorkspace.properties.customerId
    sentinelWorkspaceResourceId: sentinelWorkspace.id
    queueName: storage.outputs.queueName
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    lookupTables: lookupTables
    lookupLookbackDays: lookupLookbackDays
    lookupStep: lookupStep
    lookupThreshold: lookupThreshold
    lookupMaxAnomalies: lookupMaxAnomalies
    lookupTimeBudgetSeconds: lookupTimeBudgetSeconds
    sentinelApiVersion: sentinelApiVersion
  }
  // The host starts as soon as the app exists: give its identity the storage roles first.
  dependsOn: [
    appRoles
  ]
}

module playbook 'playbook/playbook.bicep' = {
  name: 'playbook'
  scope: rg
  params: {
    name: 'logic-anomaly-lookup-${resourceToken}'
    connectionName: 'azuresentinel-anomaly-${resourceToken}'
    location: location
    tags: tags
    functionAppName: functionApp.outputs.name
    functionHostName: functionApp.outputs.defaultHostName
  }
}

module playbookRoles 'rbac/playbook-roles.bicep' = {
  name: 'playbook-roles'
  scope: rg
  params: {
    sentinelServicePrincipalObjectId: sentinelServicePrincipalObjectId
    playbookPrincipalId: playbook.outputs.principalId
    functionAppName: functionApp.outputs.name
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output ANOMALY_LOOKUP_INCIDENTS_URL string = 'https://${functionApp.outputs.defaultHostName}/api/incidents'
output ANOMALY_LOOKUP_HEALTH_URL string = 'https://${functionApp.outputs.defaultHostName}/api/health'
output PLAYBOOK_NAME string = playbook.outputs.name
output PLAYBOOK_RESOURCE_ID string = playbook.outputs.id
// Principal ids (not secrets) for the postprovision hook's workspace-side deployment.
output FUNCTION_PRINCIPAL_ID string = identity.outputs.principalId
output PLAYBOOK_PRINCIPAL_ID string = playbook.outputs.principalId
output FUNCTION_KEY_READER_ASSIGNMENT_ID string = playbookRoles.outputs.functionKeyReaderAssignmentId
output FUNCTION_KEY_READER_ROLE_ID string = playbookRoles.outputs.functionKeyReaderRoleDefinitionId
