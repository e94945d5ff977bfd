// The function app's user-assigned managed identity. The function code authenticates with
// DefaultAzureCredential, which picks this identity through the AZURE_CLIENT_ID app setting.
// Its roles are granted in rbac/app-roles.bicep (own storage, own Application Insights) and
// workspace/workspace.bicep (a custom role on the Sentinel workspace: query it, read incidents
// and their entities, read and write incident comments; deployed by the postprovision hook).

@description('Name of the user-assigned managed identity.')
param name string

@description('Region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
