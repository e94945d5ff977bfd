// The Sentinel playbook: a Consumption Logic App with the "Microsoft Sentinel incident"
// trigger that forwards the whole trigger body to the function's HTTP endpoint.
//
// Python function apps cannot be called with the Logic Apps built-in "Azure Functions"
// action, so the workflow uses two plain HTTP actions (definition in workflow.json):
//   1. Get_function_key: POST .../sites/<app>/functions/incidents/listkeys on Azure Resource
//      Manager with the Logic App's system-assigned identity. That identity holds a custom
//      role with only Microsoft.Web/sites/functions/listkeys/action on this one function app
//      (rbac/playbook-roles.bicep). The key is read at run time: it never passes through a
//      template, a parameter file or the deployment history, and a rotated key keeps working.
//   2. Post_incident_to_function: POST @triggerBody() to https://<host>/api/incidents with
//      the key in x-functions-key, exponential retry (4 retries), inputs hidden from the run
//      history.
// The Sentinel API connection authenticates with the same managed identity (no user
// consent, no stored credential); that identity is Microsoft Sentinel Reader on the
// workspace (workspace/workspace.bicep, deployed by the postprovision hook).

@description('Name of the Logic App.')
param name string

@description('Name of the Microsoft Sentinel API connection.')
param connectionName string

@description('Region of the Logic App and its connection.')
param location string

@description('Tags applied to the Logic App and its connection.')
param tags object

@description('Name of the function app (same resource group) the playbook calls.')
param functionAppName string

@description('Default host name of that function app.')
param functionHostName string

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

var sentinelManagedApiId = subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'azuresentinel')

resource sentinelConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: connectionName
  location: location
  tags: tags
  kind: 'V1'
  properties: {
    displayName: connectionName
    customParameterValues: {}
    // 'Alternative' = the connection authenticates as the calling Logic App's managed identity.
    parameterValueType: 'Alternative'
    api: {
      id: sentinelManagedApiId
    }
  }
}

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    state: 'Enabled'
    definition: loadJsonContent('workflow.json')
    parameters: {
      '$connections': {
        value: {
          azuresentinel: {
            connectionId: sentinelConnection.id
            connectionName: sentinelConnection.name
            id: sentinelManagedApiId
            connectionProperties: {
              authentication: {
                type: 'ManagedServiceIdentity'
              }
            }
          }
        }
      }
      functionAppManagementUrl: {
        value: uri(environment().resourceManager, functionApp.id)
      }
      functionHostName: {
        value: functionHostName
      }
      managementAudience: {
        value: environment().resourceManager
      }
    }
  }
}

output name string = workflow.name
output id string = workflow.id
output principalId string = workflow.identity.principalId
