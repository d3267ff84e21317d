"""Policy analysis cost: per resource over the gRPC analyzer protocol (as the Pulumi CLI drives the pack)
against the same catalogue in-process, for one stack and for 50 stacks; and plan + policy wall time.

Prints figures only; nothing here asserts a time (this machine is shared and noisy).
Usage: .venv/bin/python benchmarks/policy.py [--stacks 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fleet.plan.model import PlannedResource  # noqa: E402
from fleet.plan.runner import plan_stack  # noqa: E402
from fleet.policy.analyzer import policy_pack  # noqa: E402
from fleet.policy.config import config_path, load_config  # noqa: E402
from policies.baseline import CATALOGUE, Context, Resource, evaluate, evaluate_stack  # noqa: E402


def in_process(resources: list[PlannedResource], environment: str) -> None:
    canonical = [Resource(r.type, r.name, r.inputs, r.urn, tuple(r.options.depends_on)) for r in resources if r.custom]
    ctx = Context(environment=environment)
    for rule in CATALOGUE:
        for resource in canonical:
            evaluate(rule, resource, ctx)
        evaluate_stack(rule, canonical, ctx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    stacks_dir = ROOT / "stacks"
    plan = plan_stack(stacks_dir, "prod-japaneast", policy=False)
    custom = [r for r in plan.resources if r.custom]
    config = load_config(config_path("prod"))
    print(f"catalogue: {len(CATALOGUE)} rules; stack prod-japaneast: {len(custom)} Azure resources\n")

    pack_start = time.perf_counter()
    with policy_pack() as client:
        boot = time.perf_counter() - pack_start
        client.configure(config)
        client.configure_stack("prod-japaneast", "aksfleet", {"environment": "prod"})
        for label, count in (("1 stack", 1), (f"{args.stacks} stacks", args.stacks)):
            grpc_times, local_times = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                for _ in range(count):
                    client.analyze(plan.resources)
                grpc_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                for _ in range(count):
                    in_process(plan.resources, "prod")
                local_times.append(time.perf_counter() - start)
            g, local = statistics.median(grpc_times), statistics.median(local_times)
            per = count * len(custom)
            print(
                f"{label:>10}: gRPC {g * 1000:8.1f} ms ({g / per * 1000:.2f} ms/resource)   "
                f"in-process {local * 1000:8.1f} ms ({local / per * 1000:.3f} ms/resource)   ratio {g / local:.1f}x"
            )
    print(f"\npack start (process + gRPC handshake): {boot * 1000:.0f} ms")

    walls = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "fleet"), "plan", "-s", "prod-japaneast", "--no-preflight"],
            capture_output=True,
            check=False,
        )
        walls.append(time.perf_counter() - start)
    wall = statistics.median(walls)
    verdict = "meets" if wall <= 2.0 else "misses"
    print(
        f"`fleet plan -s prod-japaneast --no-preflight` (plan + SDK validation + policy over gRPC), "
        f"median of {args.runs}: {wall:.2f} s — {verdict} the 2 s target"
    )


if __name__ == "__main__":
    main()
