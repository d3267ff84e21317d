"""Disaster recovery: the tool's own overhead beyond simulated provisioning times, and parallelism.

The ARM emulator holds each long-running operation for a simulated provisioning time; the recovery runs
`fleet dr` recreate's code path (derive -> apply through the SDK clients -> wait for Flux Compliant). The
overhead is the total minus the critical path of simulated times. Prints figures; asserts nothing.
Usage: .venv/bin/python benchmarks/dr.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet.dr.derive import derive  # noqa: E402
from fleet.dr.recreate import recreate  # noqa: E402
from fleet.health.factory import flux_gate  # noqa: E402
from fleet.plan.azure_outputs import SUBSCRIPTION  # noqa: E402
from tests.fakes.arm import ArmEmulator  # noqa: E402
from tests.fakes.emulator_executor import EmulatorExecutor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every simulated time")
    parser.add_argument("--source", default="dev", help="dev has a workspace beside the identity (parallel steps)")
    args = parser.parse_args()
    s = args.scale
    arm_times = {
        "managedClusters": 6.0 * s,
        "agentPools": 2.0 * s,
        "extensions": 3.0 * s,
        "fluxconfigurations": 1.0 * s,
    }
    simulated = {
        "azure-native:resources:ResourceGroup": 0.5 * s,
        "azure-native:managedidentity:UserAssignedIdentity": 1.0 * s,
        "azure-native:operationalinsights:Workspace": 1.0 * s,
        "azure-native:authorization:RoleAssignment": 0.5 * s,
    }
    reconcile = 3.0 * s
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp)
        for path in (ROOT / "stacks").glob("Pulumi.*.yaml"):
            shutil.copy(path, stacks / path.name)
        with ArmEmulator(provisioning_seconds=arm_times, reconcile_seconds=reconcile) as arm:
            executor = EmulatorExecutor(stacks, arm, simulated_seconds=simulated)
            gate = flux_gate(
                stacks,
                arm.azure_context(),
                subscription=SUBSCRIPTION,
                initial_interval=0.25,
                max_interval=0.25,
                resolver=lambda url, ref: arm.commit,
            )

            def derive_stack() -> str:
                d = derive(
                    (stacks / f"Pulumi.{args.source}.yaml").read_text(),
                    source_stack=args.source,
                    ref="HEAD",
                    region="japanwest",
                    existing_stacks={"prod-japanwest": "aks-prod-jpw"},
                )
                (stacks / f"Pulumi.{d.target_stack}.yaml").write_text(d.text())
                return d.target_stack

            timeline = recreate(derive_stack, executor, gate)
    # The critical path: RG -> identity (the workspace beside it) -> subnet role (prod) -> cluster -> user pools,
    # chained -> extension -> platform configuration -> tenants -> reconciliation.
    from components.spec import load_stack

    spec = load_stack(ROOT / "stacks", args.source).spec
    role = 0.5 * s if spec.network.vnet_subnet_id else 0.0
    critical = (0.5 + 1.0) * s + role + arm_times["managedClusters"] + len(spec.user_pools) * arm_times["agentPools"]
    critical += arm_times["extensions"] + (1 + len(spec.flux.tenants)) * arm_times["fluxconfigurations"] + reconcile
    for phase, (start, end) in timeline.ordered():
        print(f"  {phase:<26} {start:6.2f} -> {end:6.2f}  ({end - start:5.2f} s)")
    overhead = timeline.total - critical
    print(
        f"total {timeline.total:.2f} s, simulated critical path {critical:.2f} s, tool overhead {overhead:.2f} s "
        f"— target < 5 s: {'meets' if overhead < 5 else 'misses'} (ok={timeline.ok})"
    )
    spans = dict(timeline.ordered())
    serial = sum(end - start for _, (start, end) in timeline.ordered())
    print(
        f"sum of phase durations {serial:.2f} s vs wall {timeline.total:.2f} s: "
        f"{max(serial - timeline.total, 0):.2f} s saved by running independent steps side by side"
    )
    if "monitoring" in spans and "identity" in spans:
        a, b = spans["identity"], spans["monitoring"]
        print(f"identity and monitoring overlap for {max(min(a[1], b[1]) - max(a[0], b[0]), 0):.2f} s")
    print("user pools stay chained: AKS runs one pool operation per cluster at a time (409 otherwise)")


if __name__ == "__main__":
    main()
