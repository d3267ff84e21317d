"""Recovery timeline and drills, with a scripted executor and gate (the emulator tests run them end to end)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from fleet.dr.drill import run_drill
from fleet.dr.recreate import recreate
from fleet.executors.base import Preview, UpResult
from fleet.health.flux_gate import GateResult, ObjectStatus


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Scripted:
    clock: Clock
    up_seconds: float = 12.0
    phases: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {
            "resource group": (0.0, 1.0),
            "identity": (1.0, 2.0),
            "cluster": (2.0, 9.0),
            "extension": (9.0, 11.0),
            "flux configuration": (11.0, 12.0),
        }
    )
    ok: bool = True
    destroyed: list[str] = field(default_factory=list)
    name: str = "scripted"

    def preview(self, stack: str) -> Preview:
        return Preview()

    def up(self, stack: str) -> UpResult:
        self.clock.now += self.up_seconds
        return UpResult(ok=self.ok, detail="" if self.ok else "QuotaExceeded", phases=self.phases)

    def destroy(self, stack: str) -> UpResult:
        self.destroyed.append(stack)
        return UpResult(ok=True)


def gate_after(clock: Clock, seconds: float, passed: bool = True):  # type: ignore[no-untyped-def]
    def gate(stack: str) -> GateResult:
        clock.now += seconds
        failing = (
            []
            if passed
            else [
                ObjectStatus(
                    "Kustomization",
                    "platform-apps",
                    "flux-system",
                    "Non-Compliant",
                    "HealthCheckFailed",
                    "podinfo not ready",
                )
            ]
        )
        return GateResult(
            passed,
            "Compliant" if passed else "Non-Compliant",
            "Succeeded",
            "main@sha1:abc",
            seconds,
            3,
            failing,
            "" if passed else "still Non-Compliant after 600s",
        )

    return gate


def derive_after(clock: Clock, seconds: float, name: str = "prod-japanwest-dr"):  # type: ignore[no-untyped-def]
    def derive() -> str:
        clock.now += seconds
        return name

    return derive


def test_timeline_phases_add_up_to_the_total() -> None:
    clock = Clock()
    timeline = recreate(derive_after(clock, 0.5), Scripted(clock), gate_after(clock, 30.0), clock=clock)
    assert timeline.ok and timeline.stack == "prod-japanwest-dr"
    assert [p for p, _ in timeline.ordered()] == [
        "spec derivation",
        "resource group",
        "identity",
        "cluster",
        "extension",
        "flux configuration",
        "first full reconciliation",
    ]
    assert timeline.phases["spec derivation"] == (0.0, 0.5)
    assert timeline.phases["cluster"] == (2.5, 9.5), "executor spans are placed after the derivation"
    assert timeline.phases["first full reconciliation"] == (12.5, 42.5)
    assert timeline.total == 42.5
    assert timeline.phases["first full reconciliation"][1] == timeline.total


def test_never_compliant_names_the_failing_objects() -> None:
    clock = Clock()
    timeline = recreate(derive_after(clock, 0.1), Scripted(clock), gate_after(clock, 600.0, passed=False), clock=clock)
    assert not timeline.ok and timeline.detail == "still Non-Compliant after 600s"
    assert timeline.failing == [
        "Kustomization flux-system/platform-apps Non-Compliant: HealthCheckFailed podinfo not ready"
    ]


def test_failed_update_stops_before_the_gate() -> None:
    clock = Clock()
    gate_calls: list[str] = []
    timeline = recreate(
        derive_after(clock, 0.1),
        Scripted(clock, ok=False),
        lambda s: gate_calls.append(s),  # type: ignore[arg-type,func-returns-value]
        clock=clock,
    )
    assert not timeline.ok and timeline.detail == "update failed: QuotaExceeded" and gate_calls == []


def test_drill_tears_down_and_records_a_report_line(tmp_path: Path) -> None:
    clock = Clock()
    executor = Scripted(clock)
    removed: list[str] = []
    report = tmp_path / "drills.jsonl"
    for _ in range(2):
        drill = run_drill(
            derive_after(clock, 0.2, "prod-drill"),
            executor,
            gate_after(clock, 10.0),
            report=report,
            remove_stack_file=removed.append,
            context={"source": "prod-japaneast", "region": "japanwest"},
        )
        assert drill.ok
    assert executor.destroyed == ["prod-drill", "prod-drill"] and removed == ["prod-drill", "prod-drill"]
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["source"] == "prod-japaneast" and lines[0]["ok"] is True
    assert lines[0]["timeline"]["phases"]["cluster"]["seconds"] == 7.0
    assert lines[0]["teardown"]["ok"] is True


def test_kept_drill_is_not_destroyed(tmp_path: Path) -> None:
    clock = Clock()
    executor = Scripted(clock)
    drill = run_drill(
        derive_after(clock, 0.2),
        executor,
        gate_after(clock, 1.0),
        report=tmp_path / "r.jsonl",
        remove_stack_file=lambda s: None,
        context={},
        keep=True,
    )
    assert drill.ok and executor.destroyed == [] and drill.teardown_detail == "kept (--keep)"
