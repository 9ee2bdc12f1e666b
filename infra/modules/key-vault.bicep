// Key Vault in RBAC mode. The deploying user (azd's AZURE_PRINCIPAL_ID) gets
// "Key Vault Secrets Officer" on this vault only, so `az keyvault secret set` works for them;
// the apps' identity gets read-only access in app-identity.bicep.

@description('Azure region for the vault.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Vault name: 3-24 characters, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Object id of the user or service principal running azd; empty to skip the role assignment.')
param principalId string = ''

// Built-in role: Key Vault Secrets Officer.
var keyVaultSecretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(vault.id, principalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    principalId: principalId
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficerRoleId)
  }
}

output name string = vault.name
output endpoint string = vault.properties.vaultUri
