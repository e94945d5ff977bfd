// The Sentinel automation rule: when an incident is created (optionally only for some
// severities or analytic rules), run the anomaly lookup playbook. Deployed into the
// workspace's resource group as an extension resource of the workspace.

@description('Name of the Sentinel (Log Analytics) workspace in this resource group.')
param workspaceName string

@description('Resource id of the Logic App playbook to run.')
param playbookResourceId string

@description('Name shown in the Sentinel automation rules list.')
param displayName string

@description('Position among the workspace automation rules (lower runs first).')
@minValue(1)
@maxValue(1000)
param order int

@description('Run only for incidents of these severities; empty runs for every severity.')
@allowed([
  'High'
  'Medium'
  'Low'
  'Informational'
])
param severities array

@description('Run only for incidents raised by these analytic rules (full alert rule resource ids); empty runs for every rule.')
param analyticRuleIds array

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

var severityConditions = empty(severities) ? [] : [
  {
    conditionType: 'Property'
    conditionProperties: {
      propertyName: 'IncidentSeverity'
      operator: 'Equals'
      propertyValues: severities
    }
  }
]

var analyticRuleConditions = empty(analyticRuleIds) ? [] : [
  {
    conditionType: 'Property'
    conditionProperties: {
      propertyName: 'IncidentRelatedAnalyticRuleIds'
      operator: 'Contains'
      propertyValues: analyticRuleIds
    }
  }
]

resource automationRule 'Microsoft.SecurityInsights/automationRules@2024-09-01' = {
  // Automation rule names must be GUIDs; one rule per workspace and playbook.
  name: guid(workspace.id, playbookResourceId)
  scope: workspace
  properties: {
    displayName: displayName
    order: order
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
}

output id string = automationRule.id
output name string = automationRule.name
