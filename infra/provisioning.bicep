// Provisioning container app: buys and configures Twilio numbers.
//
// Deployed by azd (>= 1.20) during `azd deploy provisioning` with
// infra/provisioning.parameters.json, like infra/webhookapi.bicep. It runs no migrations:
// WebhookApi owns the schema, and azure.yaml deploys webhookapi first (`uses`).

@description('azd environment name (azd-env-name tag).')
param environmentName string

@description('Azure region.')
param location string = resourceGroup().location

@description('Container app name, fixed at provision time (SERVICE_PROVISIONING_NAME).')
@maxLength(32)
param name string

@description('Image azd has just published (SERVICE_PROVISIONING_IMAGE_NAME).')
param imageName string

@description('Resource id of the Container Apps environment.')
param containerAppsEnvironmentId string

@description('Login server of the container registry, e.g. crxxxx.azurecr.io.')
param containerRegistryEndpoint string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (exposed as AZURE_CLIENT_ID).')
param identityClientId string

@description('Key Vault URI, ending in a slash.')
param keyVaultEndpoint string

@description('https URL of WebhookApi (WEBHOOK_PUBLIC_BASE_URL).')
param webhookPublicBaseUrl string

@minValue(0)
@description('Zero lets this admin-facing API scale to zero; its first request then waits for a cold start.')
param minReplicas int = 0

@minValue(1)
param maxReplicas int = 2

@description('Concurrent HTTP requests per replica before another replica is added.')
param concurrentRequestsPerReplica int = 30

@description('vCPU per replica (0.25 steps; memory is 2 GiB per vCPU).')
param cpu string = '0.5'

param memory string = '1Gi'

var serviceName = 'provisioning'
var port = 8080

resource app 'Microsoft.App/containerApps@2026-07-01' = {
  name: name
  location: location
  tags: {
    'azd-env-name': environmentName
    'azd-service-name': 'provisioning'
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: containerAppsEnvironmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      maxInactiveRevisions: 20
      ingress: {
        external: true
        targetPort: port
        transport: 'auto'
        allowInsecure: false
        traffic: [
          {
            latestRevision: true
            weight: 100
          }
        ]
      }
      registries: [
        {
          server: containerRegistryEndpoint
          identity: identityId
        }
      ]
      secrets: [
        {
          name: 'connectionstrings-ovrsee'
          keyVaultUrl: '${keyVaultEndpoint}secrets/connectionstrings-ovrsee'
          identity: identityId
        }
        {
          name: 'twilio-account-sid'
          keyVaultUrl: '${keyVaultEndpoint}secrets/twilio-account-sid'
          identity: identityId
        }
        {
          name: 'twilio-auth-token'
          keyVaultUrl: '${keyVaultEndpoint}secrets/twilio-auth-token'
          identity: identityId
        }
        {
          name: 'twilio-api-key'
          keyVaultUrl: '${keyVaultEndpoint}secrets/twilio-api-key'
          identity: identityId
        }
        {
          name: 'twilio-api-secret'
          keyVaultUrl: '${keyVaultEndpoint}secrets/twilio-api-secret'
          identity: identityId
        }
        {
          name: 'auth-jwt-secret'
          keyVaultUrl: '${keyVaultEndpoint}secrets/auth-jwt-secret'
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: serviceName
          image: imageName
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: [
            {
              name: 'ASPNETCORE_ENVIRONMENT'
              value: 'Production'
            }
            {
              name: 'ASPNETCORE_HTTP_PORTS'
              value: string(port)
            }
            {
              name: 'OTEL_SERVICE_NAME'
              value: serviceName
            }
            {
              name: 'OTEL_RESOURCE_ATTRIBUTES'
              value: 'service.namespace=ovrsee,deployment.environment.name=${environmentName}'
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            {
              name: 'Webhooks__PublicBaseUrl'
              value: webhookPublicBaseUrl
            }
            {
              // Aspire service discovery: https://webhookapi resolves to WebhookApi's public URL.
              name: 'services__webhookapi__https__0'
              value: webhookPublicBaseUrl
            }
            {
              name: 'ConnectionStrings__ovrsee'
              secretRef: 'connectionstrings-ovrsee'
            }
            {
              name: 'Twilio__AccountSid'
              secretRef: 'twilio-account-sid'
            }
            {
              name: 'Twilio__AuthToken'
              secretRef: 'twilio-auth-token'
            }
            {
              name: 'Twilio__ApiKey'
              secretRef: 'twilio-api-key'
            }
            {
              name: 'Twilio__ApiSecret'
              secretRef: 'twilio-api-secret'
            }
            {
              name: 'Auth__JwtSecret'
              secretRef: 'auth-jwt-secret'
            }
          ]
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/alive'
                port: port
              }
              initialDelaySeconds: 5
              periodSeconds: 5
              timeoutSeconds: 3
              failureThreshold: 10
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/alive'
                port: port
              }
              periodSeconds: 10
              timeoutSeconds: 3
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/health'
                port: port
              }
              periodSeconds: 10
              timeoutSeconds: 6
              failureThreshold: 3
              successThreshold: 1
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http-concurrency'
            http: {
              metadata: {
                concurrentRequests: string(concurrentRequestsPerReplica)
              }
            }
          }
        ]
      }
    }
  }
}

output SERVICE_PROVISIONING_URI string = 'https://${app.properties.configuration.ingress.fqdn}'
