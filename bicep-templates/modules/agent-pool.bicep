// One user pool, a separate resource so it can be added, resized or rotated without touching the cluster.
@description('Name of the cluster the pool belongs to.')
param clusterName string

@description('The pool: name, size, autoscale bounds, zones, OS SKU, disk size, pods, labels, taints.')
param pool object

@description('OS disk type: ephemeral disks reimage faster and cost nothing extra.')
@allowed(['Ephemeral', 'Managed'])
param osDiskType string = 'Ephemeral'

@description('Pods per node (50 or more leaves room for DaemonSets).')
@minValue(10)
@maxValue(250)
param maxPods int = 50

@description('Encrypt temp disks and caches of the nodes (encryption at host).')
param encryptionAtHost bool = true

@description('Subnet of the pool; empty for the managed VNet.')
param vnetSubnetId string = ''

@description('Orchestrator version when pinned; empty under an upgrade channel.')
param orchestratorVersion string = ''

resource cluster 'Microsoft.ContainerService/managedClusters@2025-09-01' existing = {
  name: clusterName
}

resource agentPool 'Microsoft.ContainerService/managedClusters/agentPools@2025-09-01' = {
  parent: cluster
  name: pool.name
  properties: {
    mode: 'User'
    vmSize: pool.vmSize
    count: pool.minCount
    enableAutoScaling: true
    minCount: pool.minCount
    maxCount: pool.maxCount
    availabilityZones: pool.zones
    osType: 'Linux'
    osSKU: pool.osSku
    osDiskType: osDiskType
    osDiskSizeGB: pool.osDiskSizeGb
    maxPods: maxPods
    type: 'VirtualMachineScaleSets'
    enableEncryptionAtHost: encryptionAtHost
    enableNodePublicIP: false
    securityProfile: {
      sshAccess: 'Disabled'
    }
    upgradeSettings: {
      maxSurge: '33%'
    }
    nodeLabels: pool.labels
    nodeTaints: pool.taints
    vnetSubnetID: empty(vnetSubnetId) ? null : vnetSubnetId
    orchestratorVersion: empty(orchestratorVersion) ? null : orchestratorVersion
  }
}

@description('Resource id of the pool.')
output id string = agentPool.id
