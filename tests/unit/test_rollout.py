"""The rollout engine, pipeline, journal, health gate and CI export, with scripted executors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ruamel.yaml import YAML

from fleet.executors.base import Preview, UpResult
from fleet.fleetfile import FleetFile, Ring
from fleet.health.flux_gate import GateResult, GateTarget, commit_of, wait_for_compliance
from fleet.rollout.engine import RolloutResult, rollout
from fleet.rollout.github_actions import workflow
from fleet.rollout.journal import Journal
from fleet.rollout.pipeline import run_stack
from fleet.rollout.provenance import Provenance
from tests.conftest import PROJECT_DIR


@dataclass
class ScriptedExecutor:
    """Previews and updates that succeed unless told otherwise; records what ran, when and how often."""

    delay: float = 0.0
    preview_of: dict[str, Preview] = field(default_factory=dict)
    failing_up: set[str] = field(default_factory=set)
    name: str = "scripted"
    calls: list[tuple[str, str, float, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def preview(self, stack: str) -> Preview:
        return self.preview_of.get(stack, Preview(changes={"update": 1}))

    def up(self, stack: str) -> UpResult:
        start = time.monotonic()
        time.sleep(self.delay)
        with self._lock:
            self.calls.append(("up", stack, start, time.monotonic()))
        if stack in self.failing_up:
            return UpResult(ok=False, detail="BadRequest: simulated")
        return UpResult(ok=True, summary={"update": 1})


def passing_gate(stack: str) -> GateResult:
    return GateResult(True, "Compliant", "Succeeded", "main@sha1:abc", 0.0, 1)


def fleet(*rings: tuple[str, list[str], int, int]) -> FleetFile:
    return FleetFile(rings=[Ring(name=n, stacks=s, max_parallel=p, failure_threshold=t) for n, s, p, t in rings])


def runner(executor: ScriptedExecutor, gate: Any = passing_gate) -> Any:
    return lambda stack: run_stack(stack, executor, gate, dry_run=False)


TODAY = Provenance(spec_digest="5" * 64, commit="c" * 40)


def deploy(plan: FleetFile, run: Any, journal: Journal, **options: Any) -> RolloutResult:
    """A real (not dry-run) rollout whose every stack has the same spec and commit as last time."""
    return rollout(plan, run, journal, dry_run=False, provenance=lambda stack: TODAY, **options)


def test_rings_run_in_order_and_stacks_within_a_ring_in_parallel(tmp_path: Path) -> None:
    executor = ScriptedExecutor(delay=0.2)
    plan = fleet(("canary", ["a"], 1, 0), ("wide", ["b", "c", "d", "e"], 2, 0))
    result = deploy(plan, runner(executor), Journal(tmp_path / "j.jsonl"))
    assert result.ok and next(o.stack for _, o in result.outcomes) == "a"
    spans = {stack: (start, end) for _, stack, start, end in executor.calls}
    assert all(spans["a"][1] <= spans[s][0] for s in "bcde"), "a ring starts after the previous one finished"
    peak = max(sum(1 for s, e in spans.values() if s <= t < e) for t, _ in spans.values())
    assert peak == 2, "maxParallel bounds the ring"


def test_canary_failure_halts_before_the_next_ring(tmp_path: Path) -> None:
    executor = ScriptedExecutor(failing_up={"dev"})
    plan = fleet(("canary", ["dev"], 1, 0), ("prod", ["p1", "p2"], 2, 0))
    result = deploy(plan, runner(executor), Journal(tmp_path / "j.jsonl"))
    assert not result.ok and result.halted_at == "canary"
    assert result.not_started == ["p1", "p2"]
    assert [stack for _, stack, _, _ in executor.calls] == ["dev"]
    (outcome,) = [o for _, o in result.outcomes]
    assert (outcome.phase, outcome.detail) == ("up", "BadRequest: simulated")


def test_failure_threshold_tolerates_failures_within_a_ring(tmp_path: Path) -> None:
    executor = ScriptedExecutor(failing_up={"b"})
    plan = fleet(("wide", ["a", "b", "c"], 1, 1), ("next", ["d"], 1, 0))
    result = deploy(plan, runner(executor), Journal(tmp_path / "j.jsonl"))
    assert result.halted_at is None and not result.ok
    assert {stack for _, stack, _, _ in executor.calls} == {"a", "b", "c", "d"}


def test_no_new_stack_starts_once_the_ring_is_over_its_threshold(tmp_path: Path) -> None:
    executor = ScriptedExecutor(failing_up={"a"})
    plan = fleet(("serial", ["a", "b", "c"], 1, 0))
    result = deploy(plan, runner(executor), Journal(tmp_path / "j.jsonl"))
    assert result.halted_at == "serial" and result.not_started == ["b", "c"]


def test_policy_and_guard_stop_a_stack_before_up(tmp_path: Path) -> None:
    executor = ScriptedExecutor(
        preview_of={
            "bad-policy": Preview(policy_violations=["AKS-001 c: local accounts are enabled"]),
            "replace": Preview(guard_violations=["ManagedCluster c: replace (dnsPrefix)"]),
        }
    )
    plan = fleet(("ring", ["bad-policy", "replace"], 2, 5))
    result = deploy(plan, runner(executor), Journal(tmp_path / "j.jsonl"))
    phases = {o.stack: (o.phase, o.detail) for _, o in result.outcomes}
    assert phases["bad-policy"] == ("policy", "1 mandatory finding(s): AKS-001 c: local accounts are enabled")
    assert phases["replace"] == ("guard", "ManagedCluster c: replace (dnsPrefix)")
    assert executor.calls == []


def test_gate_failure_names_the_failing_objects(tmp_path: Path) -> None:
    from fleet.health.flux_gate import ObjectStatus

    failing = ObjectStatus("HelmRelease", "ingress-nginx", "ingress-nginx", "Non-Compliant", "InstallFailed", "timeout")

    def gate(stack: str) -> GateResult:
        return GateResult(
            False, "Non-Compliant", "Succeeded", None, 30.0, 4, [failing], "still Non-Compliant after 30s"
        )

    result = deploy(fleet(("r", ["x"], 1, 0)), runner(ScriptedExecutor(), gate), Journal(tmp_path / "j.jsonl"))
    (outcome,) = [o for _, o in result.outcomes]
    assert outcome.phase == "gate"
    assert outcome.detail == (
        "still Non-Compliant after 30s — failing: "
        "HelmRelease ingress-nginx/ingress-nginx Non-Compliant: InstallFailed timeout"
    )


CHILD = """
import sys, time
from pathlib import Path
from fleet.fleetfile import FleetFile, Ring
from fleet.executors.base import Preview, UpResult
from fleet.rollout.engine import rollout
from fleet.rollout.journal import Journal
from fleet.rollout.pipeline import run_stack
from fleet.rollout.provenance import Provenance
log = Path(sys.argv[1]); journal = Journal(Path(sys.argv[2]))
today = Provenance("5" * 64, "c" * 40)
class Slow:
    name = "slow"
    def preview(self, stack): return Preview(changes={"update": 1})
    def up(self, stack):
        time.sleep(0.4)
        with log.open("a") as f:
            f.write(stack + "\\n"); f.flush()
        return UpResult(ok=True)
