"""Fleet operations at scale, against the ARM emulator with latency on every request.

1. Audit of N clusters (default 1,000, 25 ms per request): Resource Graph in bulk (the toolkit) against the
   naive sequential per-cluster reads (list clusters, then each cluster's extensions and configurations),
   both measured in this run; peak RSS of the process.
2. Rollout of 50 simulated stacks (2 s each) at concurrency 10: wall time against the ideal (ceil(50/10) x 2 s).

Prints figures only, never asserts a time. Usage: .venv/bin/python benchmarks/fleet.py [--clusters 1000]
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet.audit.evaluate import audit  # noqa: E402
from fleet.audit.graph import read_fleet  # noqa: E402
from fleet.audit.normalize import group_fleet  # noqa: E402
from fleet.executors.base import Preview, UpResult  # noqa: E402
from fleet.fleetfile import FleetFile, Ring  # noqa: E402
from fleet.policy.config import config_path, load_config  # noqa: E402
from fleet.rollout.engine import rollout  # noqa: E402
from fleet.rollout.journal import Journal  # noqa: E402
from fleet.rollout.pipeline import run_stack  # noqa: E402
from fleet.rollout.provenance import Provenance  # noqa: E402
from policies.baseline import ENVIRONMENTS  # noqa: E402
from tests.fakes.arm import ArmEmulator  # noqa: E402

SUB = "bench-sub"


def naive(arm: ArmEmulator) -> int:
    ctx = arm.azure_context()
    containers, config = ctx.container_service(SUB), ctx.kubernetes_configuration(SUB)
    count = 0
    for cluster in containers.managed_clusters.list():
        rg = cluster.id.split("/")[4]
        scope = (rg, "Microsoft.ContainerService", "managedClusters", cluster.name)
        list(config.extensions.list(*scope))
        list(config.flux_configurations.list(*scope))
        count += 1
    return count


class Simulated:
    name = "simulated"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def preview(self, stack: str) -> Preview:
        return Preview(changes={"update": 1})

    def up(self, stack: str) -> UpResult:
        time.sleep(self.seconds)
        return UpResult(ok=True)

    def destroy(self, stack: str) -> UpResult:
        return UpResult(ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.025)
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--stack-seconds", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()

    configs = {env: load_config(config_path(env)) for env in ENVIRONMENTS}
    with ArmEmulator(latency=args.latency, page_size=100) as arm:
        for i in range(args.clusters):
            cid = arm.add_cluster(SUB, f"rg-{i % 50}", f"aks-{i:05d}")
            arm.add_extension(cid)
            arm.add_flux_configuration(cid)
        start = time.perf_counter()
        rows = read_fleet(arm.azure_context().resource_graph(), [SUB])
        report = audit(group_fleet(rows), configs)
        bulk = time.perf_counter() - start
        bulk_requests = len(arm.request_log)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        counted = naive(arm)
        sequential = time.perf_counter() - start
        naive_requests = len(arm.request_log) - bulk_requests
    assert counted == len(report.clusters) == args.clusters
    print(f"audit of {args.clusters} clusters at {args.latency * 1000:.0f} ms/request:")
    print(
        f"  bulk (Resource Graph + 46 rules): {bulk:.2f} s, {bulk_requests} requests — target 3 s: "
        f"{'meets' if bulk <= 3 else 'misses'}"
    )
    print(f"  naive sequential reads only (no rules): {sequential:.1f} s, {naive_requests} requests")
    print(f"  speed-up {sequential / bulk:.0f}x — target 20x: {'meets' if sequential / bulk >= 20 else 'misses'}")
    print(
        f"  peak RSS {rss:.0f} MB (emulator in the same process) — target 300 MB: {'meets' if rss <= 300 else 'misses'}"
    )

    stacks = [f"s{i:02d}" for i in range(args.stacks)]
    fleet = FleetFile(rings=[Ring(name="all", stacks=stacks, max_parallel=args.concurrency)])
    executor = Simulated(args.stack_seconds)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = rollout(
            fleet,
            lambda s: run_stack(s, executor, None, dry_run=False),
            Journal(Path(tmp) / "j.jsonl"),
            dry_run=False,
            provenance=lambda s: Provenance(spec_digest="0" * 64, commit=None),  # simulated stacks have no file
        )
        wall = time.perf_counter() - start
    ideal = math.ceil(args.stacks / args.concurrency) * args.stack_seconds
    print(
        f"rollout of {args.stacks} simulated stacks ({args.stack_seconds:.0f} s each) at concurrency "
        f"{args.concurrency}: {wall:.2f} s vs ideal {ideal:.1f} s = {wall / ideal:.3f}x — target 1.1x: "
        f"{'meets' if wall / ideal <= 1.1 else 'misses'} (ok={result.ok})"
    )


if __name__ == "__main__":
    main()
