// The AKS cluster with exactly one inline System pool; every other pool is a separate agent-pool module
// (ARM refuses to add pools through the cluster PUT). Secure defaults match the toolkit's spec.
@description('Name of the cluster (1-63 characters).')
@minLength(1)
@maxLength(63)
param name string

@description('Azure region.')
param location string

@description('Tags for the cluster.')
param tags object = {}

@description('DNS prefix of the API server (1-54 characters).')
@maxLength(54)
param dnsPrefix string

@description('Kubernetes version: major.minor with an upgrade channel, major.minor.patch when pinned.')
param kubernetesVersion string

@description('Cluster auto-upgrade channel; none when the version is pinned by the toolkit.')
@allowed(['none', 'patch', 'stable', 'rapid'])
param upgradeChannel string = 'stable'

@description('Node OS image patching channel.')
@allowed(['NodeImage', 'SecurityPatch', 'Unmanaged', 'None'])
param nodeOsUpgradeChannel string = 'NodeImage'

@description('Paid tiers carry the control-plane uptime SLA.')
@allowed(['Free', 'Standard', 'Premium'])
param skuTier string = 'Standard'

@description('Resource id of the user-assigned control-plane identity.')
param identityId string

@description('Resource id of the Log Analytics workspace for Container Insights and Defender.')
param workspaceId string

@description('Network: Azure CNI overlay, dataplane, policy engine, CIDRs, egress, subnet.')
param network object = {
  dataplane: 'cilium'
  policy: 'cilium'
  podCidr: '10.244.0.0/16'
  serviceCidr: '10.0.0.0/16'
  dnsServiceIp: '10.0.0.10'
  outboundType: 'loadBalancer'
  vnetSubnetId: ''
}

@description('Private API server (the default), or public limited to authorizedIpRanges.')
param enablePrivateCluster bool = true

@description('Ranges allowed to reach a public API server; never 0.0.0.0/0.')
param authorizedIpRanges array = []

@description('Close the ARM command-invoke path to kubectl.')
param disableRunCommand bool = true

@description('Kubernetes authorization through Azure role assignments.')
param enableAzureRbac bool = true

@description('No static admin kubeconfig: every user authenticates with Entra ID.')
param disableLocalAccounts bool = true

@description('Entra groups administering the cluster.')
param adminGroupObjectIds array = []

@description('Security features: workload identity, OIDC issuer, Azure Policy, Defender, Image Cleaner, CSI rotation.')
param security object = {
  workloadIdentity: true
  oidcIssuer: true
  azurePolicy: true
  defender: true
  imageCleaner: true
  imageCleanerIntervalHours: 168
  keyVaultSecretsProvider: true
  rotationPollInterval: '2m'
}

@description('Key Vault key id for etcd encryption (KMS); empty to leave KMS off.')
param kmsKeyId string = ''

@description('Network access of the KMS key vault.')
@allowed(['Public', 'Private'])
param kmsKeyVaultNetworkAccess string = 'Public'

@description('Resource id of the key vault holding the KMS key; sent to AKS only for a Private vault.')
param kmsKeyVaultResourceId string = ''

@description('Container Insights on.')
param containerInsights bool = true

@description('The inline System pool.')
param systemPool object = {
  name: 'system'
  vmSize: 'Standard_D4ds_v5'
  minCount: 3
  maxCount: 5
  zones: ['1', '2', '3']
  osSku: 'AzureLinux'
  osDiskSizeGb: 128
  labels: {}
  taints: ['CriticalAddonsOnly=true:NoSchedule']
}

@description('Orchestrator version of the pools when pinned; empty under an upgrade channel.')
param orchestratorVersion string = ''

@description('OS disk type of the System pool: ephemeral disks reimage faster and cost nothing extra.')
@allowed(['Ephemeral', 'Managed'])
param systemPoolOsDiskType string = 'Ephemeral'

@description('Pods per System node (50 or more leaves room for DaemonSets).')
@minValue(10)
@maxValue(250)
param systemPoolMaxPods int = 50

@description('Encrypt temp disks and caches of the System pool nodes (encryption at host).')
param systemPoolEncryptionAtHost bool = true

@description('Rotate Secrets Store CSI secrets when they change in Key Vault (the add-on takes a string).')
@allowed(['true', 'false'])
param enableSecretRotation string = 'true'

