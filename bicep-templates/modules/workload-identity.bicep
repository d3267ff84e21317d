// A workload identity, as components/workload_identity.py creates it: a user-assigned managed identity that one
// Kubernetes service account signs in as, federated with the cluster's OIDC issuer, and Key Vault Secrets User on
// one vault when asked. Names, subject and audience are rendered from the spec (WorkloadIdentitySpec).
@description('Name of the user-assigned identity (id-<cluster>-<name>).')
param name string

@description('Azure region.')
param location string

@description('Tags for the identity.')
param tags object = {}

@description('OIDC issuer URL of the cluster: the federated credential trusts tokens it signs.')
param oidcIssuerUrl string

// 3-120 characters: the name pattern ^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$ of federatedIdentityCredentials@2023-01-31
// (Azure/bicep-types-az generated/msi/microsoft.managedidentity/2023-01-31/types.md).
@description('Name of the federated identity credential (3-120 characters).')
@minLength(3)
@maxLength(120)
param federatedCredentialName string

@description('Subject the credential trusts: system:serviceaccount:<namespace>:<service account>.')
param subject string

@description('Audiences of the tokens the credential accepts (api://AzureADTokenExchange for AKS workload identity).')
param audiences array

@description('Resource id of a key vault (Azure RBAC permission model) to grant Key Vault Secrets User on; empty for none.')
param keyVaultSecrets string = ''

@description('Role definition id (GUID) of Key Vault Secrets User, from the fact table builtin_roles.')
param keyVaultSecretsUserRoleId string

// No vault: a placeholder id, so the role module's scope never indexes past an empty split (as main.bicep does for KMS).
var vaultParts = split(empty(keyVaultSecrets) ? '/subscriptions/none/resourceGroups/none/providers/Microsoft.KeyVault/vaults/none' : keyVaultSecrets, '/')

// 2023-01-31: the stable Microsoft.ManagedIdentity API (Azure/azure-rest-api-specs specification/msi/resource-manager/Microsoft.ManagedIdentity/stable/2023-01-31), the version pulumi-azure-native 3.29.0 sends.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

// Issuer, subject and audiences as in azure-rest-api-specs stable/2023-01-31/examples/FederatedIdentityCredentialCreate.json.
resource federation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {
  parent: identity
  name: federatedCredentialName
  properties: {
    issuer: oidcIssuerUrl
    subject: subject
    audiences: audiences
  }
}

// Reading secrets through the Secrets Store CSI driver: Key Vault Secrets User on the vault, deployed into the vault's
// group. The deployment is named by a hash of the identity's id, deterministic and unique per identity:
// uniqueString() is a deterministic 13-character hash (Microsoft Learn bicep-functions-string#uniquestring).
module secretsUser 'key-vault-role.bicep' = if (!empty(keyVaultSecrets)) {
  name: 'secrets-user-${uniqueString(identity.id)}'
  scope: resourceGroup(vaultParts[2], vaultParts[4])
  params: {
    vaultName: vaultParts[8]
    principalId: identity.properties.principalId
    roleDefinitionIds: [
      keyVaultSecretsUserRoleId
    ]
    seed: name
  }
}

@description('Resource id of the identity.')
output id string = identity.id

// clientId, principalId and tenantId: read-only properties of userAssignedIdentities@2023-01-31 (Azure/bicep-types-az generated/msi/microsoft.managedidentity/2023-01-31/types.md).
@description('Client (application) id of the identity: what the service account annotation names.')
output clientId string = identity.properties.clientId

@description('Principal (object) id of the identity.')
output principalId string = identity.properties.principalId

@description('Tenant of the identity.')
output tenantId string = identity.properties.tenantId
