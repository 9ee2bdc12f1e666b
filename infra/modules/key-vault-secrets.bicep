// The secrets the services read through Key Vault references.
//
// The database connection string is derived from the server and the admin password and is
// written on every provision. The operator-supplied secrets (Twilio, JWT) come from the azd
// environment (`azd env set TWILIO_AUTH_TOKEN ...`):
//   * a non-empty value is written on every provision;
//   * an empty value writes a random, unusable placeholder only while the apps do not exist
//     yet (first `azd up`), so the Key Vault references resolve and the apps can start;
//   * an empty value after that leaves the secret alone, so a value set directly with
//     `az keyvault secret set` survives later `azd provision` runs.
// Placeholders are random on purpose: a known placeholder for the Twilio auth token or the
// JWT secret would let anyone forge webhook signatures or bearer tokens.

@description('Name of the existing Key Vault.')
param keyVaultName string

@description('True once the container apps exist (azd sets SERVICE_WEBHOOKAPI_RESOURCE_EXISTS).')
param appsExist bool

@secure()
@description('Npgsql connection string for the ovrsee database.')
param databaseConnectionString string

@secure()
param twilioAccountSid string = ''

@secure()
param twilioAuthToken string = ''

@secure()
param twilioApiKey string = ''

@secure()
param twilioApiSecret string = ''

@secure()
@description('Supabase-style HS256 JWT secret.')
param authJwtSecret string = ''

@secure()
@description('Random seed for placeholders; leave the default.')
param placeholderSeed string = newGuid()

resource vault 'Microsoft.KeyVault/vaults@2026-02-01' existing = {
  name: keyVaultName
}

var operatorSecrets = [
  {
    name: 'twilio-account-sid'
    value: twilioAccountSid
    // The services validate the SID's shape at start-up; a well-formed fake lets them start
    // (webhooks still work once the Auth Token is real) until the operator sets the real one.
    placeholderPrefix: 'AC'
  }
  {
    name: 'twilio-auth-token'
    value: twilioAuthToken
    placeholderPrefix: ''
  }
  {
    name: 'twilio-api-key'
    value: twilioApiKey
    placeholderPrefix: 'SK'
  }
  {
    name: 'twilio-api-secret'
    value: twilioApiSecret
    placeholderPrefix: ''
  }
  {
    name: 'auth-jwt-secret'
    value: authJwtSecret
    placeholderPrefix: ''
  }
]

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2026-02-01' = {
  parent: vault
  name: 'connectionstrings-ovrsee'
  properties: {
    value: databaseConnectionString
    contentType: 'text/plain'
  }
}

resource operatorSecret 'Microsoft.KeyVault/vaults/secrets@2026-02-01' = [
  for secret in operatorSecrets: if (!empty(secret.value) || !appsExist) {
    parent: vault
    name: secret.name
    properties: {
      value: !empty(secret.value)
        ? secret.value
        : (!empty(secret.placeholderPrefix)
            ? '${secret.placeholderPrefix}${replace(guid(placeholderSeed, secret.name), '-', '')}'
            : 'unset-${guid(placeholderSeed, secret.name)}-${placeholderSeed}')
      contentType: 'text/plain'
    }
  }
]
