// Role assignments on a key vault (Azure RBAC permission model), deployed into the vault's resource group. Two uses:
// KMS etcd encryption, where AKS needs the control-plane identity's access to the key *before* KMS is turned on
// (learn.microsoft.com/azure/aks/use-kms-etcd-encryption, "Limitations"), so the cluster waits for this module:
// Key Vault Crypto User on the vault, plus Key Vault Contributor for a private vault (AKS creates the private link);
// and a workload identity reading secrets (Key Vault Secrets User, from modules/workload-identity.bicep).
@description('Name of the key vault (Azure RBAC permission model): the one holding the KMS key, or one a workload identity reads.')
param vaultName string

@description('Principal id of the identity granted the roles (the control-plane identity, or a workload identity).')
param principalId string

@description('Built-in role definition ids (GUIDs) to assign on the vault, from the fact table builtin_roles.')
param roleDefinitionIds array

@description('Deterministic seed for the role assignment names (cluster name, or identity name), so re-runs find them.')
param seed string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleDefinitionId in roleDefinitionIds: {
  scope: vault
  name: guid(vault.id, seed, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
  }
}]
