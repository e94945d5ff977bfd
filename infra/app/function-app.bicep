// The Python function app on a Flex Consumption plan (FC1): no always-ready instances, so
// it costs nothing while no incident arrives. Runs as the user-assigned identity; talks to
// its storage, Application Insights, Log Analytics and Sentinel with Entra ID tokens only.
//
// Flex Consumption rejects the classic settings FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE: runtime and version live in
// functionAppConfig.runtime, the package in functionAppConfig.deployment.

@description('Name of the function app (also the first label of its default host name).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Region of the plan and the app; must offer Flex Consumption.')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('Resource id of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Client id of that identity (AZURE_CLIENT_ID, AzureWebJobsStorage__clientId).')
param identityClientId string

@description('Name of the storage account that belongs to the app.')
param storageAccountName string

@description('Blob container of that account holding the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Customer id (GUID) of the Sentinel Log Analytics workspace.')
param sentinelWorkspaceCustomerId string

@description('ARM resource id of the same workspace: with the customer id, the only workspace the function serves.')
param sentinelWorkspaceResourceId string

@description('Work queue name (ANOMALY_LOOKUP_QUEUE_NAME).')
param queueName string

@description('Upper bound of instances per function group (Flex Consumption accepts 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('ANOMALY_LOOKUP_TABLES: comma-separated tables, empty for automatic selection.')
param lookupTables string

@description('ANOMALY_LOOKUP_LOOKBACK_DAYS')
param lookupLookbackDays int

@description('ANOMALY_LOOKUP_STEP: auto, 1d or 1h.')
param lookupStep string

@description('ANOMALY_LOOKUP_THRESHOLD (a decimal number, as text).')
param lookupThreshold string

@description('ANOMALY_LOOKUP_MAX_ANOMALIES')
param lookupMaxAnomalies int

@description('ANOMALY_LOOKUP_TIME_BUDGET_SECONDS')
param lookupTimeBudgetSeconds int

@description('ANOMALY_LOOKUP_SENTINEL_API_VERSION')
param sentinelApiVersion string

// The Python version of the code base (pyproject: requires-python >= 3.11).
var pythonVersion = '3.11'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
    // checkov:skip=CKV_AZURE_225: Flex zone redundancy needs zone-redundant storage and a supporting region; a lookup lost to a zone outage is retried by the Logic App and the queue.
    zoneRedundant: false
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // checkov:skip=CKV_AZURE_222: the Consumption Logic App calls the function from the internet; every call needs HTTPS and the function key.
    publicNetworkAccess: 'Enabled'
    // checkov:skip=CKV_AZURE_17: no client certificates: the only caller is the Logic App, which authenticates with the function key.
    clientCertEnabled: false
    // checkov:skip=CKV_AZURE_212: no always-ready instances on purpose, so the app costs nothing between incidents; Flex Consumption starts instances on demand.
    // checkov:skip=CKV_AZURE_213: the platform health check would ping every instance each minute and keep one alive (billed); GET /api/health serves manual and external probes.
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Host storage and the queue trigger's connection: identity-based, no connection string.
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storage.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: storage.properties.primaryEndpoints.queue
        }
        // DefaultAzureCredential picks the user-assigned identity by this client id.
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        // Telemetry with Entra ID authentication (the component has local auth disabled).
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        // What lookup.settings reads.
        {
          name: 'ANOMALY_LOOKUP_WORKSPACE_ID'
          value: sentinelWorkspaceCustomerId
        }
        // The allow-list: payloads naming any other workspace are refused (SECURITY.md).
        {
          name: 'ANOMALY_LOOKUP_ALLOWED_WORKSPACES'
          value: '${sentinelWorkspaceCustomerId}=${sentinelWorkspaceResourceId}'
        }
        {
          name: 'ANOMALY_LOOKUP_QUEUE_NAME'
          value: queueName
        }
        {
          name: 'ANOMALY_LOOKUP_TABLES'
          value: lookupTables
        }
        {
          name: 'ANOMALY_LOOKUP_LOOKBACK_DAYS'
          value: string(lookupLookbackDays)
        }
        {
          name: 'ANOMALY_LOOKUP_STEP'
          value: lookupStep
        }
        {
          name: 'ANOMALY_LOOKUP_THRESHOLD'
          value: lookupThreshold
        }
        {
          name: 'ANOMALY_LOOKUP_MAX_ANOMALIES'
          value: string(lookupMaxAnomalies)
        }
        {
          name: 'ANOMALY_LOOKUP_TIME_BUDGET_SECONDS'
          value: string(lookupTimeBudgetSeconds)
        }
        {
          name: 'ANOMALY_LOOKUP_SENTINEL_API_VERSION'
          value: sentinelApiVersion
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
