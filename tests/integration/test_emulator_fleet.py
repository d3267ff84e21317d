"""Fleet operations end to end against the ARM emulator, over real HTTPS with the official SDK clients."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.spec import load_stack
from fleet import cli
from fleet.audit.evaluate import audit
from fleet.audit.graph import read_fleet
from fleet.audit.normalize import group_fleet
from fleet.dr.export import read_cluster, spec_from_live
from fleet.dr.recreate import recreate
from fleet.drift.compare import compare, live_map, read_live
from fleet.fleetfile import load_fleet
from fleet.health.factory import flux_gate
from fleet.plan.azure_outputs import SUBSCRIPTION
from fleet.plan.runner import plan_stack
from fleet.policy.config import config_path, load_config
from fleet.rollout.engine import rollout
from fleet.rollout.journal import Journal
from fleet.rollout.pipeline import run_stack
from fleet.rollout.provenance import provenance_of
from policies.baseline import ENVIRONMENTS
from tests.conftest import STACKS_DIR
from tests.fakes.arm import ArmEmulator, ComplianceScript, secure_cluster_properties
from tests.fakes.emulator_executor import EmulatorExecutor

# Subscription ids are UUIDs (the CLI refuses anything else before asking for a credential).
SUB_A = "00000000-0000-0000-0000-00000000000a"
SUB_B = "00000000-0000-0000-0000-00000000000b"

CONFIGS = {env: load_config(config_path(env)) for env in ENVIRONMENTS}
RUN = CliRunner()


def seed(arm: ArmEmulator, count: int, subscription: str = SUB_A) -> None:
    for i in range(count):
        cid = arm.add_cluster(subscription, f"rg-{i % 7}", f"aks-{i:04d}")
        arm.add_extension(cid)
        arm.add_flux_configuration(cid)


def matrix(arm: ArmEmulator, subscriptions: list[str]) -> dict[str, dict[str, str]]:
    rows = read_fleet(arm.azure_context().resource_graph(), subscriptions)
    report = audit(group_fleet(rows), CONFIGS)
    return {c.cluster.id: {rule: cell.status for rule, cell in c.cells.items()} for c in report.clusters}


def test_audit_with_20_percent_faults_returns_the_same_matrix() -> None:
    with ArmEmulator(page_size=50) as clean:
        seed(clean, 120)
        weak = secure_cluster_properties()
        weak["disableLocalAccounts"] = False
        clean.add_cluster(SUB_A, "rg-x", "aks-weak", properties=weak)
        cid = clean.add_cluster(SUB_A, "rg-x", "aks-legacy")
        clean.add_source_control_configuration(cid, "old")
        expected = matrix(clean, [SUB_A])
    with ArmEmulator(page_size=50, fault_rate=0.2, seed=7) as faulty:
        seed(faulty, 120)
        faulty.add_cluster(SUB_A, "rg-x", "aks-weak", properties=weak)
        cid = faulty.add_cluster(SUB_A, "rg-x", "aks-legacy")
        faulty.add_source_control_configuration(cid, "old")
        got = matrix(faulty, [SUB_A])
        faults = [status for _, _, status in faulty.request_log if status in (0, 429, 503)]
    assert faults, "faults were injected"
    assert got == expected and len(got) == 122
    weak_row = next(v for k, v in got.items() if k.endswith("/aks-weak"))
    legacy_row = next(v for k, v in got.items() if k.endswith("/aks-legacy"))
    assert weak_row["AKS-001"] == "fail" and weak_row["GITOPS-013"] == "fail"
    assert legacy_row["FLUX-V1"] == "warn"


def test_resource_graph_pages_through_skip_tokens() -> None:
    with ArmEmulator() as arm:
        seed(arm, 30)
        from fleet.audit import graph

        original = graph.PAGE_SIZE
        graph.PAGE_SIZE = 7
        try:
            rows = read_fleet(arm.azure_context().resource_graph(), [SUB_A, SUB_B])
        finally:
            graph.PAGE_SIZE = original
        pages = sum(1 for m, p, _ in arm.request_log if m == "POST")
    assert len(rows["clusters"]) == 30 and len(rows["fluxConfigurations"]) == 30
    assert pages >= 5 * 2 + 2, "clusters and configurations took several pages each"


def test_audit_command_writes_json_and_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ArmEmulator() as arm:
        seed(arm, 3)
        weak = secure_cluster_properties()
        weak["apiServerAccessProfile"] = {"enablePrivateCluster": False, "disableRunCommand": True}
        arm.add_cluster(SUB_A, "rg-x", "aks-open", properties=weak)
        from fleet.audit import cli as audit_cli

        monkeypatch.setattr(audit_cli, "_azure_context", lambda cloud: arm.azure_context())
        result = RUN.invoke(
            cli.app,
            [
                "audit",
                "--subscription",
                SUB_A,
                "--json",
                str(tmp_path / "a.json"),
                "--html",
                str(tmp_path / "a.html"),
            ],
            env={"COLUMNS": "200"},
        )
    assert result.exit_code == 1, result.output
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["summary"]["clusters"] == 4 and data["summary"]["failing"] == 1
    assert "AKS-005" in next(c for c in data["clusters"] if c["name"] == "aks-open")["failed"]
    assert "aks-open" in (tmp_path / "a.html").read_text()


@pytest.fixture
def deployed() -> Iterator[tuple[ArmEmulator, EmulatorExecutor]]:
    with ArmEmulator(reconcile_seconds=0.3) as arm:
        executor = EmulatorExecutor(STACKS_DIR, arm)
        assert executor.up("prod-japaneast").ok
        yield arm, executor


def test_no_drift_right_after_deploy_then_drift_is_listed(deployed: tuple[ArmEmulator, EmulatorExecutor]) -> None:
    arm, _ = deployed
    stack = load_stack(STACKS_DIR, "prod-japaneast")
    plan = plan_stack(STACKS_DIR, "prod-japaneast", policy=False)
    assert compare(plan, read_live(arm.azure_context(), SUBSCRIPTION, stack)) == []
    cluster = next(s for k, s in arm.resources.items() if k.endswith("/managedclusters/aks-prod-jpe"))
    cluster.body["properties"]["disableLocalAccounts"] = False
    flux = next(s for k, s in arm.resources.items() if k.endswith("/fluxconfigurations/platform"))
    flux.body["properties"]["kustomizations"]["apps"]["prune"] = False
    drifts = [str(d) for d in compare(plan, read_live(arm.azure_context(), SUBSCRIPTION, stack))]
    assert drifts == [
        "ManagedCluster aks-prod-jpe: disableLocalAccounts: planned True, live False",
        "FluxConfiguration platform: kustomizations.apps.prune: planned True, live False",
    ]


def test_gate_passes_once_flux_reconciles_and_names_failures_otherwise(
    deployed: tuple[ArmEmulator, EmulatorExecutor],
) -> None:
    arm, _ = deployed
    gate = flux_gate(
        STACKS_DIR,
        arm.azure_context(),
        subscription=SUBSCRIPTION,
        initial_interval=0.05,
        timeout=5,
        resolver=lambda url, ref: arm.commit,
    )
    assert gate("prod-japaneast").passed
    arm.set_compliance(
        "platform",
        ComplianceScript(
            [(0.0, "Non-Compliant")],
            failing=[
                {"name": "platform-apps", "reason": "HealthCheckFailed", "message": "Deployment/podinfo not ready"}
            ],
        ),
    )
    quick = flux_gate(
        STACKS_DIR,
        arm.azure_context(),
        subscription=SUBSCRIPTION,
        initial_interval=0.05,
        timeout=0.5,
        resolver=lambda url, ref: arm.commit,
    )
    result = quick("prod-japaneast")
    assert not result.passed and result.compliance == "Non-Compliant"
    assert [str(s) for s in result.failing if s.compliance != "Compliant"] == [
        "Kustomization flux-system/platform-apps Non-Compliant: HealthCheckFailed Deployment/podinfo not ready"
    ]


def test_rollout_halts_when_the_canary_never_reconciles(tmp_path: Path) -> None:
    with ArmEmulator(reconcile_seconds=0.1) as arm:
        arm.set_compliance(
            "platform",
            ComplianceScript(
                [(0.0, "Non-Compliant")],
                failing=[
                    {"name": "platform-apps", "reason": "DependencyNotReady", "message": "infra-configs not ready"}
                ],
            ),
        )
        executor = EmulatorExecutor(STACKS_DIR, arm)
        gate = flux_gate(
            STACKS_DIR,
            arm.azure_context(),
            subscription=SUBSCRIPTION,
            initial_interval=0.05,
            timeout=0.4,
            resolver=lambda url, ref: None,
        )
        result = rollout(
            load_fleet(STACKS_DIR),
            lambda s: run_stack(s, executor, gate, dry_run=False),
            Journal(tmp_path / "j.jsonl"),
            dry_run=False,
            provenance=provenance_of(STACKS_DIR),
        )
    assert result.halted_at == "canary" and executor.ups == ["dev"]
    assert result.not_started == ["staging", "prod-japaneast", "prod-japanwest"]
    (outcome,) = [o for _, o in result.outcomes]
    assert outcome.phase == "gate" and "platform-apps Non-Compliant: DependencyNotReady" in outcome.detail


def test_rollout_of_the_fleet_through_the_emulator(tmp_path: Path) -> None:
    with ArmEmulator(reconcile_seconds=0.1) as arm:
        executor = EmulatorExecutor(STACKS_DIR, arm)
        gate = flux_gate(
            STACKS_DIR,
            arm.azure_context(),
            subscription=SUBSCRIPTION,
            initial_interval=0.05,
            timeout=5,
            resolver=lambda url, ref: None,
        )
        journal = Journal(tmp_path / "j.jsonl")
        deploy = lambda s: run_stack(s, executor, gate, dry_run=False)  # noqa: E731
        today = provenance_of(STACKS_DIR)
        result = rollout(load_fleet(STACKS_DIR), deploy, journal, dry_run=False, provenance=today)
        assert result.ok and sorted(executor.ups) == sorted(load_fleet(STACKS_DIR).stacks)
        again = rollout(
            load_fleet(STACKS_DIR), deploy, journal, dry_run=False, provenance=today, resume_id=result.rollout_id
        )
        assert list(again.skipped) == load_fleet(STACKS_DIR).stacks and len(executor.ups) == 4, "nothing runs twice"
        assert arm.puts("managedClusters/aks-prod-jpw?") == 1


def _dr_stacks(tmp_path: Path) -> Path:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    for path in STACKS_DIR.glob("Pulumi.*.yaml"):
        (stacks / path.name).write_text(path.read_text())
    return stacks


def test_dr_recreate_times_every_phase(tmp_path: Path) -> None:
    from fleet.dr.derive import derive

    stacks = _dr_stacks(tmp_path)
    timings = {"managedClusters": 0.4, "agentPools": 0.2, "extensions": 0.3, "fluxconfigurations": 0.1}
    with ArmEmulator(provisioning_seconds=timings, reconcile_seconds=0.3) as arm:
        executor = EmulatorExecutor(stacks, arm, simulated_seconds={"azure-native:resources:ResourceGroup": 0.1})
        gate = flux_gate(
            stacks,
            arm.azure_context(),
            subscription=SUBSCRIPTION,
            initial_interval=0.05,
            timeout=10,
            resolver=lambda url, ref: arm.commit,
        )

        def derive_to_stack() -> str:
            d = derive(
                (stacks / "Pulumi.prod-japaneast.yaml").read_text(),
                source_stack="prod-japaneast",
                ref="HEAD",
                region="japanwest",
                existing_stacks={"prod-japanwest": "aks-prod-jpw"},
            )
            (stacks / f"Pulumi.{d.target_stack}.yaml").write_text(d.text())
            return d.target_stack

        timeline = recreate(derive_to_stack, executor, gate)
    assert timeline.ok and timeline.stack == "prod-japanwest-dr"
    order = [p for p, _ in timeline.ordered()]
    assert order[0] == "spec derivation" and order[-1] == "first full reconciliation"
    assert {"resource group", "cluster", "extension", "flux configuration"} <= set(order)
    spans = dict(timeline.ordered())
    assert spans["cluster"][1] <= spans["extension"][0] + 1e-6, "extension after the whole cluster"
    assert spans["extension"][1] <= spans["flux configuration"][0] + 1e-6
    assert spans["first full reconciliation"][1] == pytest.approx(timeline.total, abs=0.01)
    assert timeline.duration("cluster") >= 0.4


def test_export_of_an_emulator_cluster_round_trips(
    tmp_path: Path, deployed: tuple[ArmEmulator, EmulatorExecutor]
) -> None:
    from rich.console import Console

    from fleet.dr.cli import write_export

    arm, _ = deployed
    cid = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks-prod-jpe/providers/"
        "Microsoft.ContainerService/managedClusters/aks-prod-jpe"
    )
    live = read_cluster(arm.azure_context(), cid)
    exported = spec_from_live(copy.deepcopy(live), environment="prod")
    assert exported.spec["flux"]["platform"]["source"]["git"]["ref"] == {"tag": "v1.4.2"}
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    write_export(live, "exported", "prod", False, stacks, Console(file=None))
    # The to-do the export prints for a public KMS vault (ARM does not report its id), done as a user would.
    from ruamel.yaml import YAML

    from tests.conftest import cluster_of, stack_document, write_stack

    document = YAML(typ="safe", pure=True).load((stacks / "Pulumi.exported.yaml").read_text())
    vault = cluster_of(stack_document("prod-japaneast"))["security"]["kms"]["keyVaultResourceId"]
    cluster_of(document)["security"]["kms"]["keyVaultResourceId"] = vault
    write_stack(stacks, "exported", document)
    plan = plan_stack(stacks, "exported", policy=False)
    live_objects = live_map(live.cluster, live.pools, live.extensions, live.configurations)
    assert [str(d) for d in compare(plan, live_objects)] == []


def test_audit_judges_flux_rules_on_extension_rows_in_pascal_case() -> None:
    """Resource Graph answers extension rows with PascalCase names (Microsoft's samples read
    `properties.ExtensionType`); the FLUX rules must still judge them."""
    with ArmEmulator() as arm:
        good = arm.add_cluster(SUB_A, "rg-x", "aks-good")
        arm.add_extension(good)
        bad = arm.add_cluster(SUB_A, "rg-x", "aks-bad")
        arm.add_extension(
            bad,
            properties={
                "extensionType": "microsoft.flux",
                "autoUpgradeMinorVersion": False,
                "releaseTrain": "Preview",
                "version": "1.24.1",
                "scope": {"cluster": {"releaseNamespace": "flux-system"}},
                "configurationSettings": {"multiTenancy.enforce": "false"},
            },
        )
        rows = read_fleet(arm.azure_context().resource_graph(), [SUB_A])
        got = matrix(arm, [SUB_A])
    assert all("ExtensionType" in row["properties"] for row in rows["extensions"]), "the rows came PascalCase"
    bad_row = next(v for k, v in got.items() if k.endswith("/aks-bad"))
    good_row = next(v for k, v in got.items() if k.endswith("/aks-good"))
    assert bad_row["FLUX-001"] == "fail" and bad_row["FLUX-004"] == "fail"
    assert good_row["FLUX-001"] == "pass" and good_row["FLUX-004"] == "pass"


@pytest.mark.parametrize("stack", sorted(load_fleet(STACKS_DIR).stacks))
def test_every_shipped_stack_shows_no_drift_right_after_it_is_applied(stack: str) -> None:
    """The cluster GET lists the separately created user pools too, and ARM re-cases resource ids."""
    with ArmEmulator() as arm:
        assert EmulatorExecutor(STACKS_DIR, arm).up(stack).ok
        loaded = load_stack(STACKS_DIR, stack)
        live = read_live(arm.azure_context(), SUBSCRIPTION, loaded)
        plan = plan_stack(STACKS_DIR, stack, policy=False)
        drifts = [str(d) for d in compare(plan, live)]
    cluster = live[f"azure-native:containerservice:ManagedCluster|{loaded.spec.name}"]
    names = {p["name"] for p in cluster["agentPoolProfiles"]}
    assert {p.name for p in loaded.spec.user_pools} <= names and len(names) > 1, "user pools are listed"
    assert drifts == []


def test_drift_reads_the_omsagent_key_arm_re_cased(deployed: tuple[ArmEmulator, EmulatorExecutor]) -> None:
    """Disabling and re-enabling omsagent loses the config key's case (azure-rest-api-specs#10716)."""
    arm, executor = deployed
    client = arm.azure_context().container_service(SUBSCRIPTION)
    spec = load_stack(STACKS_DIR, "prod-japaneast").spec
    cluster = client.managed_clusters.get(spec.resource_group_name, spec.name)
    cluster.addon_profiles["omsagent"].enabled = False
    client.managed_clusters.begin_create_or_update(spec.resource_group_name, spec.name, cluster).result()
    assert executor.up("prod-japaneast").ok
    live = read_live(arm.azure_context(), SUBSCRIPTION, load_stack(STACKS_DIR, "prod-japaneast"))
    config = live["azure-native:containerservice:ManagedCluster|aks-prod-jpe"]["addonProfiles"]["omsagent"]["config"]
    assert "logAnalyticsWorkspaceResourceID" not in config, "the emulator re-cased the key"
    assert compare(plan_stack(STACKS_DIR, "prod-japaneast", policy=False), live) == []


def test_a_throttled_resource_graph_is_waited_for_not_failed() -> None:
    """Quota used up (remaining 0, resets-after): the reader waits for the window instead of spending 429s."""
    from fleet.audit import graph

    with ArmEmulator(graph_quota=4, graph_quota_window=1.0) as arm:
        seed(arm, 12)
        original = graph.PAGE_SIZE
        graph.PAGE_SIZE = 5  # 3 pages for each non-empty query: more queries than one window allows
        try:
            rows = read_fleet(arm.azure_context().resource_graph(), [SUB_A])
        finally:
            graph.PAGE_SIZE = original
        statuses = [status for method, _, status in arm.request_log if method == "POST"]
    assert len(rows["clusters"]) == 12 and len(rows["fluxConfigurations"]) == 12
    assert len(statuses) > 2 * arm.graph_quota and 429 not in statuses, statuses
