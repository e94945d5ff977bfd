// Sentinel anomaly lookup: everything `azd up` provisions.
//
// Creates the app resource group (function app, its identity, storage and monitoring, the
// playbook) and, in the resource group of the EXISTING Sentinel workspace, the role
// assignments on that workspace and the automation rule. See docs/deploy.md.
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

@description('Comma-separated incident severities that start a lookup (High,Medium,Low,Informational); empty = all.')
param automationRuleSeverities string = ''

@description('Comma-separated analytic rule resource ids whose incidents start a lookup; empty = all rules.')
param automationRuleAnalyticRuleIds string = ''

@description('Order of the automation rule among the workspace rules (1 runs first).')
@minValue(1)
@maxValue(1000)
param automationRuleOrder int = 100

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

@description('ANOMALY_LOOKUP_TIME_BUDGET_SECONDS: wall-clock budget of one incident lookup.')
@minValue(5)
@maxValue(3600)
param lookupTimeBudgetSeconds int = 600

@description('ANOMALY_LOOKUP_SENTINEL_API_VERSION: Microsoft.SecurityInsights REST API version the function uses.')
param sentinelApiVersion string = '2025-09-01'

@description('ANOMALY_LOOKUP_QUEUE_NAME: work queue between the HTTP and the queue-triggered function.')
@minLength(3)
@maxLength(56)
param queueName string = 'incident-lookups'

// /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/workspaces/<name>
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
var severityList = empty(automationRuleSeverities) ? [] : split(replace(automationRuleSeverities, ' ', ''), ',')
var analyticRuleIdList = empty(automationRuleAnalyticRuleIds) ? [] : split(replace(automationRuleAnalyticRuleIds, ' ', ''), ',')

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

module workspaceRoles 'rbac/workspace-roles.bicep' = {
  name: 'anomaly-lookup-workspace-roles-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: workspaceName
    functionPrincipalId: identity.outputs.principalId
    playbookPrincipalId: playbook.outputs.principalId
  }
}

module automationRule 'sentinel/automation-rule.bicep' = {
  name: 'anomaly-lookup-automation-rule-${resourceToken}'
  scope: resourceGroup(workspaceSubscriptionId, workspaceResourceGroupName)
  params: {
    workspaceName: workspaceName
    playbookResourceId: playbook.outputs.id
    displayName: 'Anomaly lookup (${environmentName})'
    order: automationRuleOrder
    severities: severityList
    analyticRuleIds: analyticRuleIdList
  }
  // Sentinel must be allowed to run the playbook, and the playbook's connection to read the
  // workspace, before the rule fires on the next incident.
  dependsOn: [
    playbookRoles
    workspaceRoles
  ]
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
output AUTOMATION_RULE_ID string = automationRule.outputs.id
output WORKSPACE_ROLE_ASSIGNMENT_IDS string = '${workspaceRoles.outputs.functionRoleAssignmentId},${workspaceRoles.outputs.playbookRoleAssignmentId}'
output FUNCTION_KEY_READER_ASSIGNMENT_ID string = playbookRoles.outputs.functionKeyReaderAssignmentId
output FUNCTION_KEY_READER_ROLE_ID string = playbookRoles.outputs.functionKeyReaderRoleDefinitionId
