// Roles on the existing Sentinel workspace. Deployed by main.bicep into the workspace's own
// resource group (often another one, possibly in another subscription) and scoped to the
// workspace resource itself, not to its resource group.

@description('Name of the Sentinel (Log Analytics) workspace in this resource group.')
param workspaceName string

@description('Principal (object) id of the function app identity.')
param functionPrincipalId string

@description('Principal (object) id of the Logic App system-assigned identity.')
param playbookPrincipalId string

var roles = {
  // Incidents read/write (comments, entities) and Log Analytics query on the workspace.
  sentinelResponder: '3e150937-b8fe-4cfb-8069-0eaf05ecd056'
  // Enough for the Sentinel connector's incident trigger; the playbook changes nothing itself.
  sentinelReader: '8d289c81-5878-46d4-8554-54e1e3d8b5cb'
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource functionSentinelResponder 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, functionPrincipalId, roles.sentinelResponder)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.sentinelResponder)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    description: 'Anomaly lookup function: query the workspace, comment on incidents.'
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

output functionRoleAssignmentId string = functionSentinelResponder.id
output playbookRoleAssignmentId string = playbookSentinelReader.id
