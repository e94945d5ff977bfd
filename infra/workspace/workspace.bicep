// Everything the anomaly lookup needs in the resource group of the EXISTING Sentinel workspace.
//
// NOT part of the azd deployment (infra/main.bicep): `azd down` deletes whole resource groups,
// chosen from the azd deployment's resources, so nothing of that deployment may live in the
// workspace's group (Azure/azure-dev#2916). This template is deployed by the postprovision
// hook (infra/hooks/postprovision.*) with
//   az deployment group create --mode Incremental --resource-group <workspace group> ...
// and its resources are removed one by one, by id, by the predown hook. Incremental mode adds
// and updates only the resources below; it never deletes anything else in the group.
//
// Resources, all extension resources of the workspace (none is the group or the workspace):
//   - a custom role with only the actions the function calls need (see functionActions),
//     assignable in this resource group only, and its assignment to the function's identity
//     on the workspace;
//   - Microsoft Sentinel Reader for the playbook's identity on the workspace (the Sentinel
//     connection behind the incident trigger);
//   - the automation rule: incident created -> run the playbook.

@description('Name of the Sentinel (Log Analytics) workspace in this resource group.')
@minLength(4)
@maxLength(63)
param workspaceName string

@description('azd environment name: names the automation rule and the custom role.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Principal (object) id of the function app identity.')
@minLength(36)
@maxLength(36)
param functionPrincipalId string

@description('Principal (object) id of the Logic App system-assigned identity.')
@minLength(36)
@maxLength(36)
param playbookPrincipalId string

@description('Resource id of the Logic App playbook the automation rule runs.')
@minLength(1)
param playbookResourceId string

@description('Comma-separated incident severities that start a lookup (High,Medium,Low,Informational); empty = all.')
param automationRuleSeverities string = ''

@description('Comma-separated analytic rule resource ids whose incidents start a lookup; empty = all rules.')
param automationRuleAnalyticRuleIds string = ''

@description('Order of the automation rule among the workspace rules (1 runs first).')
@minValue(1)
@maxValue(1000)
param automationRuleOrder int = 100

// The function's calls and the actions they need (sources and the call -> action map:
// tests/infra/fixtures/function-workspace-role.json; the tests keep both equal):
//   Log Analytics query API  POST https://api.loganalytics.io/v1/workspaces/<id>/query
//   list-entities            POST .../incidents/<id>/entities            (read-only)
//   comment exists?          GET  .../incidents/<id>/comments/<commentId>
//   write the comment        PUT  .../incidents/<id>/comments/<commentId>
// Nothing here can change, close or delete an incident, touch automation rules, read the
// workspace keys or change the workspace.
var functionActions = [
  'Microsoft.OperationalInsights/workspaces/read'
  'Microsoft.OperationalInsights/workspaces/query/read'
  'Microsoft.OperationalInsights/workspaces/query/*/read'
  'Microsoft.SecurityInsights/incidents/read'
  'Microsoft.SecurityInsights/incidents/relations/read'
  'Microsoft.SecurityInsights/incidents/comments/read'
  'Microsoft.SecurityInsights/incidents/comments/write'
]

var roles = {
  // Enough for the Sentinel connector's incident trigger; the playbook changes nothing itself.
  sentinelReader: '8d289c81-5878-46d4-8554-54e1e3d8b5cb'
}

var severityList = empty(automationRuleSeverities) ? [] : split(replace(automationRuleSeverities, ' ', ''), ',')
var analyticRuleIdList = empty(automationRuleAnalyticRuleIds) ? [] : split(replace(automationRuleAnalyticRuleIds, ' ', ''), ',')

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource functionRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, environmentName, 'anomaly-lookup-function-workspace-role')
  properties: {
    roleName: 'Anomaly lookup function (${environmentName}) ${uniqueString(resourceGroup().id)}'
    description: 'Query the Sentinel workspace, read incidents and their entities, read and write incident comments (anomaly lookup function, azd environment ${environmentName}).'
    type: 'customRole'
    permissions: [
      {
        actions: functionActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource functionWorkspaceRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, functionPrincipalId, functionRole.name)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', functionRole.name)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Anomaly lookup function: query the workspace, read incident entities, write the comment.'
  }
}

resource playbookSentinelReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, playbookPrincipalId, roles.sentinelReader)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.sentinelReader)
    principalId: playbookPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Anomaly lookup playbook: Microsoft Sentinel connection (incident trigger).'
  }
}

var severityConditions = empty(severityList) ? [] : [
  {
    conditionType: 'Property'
    conditionProperties: {
      propertyName: 'IncidentSeverity'
      operator: 'Equals'
      propertyValues: severityList
    }
  }
]

var analyticRuleConditions = empty(analyticRuleIdList) ? [] : [
  {
    conditionType: 'Property'
    conditionProperties: {
      propertyName: 'IncidentRelatedAnalyticRuleIds'
      operator: 'Contains'
      propertyValues: analyticRuleIdList
    }
  }
]

resource automationRule 'Microsoft.SecurityInsights/automationRules@2024-09-01' = {
  // Automation rule names must be GUIDs; one rule per workspace and playbook.
  name: guid(workspace.id, playbookResourceId)
  scope: workspace
  properties: {
    displayName: 'Anomaly lookup (${environmentName})'
    order: automationRuleOrder
    triggeringLogic: {
      isEnabled: true
      triggersOn: 'Incidents'
      triggersWhen: 'Created'
      conditions: concat(severityConditions, analyticRuleConditions)
    }
    actions: [
      {
        order: 1
        actionType: 'RunPlaybook'
        actionConfiguration: {
          logicAppResourceId: playbookResourceId
          tenantId: tenant().tenantId
        }
      }
    ]
  }
  // The playbook's connection must be able to read the workspace before the rule fires.
  dependsOn: [
    playbookSentinelReader
  ]
}

// The predown hook deletes exactly these ids (and the deployment record), nothing else.
output automationRuleId string = automationRule.id
output functionRoleAssignmentId string = functionWorkspaceRole.id
output playbookRoleAssignmentId string = playbookSentinelReader.id
// The role definition by its id under this resource group, where the deployer holds rights.
output functionRoleDefinitionId string = functionRole.id
