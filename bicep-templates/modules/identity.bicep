// The cluster's user-assigned control-plane identity: it survives cluster re-creation (DR), so role
// assignments made to it do not have to be redone.
@description('Name of the user-assigned identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Principal (object) id of the identity.')
output principalId string = identity.properties.principalId
