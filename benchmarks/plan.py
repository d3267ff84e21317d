"""`fleet plan` cost: one stack (wall time and peak RSS of the CLI), a synthetic fleet of N stacks planned in
one process, and the overhead of the components against the same resources declared raw (same run).

Prints figures only, never asserts a time. Usage: .venv/bin/python benchmarks/plan.py [--runs 5] [--fleet 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], capture_output=True, check=False)
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure_cli(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one CLI run, measured in a fresh parent so maxrss is per run."""
    out = subprocess.run([sys.executable, "-c", CHILD_MEASURE, *args], capture_output=True, text=True, check=True)
    wall, rss_kb = out.stdout.split()
    return float(wall), int(rss_kb) / 1024


def raw_program(stacks_dir: Path) -> None:
    """The stamp's resources declared directly with azure-native: no ComponentResource anywhere."""
    import pulumi
    from pulumi_azure_native import containerservice, kubernetesconfiguration, managedidentity, operationalinsights
    from pulumi_azure_native import resources as azure_resources

    from components.aks_cluster import (
        agent_pool_args,
        agent_pool_ignore_changes,
        cluster_ignore_changes,
        managed_cluster_args,
    )
    from components.flux_configuration import configuration_args
    from components.flux_extension import extension_args
    from components.spec import azure_names, load_stack

    spec = load_stack(stacks_dir, pulumi.get_stack()).spec
    name = spec.name
    rg = azure_resources.ResourceGroup(
        f"{name}-rg", resource_group_name=spec.resource_group_name, location=spec.location, tags=spec.all_tags
    )
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-identity",
        resource_name_=azure_names.control_plane_identity(name),
        resource_group_name=rg.name,
        location=spec.location,
    )
    workspace = operationalinsights.Workspace(
        f"{name}-logs",
        workspace_name=azure_names.workspace(name),
        resource_group_name=rg.name,
        location=spec.location,
        sku={"name": "PerGB2018"},
        retention_in_days=30,
    )
    cluster = containerservice.ManagedCluster(
        f"{name}-aks",
        **managed_cluster_args(spec, resource_group_name=rg.name, identity_id=identity.id, workspace_id=workspace.id),
        opts=pulumi.ResourceOptions(protect=True, ignore_changes=cluster_ignore_changes(spec)),
    )
    pools = [
        containerservice.AgentPool(
            f"{name}-aks-{pool.name}",
            **agent_pool_args(spec, pool, resource_group_name=rg.name, cluster_name=cluster.name),
            opts=pulumi.ResourceOptions(depends_on=[cluster], ignore_changes=agent_pool_ignore_changes(spec)),
        )
        for pool in spec.user_pools
    ]
    extension = kubernetesconfiguration.Extension(
        f"{name}-flux",
        **extension_args(spec.flux.extension, resource_group_name=rg.name, cluster_name=cluster.name),
        opts=pulumi.ResourceOptions(depends_on=[cluster, *pools], protect=True),
    )
    kubernetesconfiguration.FluxConfiguration(
        f"{name}-platform",
        **configuration_args(
            spec.flux.platform, scope="cluster", resource_group_name=rg.name, cluster_name=cluster.name, secrets={}
        ),
        opts=pulumi.ResourceOptions(depends_on=[extension], protect=True),
    )


def synthetic_fleet(folder: Path, count: int) -> list[str]:
    source = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    names = []
    for i in range(count):
        name = f"syn-{i:03d}"
        (folder / f"Pulumi.{name}.yaml").write_text(source.replace("aks-dev-jpe", f"aks-syn-{i:03d}"))
        names.append(name)
    return names


FLEET_CHILD = """
import json, resource, sys, time
from pathlib import Path
from fleet.plan.runner import plan_stack
folder, names = Path(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
for name in names:
    plan_stack(folder, name, policy=False)
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fleet", type=int, default=50)
    args = parser.parse_args()
    fleet_bin = str(ROOT / ".venv" / "bin" / "fleet")

    runs = [measure_cli([fleet_bin, "plan", "-s", "dev", "--no-policy", "--no-preflight"]) for _ in range(args.runs)]
    wall, rss = statistics.median(r[0] for r in runs), max(r[1] for r in runs)
    verdict = "meets" if wall <= 1.5 and rss <= 250 else "misses"
    print(
        f"one stack, the plan alone (--no-policy --no-preflight, median of {args.runs}): {wall:.2f} s, "
        f"peak RSS {rss:.0f} MB — target 1.5 s / 250 MB: {verdict}"
    )
    for label, extra in (("+ policy pack over gRPC", ["--no-preflight"]), ("+ policy + GitOps preflight", [])):
        measured = [measure_cli([fleet_bin, "plan", "-s", "dev", *extra]) for _ in range(args.runs)]
        print(
            f"one stack {label}: {statistics.median(r[0] for r in measured):.2f} s, "
            f"peak RSS {max(r[1] for r in measured):.0f} MB"
        )

    with tempfile.TemporaryDirectory() as tmp:
        names = synthetic_fleet(Path(tmp), args.fleet)
        out = subprocess.run(
            [sys.executable, "-c", FLEET_CHILD, tmp, *names], capture_output=True, text=True, check=True, cwd=ROOT
        )
        fleet: dict[str, Any] = json.loads(out.stdout)
    print(
        f"synthetic fleet of {args.fleet} stacks planned in one process: {fleet['wall']:.1f} s "
        f"({fleet['wall'] / args.fleet * 1000:.0f} ms/stack), peak RSS {fleet['rss_mb']:.0f} MB"
    )

    from components import program
    from components.spec import load_stack
    from fleet.plan.engine import run_program

    stacks = ROOT / "stacks"
    loaded = load_stack(stacks, "dev")
    component_times, raw_times = [], []
    component_plan = run_program(loaded, lambda: program.main(stacks))
    raw_plan = run_program(loaded, lambda: raw_program(stacks))
    for _ in range(args.runs * 2):  # interleaved, so machine noise hits both sides alike
        start = time.perf_counter()
        run_program(loaded, lambda: program.main(stacks))
        component_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        run_program(loaded, lambda: raw_program(stacks))
        raw_times.append(time.perf_counter() - start)
    c, r = statistics.median(component_times), statistics.median(raw_times)
    same = Counter(x.type for x in component_plan.resources if x.custom) == Counter(
        x.type for x in raw_plan.resources if x.custom
    )
    print(
        f"component overhead: components {c * 1000:.0f} ms vs raw {r * 1000:.0f} ms = {c / r:.2f}x "
        f"— target 1.3x: {'meets' if c / r <= 1.3 else 'misses'}"
        + ("" if same else "  WARNING: the raw program declares different resources")
    )


if __name__ == "__main__":
    main()
