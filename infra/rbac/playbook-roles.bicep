// Roles around the playbook, deployed in the app's resource group (where the playbook lives).
//
// 1. Microsoft Sentinel runs playbooks with its own first-party service principal ("Azure
//    Security Insights", appId 98785600-1bb7-4fb9-b9fa-19afe2c8a360). It needs Microsoft
//    Sentinel Automation Contributor on the playbook's resource group, or the automation rule
//    cannot start the Logic App (the deployment would still succeed). That role only allows
//    reading Logic App triggers, their callback URLs and runs.
// 2. The Logic App's identity reads the function key of the incidents function at run time.
//    No built-in role is that narrow (Website Contributor could reconfigure the whole app),
//    so a custom role with the single action Microsoft.Web/sites/functions/listkeys/action
//    is defined, assignable only in this resource group and assigned on the function app.

@description('Object id of the Azure Security Insights service principal in this tenant.')
param sentinelServicePrincipalObjectId string

@description('Principal (object) id of the Logic App system-assigned identity.')
param playbookPrincipalId string

@description('Name of the function app whose function keys the playbook may list.')
param functionAppName string

var sentinelAutomationContributor = 'f4c81013-99ee-4d62-a7ee-b3f1f648599a'

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// No scope property: the assignment is made at this module's scope, the playbook's resource group.
resource sentinelRunsPlaybooks 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, sentinelServicePrincipalObjectId, sentinelAutomationContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', sentinelAutomationContributor)
    principalId: sentinelServicePrincipalObjectId
    principalType: 'ServicePrincipal'
    description: 'Lets Microsoft Sentinel automation rules run the anomaly lookup playbook.'
  }
}

resource functionKeyReader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'anomaly-lookup-function-key-reader')
  properties: {
    roleName: 'Anomaly lookup function key reader ${uniqueString(resourceGroup().id)}'
    description: 'List the function-level keys of the functions of a function app (used by the anomaly lookup playbook).'
    type: 'customRole'
    permissions: [
      {
        actions: [
          'Microsoft.Web/sites/functions/listkeys/action'
        ]
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

resource playbookReadsFunctionKey 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(functionApp.id, playbookPrincipalId, functionKeyReader.name)
  scope: functionApp
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', functionKeyReader.name)
    principalId: playbookPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Lets the anomaly lookup playbook read the key of the incidents function.'
  }
}

output functionKeyReaderRoleDefinitionId string = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', functionKeyReader.name)
output functionKeyReaderAssignmentId string = playbookReadsFunctionKey.id
