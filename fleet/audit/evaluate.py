"""Judge each live cluster (with its extension and flux configurations) by the catalogue: a matrix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fleet.findings import FLUX_V1
from policies.baseline import CATALOGUE, ENVIRONMENTS, Context, Rule, evaluate, evaluate_stack

from .normalize import LiveCluster

Status = Literal["pass", "fail", "warn", "n/a"]


@dataclass
class Cell:
    status: Status
    findings: list[str] = field(default_factory=list)


@dataclass
class ClusterResult:
    cluster: LiveCluster
    environment: str
    cells: dict[str, Cell]

    @property
    def failed(self) -> list[str]:
        return [rule for rule, cell in self.cells.items() if cell.status == "fail"]

    @property
    def warned(self) -> list[str]:
        return [rule for rule, cell in self.cells.items() if cell.status == "warn"]


@dataclass
class AuditReport:
    rules: list[Rule]
    clusters: list[ClusterResult]

    @property
    def blocked(self) -> bool:
        return any(c.failed for c in self.clusters)


def audit(clusters: list[LiveCluster], configs: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> AuditReport:
    rules = [r for r in CATALOGUE if r.live]
    return AuditReport(rules, [_judge(cluster, rules, configs) for cluster in clusters])


def _judge(
    cluster: LiveCluster, rules: list[Rule], configs: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> ClusterResult:
    # An unknown or missing environment tag is judged as production: the strictest reading.
    environment = cluster.environment if cluster.environment in ENVIRONMENTS else "prod"
    config = configs.get(environment, {})
    cells: dict[str, Cell] = {}
    for rule in rules:
        entry = dict(config.get(rule.policy_name, {}))
        level = entry.pop("enforcementLevel", rule.enforcement_for(environment))
        entry.pop("environment", None)
        ctx = Context(environment=environment, config=entry)
        applicable = [r for r in cluster.resources if r.key in rule.applies_to]
        if level == "disabled" or not applicable:
            cells[rule.id] = Cell("n/a")
            continue
        if rule.stack_level:
            findings = [f.message for f in evaluate_stack(rule, cluster.resources, ctx)]
        else:
            findings = [f"{f.resource}: {f.message}" for r in applicable for f in evaluate(rule, r, ctx)]
        status: Status = "pass" if not findings else ("fail" if level == "mandatory" else "warn")
        cells[rule.id] = Cell(status, findings)
    cells[FLUX_V1] = (
        Cell("warn", [f"Flux v1 configuration {name!r}: migrate to a fluxConfiguration" for name in cluster.flux_v1])
        if cluster.flux_v1
        else Cell("pass")
    )
    return ClusterResult(cluster, environment, cells)
