// Container Insights with managed-identity auth (omsagent useAADAuth 'true'): the agent collects only what a
// data collection rule associated with the cluster asks for, so the template declares the rule and its
// association, after the cluster. Shape from Microsoft's onboarding template (microsoft/Docker-Provider
// scripts/onboarding/aks/onboarding-msi-bicep/existingClusterOnboarding.bicep @ 28ef8eef), with the CLI's
// defaults (Learn, azure-monitor/containers/kubernetes-monitoring-enable): the group stream, 1m, no
// namespace filtering, ContainerLogV2. The same values as components/container_insights.py.
@description('Name of the cluster the rule is associated with (in this resource group).')
param clusterName string

@description('Resource id of the Log Analytics workspace the rule sends to.')
param workspaceId string

@description('Region of that workspace: the rule is created there, as in the Microsoft onboarding templates.')
param workspaceLocation string

@description('Tags for the data collection rule.')
param tags object = {}

@description('Container Insights streams to collect (default: the group stream standing for every table).')
param streams array = [
  'Microsoft-ContainerInsights-Group-Default'
]

@description('Collection interval of metrics and inventory (1m to 30m).')
param dataCollectionInterval string = '1m'

@description('Namespace filtering mode of the collection.')
@allowed(['Off', 'Include', 'Exclude'])
param namespaceFilteringMode string = 'Off'

@description('Collect container logs in the ContainerLogV2 schema.')
param enableContainerLogV2 bool = true

var destination = 'ciworkspace'

resource cluster 'Microsoft.ContainerService/managedClusters@2025-09-01' existing = {
  name: clusterName
}

resource rule 'Microsoft.Insights/dataCollectionRules@2022-06-01' = {
  name: take('MSCI-${workspaceLocation}-${clusterName}', 64)
  location: workspaceLocation
  tags: tags
  kind: 'Linux'
  properties: {
    dataSources: {
      extensions: [
        {
          name: 'ContainerInsightsExtension'
          extensionName: 'ContainerInsights'
          streams: streams
          extensionSettings: {
            dataCollectionSettings: {
              interval: dataCollectionInterval
              namespaceFilteringMode: namespaceFilteringMode
              enableContainerLogV2: enableContainerLogV2
            }
          }
        }
      ]
    }
    destinations: {
      logAnalytics: [
        {
          name: destination
          workspaceResourceId: workspaceId
        }
      ]
    }
    dataFlows: [
      {
        streams: streams
        destinations: [
          destination
        ]
      }
    ]
  }
}

// The agent looks for this association name on the cluster.
resource association 'Microsoft.Insights/dataCollectionRuleAssociations@2022-06-01' = {
  scope: cluster
  name: 'ContainerInsightsExtension'
  properties: {
    description: 'Container Insights for this cluster. Deleting this association stops data collection.'
    dataCollectionRuleId: rule.id
  }
}

@description('Resource id of the data collection rule.')
output dataCollectionRuleId string = rule.id
