// The microsoft.flux cluster extension: typed settings, stable train, multi-tenancy enforced.
@description('Name of the cluster.')
param clusterName string

@description('Name of the extension.')
param name string = 'flux'

@description('Release train of the extension.')
@allowed(['Stable', 'Preview'])
param releaseTrain string = 'Stable'

@description('Pinned extension version (turns minor auto-upgrade off); empty for the latest minor.')
param version string = ''

@description('configurationSettings of the extension (controller toggles, multiTenancy.enforce).')
param settings object = {
  'helm-controller.enabled': 'true'
  'kustomize-controller.enabled': 'true'
  'notification-controller.enabled': 'true'
  'image-automation-controller.enabled': 'false'
  'image-reflector-controller.enabled': 'false'
  'multiTenancy.enforce': 'true'
}

resource cluster 'Microsoft.ContainerService/managedClusters@2025-09-01' existing = {
  name: clusterName
}

resource extension 'Microsoft.KubernetesConfiguration/extensions@2023-05-01' = {
  scope: cluster
  name: name
  properties: {
    extensionType: 'microsoft.flux'
    autoUpgradeMinorVersion: empty(version)
    releaseTrain: releaseTrain
    version: empty(version) ? null : version
    scope: {
      cluster: {
        releaseNamespace: 'flux-system'
      }
    }
    configurationSettings: settings
  }
}

@description('Resource id of the extension.')
output id string = extension.id
