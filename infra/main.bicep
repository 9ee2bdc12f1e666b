// Ovrsee Telephony: shared Azure infrastructure, provisioned by `azd provision` / `azd up`.
//
// The two container apps are NOT declared here. They live in infra/webhookapi.bicep and
// infra/provisioning.bicep, which azd (>= 1.20) deploys during `azd deploy` with the image it
// has just pushed, so every revision is created from the full template and the real image in
// one step (see docs/deploy.md, "How a deploy works").
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; part of every resource name and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Primary location for all resources.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the user or service principal running azd (AZURE_PRINCIPAL_ID). Gets Key Vault Secrets Officer on the vault.')
param principalId string = ''

@description('True once the container apps exist; azd sets SERVICE_WEBHOOKAPI_RESOURCE_EXISTS before provisioning.')
param appsExist bool = false

@description('PostgreSQL administrator login.')
param postgresAdminLogin string = 'ovrseeadmin'

@secure()
@description('PostgreSQL administrator password. azd generates it on first provision and keeps it in .azure/<env>/config.json.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 32
      noSpecial: true
      minLower: 4
      minUpper: 4
      minNumeric: 4
    }
  }
})
param postgresAdminPassword string

@description('PostgreSQL compute SKU.')
param postgresSkuName string = 'Standard_B2s'

@description('Upper bound of each replica\'s Npgsql connection pool (keep replicas x pool below the server\'s max_connections).')
@minValue(1)
param postgresMaxPoolSize int = 20

@secure()
@description('Twilio Account SID (AC...). Empty keeps the current Key Vault value.')
param twilioAccountSid string = ''

@secure()
@description('Twilio Auth Token. Empty keeps the current Key Vault value.')
param twilioAuthToken string = ''

@secure()
@description('Twilio API key SID (SK...). Empty keeps the current Key Vault value.')
param twilioApiKey string = ''

@secure()
@description('Twilio API key secret. Empty keeps the current Key Vault value.')
param twilioApiSecret string = ''

@secure()
@description('Supabase JWT secret (HS256) used to validate the front end\'s bearer tokens. Empty keeps the current Key Vault value.')
param authJwtSecret string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

// Names are fixed here, before the apps exist, so the public webhook URL is known at
// provision time: https://<app name>.<environment default domain>.
var webhookApiAppName = 'ca-webhookapi-${resourceToken}'
var provisioningAppName = 'ca-provisioning-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
  }
}

module containerAppsEnvironment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'cae-${resourceToken}'
    logAnalyticsName: monitoring.outputs.logAnalyticsName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module webhookSpool 'modules/webhook-spool.bicep' = {
  name: 'webhook-spool'
  scope: rg
  params: {
    location: location
    tags: tags
    storageAccountName: 'stspool${resourceToken}'
    containerAppsEnvironmentName: containerAppsEnvironment.outputs.name
  }
}

module containerRegistry 'modules/container-registry.bicep' = {
  name: 'container-registry'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'cr${resourceToken}'
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'psql-${resourceToken}'
    databaseName: 'ovrsee'
    administratorLogin: postgresAdminLogin
    administratorPassword: postgresAdminPassword
    skuName: postgresSkuName
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
    principalId: principalId
  }
}

module appIdentity 'modules/app-identity.bicep' = {
  name: 'app-identity'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'id-apps-${resourceToken}'
    containerRegistryName: containerRegistry.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module recordingsStorage 'modules/recordings-storage.bicep' = {
  name: 'recordings-storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'strec${resourceToken}'
    appPrincipalId: appIdentity.outputs.principalId
  }
}

module keyVaultSecrets 'modules/key-vault-secrets.bicep' = {
  name: 'key-vault-secrets'
  scope: rg
  params: {
    keyVaultName: keyVault.outputs.name
    appsExist: appsExist
    databaseConnectionString: 'Host=${postgres.outputs.fqdn};Port=5432;Database=${postgres.outputs.databaseName};Username=${postgresAdminLogin};Password=${postgresAdminPassword};SSL Mode=VerifyFull;Maximum Pool Size=${postgresMaxPoolSize}'
    twilioAccountSid: twilioAccountSid
    twilioAuthToken: twilioAuthToken
    twilioApiKey: twilioApiKey
    twilioApiSecret: twilioApiSecret
    authJwtSecret: authJwtSecret
  }
}

var webhookPublicBaseUrl = 'https://${webhookApiAppName}.${containerAppsEnvironment.outputs.defaultDomain}'

// azd conventions.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = containerRegistry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = containerRegistry.outputs.name
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = containerAppsEnvironment.outputs.id
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = containerAppsEnvironment.outputs.name
output AZURE_WEBHOOK_SPOOL_STORAGE_NAME string = webhookSpool.outputs.environmentStorageName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.endpoint
output AZURE_APP_IDENTITY_ID string = appIdentity.outputs.id
output AZURE_APP_IDENTITY_CLIENT_ID string = appIdentity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output POSTGRES_SERVER_NAME string = postgres.outputs.name
output POSTGRES_SERVER_FQDN string = postgres.outputs.fqdn
output POSTGRES_DATABASE string = postgres.outputs.databaseName

// Voicemail recordings (WebhookApi's ConnectionStrings__recordings and Recordings__Blob__Container).
output AZURE_RECORDINGS_STORAGE_ACCOUNT string = recordingsStorage.outputs.name
output AZURE_RECORDINGS_BLOB_ENDPOINT string = recordingsStorage.outputs.blobEndpoint
output AZURE_RECORDINGS_CONTAINER string = recordingsStorage.outputs.containerName

// Consumed by infra/webhookapi.parameters.json and infra/provisioning.parameters.json.
output SERVICE_WEBHOOKAPI_NAME string = webhookApiAppName
output SERVICE_PROVISIONING_NAME string = provisioningAppName

// The public webhook URL. Both services receive it as Webhooks__PublicBaseUrl.
// The two routes are WebhookRoutes.IncomingCall and .CallStatus (Ovrsee.PublicUrls/WebhookRoutes.cs):
// Bicep cannot read them, so Ovrsee.Tests/Deploy/WebhookRouteCopiesTests fails if these differ.
output WEBHOOK_PUBLIC_BASE_URL string = webhookPublicBaseUrl
output TWILIO_VOICE_URL string = '${webhookPublicBaseUrl}/api/aloha/webhooks/incoming-call'
output TWILIO_STATUS_CALLBACK_URL string = '${webhookPublicBaseUrl}/api/aloha/webhooks/call-status'
