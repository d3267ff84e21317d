"""components/container_insights.py against Microsoft's own onboarding templates (vendored, see PROVENANCE.md)."""

from __future__ import annotations

from components import container_insights as ci
from tests.conftest import PROJECT_DIR

VENDORED = PROJECT_DIR / "tests" / "conformance" / "azure" / "container-insights"


def test_names_and_shape_match_microsofts_bicep_template() -> None:
    bicep = (VENDORED / "existingClusterOnboarding.bicep").read_text()
    assert f"var associationName = '{ci.ASSOCIATION_NAME}'" in bicep
    assert "var dcrNameFull = 'MSCI-${workspaceLocation}-${clusterName}'" in bicep
    assert "length(dcrNameFull) > 64) ? substring(dcrNameFull, 0, 64)" in bicep
    assert ci.rule_name("japaneast", "x" * 80) == ("MSCI-japaneast-" + "x" * 80)[:64]
    assert "kind: 'Linux'" in bicep and "extensionName: 'ContainerInsights'" in bicep
    assert f"name: '{ci.ASSOCIATION_NAME}'" in bicep and f"name: '{ci.DESTINATION}'" in bicep
    assert "Microsoft.Insights/dataCollectionRules@2022-06-01" in bicep
    for setting in ci.COLLECTION_SETTINGS:
        assert f"{setting}:" in bicep


def test_the_terraform_template_creates_the_rule_and_association_after_a_new_cluster() -> None:
    tf = (VENDORED / "main.tf").read_text()
    assert 'resource "azurerm_monitor_data_collection_rule_association"' in tf
    assert 'name                        = "ContainerInsightsExtension"' in tf
    assert "msi_auth_for_monitoring_enabled = true" in tf
