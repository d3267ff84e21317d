// One AKS + Flux GitOps cluster, the same stamp `pulumi up` creates from components/gitops_cluster.py:
// identity, monitoring, the identity's role assignments (subnet, KMS key vault), cluster (one inline System
// pool), Container Insights' data collection rule, user pools (chained), the workload identities (federated with
// the cluster's OIDC issuer), the microsoft.flux extension, then the platform flux configuration (with the
// identities' client ids as postBuild variables) and the tenants'. Deploy into an existing resource group:
//   az deployment group create -g <rg> -f bicep-templates/main.bicep -p <file from `fleet render bicep`>
targetScope = 'resourceGroup'

@description('Name of the AKS cluster (1-63 characters).')
@minLength(1)
@maxLength(63)
param clusterName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Tags for every resource.')
param tags object = {}

@description('Kubernetes version: major.minor with an upgrade channel, major.minor.patch when pinned.')
param kubernetesVersion string

@description('Cluster auto-upgrade channel; none when the version is pinned.')
@allowed(['none', 'patch', 'stable', 'rapid'])
param upgradeChannel string = 'stable'

@description('Node OS image patching channel.')
@allowed(['NodeImage', 'SecurityPatch', 'Unmanaged', 'None'])
param nodeOsUpgradeChannel string = 'NodeImage'

@description('Orchestrator version of every pool when pinned; empty under an upgrade channel.')
param orchestratorVersion string = ''

@description('Paid tiers carry the control-plane uptime SLA.')
@allowed(['Free', 'Standard', 'Premium'])
param skuTier string = 'Standard'

@description('Network: dataplane, policy engine, CIDRs, outbound type, subnet id (empty: managed VNet).')
param network object = {
  dataplane: 'cilium'
  policy: 'cilium'
  podCidr: '10.244.0.0/16'
  serviceCidr: '10.0.0.0/16'
  dnsServiceIp: '10.0.0.10'
  outboundType: 'loadBalancer'
  vnetSubnetId: ''
}

@description('Private API server (the default): the toolkit only talks to ARM.')
param enablePrivateCluster bool = true

@description('Ranges allowed to reach a public API server.')
param authorizedIpRanges array = []

@description('Close the ARM command-invoke path to kubectl.')
param disableRunCommand bool = true

@description('Kubernetes authorization through Azure role assignments.')
param enableAzureRbac bool = true

@description('No static admin kubeconfig.')
param disableLocalAccounts bool = true

@description('Entra groups administering the cluster.')
param adminGroupObjectIds array = []

@description('Security features (workload identity, OIDC issuer, Azure Policy, Defender, Image Cleaner, CSI rotation).')
param security object = {
  workloadIdentity: true
  oidcIssuer: true
  azurePolicy: true
  defender: true
  imageCleaner: true
  imageCleanerIntervalHours: 168
  keyVaultSecretsProvider: true
  secretRotation: true
  rotationPollInterval: '2m'
}

@description('Key Vault key id for etcd encryption (KMS); empty to leave KMS off.')
param kmsKeyId string = ''

@description('Network access of the KMS key vault.')
@allowed(['Public', 'Private'])
param kmsKeyVaultNetworkAccess string = 'Public'

@description('Resource id of the key vault holding the KMS key (Azure RBAC permission model); required with kmsKeyId.')
param kmsKeyVaultResourceId string = ''

@description('Built-in role definition ids (GUIDs) by role name, rendered from policies/baseline/facts/builtin_roles.toml.')
param roleDefinitionIds object

@description('Container Insights on.')
param containerInsights bool = true

@description('Shared Log Analytics workspace id; empty creates one for this cluster.')
param logAnalyticsWorkspaceId string = ''

@description('Region of the shared workspace (the data collection rule is created there); empty: location.')
param workspaceLocation string = ''

@description('Retention of a workspace created here.')
param retentionDays int = 30

@description('The inline System pool.')
param systemPool object

@description('User pools, each a separate agent pool, created one after another.')
param userPools array = []

@description('The microsoft.flux extension: name, release train, pinned version (or empty), settings.')
param fluxExtension object

@description('Flux configurations: the platform one first (cluster scope), then tenants (namespace scope).')
param fluxConfigurations array

@description('Workload identities (name, identityName, federatedCredentialName, subject, audiences, keyVaultSecrets: a vault id or empty, clientIdVariable), rendered from the spec: each a managed identity federated with the cluster OIDC issuer for one service account; their client ids and azure_tenant_id reach every platform kustomization that declares postBuild.')
param workloadIdentities array = []