plan = FleetFile(rings=[Ring(name="canary", stacks=["s0"], max_parallel=1),
                        Ring(name="wide", stacks=[f"s{i}" for i in range(1, 9)], max_parallel=2)])
executor = Slow()
result = rollout(plan, lambda s: run_stack(s, executor, None, dry_run=False), journal,
                 dry_run=False, provenance=lambda s: today, resume=True)
print("DONE", result.ok, result.rollout_id)
"""


def test_rollout_killed_mid_ring_resumes_without_rerunning_finished_stacks(tmp_path: Path) -> None:
    log, journal_path = tmp_path / "ups.log", tmp_path / "journal.jsonl"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(log), str(journal_path)], env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the canary and a few stacks of the wide ring finished
        if log.exists() and len(log.read_text().split()) >= 3:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    first_run = log.read_text().split()
    assert 3 <= len(first_run) < 9, "killed mid-ring"
    finished = _deployed(journal_path)
    resumed = subprocess.run(
        [sys.executable, "-c", CHILD, str(log), str(journal_path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert "DONE True" in resumed.stdout, resumed.stderr
    second_run = log.read_text().split()[len(first_run) :]
    assert not set(second_run) & finished, "no finished stack runs twice"
    assert set(first_run) | set(second_run) == {f"s{i}" for i in range(9)}
    assert _deployed(journal_path) == {f"s{i}" for i in range(9)}
    read = Journal(journal_path).read()
    assert {r.rollout_id for r in read.records} == {resumed.stdout.split()[-1]}, "the resume continued the one rollout"
    assert read.skipped <= 1, "at most the line the kill tore"


def _deployed(journal_path: Path) -> set[str]:
    return {r.stack for r in Journal(journal_path).read().records if r.event == "succeeded"}


class Reader:
    """A flux configuration that progresses through scripted reads, in the API's shapes (Ready conditions whose
    message says "Applied revision: <branch>@sha1:<sha>", as kustomize-controller writes it)."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.reads = 0

    def get(self, *args: str) -> Any:
        state = self.states[min(self.reads, len(self.states) - 1)]
        self.reads += 1
        statuses = [
            SimpleNamespace(
                kind=s["kind"],
                name=s["name"],
                namespace="flux-system",
                compliance_state=s["state"],
                helm_release_properties=None,
                status_conditions=[
                    SimpleNamespace(
                        type="Ready", status="False", reason=s.get("reason", ""), message=s.get("message", "")
                    )
                ]
                if s["state"] != "Compliant"
                else [
                    SimpleNamespace(
                        type="Ready",
                        status="True",
                        reason="ReconciliationSucceeded",
                        message=f"Applied revision: main@sha1:{s.get('applied', state.get('commit_sha'))}",
                    )
                ],
            )
            for s in state.get("statuses", [])
        ]
        sha = state.get("commit_sha")
        return SimpleNamespace(
            compliance_state=state["compliance"],
            provisioning_state=state.get("provisioning", "Succeeded"),
            source_synced_commit_id=f"main@sha1:{sha}" if sha else None,
            suspend=False,
            statuses=statuses,
            error_message=state.get("error"),
        )


