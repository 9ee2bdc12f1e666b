// Private registry for the images azd publishes with `dotnet publish /t:PublishContainer`.
// No admin user and no anonymous pull: azd pushes with the signed-in user's Entra token and
// the container apps pull with the user-assigned identity (AcrPull).

@description('Azure region for the registry.')
param location string

@description('Tags applied to the registry.')
param tags object

@description('Registry name: 5-50 alphanumeric characters, globally unique.')
@minLength(5)
@maxLength(50)
param name string

@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param sku string = 'Basic'

resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output name string = registry.name
output loginServer string = registry.properties.loginServer
