// WebhookApi container app: receives Twilio webhooks and serves the front end's calls API.
//
// azd (>= 1.20) deploys this file during `azd deploy webhookapi`, right after it has pushed
// the image, with infra/webhookapi.parameters.json (azd environment substitution, no prompts).
// Keep the whole app definition in this file: newer azd skips the template and only swaps
// containers[0].image when this file's text is unchanged since the last deploy.
//
// Database migrations run inside containers[0] before Kestrel starts
// (`dotnet Ovrsee.WebhookApi.dll migrate && exec dotnet Ovrsee.WebhookApi.dll`), so they
// always run the image being rolled out, on every path azd may take; the migrator holds a
// PostgreSQL advisory lock, so concurrent replicas are safe, and a revision only takes
// traffic after migrations succeeded and /ready answers. See docs/deploy.md.
//
// Database outages: readiness is /ready ("can this replica answer Twilio?": its spool or
// PostgreSQL takes a write), not /health (which includes PostgreSQL), so an outage does not take
// every replica out of rotation while their spools are what answers. The spool is the Azure Files
// share from modules/webhook-spool.bicep, mounted by every replica, so it outlives any of them.

@description('azd environment name (azd-env-name tag).')
param environmentName string

@description('Azure region.')
param location string = resourceGroup().location

@description('Container app name, fixed at provision time (SERVICE_WEBHOOKAPI_NAME).')
@maxLength(32)
param name string

@description('Image azd has just published (SERVICE_WEBHOOKAPI_IMAGE_NAME).')
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

@description('https URL of this app (WEBHOOK_PUBLIC_BASE_URL).')
param publicBaseUrl string

@description('Environment storage holding the webhook spool share (AZURE_WEBHOOK_SPOOL_STORAGE_NAME).')
param spoolStorageName string

@description('Blob endpoint of the recordings storage account (AZURE_RECORDINGS_BLOB_ENDPOINT); the app signs in with its identity, no key.')
param recordingsBlobEndpoint string

@description('Private container for recordings (AZURE_RECORDINGS_CONTAINER).')
param recordingsContainer string

@minValue(1)
@description('At least one warm replica: a cold start must never answer a ringing phone.')
param minReplicas int = 1

@minValue(1)
param maxReplicas int = 5

@description('Concurrent HTTP requests per replica before another replica is added.')
param concurrentRequestsPerReplica int = 30

@description('vCPU per replica (0.25 steps; memory is 2 GiB per vCPU).')
param cpu string = '0.5'

param memory string = '1Gi'

var serviceName = 'webhookapi'
var port = 8080
var spoolMountPath = '/mnt/webhook-spool'
// The SDK's aspnet base image runs the app as the non-root user "app" (uid/gid 1654); an SMB
// mount belongs to root unless told otherwise.
var appUserId = '1654'

resource app 'Microsoft.App/containerApps@2026-07-01' = {
  name: name
  location: location
  tags: {
    'azd-env-name': environmentName
    'azd-service-name': 'webhookapi'
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
          // Migrate, then replace the shell with the web host (exec keeps SIGTERM delivery).
          // Needs /bin/sh in the image: the SDK's default aspnet base image has it, the
          // chiseled ones do not.
          command: [
            '/bin/sh'
            '-c'
            'dotnet /app/Ovrsee.WebhookApi.dll migrate && exec dotnet /app/Ovrsee.WebhookApi.dll'
          ]
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
              value: publicBaseUrl
            }
            {
              name: 'Webhooks__Spool__Directory'
              value: spoolMountPath
            }
            {
              name: 'ConnectionStrings__ovrsee'
              secretRef: 'connectionstrings-ovrsee'
            }
            {
              // A URI, not a connection string: no secret. Every replica reads and writes the same
              // container as the identity above (Storage Blob Data Contributor on that account).
              name: 'ConnectionStrings__recordings'
              value: recordingsBlobEndpoint
            }
            {
              name: 'Recordings__Storage'
              value: 'AzureBlob'
            }
            {
              name: 'Recordings__Blob__Container'
              value: recordingsContainer
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
          volumeMounts: [
            {
              volumeName: 'webhook-spool'
              mountPath: spoolMountPath
            }
          ]
          probes: [
            {
              // Covers the migration run too: up to ~10 s + 10 x 10 s before the replica is
              // restarted.
              type: 'Startup'
              httpGet: {
                path: '/alive'
                port: port
              }
              initialDelaySeconds: 10
              periodSeconds: 10
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
              // /ready: the spool (or, failing that, PostgreSQL) takes a write within 2 s each.
              // Not /health: PostgreSQL being down must not take replicas out of rotation.
              type: 'Readiness'
              httpGet: {
                path: '/ready'
                port: port
              }
              periodSeconds: 10
              timeoutSeconds: 5
              failureThreshold: 3
              successThreshold: 1
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'webhook-spool'
          storageType: 'AzureFile'
          storageName: spoolStorageName
          mountOptions: 'uid=${appUserId},gid=${appUserId},dir_mode=0700,file_mode=0600'
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

output SERVICE_WEBHOOKAPI_URI string = 'https://${app.properties.configuration.ingress.fqdn}'
