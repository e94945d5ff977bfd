// Application Insights for the function app, with local (instrumentation key) authentication
// disabled: telemetry is accepted only with an Entra ID token of an identity holding
// Monitoring Metrics Publisher (granted in rbac/app-roles.bicep). Its data lands in a
// dedicated Log Analytics workspace, or in an existing one whose resource id is given.
// Pointing it at the Sentinel workspace is possible but bills the telemetry at Sentinel rates.

@description('Name of the Log Analytics workspace created when existingWorkspaceResourceId is empty.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Region of the monitoring resources.')
param location string

@description('Tags applied to the monitoring resources.')
param tags object

@description('Optional resource id of an existing Log Analytics workspace for the telemetry; empty creates one.')
param existingWorkspaceResourceId string = ''

@description('Days the dedicated workspace keeps data (30 days are included in the ingestion price).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

var createWorkspace = empty(existingWorkspaceResourceId)
var workspaceResourceId = createWorkspace ? resourceId('Microsoft.OperationalInsights/workspaces', logAnalyticsName) : existingWorkspaceResourceId

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = if (createWorkspace) {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspaceResourceId
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
  dependsOn: [
    logAnalytics
  ]
}

output applicationInsightsName string = appInsights.name
output applicationInsightsId string = appInsights.id
output logAnalyticsWorkspaceId string = workspaceResourceId
