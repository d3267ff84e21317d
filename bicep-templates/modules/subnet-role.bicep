// With a custom VNet the control-plane identity manages the subnet (load balancers, routes): Network
// Contributor on that subnet only. Deployed into the subnet's resource group.
@description('Name of the virtual network holding the cluster subnet.')
param vnetName string

@description('Name of the cluster subnet.')
param subnetName string

@description('Principal id of the cluster control-plane identity.')
param principalId string

@description('Deterministic seed for the role assignment name (cluster name), so re-runs find it.')
param seed string

@description('Role definition id (GUID) of Network Contributor, from the fact table builtin_roles.')
param networkContributor string

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' existing = {
  name: vnetName
}

resource subnet 'Microsoft.Network/virtualNetworks/subnets@2023-09-01' existing = {
  parent: vnet
  name: subnetName
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: subnet
  name: guid(subnet.id, seed, networkContributor)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', networkContributor)
  }
}