resource cluster 'Microsoft.ContainerService/managedClusters@2025-09-01' = {
  //checkov:skip=CKV_AZURE_8:The Kubernetes dashboard add-on is retired (Kubernetes 1.19+) and cannot be enabled; declaring it disabled would only send a retired add-on key to the API.
  //checkov:skip=CKV_AZURE_172:Rotation is on by default (enableSecretRotation = 'true'); checkov passes only a boolean, but add-on config is a string map in the 2025-09-01 API, so a boolean would be rejected.
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Base'
    tier: skuTier
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    dnsPrefix: dnsPrefix
    kubernetesVersion: kubernetesVersion
    enableRBAC: true
    disableLocalAccounts: disableLocalAccounts
    aadProfile: {
      managed: true
      enableAzureRBAC: enableAzureRbac
      adminGroupObjectIDs: adminGroupObjectIds
    }
    oidcIssuerProfile: {
      enabled: security.oidcIssuer
    }
    securityProfile: {
      workloadIdentity: {
        enabled: security.workloadIdentity
      }
      imageCleaner: {
        enabled: security.imageCleaner
        intervalHours: security.imageCleanerIntervalHours
      }
      defender: {
        logAnalyticsWorkspaceResourceId: workspaceId
        securityMonitoring: {
          enabled: security.defender
        }
      }
      azureKeyVaultKms: empty(kmsKeyId) ? null : {
        enabled: true
        keyId: kmsKeyId
        keyVaultNetworkAccess: kmsKeyVaultNetworkAccess
        // The API: required for a Private vault; for a Public one "leave the field empty".
        keyVaultResourceId: (kmsKeyVaultNetworkAccess == 'Private') ? kmsKeyVaultResourceId : null
      }
    }
    apiServerAccessProfile: {
      enablePrivateCluster: enablePrivateCluster
      authorizedIPRanges: enablePrivateCluster ? null : authorizedIpRanges
      disableRunCommand: disableRunCommand
    }
    autoUpgradeProfile: {
      upgradeChannel: upgradeChannel
      nodeOSUpgradeChannel: nodeOsUpgradeChannel
    }
    networkProfile: {
      networkPlugin: 'azure'
      networkPluginMode: 'overlay'
      networkDataplane: network.dataplane
      networkPolicy: network.policy
      podCidr: network.podCidr
      serviceCidr: network.serviceCidr
      dnsServiceIP: network.dnsServiceIp
      outboundType: network.outboundType
      loadBalancerSku: 'standard'
    }
    addonProfiles: {
      azurepolicy: {
        enabled: security.azurePolicy
        config: {
          version: 'v2'
        }
      }
      azureKeyvaultSecretsProvider: {
        enabled: security.keyVaultSecretsProvider
        config: {
          enableSecretRotation: enableSecretRotation
          rotationPollInterval: security.rotationPollInterval
        }
      }
      omsagent: {
        enabled: containerInsights
        config: {
          logAnalyticsWorkspaceResourceID: workspaceId
          useAADAuth: 'true'
        }
      }
    }
    agentPoolProfiles: [
      {
        name: systemPool.name
        mode: 'System'
        vmSize: systemPool.vmSize
        count: systemPool.minCount
        enableAutoScaling: true
        minCount: systemPool.minCount
        maxCount: systemPool.maxCount
        availabilityZones: systemPool.zones
        osType: 'Linux'
        osSKU: systemPool.osSku
        osDiskType: systemPoolOsDiskType
        osDiskSizeGB: systemPool.osDiskSizeGb
        maxPods: systemPoolMaxPods
        type: 'VirtualMachineScaleSets'
        enableEncryptionAtHost: systemPoolEncryptionAtHost
        enableNodePublicIP: false
        securityProfile: {
          sshAccess: 'Disabled'
        }
        upgradeSettings: {
          maxSurge: '33%'
        }
        nodeLabels: systemPool.labels
        nodeTaints: systemPool.taints
        vnetSubnetID: empty(network.vnetSubnetId) ? null : network.vnetSubnetId
        orchestratorVersion: empty(orchestratorVersion) ? null : orchestratorVersion
      }
    ]
  }
}

@description('Resource id of the cluster.')
output id string = cluster.id

@description('Name of the cluster.')
output name string = cluster.name

@description('OIDC issuer URL (federated credentials are keyed to it).')
output oidcIssuerUrl string = security.oidcIssuer ? cluster.properties.oidcIssuerProfile.issuerURL : ''