EXPECTED = "abc1230000000000000000000000000000000000"
OLD = "0de9990000000000000000000000000000000000"
TARGET = GateTarget("rg", "aks", "platform", expected_commit=EXPECTED, kustomizations=("infra", "apps"))
OK = [
    {"kind": "Kustomization", "name": "platform-infra", "state": "Compliant"},
    {"kind": "Kustomization", "name": "platform-apps", "state": "Compliant"},
]


def test_gate_waits_for_compliant_at_the_expected_commit() -> None:
    reader = Reader(
        [
            {"compliance": "Pending"},
            {"compliance": "Compliant", "commit_sha": OLD, "statuses": OK},
            {"compliance": "Compliant", "commit_sha": EXPECTED, "statuses": OK},
        ]
    )
    sleeps: list[float] = []
    result = wait_for_compliance(reader, TARGET, timeout=100, initial_interval=1, sleep=sleeps.append)
    assert result.passed and result.polls == 3 and commit_of(result.synced_commit) == EXPECTED
    assert sleeps == [1, 2], "exponential backoff"


def test_gate_gives_up_and_names_failing_objects() -> None:
    broken = [
        OK[0],
        {
            "kind": "Kustomization",
            "name": "platform-apps",
            "state": "Non-Compliant",
            "reason": "DependencyNotReady",
            "message": "dependency 'flux-system/platform-infra' is not ready",
        },
    ]
    reader = Reader([{"compliance": "Non-Compliant", "commit_sha": EXPECTED, "statuses": broken}])
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    result = wait_for_compliance(reader, TARGET, timeout=20, initial_interval=4, clock=lambda: now[0], sleep=sleep)
    assert not result.passed and result.reason.startswith("after 12s: Kustomization flux-system/platform-apps")
    assert [str(s) for s in result.failing] == [
        "Kustomization flux-system/platform-apps Non-Compliant: DependencyNotReady dependency "
        "'flux-system/platform-infra' is not ready"
    ]


def test_gate_stops_at_failed_provisioning_and_wrong_commit() -> None:
    failed = Reader([{"compliance": "Unknown", "provisioning": "Failed", "error": "extension not installed"}])
    assert wait_for_compliance(failed, TARGET, sleep=lambda s: None).reason == (
        "provisioning Failed: extension not installed"
    )
    stale = Reader([{"compliance": "Compliant", "commit_sha": OLD, "statuses": OK}])
    now = [0.0]
    result = wait_for_compliance(
        stale,
        TARGET,
        timeout=3,
        initial_interval=1,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert result.reason == f"after 3s: synced {OLD}, expected {EXPECTED}"


def test_github_actions_workflow_chains_rings() -> None:
    from fleet.fleetfile import load_fleet
    from tests.conftest import STACKS_DIR

    document = YAML(typ="safe").load(workflow(load_fleet(STACKS_DIR)))
    jobs = document["jobs"]
    assert list(jobs) == ["canary", "pre-production", "production"]
    assert "needs" not in jobs["canary"]
    assert jobs["pre-production"]["needs"] == ["canary"] and jobs["production"]["needs"] == ["pre-production"]
    assert jobs["production"]["strategy"]["matrix"]["stack"] == ["prod-japaneast", "prod-japanwest"]
    assert jobs["production"]["strategy"]["max-parallel"] == 1
    (rollout,) = [step for step in jobs["canary"]["steps"] if "fleet rollout" in str(step.get("run", ""))]
    assert '--stack "$STACK"' in rollout["run"] and rollout["env"]["STACK"] == "${{ matrix.stack }}"
    assert document["permissions"]["id-token"] == "write"
    assert json.dumps(document)  # plain data only


@pytest.mark.skipif(
    not __import__("shutil").which("pulumi"), reason="needs the Pulumi CLI (not installable on this machine)"
)
def test_automation_executor_previews_a_stack_with_the_cli(tmp_path: Path) -> None:
    from fleet.executors.automation import AutomationExecutor
    from fleet.policy.config import config_path

    executor = AutomationExecutor(PROJECT_DIR, policy_config_for=lambda s: config_path("dev"), work_root=tmp_path)
    preview = executor.preview("dev")
    assert not preview.errors and preview.changes