@description('Git HTTPS token (PAT) of the platform configuration, if it uses https auth.')
@secure()
param platformHttpsKey string = ''

@description('SSH private key of the platform configuration, if it uses ssh auth.')
@secure()
param platformSshPrivateKey string = ''

@description('Bucket secret key of the platform configuration, if its source is a bucket with keys.')
@secure()
param platformBucketSecretKey string = ''

var platformSecrets = union(empty(platformHttpsKey) ? {} : { httpsKey: platformHttpsKey }, empty(platformSshPrivateKey) ? {} : { sshPrivateKey: platformSshPrivateKey }, empty(platformBucketSecretKey) ? {} : { bucketSecretKey: platformBucketSecretKey })
var subnetParts = split(network.vnetSubnetId, '/')
// KMS off: a placeholder id, so the vault module's scope never indexes past an empty split.
var kmsVaultParts = split(empty(kmsKeyVaultResourceId) ? '/subscriptions/none/resourceGroups/none/providers/Microsoft.KeyVault/vaults/none' : kmsKeyVaultResourceId, '/')
// The tenant the workload identities sign in to, injected as azure_tenant_id next to their client ids (the Pulumi
// stamp's TENANT_ID_VARIABLE). tenant() returns the current tenant: bicep-functions-scope#tenant on Microsoft Learn.
var tenantSubstitution = empty(workloadIdentities) ? {} : { azure_tenant_id: tenant().tenantId }
var kmsRoles = (kmsKeyVaultNetworkAccess == 'Private') ? [
  roleDefinitionIds['Key Vault Crypto User']
  roleDefinitionIds['Key Vault Contributor']
] : [
  roleDefinitionIds['Key Vault Crypto User']
]

module identity 'modules/identity.bicep' = {
  name: '${clusterName}-identity'
  params: {
    name: 'id-${clusterName}'
    location: location
    tags: tags
  }
}

module workspace 'modules/workspace.bicep' = if (empty(logAnalyticsWorkspaceId)) {
  name: '${clusterName}-logs'
  params: {
    name: 'log-${clusterName}'
    location: location
    retentionDays: retentionDays
    tags: tags
  }
}

module subnetRole 'modules/subnet-role.bicep' = if (!empty(network.vnetSubnetId)) {
  name: '${clusterName}-subnet-role'
  scope: resourceGroup(subnetParts[2], subnetParts[4])
  params: {
    vnetName: subnetParts[8]
    subnetName: subnetParts[10]
    principalId: identity.outputs.principalId
    seed: clusterName
    networkContributor: roleDefinitionIds['Network Contributor']
  }
}

// KMS needs the identity's key access before it is turned on: Key Vault Crypto User on the vault, and Key Vault
// Contributor on a private vault (AKS creates the private link). The cluster waits for it.
module kmsRole 'modules/key-vault-role.bicep' = if (!empty(kmsKeyId)) {
  name: '${clusterName}-kms-role'
  scope: resourceGroup(kmsVaultParts[2], kmsVaultParts[4])
  params: {
    vaultName: kmsVaultParts[8]
    principalId: identity.outputs.principalId
    roleDefinitionIds: kmsRoles
    seed: clusterName
  }
}

module cluster 'modules/managed-cluster.bicep' = {
  name: '${clusterName}-aks'
  dependsOn: [
    subnetRole
    kmsRole
  ]
  params: {
    name: clusterName
    location: location
    tags: tags
    dnsPrefix: take(clusterName, 54)
    kubernetesVersion: kubernetesVersion
    upgradeChannel: upgradeChannel
    nodeOsUpgradeChannel: nodeOsUpgradeChannel
    orchestratorVersion: orchestratorVersion
    skuTier: skuTier
    identityId: identity.outputs.id
    workspaceId: empty(logAnalyticsWorkspaceId) ? workspace.outputs.id : logAnalyticsWorkspaceId
    network: network
    enablePrivateCluster: enablePrivateCluster
    authorizedIpRanges: authorizedIpRanges
    disableRunCommand: disableRunCommand
    enableAzureRbac: enableAzureRbac
    disableLocalAccounts: disableLocalAccounts
    adminGroupObjectIds: adminGroupObjectIds
    security: security
    kmsKeyId: kmsKeyId
    kmsKeyVaultNetworkAccess: kmsKeyVaultNetworkAccess
    kmsKeyVaultResourceId: kmsKeyVaultResourceId
    containerInsights: containerInsights
    systemPool: systemPool
    systemPoolOsDiskType: systemPool.osDiskType
    systemPoolMaxPods: systemPool.maxPods
    systemPoolEncryptionAtHost: systemPool.encryptionAtHost
    enableSecretRotation: security.secretRotation ? 'true' : 'false'
  }
}

