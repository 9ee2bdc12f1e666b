// Durable storage for WebhookApi's spool: where a Twilio webhook is written when PostgreSQL does
// not answer in time, so the caller still gets TwiML and the callback is replayed later.
// An Azure Files share (SMB, locally redundant: three synchronous copies) registered with the
// Container Apps environment and mounted by every WebhookApi replica. One share for all replicas:
// a file spooled by a replica that is restarted or scaled in is replayed by any other, and the
// replay is idempotent, so two replicas replaying the same file store it once. See docs/deploy.md.

@description('Azure region for the storage account.')
param location string

@description('Tags applied to the storage account.')
param tags object

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Name of the existing Container Apps environment the share is registered with.')
param containerAppsEnvironmentName string

@description('Name of the environment storage the app mounts (webhookapi.bicep: spoolStorageName).')
param environmentStorageName string = 'webhook-spool'

@description('Share quota in GiB. A spooled webhook is about 1 KB; 1 GiB holds about a million.')
param shareQuotaGiB int = 1

var shareName = 'webhook-spool'

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Azure Files mounts in Container Apps authenticate with the account key.
    allowSharedKeyAccess: true
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2025-06-01' = {
  parent: fileService
  name: shareName
  properties: {
    shareQuota: shareQuotaGiB
    enabledProtocols: 'SMB'
  }
}

resource environment 'Microsoft.App/managedEnvironments@2026-07-01' existing = {
  name: containerAppsEnvironmentName
}

resource environmentStorage 'Microsoft.App/managedEnvironments/storages@2026-07-01' = {
  parent: environment
  name: environmentStorageName
  properties: {
    azureFile: {
      accountName: storage.name
      accountKey: storage.listKeys().keys[0].value
      shareName: share.name
      accessMode: 'ReadWrite'
    }
  }
}

output environmentStorageName string = environmentStorage.name
