// One Flux v2 configuration: a source and a DAG of kustomizations. Credentials arrive only through the
// @secure() parameter and reach Azure only in configurationProtectedSettings, base64-encoded.
@description('Name of the cluster.')
param clusterName string

@description('The configuration: name, scope, namespace, sourceKind, source object, kustomizations, suspend.')
param configuration object

@description('Plaintext credentials for this configuration (httpsKey, sshPrivateKey or bucketSecretKey).')
@secure()
param protectedSettings object = {}

var encoded = union(contains(protectedSettings, 'httpsKey') ? { httpsKey: base64(protectedSettings.httpsKey) } : {}, contains(protectedSettings, 'sshPrivateKey') ? { sshPrivateKey: base64(protectedSettings.sshPrivateKey) } : {}, contains(protectedSettings, 'bucketSecretKey') ? { bucketSecretKey: base64(protectedSettings.bucketSecretKey) } : {})

resource cluster 'Microsoft.ContainerService/managedClusters@2025-09-01' existing = {
  name: clusterName
}

resource fluxConfiguration 'Microsoft.KubernetesConfiguration/fluxConfigurations@2023-05-01' = {
  scope: cluster
  name: configuration.name
  properties: {
    scope: configuration.scope
    namespace: configuration.namespace
    sourceKind: configuration.sourceKind
    suspend: configuration.suspend
    gitRepository: contains(configuration, 'gitRepository') ? configuration.gitRepository : null
    bucket: contains(configuration, 'bucket') ? configuration.bucket : null
    azureBlob: contains(configuration, 'azureBlob') ? configuration.azureBlob : null
    kustomizations: configuration.kustomizations
    waitForReconciliation: configuration.waitForReconciliation
    configurationProtectedSettings: empty(encoded) ? null : encoded
  }
}

@description('Resource id of the configuration.')
output id string = fluxConfiguration.id
