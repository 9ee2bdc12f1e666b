// Container Apps environment (workload-profiles type, serverless "Consumption" profile).
// Console/system logs go to Log Analytics; the managed OpenTelemetry agent forwards the
// services' OTLP traces and logs to Application Insights and injects
// OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_PROTOCOL into every app.

@description('Azure region for the environment.')
param location string

@description('Tags applied to the environment.')
param tags object

@description('Name of the Container Apps environment.')
param name string

@description('Name of the existing Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the existing Application Insights component.')
param applicationInsightsName string

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource environment 'Microsoft.App/managedEnvironments@2026-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logAnalytics.properties.customerId
        sharedKey: logAnalytics.listKeys().primarySharedKey
      }
    }
    appInsightsConfiguration: {
      connectionString: applicationInsights.properties.ConnectionString
    }
    openTelemetryConfiguration: {
      // Application Insights accepts traces and logs from the agent, not metrics.
      tracesConfiguration: {
        destinations: [
          'appInsights'
        ]
      }
      logsConfiguration: {
        destinations: [
          'appInsights'
        ]
      }
    }
  }
}

output id string = environment.id
output name string = environment.name
output defaultDomain string = environment.properties.defaultDomain
