"""The audit's normalisation and judgement, on ARM-shaped rows (Resource Graph output)."""

from __future__ import annotations

import copy
import json
from typing import Any

from fleet.audit.evaluate import audit
from fleet.audit.normalize import cluster_id_of, group_fleet
from fleet.audit.report import to_html, to_json
from fleet.drift.compare import URL_PARAMETERS
from fleet.policy.config import config_path, load_config
from policies.baseline import ENVIRONMENTS
from tests.conftest import STACKS_DIR, plan_for

SUB = "00000000-0000-0000-0000-000000000000"
CONFIGS = {env: load_config(config_path(env)) for env in ENVIRONMENTS}
_TOP = {"location", "tags", "sku", "identity"}


def arm_rows(stack: str, cluster: str = "aks-prod-jpe") -> dict[str, list[dict[str, Any]]]:
    """What Resource Graph returns for the resources of a planned stack (ARM shape, properties nested)."""
    plan = plan_for(STACKS_DIR, stack, preview=False)
    rg = f"rg-{cluster}"
    cluster_id = (
        f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{cluster}"
    )
    rows: dict[str, list[dict[str, Any]]] = {
        "clusters": [],
        "extensions": [],
        "fluxConfigurations": [],
        "sourceControlConfigurations": [],
    }
    for r in (r for r in plan.resources if r.custom):
        inputs = copy.deepcopy(r.inputs)
        base = {k: inputs.pop(k) for k in list(inputs) if k in _TOP}
        properties = {k: v for k, v in inputs.items() if k not in URL_PARAMETERS and v != "[secret]"}
        properties.pop("configurationProtectedSettings", None)  # never returned by ARM
        if isinstance(base.get("identity", {}).get("userAssignedIdentities"), list):
            base["identity"]["userAssignedIdentities"] = {i: {} for i in base["identity"]["userAssignedIdentities"]}
        common = {"resourceGroup": rg, "subscriptionId": SUB, "properties": properties, **base}
        if r.type.endswith(":ManagedCluster"):
            rows["clusters"].append(
                {"id": cluster_id, "name": cluster, "type": "microsoft.containerservice/managedclusters", **common}
            )
        elif r.type.endswith(":Extension"):
            name = r.inputs["extensionName"]
            rows["extensions"].append(
                {
                    "id": f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/extensions/{name}",
                    "name": name,
                    "type": "microsoft.kubernetesconfiguration/extensions",
                    **common,
                }
            )
        elif r.type.endswith(":FluxConfiguration"):
            name = r.inputs["fluxConfigurationName"]
            rows["fluxConfigurations"].append(
                {
                    "id": f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/fluxConfigurations/{name}",
                    "name": name,
                    "type": "microsoft.kubernetesconfiguration/fluxconfigurations",
                    **common,
                }
            )
    return rows


def test_a_cluster_built_from_the_prod_stack_passes_the_audit() -> None:
    report = audit(group_fleet(arm_rows("prod-japaneast")), CONFIGS)
    (result,) = report.clusters
    assert result.environment == "prod"
    assert result.failed == [] and result.warned == [] and not report.blocked
    assert "GITOPS-012" not in result.cells, "deployment-ordering rules are not judged on live resources"
    assert {r.type.rsplit(":", 1)[-1] for r in group_fleet(arm_rows("prod-japaneast"))[0].resources} == {
        "ManagedCluster",
        "Extension",
        "FluxConfiguration",
    }


def test_live_drift_from_the_baseline_fails_mandatory_rules() -> None:
    rows = arm_rows("prod-japaneast")
    rows["clusters"][0]["properties"]["disableLocalAccounts"] = False
    rows["clusters"][0]["properties"]["addonProfiles"]["azurePolicy"] = rows["clusters"][0]["properties"][
        "addonProfiles"
    ].pop("azurepolicy")  # portal spelling: still matched case-insensitively
    rows["fluxConfigurations"][0]["properties"]["suspend"] = True
    report = audit(group_fleet(rows), CONFIGS)
    (result,) = report.clusters
    assert result.failed == ["AKS-001", "GITOPS-006"] and report.blocked
    assert result.cells["AKS-009"].status == "pass"


def test_missing_flux_and_flux_v1_are_reported() -> None:
    rows = arm_rows("prod-japaneast")
    cluster_id = rows["clusters"][0]["id"]
    rows["extensions"] = []
    rows["fluxConfigurations"] = []
    rows["sourceControlConfigurations"] = [
        {
            "id": f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/sourceControlConfigurations/legacy",
            "name": "legacy",
            "type": "microsoft.kubernetesconfiguration/sourcecontrolconfigurations",
            "properties": {},
        }
    ]
    (result,) = audit(group_fleet(rows), CONFIGS).clusters
    assert result.failed == ["GITOPS-013"]
    assert result.cells["FLUX-001"].status == "n/a" and result.cells["GITOPS-004"].status == "n/a"
    assert result.cells["FLUX-V1"].status == "warn"
    assert result.cells["FLUX-V1"].findings == ["Flux v1 configuration 'legacy': migrate to a fluxConfiguration"]


def test_environment_tag_selects_enforcement_and_unknown_means_prod() -> None:
    rows = arm_rows("prod-japaneast")
    rows["clusters"][0]["properties"]["sku"] = {"name": "Base", "tier": "Free"}
    rows["clusters"][0]["sku"] = {"name": "Base", "tier": "Free"}
    rows["clusters"][0]["tags"] = {"environment": "dev"}
    (dev,) = audit(group_fleet(rows), CONFIGS).clusters
    assert dev.cells["AKS-023"].status == "warn"
    rows["clusters"][0]["tags"] = {"environment": "sandbox"}
    (unknown,) = audit(group_fleet(rows), CONFIGS).clusters
    assert unknown.environment == "prod" and unknown.cells["AKS-023"].status == "fail"


def test_children_of_other_cluster_kinds_are_ignored() -> None:
    rows = arm_rows("prod-japaneast")
    arc = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/edge"
    rows["extensions"].append(
        {
            "id": f"{arc}/providers/Microsoft.KubernetesConfiguration/extensions/flux",
            "name": "flux",
            "type": "microsoft.kubernetesconfiguration/extensions",
            "properties": {},
        }
    )
    (cluster,) = group_fleet(rows)
    assert len([r for r in cluster.resources if r.type.endswith(":Extension")]) == 1
    assert cluster_id_of(rows["extensions"][-1]["id"]) == arc


def test_reports_render_every_cell_and_escape_html() -> None:
    rows = arm_rows("prod-japaneast")
    rows["clusters"][0]["name"] = "<script>x</script>"
    report = audit(group_fleet(rows), CONFIGS)
    data = to_json(report)
    assert data["summary"] == {"clusters": 1, "failing": 0, "warned": 0}
    assert len(data["clusters"][0]["cells"]) == len(report.rules) + 1
    json.dumps(data)
    html = to_html(report)
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert html.count('class="pass"') + html.count('class="na"') == len(report.rules) + 1
