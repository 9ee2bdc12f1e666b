// Azure Database for PostgreSQL flexible server with the `ovrsee` database, password auth.
// Public access restricted to Azure-internal traffic: Container Apps on the Consumption
// profile have no fixed outbound IPs without a VNet, so the "allow Azure services" rule is
// the narrowest rule that works here; TLS is enforced by the server (require_secure_transport).

@description('Azure region for the server.')
param location string

@description('Tags applied to the server.')
param tags object

@description('Server name: globally unique, lowercase letters, digits and hyphens.')
@minLength(3)
@maxLength(63)
param name string

@description('Name of the application database.')
param databaseName string = 'ovrsee'

@description('Administrator login name.')
param administratorLogin string

@secure()
@description('Administrator password.')
param administratorPassword string

@description('PostgreSQL major version.')
param version string = '17'

@description('Compute SKU name, e.g. Standard_B1ms, Standard_B2s, Standard_D2ds_v5.')
param skuName string = 'Standard_B2s'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string = 'Burstable'

@minValue(32)
param storageSizeGB int = 32

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2025-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// 0.0.0.0 - 0.0.0.0 is Azure's documented marker for "allow access from Azure services".
resource allowAzureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2025-08-01' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

output name string = server.name
output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
