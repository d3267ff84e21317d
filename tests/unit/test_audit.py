"""The audit's normalisation and judgement, on ARM-shaped rows (Resource Graph output)."""

from __future__ import annotations

import copy
import io
import json
import re
from typing import Any

from markupsafe import escape
from rich.console import Console

from components.azure_types import (
    ARM_SERVED,
    EXTENSION,
    FLUX_CONFIGURATION,
    MANAGED_CLUSTER,
    by_token,
    is_write_only,
    to_arm,
)
from fleet.audit.evaluate import audit
from fleet.audit.normalize import cluster_id_of, group_fleet
from fleet.audit.report import render_table, risk_order, to_html, to_json
from fleet.findings import describe
from fleet.policy.config import config_path, load_config
from policies.baseline import ENVIRONMENTS
from tests.conftest import STACKS_DIR, plan_for

SUB = "00000000-0000-0000-0000-000000000000"
CONFIGS = {env: load_config(config_path(env)) for env in ENVIRONMENTS}


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
        azure_type = by_token(r.type)
        if azure_type is None or azure_type not in ARM_SERVED:
            continue
        readable = {  # protected settings are never returned by ARM
            k: v for k, v in copy.deepcopy(r.inputs).items() if v != "[secret]" and not is_write_only(azure_type, k)
        }
        common = {"resourceGroup": rg, "subscriptionId": SUB, **to_arm(azure_type, readable)}
        if azure_type is MANAGED_CLUSTER:
            rows["clusters"].append(
                {"id": cluster_id, "name": cluster, "type": "microsoft.containerservice/managedclusters", **common}
            )
        elif azure_type is EXTENSION:
            name = r.inputs["extensionName"]
            rows["extensions"].append(
                {
                    "id": f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/extensions/{name}",
                    "name": name,
                    "type": "microsoft.kubernetesconfiguration/extensions",
                    **common,
                }
            )
        elif azure_type is FLUX_CONFIGURATION:
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
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def _script_block(html: str) -> str:
    start = html.index('<script type="application/json" id="audit-data">') + len(
        '<script type="application/json" id="audit-data">'
    )
    return html[start : html.index("</script>", start)]


def test_the_html_report_passes_untrusted_text_to_its_script_as_safe_json() -> None:
    rows = arm_rows("prod-japaneast")
    hostile = "</script><script>alert(1)</script><!--"
    rows["clusters"][0]["name"] = hostile
    rows["clusters"][0]["properties"]["disableLocalAccounts"] = False
    html = to_html(audit(group_fleet(rows), CONFIGS))
    block = _script_block(html)
    assert "<" not in block and ">" not in block, "nothing in the data can end the script element"
    data = json.loads(block)
    (cluster,) = data["clusters"]
    assert hostile.lower() in cluster["text"] and cluster["rules"] == ["AKS-001"]
    assert html.count("<script") == 2, "the JSON block and the page's own script, nothing else"
    assert "<link" not in html and " src=" not in html, "self-contained: nothing is fetched"


def _fleet(*clusters: tuple[str, dict[str, str] | None, dict[str, object]]) -> dict[str, list[dict[str, Any]]]:
    """One ARM row set holding several copies of the prod stack's cluster, each renamed, tagged and changed."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for name, tags, changes in clusters:
        rows = arm_rows("prod-japaneast", cluster=name)
        rows["clusters"][0]["tags"] = tags
        rows["clusters"][0]["properties"].update(changes)
        for key, value in rows.items():
            merged.setdefault(key, []).extend(value)
    return merged


PUBLIC_API = {"apiServerAccessProfile": {"enablePrivateCluster": False, "disableRunCommand": False}}


def test_clusters_are_ordered_by_risk_prod_mandatory_failures_first() -> None:
    rows = _fleet(
        ("a-dev-noisy", {"environment": "dev"}, {"disableLocalAccounts": False, **PUBLIC_API}),
        ("b-prod-one", {"environment": "prod"}, {"disableLocalAccounts": False}),
        ("c-clean", {"environment": "prod"}, {}),
        ("d-prod-two", {"environment": "prod"}, {"disableLocalAccounts": False, **PUBLIC_API}),
        ("e-untagged", None, {"disableLocalAccounts": False}),
    )
    report = audit(group_fleet(rows), CONFIGS)
    ordered = risk_order(report)
    names = [c.name for c in ordered]
    by_name = {c.cluster.name: c for c in report.clusters}
    assert len(by_name["a-dev-noisy"].failed) > len(by_name["b-prod-one"].failed), "dev fails more rules"
    assert names[0] == "d-prod-two", "the prod cluster with the most high-severity mandatory failures leads"
    assert set(names[1:3]) == {"b-prod-one", "e-untagged"}, "an untagged cluster is judged, and ranked, as prod"
    assert names[3:] == ["a-dev-noisy", "c-clean"]
    assert [c.rank for c in ordered] == [1, 2, 3, 4, 5]
    untagged = next(c for c in ordered if c.name == "e-untagged")
    assert untagged.unknown_environment and untagged.tag is None and untagged.environment == "unknown"
    assert untagged.result.environment == "prod"


def test_the_terminal_table_lists_clusters_in_the_reports_risk_order() -> None:
    """Before: sorted by failure count, so a noisy dev cluster led and an untagged one read as plain "prod"."""
    rows = _fleet(
        ("a-dev-noisy", {"environment": "dev"}, {"disableLocalAccounts": False, **PUBLIC_API}),
        ("b-prod-one", {"environment": "prod"}, {"disableLocalAccounts": False, **PUBLIC_API}),
        ("e-untagged", None, {"disableLocalAccounts": False}),
    )
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_table(audit(group_fleet(rows), CONFIGS), console)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    order = [name for line in lines for name in ("a-dev-noisy", "b-prod-one", "e-untagged") if name in line]
    assert order == ["b-prod-one", "e-untagged", "a-dev-noisy"]
    assert "unknown (judged as prod)" in next(line for line in lines if "e-untagged" in line)


def test_the_html_report_shows_severity_remediation_totals_and_the_unknown_environment() -> None:
    rows = _fleet(
        ("prod-open", {"environment": "prod"}, PUBLIC_API),
        ("prod-local", {"environment": "prod"}, {"disableLocalAccounts": False}),
        ("sandbox-local", {"environment": "sandbox"}, {"disableLocalAccounts": False}),
    )
    html = to_html(audit(group_fleet(rows), CONFIGS))
    aks001 = describe("AKS-001")
    assert html.count(f'<span class="remediation">{escape(aks001.remediation)}</span>') == 2
    assert f'<span class="sev {aks001.severity}">{aks001.severity}</span>' in html
    assert re.search(
        r'<tr data-rule="AKS-001">.*?class="n mandatory-total">2</td><td class="n advisory-total">0</td>', html, re.S
    )
    assert ">unknown (judged as prod)</span>" in html and "tag: sandbox" in html
    assert html.index(">prod-open<") < html.index(">prod-local<"), "as many high failures, and a medium one more"
    assert html.index(">prod-local<") < html.index(">sandbox-local<"), "a tie is settled by name"
