// One Flux v2 configuration: a source and a DAG of kustomizations. Credentials arrive only through the
// @secure() parameter and reach Azure only in configurationProtectedSettings, base64-encoded.
@description('Name of the cluster.')
param clusterName string

@description('The configuration: name, scope, namespace, sourceKind, source object, kustomizations, suspend.')
param configuration object

@description('Plaintext credentials for this configuration (httpsKey, sshPrivateKey or bucketSecretKey).')
@secure()
param protectedSettings object = {}

@description('postBuild variables the stamp computes, {name, value} each: every workload identity\'s client id under its variable name. Merged with injectedVariables into the substitute of every kustomization that declares postBuild; given to the platform configuration only.')
param injectedClientIds array = []

@description('postBuild variables the stamp computes, as an object (azure_tenant_id): merged after injectedClientIds.')
param injectedVariables object = {}

var encoded = union(contains(protectedSettings, 'httpsKey') ? { httpsKey: base64(protectedSettings.httpsKey) } : {}, contains(protectedSettings, 'sshPrivateKey') ? { sshPrivateKey: base64(protectedSettings.sshPrivateKey) } : {}, contains(protectedSettings, 'bucketSecretKey') ? { bucketSecretKey: base64(protectedSettings.bucketSecretKey) } : {})

// The stamp's variables join the substitute of every kustomization that declares postBuild, overriding a declared
// one of the same name, as components/flux_configuration.py does ({**substitute, **injected}); one without postBuild
// stays unsubstituted. No lambdas (map/toObject/mapValues/reduce): checkov 3.3.30 parses Bicep with pycep-parser
// 0.5.1, whose grammar knows only filter(), so a file with any other would fail its scan. The maps are rebuilt as
// JSON text instead. items() turns an object into {key, value} pairs and json() parses JSON text
// (learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-object#items, #json); string() of an
// object is its JSON and join() concatenates with a delimiter (bicep-functions-string#string, #join); union() of
// objects lets later values win (bicep-functions-object#union). Keys are safe to quote as they are: variable names
// match ^[_a-zA-Z][_a-zA-Z0-9]*$, client ids are GUIDs, kustomization names are DNS labels (components/spec).
var clientIdEntries = [for entry in injectedClientIds: '"${entry.name}":"${entry.value}"']
var injected = union(json('{${join(clientIdEntries, ',')}}'), injectedVariables)
var mergedKustomizations = [for k in items(configuration.kustomizations): {
  key: k.key
  value: contains(k.value, 'postBuild') ? union(k.value, { postBuild: union(k.value.postBuild, { substitute: union(k.value.postBuild.substitute, injected) }) }) : k.value
}]
var kustomizationEntries = [for k in mergedKustomizations: '"${k.key}":${string(k.value)}']
var kustomizations = empty(injected) ? configuration.kustomizations : json('{${join(kustomizationEntries, ',')}}')

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
    kustomizations: kustomizations
    waitForReconciliation: configuration.waitForReconciliation
    configurationProtectedSettings: empty(encoded) ? null : encoded
  }
}

@description('Resource id of the configuration.')
output id string = fluxConfiguration.id