// After the cluster: the rule the omsagent add-on (managed-identity auth) collects by, and its association.
module insights 'modules/container-insights.bicep' = if (containerInsights) {
  name: '${clusterName}-insights'
  params: {
    clusterName: cluster.outputs.name
    workspaceId: empty(logAnalyticsWorkspaceId) ? workspace.outputs.id : logAnalyticsWorkspaceId
    workspaceLocation: empty(workspaceLocation) ? location : workspaceLocation
    tags: tags
  }
}

// AKS runs one pool operation per cluster at a time: pools are created one after another.
@batchSize(1)
module pools 'modules/agent-pool.bicep' = [for pool in userPools: {
  name: '${clusterName}-pool-${pool.name}'
  params: {
    clusterName: cluster.outputs.name
    pool: pool
    osDiskType: pool.osDiskType
    maxPods: pool.maxPods
    encryptionAtHost: pool.encryptionAtHost
    vnetSubnetId: network.vnetSubnetId
    orchestratorVersion: orchestratorVersion
  }
}]

// After the cluster: each federated credential trusts its OIDC issuer (the cluster module's output). Key Vault Secrets
// User on the identity's vault, if it names one, through modules/key-vault-role.bicep in the vault's group.
module workloadIdentity 'modules/workload-identity.bicep' = [for wi in workloadIdentities: {
  name: '${clusterName}-wi-${wi.name}'
  params: {
    name: wi.identityName
    location: location
    tags: tags
    oidcIssuerUrl: cluster.outputs.oidcIssuerUrl
    federatedCredentialName: wi.federatedCredentialName
    subject: wi.subject
    audiences: wi.audiences
    keyVaultSecrets: wi.keyVaultSecrets
    keyVaultSecretsUserRoleId: roleDefinitionIds['Key Vault Secrets User']
  }
}]

// After the cluster and every user pool: the Flux controllers schedule on user pools.
module flux 'modules/flux-extension.bicep' = {
  name: '${clusterName}-flux'
  dependsOn: [
    pools
  ]
  params: {
    clusterName: cluster.outputs.name
    name: fluxExtension.name
    releaseTrain: fluxExtension.releaseTrain
    version: fluxExtension.version
    settings: fluxExtension.settings
  }
}

// The platform configuration, after the extension and every workload identity: it receives their client ids and
// the tenant as postBuild variables, as the Pulumi stamp injects them (ClusterSpec.injected_substitutions). A
// for-expression may be a module parameter's value (Azure/bicep src/Bicep.Core.Samples/Files/baselines/Modules_CRLF/
// main.bicep, propertyLoopInsideParameterValue), reading a module collection by index (Loops_LF/main.bicep,
// propertyLoopDependencyOnModuleCollection; Microsoft Learn bicep diagnostics BCP144).
module platform 'modules/flux-configuration.bicep' = {
  name: '${clusterName}-flux-${fluxConfigurations[0].name}'
  dependsOn: [
    flux
    workloadIdentity
  ]
  params: {
    clusterName: cluster.outputs.name
    configuration: fluxConfigurations[0]
    protectedSettings: platformSecrets
    injectedClientIds: [for (wi, i) in workloadIdentities: {
      name: wi.clientIdVariable
      value: workloadIdentity[i].outputs.clientId
    }]
    injectedVariables: tenantSubstitution
  }
}

// Tenants after the platform (they build on what it installs), one at a time, in order. skip() returns the elements
// after the first n (Microsoft Learn bicep-functions-string#skip, strings and arrays).
@batchSize(1)
module tenants 'modules/flux-configuration.bicep' = [for configuration in skip(fluxConfigurations, 1): {
  name: '${clusterName}-flux-${configuration.name}'
  dependsOn: [
    flux
    platform
  ]
  params: {
    clusterName: cluster.outputs.name
    configuration: configuration
  }
}]

@description('Resource id of the cluster.')
output clusterId string = cluster.outputs.id

@description('OIDC issuer URL of the cluster (federated credentials are keyed to it).')
output oidcIssuerUrl string = cluster.outputs.oidcIssuerUrl

@description('Principal id of the control-plane identity.')
output identityPrincipalId string = identity.outputs.principalId

@description('Resource id of the Flux extension.')
output fluxExtensionId string = flux.outputs.id
