// A Log Analytics workspace for Container Insights and Defender, when the stack names no shared one.
@description('Name of the workspace.')
param name string

@description('Azure region.')
param location string

@description('Days logs are kept (30-730).')
@minValue(30)
@maxValue(730)
param retentionDays int = 30

@description('Tags for the workspace.')
param tags object = {}

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionDays
  }
}

@description('Resource id of the workspace.')
output id string = workspace.id
